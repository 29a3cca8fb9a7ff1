//! Seeded pseudo-random Pod manifests for property tests and for the end-to-end oracle that
//! compares Palisade's Pod Security Standards verdicts with the API server's Pod Security
//! admission.
//!
//! The values are derived from the Pod Security Standards text (Kubernetes v1.37, and the
//! values earlier versions judge differently), not from Palisade's checks: every field a
//! control reads is mixed, with varied probabilities, with values the standard allows and
//! values it forbids, at pod and container level, for Linux,
//! Windows and OS-less pods. The generator keeps the pods valid for the API server where it
//! can (no Linux-only fields on Windows pods, `hostProcess` only with `hostNetwork`, `Unmasked`
//! only with `hostUsers: false`, AppArmor annotations that agree with the fields, ...), so
//! they reach admission; about 2% are made invalid on purpose and say so in the
//! [`INVALID_ANNOTATION`] annotation.
//!
//! About a third of the pods follow the restricted level except for one field choice, which
//! isolates a single control; the others draw each field with a per-pod strictness, from fully
//! compliant to wild.
//!
//! Containers carry env vars whose literal values start with [`SECRET_VALUE_PREFIX`] (and
//! never appear anywhere else in the pod), so tests can prove no finding leaks them.
//!
//! [`block_yaml`] prints a manifest as tools print one, for tests of the readers.

mod block_yaml;

pub use block_yaml::block_yaml;

use serde_json::{Map, Value, json};

/// Every literal env var value the generator writes starts with this prefix and ends with a
/// number unique within one generator.
pub const SECRET_VALUE_PREFIX: &str = "s3cr3t-";

/// Annotation on the few pods made invalid on purpose (its value says how), so a test can
/// check that the API server rejects them before Pod Security admission judges them.
pub const INVALID_ANNOTATION: &str = "podgen.palisade.dev/invalid";

/// Per mille of pods made invalid on purpose.
const INVALID_PER_MILLE: u64 = 20;

/// The SplitMix64 sequence (Steele, Lea, Flood 2014): tiny, fast and good enough to spread
/// choices; not for cryptography.
#[derive(Clone, Debug)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Os {
    Unset,
    Linux,
    Windows,
}

/// How a pod uses Windows HostProcess containers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HostProcess {
    None,
    /// `spec.securityContext.windowsOptions.hostProcess: true`, inherited by the containers.
    PodTrue,
    /// Every container sets `hostProcess: true`.
    ContainersTrue,
    /// Explicit `false` at pod level and on some containers.
    False,
}

/// A seccomp or AppArmor profile type (`None` is unset).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Profile {
    RuntimeDefault,
    Localhost,
    Unconfined,
}

/// Every seccomp or AppArmor profile setting, unset included.
const EVERY_PROFILE: &[Option<Profile>] = &[
    None,
    Some(Profile::RuntimeDefault),
    Some(Profile::Localhost),
    Some(Profile::Unconfined),
];

const SECCOMP_LOCALHOST_PROFILE: &str = "profiles/audit.json";
const APPARMOR_LOCALHOST_PROFILE: &str = "k8s-apparmor-example-deny-write";

/// What the pod decided that containers must stay consistent with.
struct PodPlan {
    os: Os,
    host_network: bool,
    host_users_false: bool,
    host_process: HostProcess,
    pod_run_as_non_root: Option<bool>,
    pod_seccomp: Option<Profile>,
    pod_apparmor: Option<Profile>,
    /// The next container port; unique per pod so host ports never collide.
    next_port: u16,
}

/// Generates pods from a seed: the same seed gives the same pods in the same order.
#[derive(Clone, Debug)]
pub struct PodGenerator {
    rng: SplitMix64,
    /// Per mille chance, for the pod being generated, that a field gets a value the restricted
    /// level allows rather than one drawn from every interesting value. Varies per pod, so the
    /// pods range from fully compliant to wild.
    strictness: u64,
    /// For "one deviation" pods: the only field choice (numbered in generation order) drawn
    /// from every interesting value; all others get allowed values. Such pods isolate one
    /// control, where a disagreement is plainest.
    focus: Option<u64>,
    /// Field choices made so far for the pod being generated.
    choices: u64,
    secrets: u64,
}

impl PodGenerator {
    pub fn new(seed: u64) -> PodGenerator {
        PodGenerator {
            rng: SplitMix64(seed),
            strictness: 1000,
            focus: None,
            choices: 0,
            secrets: 0,
        }
    }

    /// The next Pod manifest (`apiVersion: v1`, `kind: Pod`), named `name`, without a namespace.
    pub fn next_pod(&mut self, name: &str) -> Value {
        self.choices = 0;
        if self.chance(350) {
            self.focus = Some(self.below(48));
            self.strictness = 1000;
        } else {
            self.focus = None;
            self.strictness = self.pick(&[1000, 995, 985, 970, 950, 920, 880, 800, 650, 400]);
        }
        let os = match self.below(100) {
            0..68 => Os::Unset,
            68..84 => Os::Linux,
            _ => Os::Windows,
        };
        let windows = os == Os::Windows;

        let mut spec = Map::new();
        let mut pod_sc = Map::new();
        match os {
            Os::Unset => {}
            Os::Linux => {
                spec.insert("os".into(), json!({"name": "linux"}));
            }
            Os::Windows => {
                spec.insert("os".into(), json!({"name": "windows"}));
            }
        }

        // Windows HostProcess: a Windows option, forbidden on Linux pods, allowed without spec.os.
        let host_process = if os == Os::Linux {
            HostProcess::None
        } else {
            self.field(
                &[HostProcess::None],
                &[
                    HostProcess::None,
                    HostProcess::PodTrue,
                    HostProcess::ContainersTrue,
                    HostProcess::False,
                ],
            )
        };
        match host_process {
            HostProcess::PodTrue => {
                pod_sc.insert("windowsOptions".into(), json!({"hostProcess": true}));
            }
            HostProcess::False => {
                pod_sc.insert("windowsOptions".into(), json!({"hostProcess": false}));
            }
            HostProcess::None if windows && self.chance(300) => {
                pod_sc.insert("windowsOptions".into(), json!({"runAsUserName": "ContainerUser"}));
            }
            _ => {}
        }
        let host_process_true = matches!(host_process, HostProcess::PodTrue | HostProcess::ContainersTrue);

        // Host namespaces. HostProcess containers require hostNetwork; Windows pods may not set
        // hostPID or hostIPC (false is the same as unset).
        let host_network = if host_process_true {
            Some(true)
        } else {
            self.field(&[None], &[None, Some(false), Some(true)])
        };
        let host_pid = if windows {
            self.field(&[None], &[None, Some(false)])
        } else {
            self.field(&[None], &[None, Some(false), Some(true)])
        };
        let host_ipc = if windows {
            self.field(&[None], &[None, Some(false)])
        } else {
            self.field(&[None], &[None, Some(false), Some(true)])
        };
        for (key, value) in [
            ("hostNetwork", host_network),
            ("hostPID", host_pid),
            ("hostIPC", host_ipc),
        ] {
            if let Some(value) = value {
                spec.insert(key.into(), json!(value));
            }
        }
        let host_network = host_network == Some(true);
        let host_ipc = host_ipc == Some(true);

        // User namespaces: not with host namespaces, not on Windows.
        let any_host_namespace = host_network || host_pid == Some(true) || host_ipc;
        let host_users = if windows {
            None
        } else if any_host_namespace {
            self.pick(&[None, None, Some(true)])
        } else {
            match self.below(100) {
                0..55 => None,
                55..82 => Some(false),
                _ => Some(true),
            }
        };
        if let Some(host_users) = host_users {
            spec.insert("hostUsers".into(), json!(host_users));
        }

        // Pod-level security context.
        // In a user namespace (hostUsers: false) the standard allows any runAsNonRoot and
        // runAsUser (v1.35+), so root counts as an allowed value there.
        let user_namespace = host_users == Some(false);
        let non_root_compliant: &[Option<bool>] = if user_namespace {
            &[Some(true), None, Some(false)]
        } else {
            &[Some(true)]
        };
        let pod_run_as_non_root = self.field(non_root_compliant, &[None, Some(true), Some(false)]);
        if let Some(value) = pod_run_as_non_root {
            pod_sc.insert("runAsNonRoot".into(), json!(value));
        }
        let mut pod_seccomp = None;
        let mut pod_apparmor = None;
        if !windows {
            let user_compliant: &[Option<i64>] = if user_namespace {
                &[None, Some(1000), Some(65534), Some(0)]
            } else {
                &[None, Some(1000), Some(65534)]
            };
            if let Some(user) = self.field(user_compliant, &[None, Some(0), Some(1000)]) {
                pod_sc.insert("runAsUser".into(), json!(user));
            }
            if self.chance(200) {
                pod_sc.insert("runAsGroup".into(), json!(self.pick(&[0, 3000])));
            }
            pod_seccomp = self.field(
                &[
                    None,
                    Some(Profile::RuntimeDefault),
                    Some(Profile::RuntimeDefault),
                    Some(Profile::Localhost),
                ],
                EVERY_PROFILE,
            );
            if let Some(profile) = pod_seccomp {
                pod_sc.insert("seccompProfile".into(), seccomp_profile(profile));
            }
            pod_apparmor = self.field(
                &[None, None, Some(Profile::RuntimeDefault), Some(Profile::Localhost)],
                EVERY_PROFILE,
            );
            if let Some(profile) = pod_apparmor {
                pod_sc.insert("appArmorProfile".into(), apparmor_profile(profile));
            }
            if let Some(options) = self.selinux_options() {
                pod_sc.insert("seLinuxOptions".into(), options);
            }
            if let Some(sysctls) = self.sysctls(host_network, host_ipc) {
                pod_sc.insert("sysctls".into(), sysctls);
            }
        }
        if !pod_sc.is_empty() || self.chance(100) {
            spec.insert("securityContext".into(), Value::Object(pod_sc));
        }

        let volumes = self.volumes();
        if !volumes.is_empty() {
            spec.insert("volumes".into(), Value::Array(volumes));
        }

        let mut plan = PodPlan {
            os,
            host_network,
            host_users_false: host_users == Some(false),
            host_process,
            pod_run_as_non_root,
            pod_seccomp,
            pod_apparmor,
            next_port: 8080,
        };
        let mut annotations = Map::new();
        let init_count = self.pick(&[0, 0, 0, 1, 1, 2]);
        let regular_count = self.pick(&[1, 1, 1, 2, 2, 3]);
        let mut init_containers = Vec::new();
        for index in 0..init_count {
            let sidecar = self.chance(400);
            let container = self.container(&format!("init-{index}"), sidecar, true, &mut plan, &mut annotations);
            init_containers.push(container);
        }
        let mut containers = Vec::new();
        for index in 0..regular_count {
            let container = self.container(&format!("app-{index}"), true, false, &mut plan, &mut annotations);
            containers.push(container);
        }
        if !init_containers.is_empty() {
            spec.insert("initContainers".into(), Value::Array(init_containers));
        }
        spec.insert("containers".into(), Value::Array(containers));
        if self.chance(150) {
            annotations.insert("example.com/team".into(), json!("payments"));
        }
        if self.chance(INVALID_PER_MILLE) {
            let reason = break_validation(&mut spec, os, host_users);
            annotations.insert(INVALID_ANNOTATION.into(), json!(reason));
        }

        let mut metadata = Map::new();
        metadata.insert("name".into(), json!(name));
        metadata.insert("labels".into(), json!({"app": "pss-generated"}));
        if !annotations.is_empty() {
            metadata.insert("annotations".into(), Value::Object(annotations));
        }
        json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": metadata,
            "spec": spec,
        })
    }

    /// One container. `handlers`: whether probes and lifecycle hooks are allowed (regular
    /// containers and sidecar init containers).
    fn container(
        &mut self,
        name: &str,
        handlers: bool,
        init: bool,
        plan: &mut PodPlan,
        annotations: &mut Map<String, Value>,
    ) -> Value {
        let windows = plan.os == Os::Windows;
        let mut container = Map::new();
        container.insert("name".into(), json!(name));
        let image = self.pick(&[
            "registry.example.com/team/app:1.4.2",
            "nginx:1.27",
            "docker.io/library/busybox:latest",
            "ghcr.io/example/tool@sha256:4f1c9e0b5d0d0a6e1cbe2f7b1a8a9e3c5d7f0b2a4c6e8f0a1b3c5d7e9f1a3b5c",
        ]);
        container.insert("image".into(), json!(image));
        if init && handlers {
            // A sidecar: an init container that keeps running, and may have probes and hooks.
            container.insert("restartPolicy".into(), json!("Always"));
        }

        let mut sc = Map::new();
        let mut effective_apparmor = plan.pod_apparmor;
        if windows {
            if let Some(value) = self.field(&[None], &[None, Some(true), Some(false)]) {
                sc.insert("runAsNonRoot".into(), json!(value));
            }
        } else {
            let privileged = self.field(&[None], &[None, Some(false), Some(true)]);
            if let Some(value) = privileged {
                sc.insert("privileged".into(), json!(value));
            }
            let mut escalation = self.field(&[Some(false)], &[None, Some(true), Some(false)]);
            if privileged == Some(true) && escalation == Some(false) {
                // The API server rejects allowPrivilegeEscalation: false with privileged: true.
                escalation = self.pick(&[None, Some(true)]);
            }
            if let Some(value) = escalation {
                sc.insert("allowPrivilegeEscalation".into(), json!(value));
            }
            if let Some(capabilities) = self.capabilities(escalation == Some(false)) {
                sc.insert("capabilities".into(), capabilities);
            }
            let non_root_compliant: &[Option<bool>] = if plan.pod_run_as_non_root == Some(true) {
                &[None, None, Some(true)]
            } else if plan.host_users_false {
                &[None, Some(true), Some(false)]
            } else {
                &[Some(true)]
            };
            if let Some(value) = self.field(non_root_compliant, &[None, Some(true), Some(false)]) {
                sc.insert("runAsNonRoot".into(), json!(value));
            }
            let user_compliant: &[Option<i64>] = if plan.host_users_false {
                &[None, None, Some(1001), Some(0)]
            } else {
                &[None, None, Some(1001)]
            };
            if let Some(user) = self.field(user_compliant, &[None, Some(0), Some(1000)]) {
                sc.insert("runAsUser".into(), json!(user));
            }
            let seccomp_compliant: &[Option<Profile>] = match plan.pod_seccomp {
                Some(Profile::RuntimeDefault | Profile::Localhost) => &[
                    None,
                    None,
                    None,
                    Some(Profile::RuntimeDefault),
                    Some(Profile::Localhost),
                ],
                _ => &[
                    Some(Profile::RuntimeDefault),
                    Some(Profile::RuntimeDefault),
                    Some(Profile::Localhost),
                ],
            };
            let seccomp = self.field(seccomp_compliant, EVERY_PROFILE);
            if let Some(profile) = seccomp {
                sc.insert("seccompProfile".into(), seccomp_profile(profile));
            }
            let apparmor = self.field(
                &[
                    None,
                    None,
                    None,
                    Some(Profile::RuntimeDefault),
                    Some(Profile::Localhost),
                ],
                EVERY_PROFILE,
            );
            if let Some(profile) = apparmor {
                sc.insert("appArmorProfile".into(), apparmor_profile(profile));
                effective_apparmor = Some(profile);
            }
            if let Some(options) = self.selinux_options() {
                sc.insert("seLinuxOptions".into(), options);
            }
            // Unmasked needs a user namespace; pods in one try it more often.
            let proc_mount = if plan.host_users_false {
                self.field(
                    &[None, Some("Default")],
                    &[None, Some("Default"), Some("Unmasked"), Some("Unmasked")],
                )
            } else {
                self.field(&[None, Some("Default")], &[None, Some("Default")])
            };
            let proc_mount = match proc_mount {
                None if plan.host_users_false && self.focus.is_none() && self.chance(100) => Some("Unmasked"),
                other => other,
            };
            if let Some(proc_mount) = proc_mount {
                sc.insert("procMount".into(), json!(proc_mount));
            }
            if self.chance(300) {
                sc.insert("readOnlyRootFilesystem".into(), json!(self.chance(700)));
            }
        }
        match plan.host_process {
            HostProcess::ContainersTrue => {
                sc.insert("windowsOptions".into(), json!({"hostProcess": true}));
            }
            HostProcess::False if self.chance(500) => {
                sc.insert("windowsOptions".into(), json!({"hostProcess": false}));
            }
            _ => {}
        }
        if !sc.is_empty() || self.chance(100) {
            container.insert("securityContext".into(), Value::Object(sc));
        }

        // The deprecated AppArmor annotation. On Linux (and OS-less) pods it must agree with the
        // container's effective field when both are set; Windows pods skip that validation.
        if self.chance(220) {
            let value = match effective_apparmor {
                Some(profile) if !windows => apparmor_annotation(profile).to_string(),
                _ => self
                    .pick(&[
                        "runtime/default",
                        "localhost/k8s-apparmor-example-deny-write",
                        "unconfined",
                        "",
                    ])
                    .to_string(),
            };
            annotations.insert(
                format!("container.apparmor.security.beta.kubernetes.io/{name}"),
                json!(value),
            );
        }

        let port = plan.next_port;
        plan.next_port += 1;
        let ports = self.field(
            &[None, Some(None)],
            &[None, Some(None), Some(Some(0)), Some(Some(port))],
        );
        if let Some(host_port) = ports {
            let mut entry = Map::new();
            entry.insert("containerPort".into(), json!(port));
            if let Some(host_port) = host_port {
                // With hostNetwork the host port must be 0 or equal the container port.
                let host_port = if plan.host_network && host_port != 0 {
                    port
                } else {
                    host_port
                };
                entry.insert("hostPort".into(), json!(host_port));
            }
            container.insert("ports".into(), json!([entry]));
        }

        if handlers {
            for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
                if self.chance(350) {
                    let handler = self.handler(port, false);
                    container.insert(probe.into(), handler);
                }
            }
            let mut lifecycle = Map::new();
            for hook in ["postStart", "preStop"] {
                if self.chance(250) {
                    lifecycle.insert(hook.into(), self.handler(port, true));
                }
            }
            if !lifecycle.is_empty() {
                container.insert("lifecycle".into(), Value::Object(lifecycle));
            }
        }

        let env = self.env();
        if !env.is_empty() {
            container.insert("env".into(), Value::Array(env));
        }
        Value::Object(container)
    }

    /// A probe or lifecycle handler; httpGet and tcpSocket ones may target a host.
    fn handler(&mut self, port: u16, lifecycle: bool) -> Value {
        let kinds: &[&str] = if lifecycle {
            &["httpGet", "httpGet", "tcpSocket", "exec", "sleep"]
        } else {
            &["httpGet", "httpGet", "tcpSocket", "tcpSocket", "exec", "grpc"]
        };
        let host = self.field(
            &[None, None, Some("")],
            &[None, Some(""), Some("127.0.0.1"), Some("localhost"), Some("10.0.0.1")],
        );
        let with_host = |mut action: Map<String, Value>| {
            if let Some(host) = host {
                action.insert("host".into(), json!(host));
            }
            Value::Object(action)
        };
        match self.pick(kinds) {
            "httpGet" => {
                let mut action = Map::new();
                action.insert("path".into(), json!("/healthz"));
                action.insert("port".into(), json!(port));
                json!({"httpGet": with_host(action)})
            }
            "tcpSocket" => {
                let mut action = Map::new();
                action.insert("port".into(), json!(port));
                json!({"tcpSocket": with_host(action)})
            }
            "grpc" => json!({"grpc": {"port": 9090}}),
            "sleep" => json!({"sleep": {"seconds": 5}}),
            _ => json!({"exec": {"command": ["/bin/check"]}}),
        }
    }

    fn capabilities(&mut self, no_escalation: bool) -> Option<Value> {
        let drop: Option<&[&str]> = self.field(
            &[Some(&["ALL"][..])],
            &[
                None,
                Some(&["ALL"][..]),
                Some(&["NET_RAW"][..]),
                Some(&["ALL", "NET_RAW"][..]),
                Some(&["all"][..]),
                Some(&[][..]),
            ],
        );
        let add: Option<&[&str]> = self.field(
            &[None, None, None, Some(&["NET_BIND_SERVICE"][..])],
            &[
                None,
                Some(&[][..]),
                Some(&["NET_BIND_SERVICE"][..]),
                Some(&["CHOWN"][..]),
                Some(&["KILL", "SETUID", "SETGID"][..]),
                Some(&["NET_RAW"][..]),
                Some(&["SYS_ADMIN"][..]),
                Some(&["CAP_SYS_ADMIN"][..]),
                Some(&["NET_ADMIN", "NET_BIND_SERVICE"][..]),
                Some(&["SYS_PTRACE"][..]),
                Some(&["CAP_NET_BIND_SERVICE"][..]),
                Some(&["net_bind_service"][..]),
                Some(&["ALL"][..]),
                Some(&["NOT_A_CAPABILITY"][..]),
                Some(
                    &[
                        "AUDIT_WRITE",
                        "CHOWN",
                        "DAC_OVERRIDE",
                        "FOWNER",
                        "FSETID",
                        "KILL",
                        "MKNOD",
                        "NET_BIND_SERVICE",
                        "SETFCAP",
                        "SETGID",
                        "SETPCAP",
                        "SETUID",
                        "SYS_CHROOT",
                    ][..],
                ),
            ],
        );
        // The API server rejects adding CAP_SYS_ADMIN with allowPrivilegeEscalation: false.
        let add = add.map(|caps| {
            caps.iter()
                .filter(|cap| !(no_escalation && **cap == "CAP_SYS_ADMIN"))
                .copied()
                .collect::<Vec<_>>()
        });
        let mut capabilities = Map::new();
        if let Some(drop) = drop {
            capabilities.insert("drop".into(), json!(drop));
        }
        if let Some(add) = add {
            capabilities.insert("add".into(), json!(add));
        }
        (!capabilities.is_empty() || self.chance(50)).then_some(Value::Object(capabilities))
    }

    fn selinux_options(&mut self) -> Option<Value> {
        if self.comply() {
            return match self.below(10) {
                0 => Some(json!({"type": "container_t"})),
                1 => Some(json!({"level": "s0:c123,c456"})),
                _ => None,
            };
        }
        if self.chance(300) {
            return None;
        }
        let mut options = Map::new();
        let selinux_type = self.pick(&[
            None,
            Some(""),
            Some("container_t"),
            Some("container_init_t"),
            Some("container_kvm_t"),
            Some("container_engine_t"),
            Some("spc_t"),
            Some("unconfined_t"),
        ]);
        if let Some(selinux_type) = selinux_type {
            options.insert("type".into(), json!(selinux_type));
        }
        if let Some(user) = self.pick(&[None, None, None, Some(""), Some("system_u")]) {
            options.insert("user".into(), json!(user));
        }
        if let Some(role) = self.pick(&[None, None, None, Some(""), Some("system_r")]) {
            options.insert("role".into(), json!(role));
        }
        if let Some(level) = self.pick(&[None, None, Some("s0:c1,c2")]) {
            options.insert("level".into(), json!(level));
        }
        Some(Value::Object(options))
    }

    /// Pod sysctls; none in the network namespace with hostNetwork and none in the IPC
    /// namespace with hostIPC (the API server rejects those).
    fn sysctls(&mut self, host_network: bool, host_ipc: bool) -> Option<Value> {
        const SAFE: &[(&str, &str)] = &[
            ("kernel.shm_rmid_forced", "1"),
            ("net.ipv4.ip_local_port_range", "32768 60999"),
            ("net.ipv4.ip_unprivileged_port_start", "1024"),
            ("net.ipv4.tcp_syncookies", "1"),
            ("net.ipv4.ping_group_range", "0 2147483647"),
            ("net.ipv4.ip_local_reserved_ports", "8080,9090"),
            ("net.ipv4.tcp_keepalive_time", "600"),
            ("net.ipv4.tcp_fin_timeout", "30"),
            ("net.ipv4.tcp_keepalive_intvl", "60"),
            ("net.ipv4.tcp_keepalive_probes", "5"),
            ("net.ipv4.tcp_rmem", "4096 87380 6291456"),
            ("net.ipv4.tcp_wmem", "4096 16384 4194304"),
            ("net.ipv4.tcp_slow_start_after_idle", "0"),
            ("net.ipv4.tcp_notsent_lowat", "131072"),
        ];
        const UNSAFE: &[(&str, &str)] = &[
            ("kernel.msgmax", "65536"),
            ("net.core.somaxconn", "1024"),
            ("kernel.sem", "250 32000 100 128"),
            ("net.ipv4.ip_forward", "1"),
            ("net.ipv4.tcp_max_syn_backlog", "4096"),
            ("net/ipv4/tcp_syncookies", "1"),
        ];
        let comply = self.comply();
        let count = if comply {
            if self.chance(900) { 0 } else { 1 }
        } else {
            self.pick(&[1, 1, 2, 3])
        };
        let mut chosen: Vec<(&str, &str)> = Vec::new();
        for _ in 0..count {
            let pool = if comply || self.chance(500) { SAFE } else { UNSAFE };
            let (name, value) = self.pick(pool);
            let namespace_net = name.starts_with("net.") || name.starts_with("net/");
            let namespace_ipc =
                name.starts_with("kernel.shm") || name.starts_with("kernel.msg") || name == "kernel.sem";
            if (host_network && namespace_net) || (host_ipc && namespace_ipc) {
                continue;
            }
            if !chosen.iter().any(|(seen, _)| *seen == name) {
                chosen.push((name, value));
            }
        }
        (!chosen.is_empty()).then(|| {
            Value::Array(
                chosen
                    .into_iter()
                    .map(|(name, value)| json!({"name": name, "value": value}))
                    .collect(),
            )
        })
    }

    fn volumes(&mut self) -> Vec<Value> {
        const COMMON: &[&str] = &[
            "emptyDir",
            "configMap",
            "secret",
            "projected",
            "downwardAPI",
            "persistentVolumeClaim",
            "ephemeral",
            "csi",
        ];
        const ALL: &[&str] = &[
            "emptyDir",
            "configMap",
            "secret",
            "projected",
            "downwardAPI",
            "persistentVolumeClaim",
            "ephemeral",
            "csi",
            "hostPath",
            "nfs",
            "gitRepo",
            "iscsi",
            "image",
        ];
        let count = self.pick(&[0, 0, 1, 1, 2, 3]);
        (0..count)
            .map(|index| {
                let kind = self.field(COMMON, ALL);
                let source = match kind {
                    "emptyDir" => json!({}),
                    "configMap" => json!({"name": "app-config"}),
                    "secret" => json!({"secretName": "app-tls"}),
                    "projected" => json!({"sources": [
                        {"serviceAccountToken": {"path": "token", "expirationSeconds": 3600}},
                        {"configMap": {"name": "app-config"}},
                    ]}),
                    "downwardAPI" => json!({"items": [
                        {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
                    ]}),
                    "persistentVolumeClaim" => json!({"claimName": "data"}),
                    "ephemeral" => json!({"volumeClaimTemplate": {"spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "1Gi"}},
                    }}}),
                    "csi" => json!({"driver": "inline.csi.example.com", "volumeAttributes": {"size": "1Gi"}}),
                    "hostPath" => json!({"path": "/var/log"}),
                    "nfs" => json!({"server": "nfs.example.com", "path": "/exports/data"}),
                    "gitRepo" => json!({"repository": "https://git.example.com/repo.git"}),
                    "iscsi" => json!({
                        "targetPortal": "10.0.0.5:3260",
                        "iqn": "iqn.2001-04.com.example:storage.disk1",
                        "lun": 0,
                    }),
                    _ => json!({"reference": "registry.example.com/data/models:1", "pullPolicy": "IfNotPresent"}),
                };
                let mut volume = Map::new();
                volume.insert("name".into(), json!(format!("vol-{index}")));
                volume.insert(kind.into(), source);
                Value::Object(volume)
            })
            .collect()
    }

    /// Env vars: literal values that must never surface in findings, and secret references.
    fn env(&mut self) -> Vec<Value> {
        let mut env = Vec::new();
        if self.chance(600) {
            self.secrets += 1;
            let name = self.pick(&["DB_PASSWORD", "API_TOKEN", "AWS_SECRET_ACCESS_KEY", "MODE"]);
            env.push(json!({"name": name, "value": format!("{SECRET_VALUE_PREFIX}{}", self.secrets)}));
        }
        if self.chance(400) {
            env.push(json!({
                "name": "SESSION_KEY",
                "valueFrom": {"secretKeyRef": {"name": "app-secrets", "key": "session-key"}},
            }));
        }
        if self.chance(200) {
            self.secrets += 1;
            env.push(json!({"name": "SECOND_SECRET", "value": format!("{SECRET_VALUE_PREFIX}{}", self.secrets)}));
        }
        env
    }

    /// `compliant` with this pod's strictness, otherwise any of `options`.
    fn field<T: Copy>(&mut self, compliant: &[T], options: &[T]) -> T {
        if self.comply() {
            self.pick(compliant)
        } else {
            self.pick(options)
        }
    }

    /// Whether the next field choice takes an allowed value (see `strictness` and `focus`).
    fn comply(&mut self) -> bool {
        let choice = self.choices;
        self.choices += 1;
        match self.focus {
            Some(focus) => choice != focus,
            None => self.chance(self.strictness),
        }
    }

    /// Replaces a few nodes of a manifest with values of other shapes (null, booleans, huge
    /// numbers, odd strings, lists, objects), as malformed or hostile input would: for tests
    /// that nothing panics on such input.
    pub fn mangle(&mut self, manifest: &mut Value) {
        for _ in 0..=self.below(3) {
            self.mangle_node(manifest);
        }
    }

    fn mangle_node(&mut self, node: &mut Value) {
        let descend = self.chance(850);
        match node {
            Value::Object(fields) if descend && !fields.is_empty() => {
                let index = self.below(fields.len() as u64) as usize;
                if let Some(child) = fields.values_mut().nth(index) {
                    self.mangle_node(child);
                }
            }
            Value::Array(items) if descend && !items.is_empty() => {
                let index = self.below(items.len() as u64) as usize;
                if let Some(child) = items.get_mut(index) {
                    self.mangle_node(child);
                }
            }
            _ => *node = self.odd_value(),
        }
    }

    fn odd_value(&mut self) -> Value {
        match self.below(8) {
            0 => Value::Null,
            1 => json!(self.chance(500)),
            2 => json!(u64::MAX),
            3 => json!(-1.5e300),
            4 => json!(""),
            5 => json!("\u{0}☃ $(X) */*"),
            6 => json!([null, 0, "x", {"a": []}]),
            _ => json!({"unexpected": {"nested": [true]}}),
        }
    }

    fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.rng.next_u64()) * u128::from(bound)) >> 64) as u64
    }

    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        let index = self.below(items.len() as u64) as usize;
        items[index]
    }
}

/// Makes a pod invalid in a way the API server's validation catches; returns how.
fn break_validation(spec: &mut Map<String, Value>, os: Os, host_users: Option<bool>) -> &'static str {
    if os == Os::Windows {
        let sc = spec.entry("securityContext").or_insert_with(|| json!({}));
        sc["seccompProfile"] = json!({"type": "RuntimeDefault"});
        return "a Windows pod sets seccompProfile";
    }
    if host_users == Some(false) {
        spec.insert("hostNetwork".into(), json!(true));
        return "hostNetwork with hostUsers: false";
    }
    if let Some(container) = spec.get_mut("containers").and_then(|c| c.get_mut(0)) {
        let sc = container
            .as_object_mut()
            .map(|c| c.entry("securityContext").or_insert_with(|| json!({})));
        if let Some(sc) = sc {
            sc["procMount"] = json!("Unmasked");
        }
    }
    "procMount Unmasked without hostUsers: false"
}

fn seccomp_profile(profile: Profile) -> Value {
    match profile {
        Profile::RuntimeDefault => json!({"type": "RuntimeDefault"}),
        Profile::Localhost => json!({"type": "Localhost", "localhostProfile": SECCOMP_LOCALHOST_PROFILE}),
        Profile::Unconfined => json!({"type": "Unconfined"}),
    }
}

fn apparmor_profile(profile: Profile) -> Value {
    match profile {
        Profile::RuntimeDefault => json!({"type": "RuntimeDefault"}),
        Profile::Localhost => json!({"type": "Localhost", "localhostProfile": APPARMOR_LOCALHOST_PROFILE}),
        Profile::Unconfined => json!({"type": "Unconfined"}),
    }
}

/// The annotation value equivalent to an AppArmor profile field.
fn apparmor_annotation(profile: Profile) -> &'static str {
    match profile {
        Profile::RuntimeDefault => "runtime/default",
        Profile::Localhost => "localhost/k8s-apparmor-example-deny-write",
        Profile::Unconfined => "unconfined",
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use k8s_openapi::api::core::v1::Pod;

    use super::*;

    fn pods(seed: u64, count: usize) -> Vec<Value> {
        let mut generator = PodGenerator::new(seed);
        (0..count)
            .map(|index| generator.next_pod(&format!("pod-{index}")))
            .collect()
    }

    #[test]
    fn the_same_seed_gives_the_same_pods() {
        assert_eq!(pods(42, 200), pods(42, 200));
        assert_ne!(pods(42, 50), pods(43, 50));
    }

    #[test]
    fn every_pod_is_a_well_formed_pod() {
        for pod in pods(7, 500) {
            let parsed: Pod = serde_json::from_value(pod.clone()).unwrap_or_else(|error| panic!("{error}: {pod}"));
            let spec = parsed.spec.expect("spec");
            assert!(!spec.containers.is_empty());
            let mut names = BTreeSet::new();
            for container in spec.init_containers.iter().flatten().chain(&spec.containers) {
                assert!(
                    names.insert(container.name.clone()),
                    "duplicate container name in {pod}"
                );
            }
        }
    }

    #[test]
    fn windows_pods_set_no_linux_only_fields() {
        let linux_only = [
            "seccompProfile",
            "appArmorProfile",
            "seLinuxOptions",
            "sysctls",
            "runAsUser",
            "runAsGroup",
            "capabilities",
            "privileged",
            "allowPrivilegeEscalation",
            "procMount",
            "readOnlyRootFilesystem",
            "hostUsers",
        ];
        let windows: Vec<Value> = pods(11, 1000)
            .into_iter()
            .filter(|pod| pod["spec"]["os"]["name"] == "windows")
            .filter(|pod| pod["metadata"]["annotations"][INVALID_ANNOTATION].is_null())
            .collect();
        assert!(windows.len() > 50, "{} windows pods", windows.len());
        for pod in windows {
            let text = pod["spec"].to_string();
            for field in linux_only {
                assert!(!text.contains(&format!("\"{field}\"")), "{field} in {pod}");
            }
        }
    }

    #[test]
    fn fields_the_standard_reads_get_allowed_and_forbidden_values() {
        let text: String = pods(3, 2000).iter().map(Value::to_string).collect();
        for needle in [
            "\"hostNetwork\":true",
            "\"hostPID\":true",
            "\"hostIPC\":true",
            "\"hostUsers\":false",
            "\"privileged\":true",
            "\"allowPrivilegeEscalation\":true",
            "\"allowPrivilegeEscalation\":false",
            "\"runAsNonRoot\":false",
            "\"runAsUser\":0",
            "\"type\":\"Unconfined\"",
            "\"type\":\"Localhost\"",
            "\"procMount\":\"Unmasked\"",
            "\"procMount\":\"Default\"",
            "\"SYS_ADMIN\"",
            "\"NET_RAW\"",
            "\"spc_t\"",
            "\"container_engine_t\"",
            "\"user\":\"system_u\"",
            "kernel.msgmax",
            "net.ipv4.tcp_keepalive_time",
            "net.ipv4.tcp_notsent_lowat",
            "\"hostPort\":0",
            "\"hostPort\":8080",
            "\"hostPath\"",
            "\"nfs\"",
            "\"gitRepo\"",
            "\"iscsi\"",
            "\"image\":{",
            "\"host\":\"10.0.0.1\"",
            "\"host\":\"\"",
            "\"hostProcess\":true",
            "\"restartPolicy\":\"Always\"",
            "\"container.apparmor.security.beta.kubernetes.io/app-0\":\"unconfined\"",
            "\"secretKeyRef\"",
            SECRET_VALUE_PREFIX,
            INVALID_ANNOTATION,
        ] {
            assert!(text.contains(needle), "no pod has {needle}");
        }
    }

    #[test]
    fn secret_values_appear_only_as_env_values() {
        for pod in pods(5, 300) {
            let mut without_env = pod.clone();
            for list in ["initContainers", "containers"] {
                if let Some(containers) = without_env["spec"][list].as_array_mut() {
                    for container in containers {
                        if let Some(container) = container.as_object_mut() {
                            container.remove("env");
                        }
                    }
                }
            }
            assert!(!without_env.to_string().contains(SECRET_VALUE_PREFIX), "{pod}");
        }
    }
}
