#!/usr/bin/env python3
"""What a PostureReport write costs the API server, by way of writing and by size of report.

Reads the PostureReports a `palisade operator` wrote on the cluster, then writes their statuses
again into two copies of the PostureReport CRD under groups of their own (`cost-sub.palisade.dev`
with the status subresource, as Palisade serves it, and `cost-nosub.palisade.dev` without), so
Palisade's own reports are untouched. For each way of writing, every report is written once, in
rounds that alternate the ways; the API server's CPU time (user + system, from /proc) spent per
report is the measure. Ways of writing:

  create+status   a server-side apply creating the report, then one of its status
  status          a server-side apply of the status of a report that exists (a rewrite)
  create+replace  a server-side apply creating the report, then a JSON patch replacing its status
  replace         a JSON patch replacing the status of a report that exists (a rewrite)
  one-apply       a single server-side apply carrying the status (no status subresource)
  one-create      a single plain create (POST) carrying the status (no status subresource)

and, written by one-apply, the same reports made smaller:

  no-firstSeen    without the per-resource `firstSeen`
  10-per-check    at most 10 resources listed per check
  none-listed     no resources listed (counts, titles and summary only)

Everything made is deleted at the end. Prints JSON.

    python3 bench/report-write-cost.py [--rounds 3]

The API server, its pid and credentials come from PALISADE_CP_DIR and PALISADE_API_PORT.
"""
import argparse
import copy
import http.client
import json
import os
import ssl
import statistics
import time

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--rounds", type=int, default=3)
args = parser.parse_args()

cp_dir = os.environ.get("PALISADE_CP_DIR", "/tmp/palisade-cp")
port = int(os.environ.get("PALISADE_API_PORT", "26443"))
tls = ssl.create_default_context(cafile=f"{cp_dir}/apiserver/apiserver.crt")
tls.load_cert_chain(f"{cp_dir}/pki/admin.crt", f"{cp_dir}/pki/admin.key")
connection = http.client.HTTPSConnection("127.0.0.1", port, context=tls, timeout=60)
apiserver_pid = int(open(f"{cp_dir}/kube-apiserver.pid").read())
TICKS = os.sysconf("SC_CLK_TCK")
APPLY = "application/apply-patch+yaml"
MANAGER = "?fieldManager=palisade&force=true"
WITH_SUBRESOURCE, WITHOUT = "cost-sub.palisade.dev", "cost-nosub.palisade.dev"


def request(method, path, body=None, content_type="application/json"):
    headers = {"Accept": "application/json", "User-Agent": "palisade-write-cost-bench"}
    if body is not None:
        headers["Content-Type"] = content_type
        body = json.dumps(body)
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    data = response.read()
    if response.status >= 300 and not (method == "DELETE" and response.status == 404):
        raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
    return data


def apiserver_cpu_seconds():
    fields = open(f"/proc/{apiserver_pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def copy_crd(group, subresource):
    crd = json.loads(request("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/posturereports.palisade.dev"))
    crd["metadata"] = {"name": f"posturereports.{group}"}
    crd["spec"]["group"] = group
    crd.pop("status", None)
    for version in crd["spec"]["versions"]:
        if not subresource:
            version.pop("subresources", None)
    request("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
    for _ in range(100):
        try:
            request("GET", f"/apis/{group}/v1alpha1/posturereports")
            return
        except RuntimeError:
            time.sleep(0.1)
    raise RuntimeError(f"{group} was not served within 10 s")


def reports_path(group, namespace):
    return f"/apis/{group}/v1alpha1/namespaces/{namespace}/posturereports"


def manifest(group, **fields):
    return {"apiVersion": f"{group}/v1alpha1", "kind": "PostureReport", **fields}


def create(namespace):
    path = reports_path(WITH_SUBRESOURCE, namespace) + "/posture"
    request("PATCH", path + MANAGER, manifest(WITH_SUBRESOURCE, metadata={"name": "posture"}, spec={}), APPLY)


def create_then_status(namespace, status):
    create(namespace)
    path = reports_path(WITH_SUBRESOURCE, namespace) + "/posture/status"
    request("PATCH", path + MANAGER, manifest(WITH_SUBRESOURCE, status=status), APPLY)


def status_only(namespace, status):
    status = dict(status, lastEvaluated="2000-01-01T00:00:00Z")
    path = reports_path(WITH_SUBRESOURCE, namespace) + "/posture/status"
    request("PATCH", path + MANAGER, manifest(WITH_SUBRESOURCE, status=status), APPLY)


def replace_status(namespace, status):
    path = reports_path(WITH_SUBRESOURCE, namespace) + "/posture/status?fieldManager=palisade"
    request("PATCH", path, [{"op": "add", "path": "/status", "value": status}], "application/json-patch+json")


def create_then_replace(namespace, status):
    create(namespace)
    replace_status(namespace, status)


def replaced(namespace, status):
    replace_status(namespace, dict(status, lastEvaluated="2000-01-01T00:00:00Z"))


def one_apply(namespace, status):
    body = manifest(WITHOUT, metadata={"name": "posture"}, spec={}, status=status)
    request("PATCH", reports_path(WITHOUT, namespace) + "/posture" + MANAGER, body, APPLY)


def one_create(namespace, status):
    body = manifest(WITHOUT, metadata={"name": "posture"}, spec={}, status=status)
    request("POST", reports_path(WITHOUT, namespace) + "?fieldManager=palisade", body)


def shrunk(status, per_check=None, first_seen=True):
    status = copy.deepcopy(status)
    for check in status.get("checks", []):
        check["resources"] = check.get("resources", [])[:per_check]
        if not first_seen:
            for resource in check["resources"]:
                resource.pop("firstSeen", None)
    return status


def clear(reports):
    for namespace, _ in reports:
        for group in (WITH_SUBRESOURCE, WITHOUT):
            request("DELETE", reports_path(group, namespace) + "/posture")


def measure(write, reports):
    time.sleep(1)
    before = apiserver_cpu_seconds()
    for namespace, status in reports:
        write(namespace, status)
    # The watch cache and the watchers (kube-controller-manager's garbage collector) catch up.
    time.sleep(1)
    return (apiserver_cpu_seconds() - before) / len(reports) * 1000


listed = json.loads(request("GET", "/apis/palisade.dev/v1alpha1/posturereports"))["items"]
reports = [(item["metadata"]["namespace"], item["status"]) for item in listed if item.get("status")]
if not reports:
    raise SystemExit("no PostureReports on the cluster: run the operator first")
ways = {
    "create+status": (create_then_status, reports),
    "create+replace": (create_then_replace, reports),
    "one-apply": (one_apply, reports),
    "one-create": (one_create, reports),
}
shapes = {
    "no-firstSeen": [(ns, shrunk(status, first_seen=False)) for ns, status in reports],
    "10-per-check": [(ns, shrunk(status, per_check=10)) for ns, status in reports],
    "none-listed": [(ns, shrunk(status, per_check=0)) for ns, status in reports],
}
rewrites = {"status": status_only, "replace": replaced}
samples = {name: [] for name in [*ways, *rewrites, *shapes]}
copy_crd(WITH_SUBRESOURCE, subresource=True)
copy_crd(WITHOUT, subresource=False)
try:
    for _ in range(args.rounds):
        for name, (write, written) in ways.items():
            clear(reports)
            samples[name].append(measure(write, written))
        for name, write in rewrites.items():
            clear(reports)
            for namespace, status in reports:
                create_then_status(namespace, status)
            samples[name].append(measure(write, reports))
        for name, written in shapes.items():
            clear(reports)
            samples[name].append(measure(one_apply, written))
    clear(reports)
finally:
    for group in (WITH_SUBRESOURCE, WITHOUT):
        request("DELETE", f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/posturereports.{group}")

sizes = {name: statistics.mean(len(json.dumps(status)) for _, status in written) for name, written in shapes.items()}
sizes.update({name: statistics.mean(len(json.dumps(status)) for _, status in reports) for name in [*ways, *rewrites]})
print(json.dumps({
    "reports": len(reports),
    "rounds": args.rounds,
    "ways": {
        name: {
            "apiserver_cpu_ms_per_report": round(statistics.median(values), 1),
            "samples_ms": [round(value, 1) for value in values],
            "status_bytes_avg": round(sizes[name]),
        }
        for name, values in samples.items()
    },
}, indent=2))
