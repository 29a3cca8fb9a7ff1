#!/usr/bin/env bash
# Helm for `make chart` and CI: built once from the official Go module at a pinned version with
# `go install` (no release download), cached outside the repo and keyed by version, so bumping
# helm_version below builds the new one next to the old.
#
#   e2e/helm.sh path   install helm if it is not cached yet, then print the binary's path on stdout
set -euo pipefail

helm_version="v3.22.0"
cache="${PALISADE_CACHE:-$HOME/.cache/palisade}"
bindir="$cache/bin"
binary="$bindir/helm-$helm_version"

die() { echo "helm: $*" >&2; exit 1; }

install() {
  if [[ -x "$binary" ]]; then return; fi
  command -v go >/dev/null || die "go is not installed"
  mkdir -p "$bindir"
  echo "helm: building helm $helm_version with go install (first time only; cached at $binary)" >&2
  # The release builds stamp the version and the Kubernetes version the client libraries target
  # (used by .Capabilities.KubeVersion and lint's deprecation rules); without them helm says v3.x
  # and Kubernetes 1.20. Read that version from the pinned helm's own go.mod.
  local dir k8s_minor
  dir="$(go mod download -json "helm.sh/helm/v3@$helm_version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')" \
    || die "cannot download helm.sh/helm/v3@$helm_version from the Go module proxy"
  k8s_minor="$(awk '$1=="k8s.io/client-go"{split($2, v, "."); print v[2]}' "$dir/go.mod")"
  [[ -n "$k8s_minor" ]] || die "cannot read the k8s.io/client-go version from $dir/go.mod"
  local ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$helm_version"
  ldflags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  local pkg
  for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    ldflags+=" -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$k8s_minor"
  done
  # GOBIN is a private directory so concurrent runs never see a half-written binary.
  local tmp
  tmp="$(mktemp -d "$bindir/.helm-$helm_version.XXXXXX")"
  trap "rm -rf -- $(printf %q "$tmp")" EXIT
  if ! GOBIN="$tmp" CGO_ENABLED=0 go install -trimpath -ldflags="$ldflags" \
    "helm.sh/helm/v3/cmd/helm@$helm_version"; then
    die "go install helm.sh/helm/v3/cmd/helm@$helm_version failed (see the go output above)"
  fi
  mv "$tmp/helm" "$binary"
}

case "${1:-}" in
  path)
    install
    echo "$binary"
    ;;
  *)
    echo "usage: e2e/helm.sh path" >&2
    exit 2
    ;;
esac
