package argocd

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// healthTests is Argo CD's health_test.yaml layout (resource_customizations/<group>/<kind>/).
type healthTests struct {
	Tests []struct {
		HealthStatus Health `json:"healthStatus"`
		InputPath    string `json:"inputPath"`
	} `json:"tests"`
}

// kindDirs are the <group>/<kind> directories holding a health.lua.
func kindDirs(t *testing.T) []string {
	t.Helper()
	scripts, err := filepath.Glob("*/*/health.lua")
	if err != nil || len(scripts) == 0 {
		t.Fatalf("no */*/health.lua under argocd/ (%v)", err)
	}
	dirs := make([]string, 0, len(scripts))
	for _, script := range scripts {
		dirs = append(dirs, filepath.Dir(script))
	}
	sort.Strings(dirs)
	return dirs
}

func readYAML(t *testing.T, path string, into any) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// Every health_test.yaml case, run through the Lua script as Argo CD runs it; every testdata
// file is some case's input.
func TestHealthScripts(t *testing.T) {
	for _, dir := range kindDirs(t) {
		t.Run(dir, func(t *testing.T) {
			script, err := os.ReadFile(filepath.Join(dir, "health.lua"))
			if err != nil {
				t.Fatal(err)
			}
			var cases healthTests
			readYAML(t, filepath.Join(dir, "health_test.yaml"), &cases)
			used := map[string]bool{}
			for _, test := range cases.Tests {
				used[filepath.Clean(test.InputPath)] = true
				var object map[string]any
				readYAML(t, filepath.Join(dir, test.InputPath), &object)
				got, err := Evaluate(string(script), object)
				if err != nil {
					t.Errorf("%s: %v", test.InputPath, err)
					continue
				}
				if got != test.HealthStatus {
					t.Errorf("%s: got %+v, want %+v", test.InputPath, got, test.HealthStatus)
				}
			}
			inputs, _ := filepath.Glob(filepath.Join(dir, "testdata", "*.yaml"))
			for _, input := range inputs {
				relative, _ := filepath.Rel(dir, input)
				if !used[relative] {
					t.Errorf("%s is no test's inputPath", input)
				}
			}
		})
	}
}

// docs/gitops.md gives the scripts to paste into argocd-cm; they must be the tested ones.
func TestDocsCarryTheTestedScripts(t *testing.T) {
	docs, err := os.ReadFile(filepath.Join("..", "..", "docs", "gitops.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range kindDirs(t) {
		script, err := os.ReadFile(filepath.Join(dir, "health.lua"))
		if err != nil {
			t.Fatal(err)
		}
		key := "resource.customizations.health." + strings.Replace(dir, string(filepath.Separator), "_", 1) + ":"
		if !strings.Contains(string(docs), key) {
			t.Errorf("docs/gitops.md has no argocd-cm key %s", key)
		}
		var indented strings.Builder
		for _, line := range strings.SplitAfter(strings.TrimRight(string(script), "\n"), "\n") {
			if strings.TrimSpace(line) != "" {
				indented.WriteString("    ")
			}
			indented.WriteString(line)
		}
		if !strings.Contains(string(docs), indented.String()) {
			t.Errorf("docs/gitops.md does not carry %s/health.lua verbatim (indented four spaces)", dir)
		}
	}
}

// argocd-cm scripts run with Lua's string library closed, so a script that works only with
// it open would fail in Argo CD.
func TestOnlyArgoCDsLibrariesAreOpen(t *testing.T) {
	_, err := Evaluate(`return { status = "Healthy", message = string.format("%d", 1) }`, map[string]any{})
	if err == nil {
		t.Fatal("string.format ran: the string library is open, unlike in Argo CD's argocd-cm scripts")
	}
	got, err := Evaluate(`return { status = "Healthy", message = table.concat({"a", "b"}, ", ") }`, map[string]any{})
	if err != nil || got != (Health{Status: "Healthy", Message: "a, b"}) {
		t.Fatalf("table library: got %+v, %v", got, err)
	}
}

func TestAnInvalidStatusIsUnknown(t *testing.T) {
	got, err := Evaluate(`return { status = "Fine" }`, map[string]any{})
	if err != nil || got != (Health{Status: "Unknown", Message: invalidHealthStatus}) {
		t.Fatalf("got %+v, %v", got, err)
	}
}
