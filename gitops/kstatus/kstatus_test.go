// Package kstatus computes, with kstatus (sigs.k8s.io/cli-utils, what Flux's health checks
// use) and with the Argo CD health scripts, the status of live Palisade objects in each state
// the operator puts them in. The objects are the Argo CD tests' inputs, created on a real API
// server, their status written through the status subresource as the operator writes it.
package kstatus

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/palisade-dev/palisade/gitops/argocd"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
	"sigs.k8s.io/yaml"
)

// A state: an Argo CD test input, optionally a spec change after its status was written, and
// what kstatus and Argo CD make of the live object.
type state struct {
	kind, input string
	specChange  string
	kstatus     status.Status
	// The kstatus message, where it carries the operator's words or the generations.
	kstatusMessage string
	argo           string
}

var states = []state{
	// The CRD defaults a new baseline's status to observedGeneration 0, older than generation 1:
	// see docs/gitops.md ("Before Palisade's first status").
	{kind: "HardeningBaseline", input: "fresh.yaml", kstatus: status.InProgressStatus, argo: "Progressing"},
	{kind: "HardeningBaseline", input: "in-sync.yaml", kstatus: status.CurrentStatus, argo: "Healthy"},
	{kind: "HardeningBaseline", input: "drifted.yaml", kstatus: status.CurrentStatus, argo: "Healthy"},
	{kind: "HardeningBaseline", input: "invalid-spec.yaml", kstatus: status.FailedStatus,
		kstatusMessage: `spec.checks[0].id "pod.privilegd" matches no check`, argo: "Degraded"},
	{kind: "HardeningBaseline", input: "in-sync.yaml", specChange: `{"spec":{"priority":5}}`,
		kstatus:        status.InProgressStatus,
		kstatusMessage: "HardeningBaseline generation is 2, but latest observed generation is 1", argo: "Progressing"},
	{kind: "HardeningBaseline", input: "report-writes-failing.yaml", kstatus: status.FailedStatus,
		kstatusMessage: "reports of 1 namespaces cannot be written: payments-api", argo: "Degraded"},
	{kind: "PostureReport", input: "fresh.yaml", kstatus: status.CurrentStatus, argo: "Progressing"},
	{kind: "PostureReport", input: "in-sync.yaml", kstatus: status.CurrentStatus, argo: "Healthy"},
	{kind: "PostureReport", input: "drifted.yaml", kstatus: status.CurrentStatus, argo: "Degraded"},
	{kind: "PostureReport", input: "no-baseline.yaml", kstatus: status.CurrentStatus, argo: "Healthy"},
	{kind: "ClusterPostureReport", input: "fresh.yaml", kstatus: status.CurrentStatus, argo: "Progressing"},
	{kind: "ClusterPostureReport", input: "compliant.yaml", kstatus: status.CurrentStatus, argo: "Healthy"},
	{kind: "ClusterPostureReport", input: "drifted.yaml", kstatus: status.CurrentStatus, argo: "Degraded"},
	{kind: "ClusterPostureReport", input: "report-writes-failing.yaml", kstatus: status.FailedStatus,
		kstatusMessage: "reports of 1 namespaces cannot be written: payments-api", argo: "Degraded"},
}

// runLabel marks the cluster-scoped objects of one run, for their removal.
const runLabel = "palisade.dev/gitops-test"

func kubectl(t *testing.T, stdin []byte, args ...string) []byte {
	t.Helper()
	command := exec.Command("kubectl", args...)
	command.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	command.Stderr = &stderr
	out, err := command.Output()
	if err != nil {
		t.Fatalf("kubectl %s: %v: %s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

func kindDir(kind string) string {
	return filepath.Join("..", "argocd", "palisade.dev", kind)
}

// create makes the live object of a state, labelled with the run, in the run's namespace if
// it is namespaced, and returns the kubectl arguments that name it.
func create(t *testing.T, s state, name, run string) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(kindDir(s.kind), "testdata", s.input))
	if err != nil {
		t.Fatal(err)
	}
	var object map[string]any
	if err := yaml.Unmarshal(data, &object); err != nil {
		t.Fatal(err)
	}
	observed, hasStatus := object["status"]
	delete(object, "status")
	metadata := map[string]any{"name": name, "labels": map[string]any{runLabel: run}}
	target := []string{strings.ToLower(s.kind) + ".palisade.dev", name}
	if s.kind == "PostureReport" {
		metadata["namespace"] = run
		target = append(target, "-n", run)
	}
	object["metadata"] = metadata
	manifest, err := json.Marshal(object)
	if err != nil {
		t.Fatal(err)
	}
	kubectl(t, manifest, "create", "-f", "-")
	if hasStatus {
		patch, err := json.Marshal(map[string]any{"status": observed})
		if err != nil {
			t.Fatal(err)
		}
		kubectl(t, nil, append([]string{"patch", "--subresource=status", "--type=merge", "-p", string(patch)}, target...)...)
	}
	if s.specChange != "" {
		kubectl(t, nil, append([]string{"patch", "--type=merge", "-p", s.specChange}, target...)...)
	}
	return target
}

func TestStatusOfLiveObjects(t *testing.T) {
	if os.Getenv("KUBECONFIG") == "" {
		t.Skip("KUBECONFIG is not set: this test creates objects on a control plane (e2e/run.sh runs it on the local one)")
	}
	kubectl(t, nil, "apply", "--server-side", "-f", filepath.Join("..", "..", "charts", "palisade", "crds", "palisade.dev.yaml"))
	kubectl(t, nil, "wait", "--for=condition=Established", "--timeout=60s",
		"crd/hardeningbaselines.palisade.dev", "crd/posturereports.palisade.dev", "crd/clusterposturereports.palisade.dev")
	run := fmt.Sprintf("gitops-%d", time.Now().UnixNano()%1_000_000)
	kubectl(t, nil, "create", "namespace", run)
	t.Cleanup(func() {
		for _, resource := range []string{"hardeningbaselines.palisade.dev", "clusterposturereports.palisade.dev"} {
			_ = exec.Command("kubectl", "delete", resource, "-l", runLabel+"="+run).Run()
		}
		_ = exec.Command("kubectl", "delete", "namespace", run, "--wait=false").Run()
	})
	for index, s := range states {
		name := fmt.Sprintf("%s-%d", run, index)
		t.Run(s.kind+"/"+strings.TrimSuffix(s.input, ".yaml")+map[bool]string{true: "+spec-change"}[s.specChange != ""], func(t *testing.T) {
			target := create(t, s, name, run)
			live := &unstructured.Unstructured{}
			if err := live.UnmarshalJSON(kubectl(t, nil, append([]string{"get", "-o", "json"}, target...)...)); err != nil {
				t.Fatal(err)
			}
			computed, err := status.Compute(live)
			if err != nil {
				t.Fatal(err)
			}
			if computed.Status != s.kstatus || (s.kstatusMessage != "" && computed.Message != s.kstatusMessage) {
				t.Errorf("kstatus: got %s %q, want %s %q", computed.Status, computed.Message, s.kstatus, s.kstatusMessage)
			}
			script, err := os.ReadFile(filepath.Join(kindDir(s.kind), "health.lua"))
			if err != nil {
				t.Fatal(err)
			}
			health, err := argocd.Evaluate(string(script), live.Object)
			if err != nil {
				t.Fatal(err)
			}
			if health.Status != s.argo {
				t.Errorf("Argo CD: got %+v, want %s", health, s.argo)
			}
			t.Logf("kstatus %s (%s); Argo CD %s (%s)", computed.Status, computed.Message, health.Status, health.Message)
		})
	}
}
