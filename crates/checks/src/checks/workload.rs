//! Runtime and identity hygiene of workloads beyond the Pod Security Standards.

use palisade_crds::{Profile, Severity};

use crate::catalog::{Category, CheckDef, Eval, Expect, Fixture};
use crate::engine::{ContainerKind, Violation, WorkloadCtx};
use crate::inventory::PodLevel;

const NSA_TOKENS: &[&str] = &["Pod security: protecting pod service account tokens"];

/// Host paths of container runtime sockets: mounting one (or a directory holding one) hands
/// the pod control of every container on the node.
const RUNTIME_SOCKETS: &[&str] = &[
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/containerd/containerd.sock",
    "/run/containerd/containerd.sock",
    "/run/k3s/containerd/containerd.sock",
    "/var/run/crio/crio.sock",
    "/run/crio/crio.sock",
    "/var/run/cri-dockerd.sock",
    "/run/cri-dockerd.sock",
    "/var/run/dockershim.sock",
];

/// Name fragments of environment variables that hold credentials.
const CREDENTIAL_NAME_PARTS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "SECRET",
    "TOKEN",
    "APIKEY",
    "API_KEY",
    "ACCESS_KEY",
    "PRIVATE_KEY",
    "CREDENTIAL",
];

/// Suffixes of variables that point at a credential instead of holding it.
const REFERENCE_NAME_SUFFIXES: &[&str] = &["_FILE", "_PATH", "_DIR", "_NAME"];

pub static CHECKS: &[CheckDef] = &[
    CheckDef {
        id: "pod.read-only-root-fs",
        title: "Root filesystems are read-only",
        severity: Severity::Low,
        category: Category::Runtime,
        required_in: None,
        pss: None,
        cis: &[],
        nsa: &["Pod security: immutable container file systems"],
        fails_when: "readOnlyRootFilesystem is not true",
        remediation: "Set `securityContext.readOnlyRootFilesystem: true` and mount an emptyDir where the process must write (e.g. /tmp).",
        reads_secret_data: false,
        eval: Eval::Workload(read_only_root_fs),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: batch/v1, kind: CronJob, metadata: {name: nightly}, spec: {schedule: '@daily', jobTemplate: {spec: {template: {spec: {containers: [{name: c, image: x}]}}}}}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x, securityContext: {readOnlyRootFilesystem: true}}]}}",
            },
        ],
    },
    CheckDef {
        id: "pod.runtime-socket",
        title: "No container runtime socket is mounted",
        severity: Severity::Critical,
        category: Category::Runtime,
        required_in: Some(Profile::Baseline),
        pss: None,
        cis: &[],
        nsa: &["Pod security: pod security enforcement"],
        fails_when: "a container runtime socket (docker, containerd, cri-o) is mounted",
        remediation: "Remove hostPath volumes that expose /var/run/docker.sock, containerd.sock or crio.sock (or their directories); build images with an unprivileged builder instead.",
        reads_secret_data: false,
        eval: Eval::Workload(runtime_socket),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: apps/v1, kind: DaemonSet, metadata: {name: agent}, spec: {selector: {}, template: {spec: {volumes: [{name: s, hostPath: {path: /var/run/docker.sock}}], containers: [{name: c, image: x}]}}}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {volumes: [{name: s, hostPath: {path: /run/containerd/}}], containers: [{name: c, image: x}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {volumes: [{name: s, hostPath: {path: /var/log}}], containers: [{name: c, image: x}]}}",
            },
        ],
    },
    CheckDef {
        id: "pod.default-service-account",
        title: "Workloads use their own service account",
        severity: Severity::Low,
        category: Category::ApiAccess,
        required_in: None,
        pss: None,
        cis: &["5.1.5"],
        nsa: NSA_TOKENS,
        fails_when: "the pod runs as the namespace's `default` service account",
        remediation: "Create a dedicated ServiceAccount for the workload and set `serviceAccountName`.",
        reads_secret_data: false,
        eval: Eval::Workload(default_service_account),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {serviceAccountName: api, containers: [{name: c, image: x}]}}",
            },
        ],
    },
    CheckDef {
        id: "pod.automount-token",
        title: "API tokens are mounted only when asked for",
        severity: Severity::Medium,
        category: Category::ApiAccess,
        required_in: Some(Profile::Restricted),
        pss: None,
        cis: &["5.1.6"],
        nsa: NSA_TOKENS,
        fails_when: "an API token is mounted although the pod does not opt in",
        remediation: "Set `automountServiceAccountToken: false` on the ServiceAccount (or the pod); pods that call the API opt in with `automountServiceAccountToken: true`.",
        reads_secret_data: false,
        eval: Eval::Workload(automount_token),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: ServiceAccount, metadata: {name: api}}\n---\n{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {serviceAccountName: api, containers: [{name: c, image: x}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: ServiceAccount, metadata: {name: api}, automountServiceAccountToken: false}\n---\n{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {serviceAccountName: api, containers: [{name: c, image: x}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {automountServiceAccountToken: true, containers: [{name: c, image: x}]}}",
            },
        ],
    },
    CheckDef {
        id: "pod.secret-env",
        title: "Secrets are mounted as files, not environment variables",
        severity: Severity::Low,
        category: Category::Secrets,
        required_in: None,
        pss: None,
        cis: &["5.4.1"],
        nsa: &["Secrets"],
        fails_when: "a secret is passed as an environment variable",
        remediation: "Mount the secret as a volume and read it from a file; environment variables leak into crash dumps, child processes and `kubectl describe` output of tools.",
        reads_secret_data: false,
        eval: Eval::Workload(secret_env),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x, env: [{name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: db, key: password}}}]}]}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x, envFrom: [{secretRef: {name: db}}]}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {volumes: [{name: db, secret: {secretName: db}}], containers: [{name: c, image: x, envFrom: [{configMapRef: {name: settings}}]}]}}",
            },
        ],
    },
    CheckDef {
        id: "pod.literal-credential-env",
        title: "No credential is written into the pod spec",
        severity: Severity::High,
        category: Category::Secrets,
        required_in: Some(Profile::Restricted),
        pss: None,
        cis: &[],
        nsa: &["Secrets"],
        fails_when: "an env var named like a password, token or key carries a literal value",
        remediation: "Move the value into a Secret (or an external secret manager) and mount it; rotate the exposed credential.",
        reads_secret_data: false,
        eval: Eval::Workload(literal_credential_env),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x, env: [{name: api-token, value: hunter2}]}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x, env: [{name: PASSWORD_FILE, value: /run/secrets/pw}, {name: TOKEN, value: '$(OTHER)'}, {name: LOG_LEVEL, value: debug}, {name: SECRET_KEY}]}]}}",
            },
        ],
    },
    CheckDef {
        id: "pod.resource-limits",
        title: "Containers have CPU and memory limits",
        severity: Severity::Low,
        category: Category::Runtime,
        required_in: None,
        pss: None,
        cis: &[],
        nsa: &["Pod security: resource policies"],
        fails_when: "a container has no CPU or memory limit",
        remediation: "Set `resources.limits.cpu` and `resources.limits.memory` (or give the namespace a LimitRange with defaults).",
        reads_secret_data: false,
        eval: Eval::Workload(resource_limits),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x, resources: {limits: {memory: 128Mi}}}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x, resources: {limits: {cpu: 500m, memory: 128Mi}}}]}}",
            },
        ],
    },
];

fn read_only_root_fs(ctx: &WorkloadCtx) -> Vec<Violation> {
    ctx.containers()
        .filter(|container| container.security_context.and_then(|sc| sc.read_only_root_filesystem) != Some(true))
        .map(|container| Violation::container(&container, "securityContext.readOnlyRootFilesystem is not true"))
        .collect()
}

fn covers_runtime_socket(host_path: &str) -> Option<&'static str> {
    let trimmed = host_path.trim_end_matches('/');
    RUNTIME_SOCKETS
        .iter()
        .copied()
        .find(|socket| *socket == trimmed || socket.strip_prefix(trimmed).is_some_and(|rest| rest.starts_with('/')))
}

fn runtime_socket(ctx: &WorkloadCtx) -> Vec<Violation> {
    ctx.volumes()
        .iter()
        .filter_map(|volume| {
            let path = volume.host_path.as_ref()?;
            let socket = covers_runtime_socket(path)?;
            Some(Violation::pod(format!(
                "volume {} mounts {path}, exposing {socket}",
                volume.name
            )))
        })
        .collect()
}

/// The service account a pod runs as; the inventory stores it in `serviceAccountName` alone,
/// absent for `default` (see `strip::pod_spec`).
fn service_account_name(spec: &PodLevel) -> &str {
    spec.service_account_name.as_deref().unwrap_or("default")
}

fn default_service_account(ctx: &WorkloadCtx) -> Vec<Violation> {
    if service_account_name(ctx.spec()) != "default" {
        return Vec::new();
    }
    vec![Violation::pod("runs as the namespace's default service account")]
}

fn automount_token(ctx: &WorkloadCtx) -> Vec<Violation> {
    let spec = ctx.spec();
    let account = service_account_name(spec);
    let account_automount = ctx
        .namespace
        .service_accounts
        .iter()
        .find(|sa| sa.metadata.name.as_deref() == Some(account))
        .and_then(|sa| sa.automount_service_account_token);
    let mounted = spec.automount_service_account_token.or(account_automount) != Some(false);
    if !mounted || spec.automount_service_account_token == Some(true) {
        return Vec::new();
    }
    vec![Violation::pod(format!(
        "mounts an API token for service account {account} without automountServiceAccountToken: true"
    ))]
}

fn secret_env(ctx: &WorkloadCtx) -> Vec<Violation> {
    let mut violations = Vec::new();
    for container in ctx.containers() {
        for env in container.env {
            if let Some(secret) = env.value_from.as_ref().and_then(|from| from.secret_key_ref.as_ref()) {
                let message = format!("env {} reads secret {} key {}", env.name, secret.name, secret.key);
                violations.push(Violation::container(&container, message));
            }
        }
        for source in container.env_from {
            if let Some(secret) = source.secret_ref.as_ref() {
                violations.push(Violation::container(
                    &container,
                    format!("envFrom imports secret {}", secret.name),
                ));
            }
        }
    }
    violations
}

/// Whether a variable name reads like a credential, compared the way people write names:
/// case-insensitively, with `-` and `.` as `_`.
fn is_credential_name(name: &str) -> bool {
    // Compared byte by byte rather than on a normalized copy: this runs for every literal env
    // variable of every pod on every evaluation.
    let normalized = |byte: &u8| match byte {
        b'-' | b'.' => b'_',
        byte => byte.to_ascii_uppercase(),
    };
    let same = |window: &[u8], part: &str| window.iter().map(normalized).eq(part.bytes());
    let bytes = name.as_bytes();
    let contains = |part: &&str| bytes.windows(part.len()).any(|window| same(window, part));
    let ends_with = |suffix: &&str| {
        bytes
            .len()
            .checked_sub(suffix.len())
            .and_then(|start| bytes.get(start..))
            .is_some_and(|end| same(end, suffix))
    };
    CREDENTIAL_NAME_PARTS.iter().any(contains) && !REFERENCE_NAME_SUFFIXES.iter().any(ends_with)
}

/// A value made only of `$(VAR)` references is expanded from other variables, not a literal.
/// Whether an env value is a literal rather than only a `$(VAR)` reference.
pub(crate) fn is_literal(value: &str) -> bool {
    let trimmed = value.trim();
    let only_a_reference = trimmed.starts_with("$(") && trimmed.ends_with(')') && trimmed.matches("$(").count() == 1;
    !trimmed.is_empty() && !only_a_reference
}

fn literal_credential_env(ctx: &WorkloadCtx) -> Vec<Violation> {
    let mut violations = Vec::new();
    for container in ctx.containers() {
        for env in container.env {
            let literal = env.value.as_deref().is_some_and(is_literal);
            if literal && is_credential_name(&env.name) {
                // The message names the variable only: its value must never reach a report.
                let message = format!("env {} carries a literal value", env.name);
                violations.push(Violation::container(&container, message));
            }
        }
    }
    violations
}

fn resource_limits(ctx: &WorkloadCtx) -> Vec<Violation> {
    ctx.containers()
        .filter(|container| container.kind != ContainerKind::Ephemeral)
        .filter_map(|container| {
            let missing: Vec<&str> = ["cpu", "memory"]
                .into_iter()
                .filter(|resource| !container.limits.iter().any(|limited| limited == resource))
                .collect();
            (!missing.is_empty())
                .then(|| Violation::container(&container, format!("no {} limit", missing.join(" or "))))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_socket_paths() {
        assert_eq!(
            covers_runtime_socket("/var/run/docker.sock"),
            Some("/var/run/docker.sock")
        );
        assert_eq!(covers_runtime_socket("/var/run"), Some("/var/run/docker.sock"));
        assert!(covers_runtime_socket("/").is_some());
        assert_eq!(covers_runtime_socket("/var/run/docker"), None);
        assert_eq!(covers_runtime_socket("/var/lib/containerd"), None);
    }

    #[test]
    fn credential_names_and_literals() {
        assert!(is_credential_name("db-password"));
        assert!(is_credential_name("AWS_SECRET_ACCESS_KEY"));
        assert!(!is_credential_name("PASSWORD_FILE"));
        assert!(!is_credential_name("PWD"));
        assert!(is_literal("hunter2"));
        assert!(!is_literal("$(DB_PASSWORD)"));
        assert!(is_literal("$(A)$(B)x"));
        assert!(!is_literal("  "));
    }
}
