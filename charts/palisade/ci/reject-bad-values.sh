#!/usr/bin/env bash
# Renders the chart with one wrong value at a time and checks that helm refuses it, naming the
# value's path in its message (values.schema.json, or the template's own check where the schema
# cannot say how to fix it).
#
#   charts/palisade/ci/reject-bad-values.sh HELM
set -euo pipefail
helm="$1"
chart="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
failures=0

# rejects EXPECTED-IN-MESSAGE HELM-ARGS...
rejects() {
  local expected="$1"; shift
  local message
  if message="$("$helm" template t "$chart" "$@" 2>&1 >/dev/null)"; then
    echo "chart: accepted $* (expected a refusal naming $expected)" >&2
    failures=$((failures + 1))
  elif [[ "$message" != *"$expected"* ]]; then
    echo "chart: refused $* without naming $expected:" >&2
    echo "$message" >&2
    failures=$((failures + 1))
  fi
}

rejects "'/replicas'" --set replicas=0
rejects "'/replicas'" --set replicas=-1
rejects "'/replicas'" --set replicas=two
rejects "'/debounce'" --set debounce=1m30s
rejects "'/debounce'" --set debounce=5
rejects "'/logFormat'" --set logFormat=xml
rejects "'/excludeNamespaces/0'" --set 'excludeNamespaces={Kube_System}'
rejects "'/image/digest'" --set image.digest=latest
rejects "'/resources/limits'" --set resources.limits.cpu=null
rejects "additional properties 'replica'" --set replica=2
rejects "'/serviceMonitor'" --set serviceMonitor.enable=true
rejects "'/serviceMonitor/interval'" --set serviceMonitor.interval=30
rejects "'/prometheusRule/scoreThreshold'" --set prometheusRule.scoreThreshold=101
rejects "'/prometheusRule/driftedFor'" --set 'prometheusRule.driftedFor=30 minutes'
rejects "'/defaultBaseline/spec/profile'" --set defaultBaseline.spec.profile=strict
rejects "'/defaultBaseline/name'" --set defaultBaseline.name=Default
rejects "'/networkPolicy/apiServer/cidrs'" --set networkPolicy.enabled=true
rejects "'/networkPolicy/apiServer/cidrs/0'" --set networkPolicy.enabled=true --set 'networkPolicy.apiServer.cidrs={10.0.0.1}'
rejects "'/networkPolicy/apiServer/ports/0'" --set 'networkPolicy.apiServer.ports={0}'
rejects "'/networkPolicy/metricsFrom/0'" --set 'networkPolicy.metricsFrom[0].namespace=monitoring'
# Past the schema (--skip-schema-validation), the template still refuses a policy that would cut
# the operator off the API server, and says how to find its addresses.
rejects "networkPolicy.apiServer.cidrs must list the API server's addresses" \
  --skip-schema-validation --set networkPolicy.enabled=true

if ((failures > 0)); then
  echo "chart: $failures wrong value(s) not refused clearly" >&2
  exit 1
fi
echo "chart: every wrong value was refused, naming it"
