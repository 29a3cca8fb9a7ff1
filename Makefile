# The two newcomer commands: `make demo` and `make test`.
.PHONY: demo test lint unit e2e gitops crds docs check-generated chart controlplane-stop bench bench-quick

# Runs Palisade's demo on the built-in local control plane (real kube-apiserver + etcd).
demo:
	bash e2e/demo.sh

# Runs the whole test suite: generated files current, unit tests, e2e tests against a real API server.
test: lint deny check-generated chart unit gitops static-binary e2e

lint:
	cargo fmt --check
	cargo clippy --locked --workspace --all-targets -- -D warnings

unit:
	cargo test --locked --workspace --exclude palisade-e2e

e2e:
	bash e2e/run.sh

# The Argo CD health checks (gitops/argocd), run through gopher-lua as Argo CD runs them (their
# kstatus counterpart needs a control plane and runs in e2e/run.sh), and the chart's alerting rules
# and dashboard queries checked with the Prometheus module's own parsers (gitops/promrules).
# -count=1: go test's result cache ignores files outside the module, such as the chart.
gitops:
	cd gitops && go test -count=1 ./argocd/... ./promrules/...

crds:
	cargo run --locked -q -p palisade -- crds > charts/palisade/crds/palisade.dev.yaml

# docs/checks.md is generated from the check catalog.
docs:
	cargo run --locked -q -p palisade -- checks -o markdown > docs/checks.md.tmp && mv docs/checks.md.tmp docs/checks.md

check-generated:
	cargo run --locked -q -p palisade -- crds | diff -u charts/palisade/crds/palisade.dev.yaml - \
	  || { echo "charts/palisade/crds is stale: run 'make crds'" >&2; exit 1; }
	cargo run --locked -q -p palisade -- checks -o markdown | diff -u docs/checks.md - \
	  || { echo "docs/checks.md is stale: run 'make docs'" >&2; exit 1; }

# The Helm chart, with helm built once at a pinned version (e2e/helm.sh): lint it, render it with
# the default values (nothing optional) and with every option set (charts/palisade/ci), check
# that wrong values are refused, and audit both renders with Palisade at the restricted profile
# (no Required check may fail; with every option, image pinned, no finding at all). The
# e2e test e2e/tests/chart_metrics.rs applies the all-options render to a real API server.
chart: HELM = "$$(bash e2e/helm.sh path)"
chart: ALL_OPTIONS = -f charts/palisade/ci/all-options-values.yaml
chart: OPTIONAL_KINDS = -e '^kind: NetworkPolicy$$' -e '^kind: PodDisruptionBudget$$' -e '^kind: ServiceMonitor$$' \
  -e '^kind: PrometheusRule$$' -e '^kind: HardeningBaseline$$' -e '^kind: ConfigMap$$'
chart:
	@bash e2e/helm.sh path >/dev/null
	$(HELM) lint charts/palisade --strict
	$(HELM) lint charts/palisade --strict $(ALL_OPTIONS)
	@mkdir -p target/chart
	$(HELM) template t charts/palisade -n palisade > target/chart/default.yaml
	$(HELM) template t charts/palisade -n palisade $(ALL_OPTIONS) > target/chart/all-options.yaml
	grep -q 'image: "ghcr.io/palisade-dev/palisade:0.1.0"' target/chart/default.yaml
	! grep -q -e '--content-checks' -e '--exclude-namespaces' -e '--openreports' target/chart/default.yaml
	! grep -q $(OPTIONAL_KINDS) target/chart/default.yaml
	test "$$(grep -c $(OPTIONAL_KINDS) target/chart/all-options.yaml)" = 7
	grep -q '^  replicas: 2$$' target/chart/all-options.yaml
	grep -q 'image: "ghcr.io/palisade-dev/palisade@sha256:e3b0c442' target/chart/all-options.yaml
	grep -q -e '- --exclude-namespaces=kube-system,kube-public$$' target/chart/all-options.yaml
	grep -q -e '- --content-checks$$' target/chart/all-options.yaml
	grep -q '^      honorLabels: true$$' target/chart/all-options.yaml
	$(HELM) template t charts/palisade --set replicas=2 | grep -q '^kind: PodDisruptionBudget$$'
	bash charts/palisade/ci/reject-bad-values.sh $(HELM)
	cargo run --locked -q -p palisade -- audit -f - --namespace palisade --fail-on info < target/chart/default.yaml
	cargo run --locked -q -p palisade -- audit -f - --namespace palisade --fail-on info < target/chart/all-options.yaml \
	  > target/chart/all-options.audit || { cat target/chart/all-options.audit; exit 1; }
	@cat target/chart/all-options.audit
	@grep -q '^0 failing,' target/chart/all-options.audit \
	  || { echo "chart: the render with every option has findings (above)" >&2; exit 1; }

controlplane-stop:
	bash e2e/controlplane.sh stop

.PHONY: deny static-binary

# The dependency policy in deny.toml: licenses on an allow-list, banned and duplicate crates,
# crates.io as the only source. The advisories check is not run: it needs the RustSec database,
# which cargo-deny clones from GitHub, and CI cannot reach GitHub (docs/image.md). cargo-deny is
# installed at the pinned version when it is missing or another version.
deny: CARGO_DENY_VERSION = 0.20.2
deny:
	@cargo deny --version 2>/dev/null | grep -qx 'cargo-deny $(CARGO_DENY_VERSION)' \
	  || cargo install --locked cargo-deny --version $(CARGO_DENY_VERSION)
	cargo deny --locked check licenses bans sources

# The image's binary without Docker, which CI has no daemon for: image/build-binary.sh, the script
# the Dockerfile's builder runs, builds palisade static (musl) and fails unless it has no dynamic
# dependency, runs, and audits correctly. Then the Dockerfile's own promises: every base image
# pinned by digest, the last stage distroless/static, numeric non-root user, the binary as entrypoint.
static-binary:
	bash image/build-binary.sh
	@! grep -E '^FROM ' Dockerfile | grep -vE '@sha256:[0-9a-f]{64}( |$$)' \
	  || { echo "Dockerfile: a FROM above is not pinned by digest" >&2; exit 1; }
	@grep -E '^FROM ' Dockerfile | tail -n1 | grep -q '^FROM gcr.io/distroless/static-debian12:nonroot@' \
	  || { echo "Dockerfile: the last stage is not distroless/static nonroot" >&2; exit 1; }
	@grep -qx 'USER 65532:65532' Dockerfile || { echo "Dockerfile: no 'USER 65532:65532'" >&2; exit 1; }
	@grep -qx 'ENTRYPOINT \["/palisade"\]' Dockerfile || { echo "Dockerfile: entrypoint is not /palisade" >&2; exit 1; }
	@grep -q 'bash image/build-binary.sh --out /out/palisade$$' Dockerfile \
	  || { echo "Dockerfile: the builder does not run image/build-binary.sh" >&2; exit 1; }

# Benchmarks, never part of `make test`; each writes its figures to bench/results/.
# bench-quick: the operator at 1,000 pods with a minute of steady state, in about 4 minutes once
# the release binaries are built. bench: the per-pod evaluation, the offline audit beside
# kube-score, and the operator at 1k, 5k, 10k and 20k pods beside Kyverno's reports-controller on
# the same cluster (at 1k and 5k three first starts of each, alternating; Kyverno needs minutes
# per run beyond that), each size bounded to an hour or, from 10k, ninety minutes; then the growth plot
# (bench/results/operator-scale.svg) and the page of every size against its target
# (bench/results/operator-scale.md).
bench-quick:
	STEADY_SECONDS=60 LATENCY_ROUNDS=10 bash bench/operator-scale.sh 1000
	python3 bench/plot.py
	python3 bench/summarize.py

bench:
	bash bench/eval-pod.sh
	bash bench/audit-vs-peers.sh
	for size in 1000 5000; do RUNS=3 PEER=kyverno timeout 3600 bash bench/operator-scale.sh $$size || exit 1; done
	for size in 10000 20000; do PEER=kyverno timeout 5400 bash bench/operator-scale.sh $$size || exit 1; done
	python3 bench/plot.py
	python3 bench/summarize.py
