# syntax=docker/dockerfile:1
# The Palisade image: the `palisade` binary, statically linked (musl), alone on distroless/static,
# run as the non-root user 65532. docs/image.md explains the choices and how to update the pins.
#
#   docker build -t ghcr.io/palisade-dev/palisade:0.1.0 .
#
# (run from the repository root; ghcr.io/palisade-dev/palisade:0.1.0 is the Helm chart's default
# image.) Both base images are pinned by digest: a rebuild of the same commit starts from the same
# bytes, whatever the tags point to by then.

# Builder: Rust 1.95.0 on Debian 12 (bookworm). The digest is the multi-platform index of the
# rust:1.95.0-bookworm tag; docs/image.md says how to re-resolve it.
FROM docker.io/library/rust:1.95.0-bookworm@sha256:6258907abe69656e41cd992e0b705cdcfabcbbe3db374f92ed2d47121282d4a1 AS build
# musl-gcc: ring (rustls' crypto) compiles C and assembly for the musl target.
RUN apt-get update \
 && apt-get install -y --no-install-recommends musl-tools \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The same script `make static-binary` runs in CI: adds the musl target, builds with --locked,
# fails unless the binary is static, runs and audits correctly, and copies it to /out.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    bash image/build-binary.sh --out /out/palisade

# Runtime: distroless static (CA certificates, /etc/passwd with nonroot, tzdata; no shell, no
# package manager, no libc), the :nonroot variant's multi-platform index pinned by digest.
FROM gcr.io/distroless/static-debian12:nonroot@sha256:afa5c872c891853ca7fcf1f12c3edb23f7eeef36189728842dd51042ff57f7ab
LABEL org.opencontainers.image.title="palisade" \
      org.opencontainers.image.description="Palisade: Kubernetes security posture operator and CLI" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build --chown=0:0 --chmod=0555 /out/palisade /palisade
# The numeric uid:gid of distroless's `nonroot`, as the chart's runAsUser/runAsGroup: a numeric
# USER lets the kubelet verify runAsNonRoot without reading /etc/passwd.
USER 65532:65532
# /metrics, /healthz and /readyz (`palisade operator --listen`, default 0.0.0.0:8080).
EXPOSE 8080
# The binary writes nothing to the filesystem, so the chart's readOnlyRootFilesystem holds.
# No CMD: the chart passes `operator ...`; `docker run IMAGE audit -f - < manifests.yaml` works too.
ENTRYPOINT ["/palisade"]
