#!/usr/bin/env bash
# Builds the binary that the container image ships, without Docker, and checks it: `palisade` as a
# release build for the musl target, so a fully static executable that needs no libc in the image
# (the final stage is distroless/static, which has none). The Dockerfile runs this same script in
# its builder stage, so `make static-binary` here and `docker build` there build the same thing.
#
# Checks, each of which fails the script:
#   - the ELF has no program interpreter and no NEEDED shared library (readelf), i.e. it is static;
#   - it runs: `palisade --version` prints the workspace version;
#   - it works: `palisade audit` finds nothing in a hardened Pod and fails (exit 1) a privileged one.
#
# Usage: image/build-binary.sh [--out PATH]   (default: leaves it at target/<triple>/release/palisade)
# Needs: rustup (adds the musl target if missing), musl-gcc (Debian: musl-tools; ring has C code),
# readelf (binutils). Environment: CARGO_TARGET_DIR is honoured like cargo does.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

out=""
while (($#)); do
  case "$1" in
    --out) out="${2:?--out needs a path}"; shift 2 ;;
    *) echo "build-binary: unknown argument '$1' (usage: $0 [--out PATH])" >&2; exit 2 ;;
  esac
done

arch="$(uname -m)"
case "$arch" in
  x86_64 | aarch64) target="$arch-unknown-linux-musl" ;;
  *) echo "build-binary: no musl target known for machine '$arch'" >&2; exit 1 ;;
esac

# The Rust standard library for the musl target (a no-op when it is installed already).
command -v rustup >/dev/null || {
  echo "build-binary: rustup is missing (it adds the $target standard library)" >&2
  exit 1
}
if ! rustup target list --installed | grep -qx "$target"; then
  rustup target add "$target"
fi
command -v musl-gcc >/dev/null || {
  echo "build-binary: musl-gcc is missing (Debian/Ubuntu: apt-get install musl-tools)" >&2
  exit 1
}
command -v readelf >/dev/null || {
  echo "build-binary: readelf is missing (Debian/Ubuntu: apt-get install binutils)" >&2
  exit 1
}

# ring compiles C and assembly for the target: with musl's compiler wrapper, against musl's headers.
cc_var="CC_${target//-/_}"
export "$cc_var"=musl-gcc
# The symbol table is most of an unstripped binary; the image has no debugger to use it.
export CARGO_PROFILE_RELEASE_STRIP=symbols
# musl links statically by default; say so, so that a RUSTFLAGS from the caller cannot undo it.
export RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }-C target-feature=+crt-static"

cargo build --locked --release -p palisade --target "$target"

target_dir="${CARGO_TARGET_DIR:-target}"
bin="$target_dir/$target/release/palisade"
[[ -x "$bin" ]] || { echo "build-binary: $bin was not built" >&2; exit 1; }

# Static: no dynamic loader requested and no shared library needed.
if readelf -lW "$bin" | grep -q 'Requesting program interpreter'; then
  echo "build-binary: $bin asks for a program interpreter (dynamically linked):" >&2
  readelf -lW "$bin" | grep 'program interpreter' >&2
  exit 1
fi
if readelf -dW "$bin" | grep -q '(NEEDED)'; then
  echo "build-binary: $bin needs shared libraries:" >&2
  readelf -dW "$bin" | grep '(NEEDED)' >&2
  exit 1
fi
if command -v file >/dev/null; then file -L "$bin"; fi

# It runs and reports the workspace's version.
want_version="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)"
got="$("$bin" --version)"
[[ "$got" == "palisade $want_version" ]] || {
  echo "build-binary: '$bin --version' printed '$got', want 'palisade $want_version'" >&2
  exit 1
}
echo "$got"

# It audits: a hardened Pod has no finding at the built-in restricted profile; a privileged one
# fails it (exit 1).
hardened_pod='apiVersion: v1
kind: Pod
metadata: {name: hardened, namespace: smoke}
spec:
  serviceAccountName: app
  automountServiceAccountToken: false
  securityContext:
    runAsNonRoot: true
    runAsUser: 65532
    runAsGroup: 65532
    seccompProfile: {type: RuntimeDefault}
  containers:
  - name: app
    image: registry.example/app@sha256:0000000000000000000000000000000000000000000000000000000000000000
    resources:
      requests: {cpu: 10m, memory: 16Mi}
      limits: {cpu: 100m, memory: 64Mi}
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities: {drop: [ALL]}'
insecure_pod='apiVersion: v1
kind: Pod
metadata: {name: insecure, namespace: smoke}
spec:
  containers:
  - name: app
    image: nginx:latest
    securityContext: {privileged: true}'

if ! report="$(printf '%s\n' "$hardened_pod" | "$bin" audit -f - 2>&1)" \
  || ! grep -q '^0 failing,' <<<"$report"; then
  printf '%s\n' "$report" >&2
  echo "build-binary: 'palisade audit' has findings on a hardened Pod (above)" >&2
  exit 1
fi
set +e
printf '%s\n' "$insecure_pod" | "$bin" audit -f - >/dev/null 2>&1
status=$?
set -e
[[ $status == 1 ]] || {
  echo "build-binary: 'palisade audit' on a privileged Pod exited $status, want 1" >&2
  exit 1
}
echo "build-binary: palisade audit finds nothing in a hardened Pod and fails a privileged one"

if [[ -n "$out" ]]; then
  mkdir -p "$(dirname "$out")"
  cp "$bin" "$out"
  bin="$out"
fi
echo "build-binary: static binary at $bin ($(du -h "$bin" | cut -f1))"
