#!/usr/bin/env python3
"""Where the API server's CPU went, from a CPU profile of kube-apiserver (its /debug/pprof/profile).

Reads the profile with `go tool pprof` and prints JSON: the profile's length, the CPU seconds
sampled, and for each part of the API server's work below the CPU seconds and the share of all
samples with that function on the stack. Parts nest and overlap (a garbage-collection assist runs
inside a request; a report write's YAML parsing is part of the write), so shares do not add up.

    python3 bench/apiserver-profile.py PROFILE
"""
import json
import re
import subprocess
import sys

# (part, the functions whose cumulative samples measure it: the largest of those matching, as
# they call one another)
PARTS = [
    ("report writes: PATCH requests (apply or JSON patch)", r"k8s\.io/apiserver/pkg/endpoints/handlers\.\(\*patcher\)\.patchResource\.func\d+$"),
    ("  reading apply bodies as YAML (twice per apply: strict and not)", r"sigs\.k8s\.io/yaml\.unmarshal$"),
    ("  field manager (managedFields)", r"managedfields/internal\.\(\*FieldManager\)\.(Apply|Update)$"),
    ("custom resources: validation against the CRD schema", r"apiextensions-apiserver/pkg/apiserver/validation\.ValidateCustomResource(Update)?$"),
    ("custom resources: pruning, defaulting, ObjectMeta coercion", r"apiextensions-apiserver/pkg/apiserver\.\(\*unstructuredSchemaCoercer\)\.apply$"),
    ("serving LISTs", r"k8s\.io/apiserver/pkg/endpoints/handlers\.ListResource\.func1$"),
    ("serving watches (initial events included)", r"k8s\.io/apiserver/pkg/endpoints/handlers\.handleWatch$"),
    ("decoding etcd's events for the watch cache", r"k8s\.io/apiserver/pkg/storage/etcd3\.\(\*watchChan\)\.transform$"),
    ("garbage collection: background marking", r"^runtime\.gcBgMarkWorker$"),
    ("garbage collection: assists charged to allocating requests", r"^runtime\.gcAssistAlloc$"),
]
UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0, "h": 3600.0}


def seconds(text):
    number, unit = re.fullmatch(r"([0-9.]+)([a-zµ]+)", text).groups()
    return float(number) * UNITS[unit]


top = subprocess.run(["go", "tool", "pprof", "-top", "-cum", "-nodecount=1000000", sys.argv[1]],
                     check=True, capture_output=True, text=True).stdout
duration = re.search(r"Duration: ([0-9.]+[a-zµ]+), Total samples = ([0-9.]+[a-zµ]+)", top)
total = seconds(duration.group(2))
cumulative = {}
for line in top.splitlines():
    fields = line.split(None, 5)
    if len(fields) == 6 and fields[1].endswith("%"):
        cumulative[fields[5]] = seconds(fields[3])
parts = []
for name, pattern in PARTS:
    spent = max((value for function, value in cumulative.items() if re.search(pattern, function)), default=0.0)
    parts.append({"part": name, "cpu_seconds": round(spent, 2), "percent": round(100 * spent / total, 1)})
print(json.dumps({"profile_seconds": seconds(duration.group(1)), "cpu_seconds": round(total, 2), "parts": parts}, indent=2))
