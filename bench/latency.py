#!/usr/bin/env python3
"""Change → report latency of a running `palisade operator`.

Creates a Deployment `latency-probe` in NAMESPACE, then toggles its container's `privileged` flag
SAMPLES times (a change every PAUSE seconds, so each lands in its own debounce window) and times,
for each, from the moment the API server accepted the patch (kubectl returned) to the moment a
watch on the namespace's PostureReport delivers a report that shows (or no longer shows)
`pod.privileged` for the probe. Prints a JSON summary (p50, p99, max in milliseconds).

    KUBECONFIG=... python3 bench/latency.py NAMESPACE [SAMPLES] [PAUSE]
"""
import json
import subprocess
import sys
import threading
import time

namespace = sys.argv[1]
samples = int(sys.argv[2]) if len(sys.argv) > 2 else 50
pause = float(sys.argv[3]) if len(sys.argv) > 3 else 2.0


def kubectl(*args, stdin=None):
    return subprocess.run(["kubectl", *args], input=stdin, capture_output=True, text=True, check=True).stdout


def deployment(privileged):
    return json.dumps({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "latency-probe", "namespace": namespace},
        "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "latency-probe"}},
                 "template": {"metadata": {"labels": {"app": "latency-probe"}},
                              "spec": {"containers": [{"name": "probe", "image": "registry.k8s.io/pause:3.10",
                                                       "securityContext": {"privileged": privileged}}]}}},
    })


def shows_probe(report):
    for check in report.get("status", {}).get("checks", []):
        if check.get("id") == "pod.privileged" and check.get("result") == "Fail":
            if any(r.get("name") == "latency-probe" for r in check.get("resources", [])):
                return True
    return False


seen = []  # (monotonic time, shows_probe)
lock = threading.Condition()


def watch():
    path = f"/apis/palisade.dev/v1alpha1/namespaces/{namespace}/posturereports?watch=1&fieldSelector=metadata.name%3Dposture"
    process = subprocess.Popen(["kubectl", "get", "--raw", path], stdout=subprocess.PIPE, text=True)
    for line in process.stdout:
        now = time.monotonic()
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        with lock:
            seen.append((now, shows_probe(event.get("object", {}))))
            lock.notify_all()


threading.Thread(target=watch, daemon=True).start()
kubectl("apply", "--server-side", "--force-conflicts", "-f", "-", stdin=deployment(False))
time.sleep(pause * 2)
latencies = []
state = False
for _ in range(samples):
    state = not state
    kubectl("apply", "--server-side", "--force-conflicts", "-f", "-", stdin=deployment(state))
    accepted = time.monotonic()
    deadline = accepted + 30
    with lock:
        while True:
            hit = next((t for t, shown in seen if t >= accepted and shown == state), None)
            if hit is not None or time.monotonic() > deadline:
                break
            lock.wait(0.05)
    latencies.append((hit - accepted) * 1000 if hit is not None else None)
    time.sleep(pause)
kubectl("delete", "deployment", "latency-probe", "-n", namespace)
measured = sorted(l for l in latencies if l is not None)


def percentile(p):
    return round(measured[min(len(measured) - 1, int(round(p / 100 * (len(measured) - 1))))], 1) if measured else None


print(json.dumps({"namespace": namespace, "samples": samples, "missed": latencies.count(None),
                  "p50_ms": percentile(50), "p99_ms": percentile(99), "max_ms": round(max(measured), 1) if measured else None}))
