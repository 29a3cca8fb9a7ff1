#!/usr/bin/env python3
"""Change → report latency of a running `palisade operator`, by kind of change.

For each kind of change below, LANES namespaces of their own (`lat-KIND-N-RUN`, RUN unique to
the run, so the namespaces of an earlier run that are still terminating are no obstacle) are set up, and in
each one object is toggled ROUNDS times, a change every PAUSE seconds after the previous one
was seen, all lanes at once. A change is timed from the API server's answer to the write to the
moment a watch on every PostureReport delivers that namespace's report with different findings
(`lastEvaluated` aside). The kinds:

  pod            a Deployment's template: privileged or not
  rolebinding    a RoleBinding of cluster-admin to a ServiceAccount: created or deleted
  clusterrole    the rules of a ClusterRole bound in the namespace: secrets or configmaps
  networkpolicy  an ingress NetworkPolicy selecting the namespace's Deployment: created or deleted
  baseline       the profile of the HardeningBaseline selecting the namespace: restricted or baseline
  namespace      the namespace's label a HardeningBaseline selects by: set or removed

Requests go straight to the API server (no kubectl process per change, which would cost more CPU
than the operator). Everything made is deleted at the end. Prints JSON: per kind the samples,
missed changes (not seen within 30 s), p50, p99 and max in milliseconds.

    python3 bench/latency.py [--lanes 8] [--rounds 25] [--pause 1.5] [--kinds pod,rolebinding,...]

The API server and credentials come from PALISADE_CP_DIR and PALISADE_API_PORT (the local
control plane's admin certificate).
"""
import argparse
import http.client
import json
import os
import secrets
import ssl
import threading
import time

KINDS = ["pod", "rolebinding", "clusterrole", "networkpolicy", "baseline", "namespace"]
LANE_LABEL = "palisade.dev/latency-lane"
PROBE = "latency-probe"
SEEN_WITHIN = 30.0
RUN = secrets.token_hex(3)

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--lanes", type=int, default=8, help="namespaces per kind, changed at once")
parser.add_argument("--rounds", type=int, default=25, help="changes per namespace")
parser.add_argument("--pause", type=float, default=1.5, help="seconds between a change seen and the next")
parser.add_argument("--kinds", default=",".join(KINDS))
args = parser.parse_args()
kinds = [kind for kind in args.kinds.split(",") if kind]
unknown = set(kinds) - set(KINDS)
if unknown:
    parser.error(f"unknown kinds: {', '.join(sorted(unknown))}")

cp_dir = os.environ.get("PALISADE_CP_DIR", "/tmp/palisade-cp")
host, port = "127.0.0.1", int(os.environ.get("PALISADE_API_PORT", "26443"))
tls = ssl.create_default_context(cafile=f"{cp_dir}/apiserver/apiserver.crt")
tls.load_cert_chain(f"{cp_dir}/pki/admin.crt", f"{cp_dir}/pki/admin.key")


class Api:
    """One keep-alive connection (one per thread)."""

    def __init__(self):
        self.connection = http.client.HTTPSConnection(host, port, context=tls, timeout=60)

    def request(self, method, path, body=None, content_type="application/json"):
        headers = {"Accept": "application/json", "User-Agent": "palisade-latency-bench"}
        if body is not None:
            headers["Content-Type"] = content_type
            body = json.dumps(body)
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        if response.status >= 300 and not (method == "DELETE" and response.status == 404):
            raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
        return data

    def apply(self, path, manifest):
        return self.request("PATCH", f"{path}?fieldManager=latency-bench&force=true", manifest,
                            "application/apply-patch+yaml")


def api_prefix(group_version):
    return "/api/v1" if group_version == "v1" else f"/apis/{group_version}"


def namespaced(group_version, namespace, plural, name):
    return f"{api_prefix(group_version)}/namespaces/{namespace}/{plural}/{name}"


def cluster_path(group_version, plural, name):
    return f"{api_prefix(group_version)}/{plural}/{name}"


def deployment(namespace, privileged):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": PROBE, "namespace": namespace},
            "spec": {"replicas": 0, "selector": {"matchLabels": {"app": PROBE}},
                     "template": {"metadata": {"labels": {"app": PROBE}},
                                  "spec": {"containers": [{"name": "probe", "image": "registry.k8s.io/pause:3.10",
                                                           "securityContext": {"privileged": privileged}}]}}}}


def namespace_object(name, labels):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


def baseline(name, lane, profile):
    return {"apiVersion": "palisade.dev/v1alpha1", "kind": "HardeningBaseline", "metadata": {"name": name},
            "spec": {"namespaceSelector": {"matchLabels": {LANE_LABEL: lane}}, "priority": 1000, "profile": profile}}


def cluster_role(name, resource):
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": name},
            "rules": [{"apiGroups": [""], "resources": [resource], "verbs": ["get", "list"]}]}


def binding(namespace, name, role_kind, role):
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": name, "namespace": namespace},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
            "subjects": [{"kind": "ServiceAccount", "name": PROBE, "namespace": namespace}]}


class Lane:
    """One namespace and the object toggled in it."""

    def __init__(self, kind, index):
        self.kind, self.namespace = kind, f"lat-{kind}-{index}-{RUN}"
        self.lane = f"{kind}-{index}-{RUN}"
        self.cluster_name = self.namespace
        self.api = Api()

    def ns_path(self):
        return cluster_path("v1", "namespaces", self.namespace)

    def set_up(self):
        labels = {LANE_LABEL: self.lane} if self.kind == "baseline" else {}
        self.api.apply(self.ns_path(), namespace_object(self.namespace, labels))
        self.api.apply(namespaced("v1", self.namespace, "serviceaccounts", PROBE),
                       {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": PROBE, "namespace": self.namespace}})
        self.api.apply(namespaced("apps/v1", self.namespace, "deployments", PROBE), deployment(self.namespace, False))
        if self.kind == "clusterrole":
            self.api.apply(cluster_path("rbac.authorization.k8s.io/v1", "clusterroles", self.cluster_name),
                           cluster_role(self.cluster_name, "configmaps"))
            self.api.apply(namespaced("rbac.authorization.k8s.io/v1", self.namespace, "rolebindings", PROBE),
                           binding(self.namespace, PROBE, "ClusterRole", self.cluster_name))
        if self.kind == "baseline":
            self.api.apply(self.baseline_path(), baseline(self.cluster_name, self.lane, "restricted"))
        if self.kind == "namespace":
            self.api.apply(self.baseline_path(), baseline(self.cluster_name, self.lane, "baseline"))

    def baseline_path(self):
        return cluster_path("palisade.dev/v1alpha1", "hardeningbaselines", self.cluster_name)

    def toggle(self, on):
        api, ns = self.api, self.namespace
        if self.kind == "pod":
            api.apply(namespaced("apps/v1", ns, "deployments", PROBE), deployment(ns, on))
        elif self.kind == "rolebinding":
            path = namespaced("rbac.authorization.k8s.io/v1", ns, "rolebindings", PROBE)
            if on:
                api.apply(path, binding(ns, PROBE, "ClusterRole", "cluster-admin"))
            else:
                api.request("DELETE", path)
        elif self.kind == "clusterrole":
            api.apply(cluster_path("rbac.authorization.k8s.io/v1", "clusterroles", self.cluster_name),
                      cluster_role(self.cluster_name, "secrets" if on else "configmaps"))
        elif self.kind == "networkpolicy":
            path = namespaced("networking.k8s.io/v1", ns, "networkpolicies", PROBE)
            if on:
                api.apply(path, {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                                 "metadata": {"name": PROBE, "namespace": ns},
                                 "spec": {"podSelector": {"matchLabels": {"app": PROBE}}, "policyTypes": ["Ingress"]}})
            else:
                api.request("DELETE", path)
        elif self.kind == "baseline":
            api.apply(self.baseline_path(), baseline(self.cluster_name, self.lane, "baseline" if on else "restricted"))
        elif self.kind == "namespace":
            api.apply(self.ns_path(), namespace_object(ns, {LANE_LABEL: self.lane} if on else {}))

    def tear_down(self):
        self.api.request("DELETE", self.ns_path())
        if self.kind == "clusterrole":
            self.api.request("DELETE", cluster_path("rbac.authorization.k8s.io/v1", "clusterroles", self.cluster_name))
        if self.kind in ("baseline", "namespace"):
            self.api.request("DELETE", self.baseline_path())


class Reports:
    """Every PostureReport, through one watch: per namespace, its findings and when they changed."""

    def __init__(self):
        self.findings = {}   # namespace -> (findings, monotonic time they were first seen)
        self.changed = threading.Condition()
        threading.Thread(target=self.watch, daemon=True).start()

    def watch(self):
        while True:
            connection = http.client.HTTPSConnection(host, port, context=tls, timeout=None)
            connection.request("GET", "/apis/palisade.dev/v1alpha1/posturereports?watch=1&fieldSelector=metadata.name%3Dposture",
                               headers={"Accept": "application/json", "User-Agent": "palisade-latency-bench"})
            response = connection.getresponse()
            for line in response:
                now = time.monotonic()
                try:
                    event = json.loads(line)
                except json.JSONDecodeError:
                    continue
                report = event.get("object", {})
                namespace = report.get("metadata", {}).get("namespace")
                status = dict(report.get("status") or {})
                status.pop("lastEvaluated", None)
                findings = json.dumps(status, sort_keys=True)
                with self.changed:
                    if self.findings.get(namespace, (None,))[0] != findings:
                        self.findings[namespace] = (findings, now)
                    self.changed.notify_all()

    def current(self, namespace):
        with self.changed:
            return self.findings.get(namespace, (None, None))[0]

    def wait_change(self, namespace, before, deadline):
        """When the namespace's findings became other than `before`, or None by the deadline."""
        with self.changed:
            while True:
                findings, at = self.findings.get(namespace, (None, None))
                if findings is not None and findings != before:
                    return at
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self.changed.wait(min(remaining, 0.05))


def run_lane(lane, reports, latencies):
    lane.set_up()
    # The first report of a new namespace, then a quiet moment, before the changes are timed.
    reports.wait_change(lane.namespace, None, time.monotonic() + SEEN_WITHIN)
    time.sleep(args.pause * 2)
    on = False
    for _ in range(args.rounds):
        on = not on
        before = reports.current(lane.namespace)
        lane.toggle(on)
        accepted = time.monotonic()
        seen = reports.wait_change(lane.namespace, before, accepted + SEEN_WITHIN)
        latencies.append(None if seen is None else max(0.0, seen - accepted) * 1000)
        time.sleep(args.pause)


def percentile(values, p):
    return round(values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))], 1) if values else None


reports = Reports()
lanes = [Lane(kind, index) for kind in kinds for index in range(args.lanes)]
results = {kind: [] for kind in kinds}
errors = []


def lane_thread(lane):
    try:
        run_lane(lane, reports, results[lane.kind])
    except Exception as error:  # reported below; the other lanes go on
        errors.append(f"{lane.namespace}: {error}")


started = time.monotonic()
threads = [threading.Thread(target=lane_thread, args=(lane,)) for lane in lanes]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
elapsed = time.monotonic() - started
for lane in lanes:
    try:
        lane.tear_down()
    except Exception as error:
        errors.append(f"tearing down {lane.namespace}: {error}")

summary = {"lanes": args.lanes, "rounds": args.rounds, "pause_s": args.pause, "seconds": round(elapsed, 1),
           "errors": errors, "kinds": {}}
for kind, latencies in results.items():
    measured = sorted(latency for latency in latencies if latency is not None)
    summary["kinds"][kind] = {"samples": len(latencies), "missed": latencies.count(None),
                              "p50_ms": percentile(measured, 50), "p99_ms": percentile(measured, 99),
                              "max_ms": round(measured[-1], 1) if measured else None}
print(json.dumps(summary))
