# The two newcomer commands: `make demo` and `make test`.
.PHONY: demo test lint unit e2e crds docs check-generated controlplane-stop

# Runs Palisade's demo on the built-in local control plane (real kube-apiserver + etcd).
demo:
	bash e2e/demo.sh

# Runs the whole test suite: generated files current, unit tests, e2e tests against a real API server.
test: lint check-generated unit e2e

lint:
	cargo fmt --check
	cargo clippy --locked --workspace --all-targets -- -D warnings

unit:
	cargo test --locked --workspace --exclude palisade-e2e

e2e:
	bash e2e/run.sh

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

controlplane-stop:
	bash e2e/controlplane.sh stop
