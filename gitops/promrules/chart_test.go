package promrules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v3"
)

// repoRoot is where e2e/helm.sh and the chart are; tests run in gitops/promrules.
const repoRoot = "../.."

// renderAllOptions renders the chart with every option on, once for the package's tests.
var renderAllOptions = sync.OnceValues(func() ([]byte, error) {
	pathOut, err := runIn(repoRoot, "bash", "e2e/helm.sh", "path")
	if err != nil {
		return nil, err
	}
	helm := strings.TrimSpace(string(pathOut))
	return runIn(repoRoot, helm, "template", "t", "charts/palisade", "-n", "palisade",
		"-f", "charts/palisade/ci/all-options-values.yaml")
})

func runIn(dir, name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, stderr.String())
	}
	return out, nil
}

// renderedRuleGroups decodes, afresh on each call so a test may change them, the spec.groups of
// every PrometheusRule the all-options render holds.
func renderedRuleGroups(t *testing.T) [][]any {
	t.Helper()
	manifests, err := renderAllOptions()
	if err != nil {
		t.Fatal(err)
	}
	var all [][]any
	decoder := yaml.NewDecoder(bytes.NewReader(manifests))
	for {
		var doc struct {
			Kind string `yaml:"kind"`
			Spec struct {
				Groups []any `yaml:"groups"`
			} `yaml:"spec"`
		}
		err := decoder.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("helm template output: %v", err)
		}
		if doc.Kind == "PrometheusRule" {
			all = append(all, doc.Spec.Groups)
		}
	}
	if len(all) == 0 {
		t.Fatal("the all-options render holds no PrometheusRule")
	}
	return all
}

// Every PrometheusRule the chart renders passes `promtool check rules`.
func TestChartRulesPassPromtoolChecks(t *testing.T) {
	for _, groups := range renderedRuleGroups(t) {
		count, errs := CheckRuleGroups(groups)
		for _, err := range errs {
			t.Error(err)
		}
		if len(errs) == 0 && count == 0 {
			t.Error("the PrometheusRule holds no rules")
		}
		t.Logf("%d rules checked", count)
	}
}

// Every query of the chart's dashboard parses as PromQL once Grafana has expanded its variables.
func TestChartDashboardQueriesParse(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot, "charts/palisade/dashboards/palisade.json"))
	if err != nil {
		t.Fatal(err)
	}
	count, errs := CheckDashboard(data)
	for _, err := range errs {
		t.Error(err)
	}
	if count == 0 {
		t.Error("the dashboard holds no queries")
	}
	t.Logf("%d queries parsed", count)
}
