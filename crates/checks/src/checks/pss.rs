//! The Pod Security Standards controls, one check each, as the standard defines them at every
//! version from v1.0 to [`PssVersion::NEWEST`] (the version is `params.pss_version`): every
//! listed field of the pod, its containers, init containers and ephemeral containers, with the
//! pod-level/container-level precedence the standard states. Each control follows the versioned
//! implementations of the Pod Security admission (`k8s.io/pod-security-admission/policy`): a
//! control that did not exist yet passes, and allowed values, the Windows exemptions (v1.25)
//! and the user-namespace relaxations (v1.35) apply from the version that introduced them.

use std::sync::Arc;

use palisade_crds::{Profile, Severity};

use crate::catalog::{Category, CheckDef, Eval, Expect, Fixture, PssControl, PssLevel};
use crate::engine::{ContainerView, Violation, WorkloadCtx};
use crate::pss::PssVersion;

const fn pss(level: PssLevel, control: &'static str) -> Option<PssControl> {
    Some(PssControl { level, control })
}

const NSA_POD_SECURITY: &[&str] = &["Pod security: pod security enforcement"];
const NSA_NON_ROOT: &[&str] = &["Pod security: non-root containers and rootless container engines"];

/// Capabilities the baseline level allows a container to add.
pub const BASELINE_CAPABILITIES: &[&str] = &[
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
];

/// Sysctls the baseline level allows, each with the version that allowed it.
pub const SAFE_SYSCTLS: &[(&str, PssVersion)] = &[
    ("kernel.shm_rmid_forced", PssVersion::OLDEST),
    ("net.ipv4.ip_local_port_range", PssVersion::OLDEST),
    ("net.ipv4.ip_unprivileged_port_start", PssVersion::OLDEST),
    ("net.ipv4.tcp_syncookies", PssVersion::OLDEST),
    ("net.ipv4.ping_group_range", PssVersion::OLDEST),
    ("net.ipv4.ip_local_reserved_ports", PssVersion::v1(27)),
    ("net.ipv4.tcp_keepalive_time", PssVersion::v1(29)),
    ("net.ipv4.tcp_fin_timeout", PssVersion::v1(29)),
    ("net.ipv4.tcp_keepalive_intvl", PssVersion::v1(29)),
    ("net.ipv4.tcp_keepalive_probes", PssVersion::v1(29)),
    ("net.ipv4.tcp_rmem", PssVersion::v1(32)),
    ("net.ipv4.tcp_wmem", PssVersion::v1(32)),
    ("net.ipv4.tcp_slow_start_after_idle", PssVersion::v1(37)),
    ("net.ipv4.tcp_notsent_lowat", PssVersion::v1(37)),
];

/// SELinux types the baseline level allows (besides undefined and ""), each with the version
/// that allowed it.
pub const SELINUX_TYPES: &[(&str, PssVersion)] = &[
    ("container_t", PssVersion::OLDEST),
    ("container_init_t", PssVersion::OLDEST),
    ("container_kvm_t", PssVersion::OLDEST),
    ("container_engine_t", PssVersion::v1(31)),
];

/// Whether `name` is in a table of values allowed from a version on, at `version`.
fn allowed_at(table: &[(&str, PssVersion)], name: &str, version: PssVersion) -> bool {
    table
        .iter()
        .any(|&(allowed, since)| allowed == name && version >= since)
}

/// Annotations that set seccomp profiles before the `seccompProfile` field (judged up to v1.18).
pub(crate) const SECCOMP_POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
pub(crate) const SECCOMP_CONTAINER_ANNOTATION_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";

/// The version each control, Windows exemption and user-namespace relaxation starts at.
const PRIVILEGE_ESCALATION_SINCE: PssVersion = PssVersion::v1(8);
const SECCOMP_FIELD_SINCE: PssVersion = PssVersion::v1(19);
const CAPABILITIES_RESTRICTED_SINCE: PssVersion = PssVersion::v1(22);
const RUN_AS_USER_SINCE: PssVersion = PssVersion::v1(23);
const WINDOWS_EXEMPT_SINCE: PssVersion = PssVersion::v1(25);
const PROBE_HOST_SINCE: PssVersion = PssVersion::v1(34);
const USER_NAMESPACE_RELAXED_SINCE: PssVersion = PssVersion::v1(35);

/// Volume sources the restricted level allows.
pub const RESTRICTED_VOLUME_TYPES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

pub(crate) const APPARMOR_ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

pub static CHECKS: &[CheckDef] = &[
    CheckDef {
        id: "pod.host-process",
        title: "Windows HostProcess containers are not used",
        severity: Severity::Critical,
        category: Category::Runtime,
        required_in: Some(Profile::Baseline),
        pss: pss(PssLevel::Baseline, "HostProcess"),
        cis: &["5.2.11"],
        nsa: NSA_POD_SECURITY,
        fails_when: "a Windows HostProcess container is requested",
        remediation: "Remove `windowsOptions.hostProcess: true` from the pod and container security contexts; run node-level Windows tooling outside application namespaces.",
        reads_secret_data: false,
        eval: Eval::Workload(host_process),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {os: {name: windows}, hostNetwork: true, securityContext: {windowsOptions: {hostProcess: true}}, containers: [{name: c, image: x}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x, securityContext: {windowsOptions: {hostProcess: false}}}]}}",
            },
        ],
    },
    CheckDef {
        id: "pod.host-namespaces",
        title: "Host namespaces are not shared",
        severity: Severity::High,
        category: Category::Runtime,
        required_in: Some(Profile::Baseline),
        pss: pss(PssLevel::Baseline, "Host Namespaces"),
        cis: &["5.2.3", "5.2.4", "5.2.5"],
        nsa: NSA_POD_SECURITY,
        fails_when: "hostNetwork, hostPID or hostIPC is true",
        remediation: "Remove `hostNetwork`, `hostPID` and `hostIPC` (or set them to false).",
        reads_secret_data: false,
        eval: Eval::Workload(host_namespaces),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {hostPID: true, containers: [{name: c, image: x}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {hostNetwork: false, containers: [{name: c, image: x}]}}",
            },
        ],
    },
    CheckDef {
        id: "pod.privileged",
        title: "Containers are not privileged",
        severity: Severity::Critical,
        category: Category::Runtime,
        required_in: Some(Profile::Baseline),
        pss: pss(PssLevel::Baseline, "Privileged Containers"),
        cis: &["5.2.2"],
        nsa: NSA_POD_SECURITY,
        fails_when: "a container is privileged",
        remediation: "Remove `securityContext.privileged: true`; grant only the specific capabilities the process needs.",
        reads_secret_data: false,
        eval: Eval::Workload(privileged),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: apps/v1, kind: Deployment, metadata: {name: d}, spec: {selector: {}, template: {spec: {initContainers: [{name: init, image: x, securityContext: {privileged: true}}], containers: [{name: c, image: x}]}}}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x, securityContext: {privileged: false}}]}}",
            },
        ],
    },
    CheckDef {
        id: "pod.capabilities-baseline",
        title: "No capabilities beyond the default set are added",
        severity: Severity::High,
        category: Category::Runtime,
        required_in: Some(Profile::Baseline),
        pss: pss(PssLevel::Baseline, "Capabilities"),
        cis: &["5.2.9"],
        nsa: NSA_POD_SECURITY,
        fails_when: "a capability outside the baseline default set is added",
        remediation: "Remove capabilities such as SYS_ADMIN or NET_ADMIN from `securityContext.capabilities.add`; the baseline allows only AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID and SYS_CHROOT.",
        reads_secret_data: false,
        eval: Eval::Workload(capabilities_baseline),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x, securityContext: {capabilities: {add: [SYS_ADMIN]}}}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x, securityContext: {capabilities: {add: [CHOWN, NET_BIND_SERVICE]}}}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: palisade.dev/v1alpha1, kind: HardeningBaseline, metadata: {name: b}, spec: {profile: baseline, namespaces: [default], parameters: {allowedCapabilities: [NET_RAW]}}}\n---\n{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x, securityContext: {capabilities: {add: [NET_RAW]}}}]}}",
            },
        ],
    },
    CheckDef {
        id: "pod.host-path",
        title: "hostPath volumes are not used",
        severity: Severity::High,
        category: Category::Runtime,
        required_in: Some(Profile::Baseline),
        pss: pss(PssLevel::Baseline, "HostPath Volumes"),
        cis: &["5.2.12"],
        nsa: NSA_POD_SECURITY,
        fails_when: "a hostPath volume is used",
        remediation: "Replace hostPath volumes with emptyDir, ConfigMap, Secret or PersistentVolumeClaim volumes.",
        reads_secret_data: false,
        eval: Eval::Workload(host_path),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {volumes: [{name: v, hostPath: {path: /etc}}], containers: [{name: c, image: x}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {volumes: [{name: v, emptyDir: {}}], containers: [{name: c, image: x}]}}",
            },
        ],
    },
    CheckDef {
        id: "pod.host-ports",
        title: "Host ports are not used",
        severity: Severity::Medium,
        category: Category::Runtime,
        required_in: Some(Profile::Baseline),
        pss: pss(PssLevel::Baseline, "Host Ports"),
        cis: &["5.2.13"],
        nsa: NSA_POD_SECURITY,
        fails_when: "a container uses a host port",
        remediation: "Remove `hostPort` from container ports; expose the workload through a Service.",
        reads_secret_data: false,
        eval: Eval::Workload(host_ports),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x, ports: [{containerPort: 80, hostPort: 8080}]}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x, ports: [{containerPort: 80, hostPort: 0}]}]}}",
            },
        ],
    },
    CheckDef {
        id: "pod.probe-host",
        title: "Probes and lifecycle hooks do not target another host",
        severity: Severity::Medium,
        category: Category::Runtime,
        required_in: Some(Profile::Baseline),
        pss: pss(PssLevel::Baseline, "Host Probes / Lifecycle Hooks"),
        cis: &[],
        nsa: NSA_POD_SECURITY,
        fails_when: "a probe or lifecycle hook sets an httpGet or tcpSocket host",
        remediation: "Remove `host` from httpGet and tcpSocket probes and lifecycle hooks; they then target the pod itself.",
        reads_secret_data: false,
        eval: Eval::Workload(probe_host),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x, livenessProbe: {tcpSocket: {port: 80, host: 10.0.0.1}}}]}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x, lifecycle: {preStop: {httpGet: {port: 80, host: example.com}}}}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x, readinessProbe: {httpGet: {port: 80, path: /healthz}}}]}}",
            },
        ],
    },
    CheckDef {
        id: "pod.apparmor",
        title: "AppArmor is not disabled or overridden",
        severity: Severity::Medium,
        category: Category::Runtime,
        required_in: Some(Profile::Baseline),
        pss: pss(PssLevel::Baseline, "AppArmor"),
        cis: &[],
        nsa: NSA_POD_SECURITY,
        fails_when: "an AppArmor profile other than runtime default or localhost is set",
        remediation: "Use `appArmorProfile.type: RuntimeDefault` (or a Localhost profile) and remove `Unconfined` profiles and annotations.",
        reads_secret_data: false,
        eval: Eval::Workload(apparmor),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {securityContext: {appArmorProfile: {type: Unconfined}}, containers: [{name: c, image: x}]}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p, annotations: {container.apparmor.security.beta.kubernetes.io/c: unconfined}}, spec: {containers: [{name: c, image: x}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p, annotations: {container.apparmor.security.beta.kubernetes.io/c: localhost/custom}}, spec: {containers: [{name: c, image: x, securityContext: {appArmorProfile: {type: RuntimeDefault}}}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p, annotations: {container.apparmor.security.beta.kubernetes.io/c: ''}}, spec: {containers: [{name: c, image: x}]}}",
            },
        ],
    },
    CheckDef {
        id: "pod.selinux",
        title: "SELinux options stay within the allowed values",
        severity: Severity::Medium,
        category: Category::Runtime,
        required_in: Some(Profile::Baseline),
        pss: pss(PssLevel::Baseline, "SELinux"),
        cis: &[],
        nsa: NSA_POD_SECURITY,
        fails_when: "SELinux type, user or role outside the allowed values",
        remediation: "Remove custom `seLinuxOptions.user` and `role`; use a type of container_t, container_init_t, container_kvm_t or container_engine_t, or leave it unset.",
        reads_secret_data: false,
        eval: Eval::Workload(selinux),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x, securityContext: {seLinuxOptions: {type: spc_t}}}]}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {securityContext: {seLinuxOptions: {user: system_u}}, containers: [{name: c, image: x}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {securityContext: {seLinuxOptions: {type: container_t, level: 's0:c1,c2'}}, containers: [{name: c, image: x}]}}",
            },
        ],
    },
    CheckDef {
        id: "pod.proc-mount",
        title: "The default /proc mount is used",
        severity: Severity::Medium,
        category: Category::Runtime,
        required_in: Some(Profile::Baseline),
        pss: pss(PssLevel::Baseline, "/proc Mount Type"),
        cis: &[],
        nsa: NSA_POD_SECURITY,
        fails_when: "procMount is not Default in a pod that shares the host's user namespace",
        remediation: "Remove `securityContext.procMount` or set it to `Default`; an Unmasked /proc is tolerated at this level only in pods with their own user namespace (`hostUsers: false`).",
        reads_secret_data: false,
        eval: Eval::Workload(proc_mount),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x, securityContext: {procMount: Unmasked}}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x, securityContext: {procMount: Default}}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {hostUsers: false, containers: [{name: c, image: x, securityContext: {procMount: Unmasked}}]}}",
            },
        ],
    },
    CheckDef {
        id: "pod.proc-mount-restricted",
        title: "The default /proc mount is used, even in a user namespace",
        severity: Severity::Medium,
        category: Category::Runtime,
        required_in: Some(Profile::Restricted),
        pss: pss(PssLevel::Restricted, "/proc Mount Type"),
        cis: &[],
        nsa: NSA_POD_SECURITY,
        fails_when: "procMount is not Default, whether or not the pod has its own user namespace",
        remediation: "Remove `securityContext.procMount` or set it to `Default`.",
        reads_secret_data: false,
        eval: Eval::Workload(proc_mount_restricted),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {hostUsers: false, containers: [{name: c, image: x, securityContext: {procMount: Unmasked}}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {hostUsers: false, containers: [{name: c, image: x}]}}",
            },
        ],
    },
    CheckDef {
        id: "pod.seccomp-baseline",
        title: "Seccomp is not disabled",
        severity: Severity::Medium,
        category: Category::Runtime,
        required_in: Some(Profile::Baseline),
        pss: pss(PssLevel::Baseline, "Seccomp"),
        cis: &["5.7.2"],
        nsa: NSA_POD_SECURITY,
        fails_when: "a seccomp profile is Unconfined",
        remediation: "Replace `seccompProfile.type: Unconfined` with `RuntimeDefault` (or a Localhost profile).",
        reads_secret_data: false,
        eval: Eval::Workload(seccomp_baseline),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x, securityContext: {seccompProfile: {type: Unconfined}}}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x}]}}",
            },
        ],
    },
    CheckDef {
        id: "pod.sysctls",
        title: "Only safe sysctls are set",
        severity: Severity::Medium,
        category: Category::Runtime,
        required_in: Some(Profile::Baseline),
        pss: pss(PssLevel::Baseline, "Sysctls"),
        cis: &[],
        nsa: NSA_POD_SECURITY,
        fails_when: "an unsafe sysctl is set",
        remediation: "Remove sysctls outside the safe set from `securityContext.sysctls`; tune nodes instead.",
        reads_secret_data: false,
        eval: Eval::Workload(sysctls),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {securityContext: {sysctls: [{name: kernel.msgmax, value: '65536'}]}, containers: [{name: c, image: x}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {securityContext: {sysctls: [{name: net.ipv4.tcp_syncookies, value: '1'}]}, containers: [{name: c, image: x}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {securityContext: {sysctls: [{name: net.ipv4.tcp_rmem, value: '4096 87380 6291456'}]}, containers: [{name: c, image: x}]}}",
            },
        ],
    },
    CheckDef {
        id: "pod.volume-types",
        title: "Only core volume types are used",
        severity: Severity::Medium,
        category: Category::Runtime,
        required_in: Some(Profile::Restricted),
        pss: pss(PssLevel::Restricted, "Volume Types"),
        cis: &[],
        nsa: NSA_POD_SECURITY,
        fails_when: "a volume type outside the restricted list",
        remediation: "Use only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected and secret volumes; reach other storage through PersistentVolumeClaims.",
        reads_secret_data: false,
        eval: Eval::Workload(volume_types),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {volumes: [{name: v, nfs: {server: nfs.example.com, path: /}}], containers: [{name: c, image: x}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {volumes: [{name: a, configMap: {name: m}}, {name: b, persistentVolumeClaim: {claimName: c}}], containers: [{name: c, image: x}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {volumes: [{name: v, image: {reference: 'registry.example.com/data:1'}}], containers: [{name: c, image: x}]}}",
            },
        ],
    },
    CheckDef {
        id: "pod.privilege-escalation",
        title: "Privilege escalation is disallowed",
        severity: Severity::High,
        category: Category::Runtime,
        required_in: Some(Profile::Restricted),
        pss: pss(PssLevel::Restricted, "Privilege Escalation"),
        cis: &["5.2.6"],
        nsa: NSA_POD_SECURITY,
        fails_when: "allowPrivilegeEscalation is not false",
        remediation: "Set `securityContext.allowPrivilegeEscalation: false` on every container.",
        reads_secret_data: false,
        eval: Eval::Workload(privilege_escalation),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x, securityContext: {allowPrivilegeEscalation: false}}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {os: {name: windows}, containers: [{name: c, image: x}]}}",
            },
        ],
    },
    CheckDef {
        id: "pod.run-as-non-root",
        title: "Containers must run as non-root",
        severity: Severity::Medium,
        category: Category::Runtime,
        required_in: Some(Profile::Restricted),
        pss: pss(PssLevel::Restricted, "Running as Non-root"),
        cis: &["5.2.7"],
        nsa: NSA_NON_ROOT,
        fails_when: "runAsNonRoot is not true (pods with their own user namespace, `hostUsers: false`, are exempt)",
        remediation: "Set `securityContext.runAsNonRoot: true` on the pod (or on every container) and run the image as a non-zero UID.",
        reads_secret_data: false,
        eval: Eval::Workload(run_as_non_root),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {securityContext: {runAsNonRoot: true}, containers: [{name: c, image: x, securityContext: {runAsNonRoot: false}}]}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: a, image: x, securityContext: {runAsNonRoot: true}}, {name: b, image: x}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {securityContext: {runAsNonRoot: true}, containers: [{name: c, image: x}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {hostUsers: false, containers: [{name: c, image: x, securityContext: {runAsNonRoot: false}}]}}",
            },
        ],
    },
    CheckDef {
        id: "pod.run-as-user",
        title: "Containers do not run as UID 0",
        severity: Severity::High,
        category: Category::Runtime,
        required_in: Some(Profile::Restricted),
        pss: pss(PssLevel::Restricted, "Running as Non-root user"),
        cis: &["5.2.7"],
        nsa: NSA_NON_ROOT,
        fails_when: "runAsUser is 0 (pods with their own user namespace, `hostUsers: false`, are exempt)",
        remediation: "Set `runAsUser` to a non-zero UID, or remove it and let the image's non-root user apply.",
        reads_secret_data: false,
        eval: Eval::Workload(run_as_user),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {securityContext: {runAsUser: 0}, containers: [{name: c, image: x, securityContext: {runAsUser: 1000}}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {securityContext: {runAsUser: 1000}, containers: [{name: c, image: x}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {hostUsers: false, securityContext: {runAsUser: 0}, containers: [{name: c, image: x}]}}",
            },
        ],
    },
    CheckDef {
        id: "pod.seccomp-restricted",
        title: "A seccomp profile is enforced",
        severity: Severity::Medium,
        category: Category::Runtime,
        required_in: Some(Profile::Restricted),
        pss: pss(PssLevel::Restricted, "Seccomp"),
        cis: &["5.7.2"],
        nsa: NSA_POD_SECURITY,
        fails_when: "seccomp is neither RuntimeDefault nor Localhost",
        remediation: "Set `securityContext.seccompProfile.type: RuntimeDefault` on the pod (or on every container).",
        reads_secret_data: false,
        eval: Eval::Workload(seccomp_restricted),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: a, image: x, securityContext: {seccompProfile: {type: RuntimeDefault}}}, {name: b, image: x}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {securityContext: {seccompProfile: {type: RuntimeDefault}}, containers: [{name: c, image: x, securityContext: {seccompProfile: {type: Localhost, localhostProfile: p.json}}}]}}",
            },
        ],
    },
    CheckDef {
        id: "pod.capabilities-restricted",
        title: "All capabilities are dropped",
        severity: Severity::Medium,
        category: Category::Runtime,
        required_in: Some(Profile::Restricted),
        pss: pss(PssLevel::Restricted, "Capabilities"),
        cis: &["5.2.8", "5.2.10"],
        nsa: NSA_POD_SECURITY,
        fails_when: "ALL is not dropped, or anything but NET_BIND_SERVICE is added",
        remediation: "Set `securityContext.capabilities.drop: [ALL]` on every container and add back at most NET_BIND_SERVICE.",
        reads_secret_data: false,
        eval: Eval::Workload(capabilities_restricted),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x, securityContext: {capabilities: {drop: [NET_RAW]}}}]}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x, securityContext: {capabilities: {drop: [ALL], add: [CHOWN]}}}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x, securityContext: {capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}}}]}}",
            },
        ],
    },
];

fn each_container(ctx: &WorkloadCtx, violation: impl Fn(&ContainerView) -> Option<String>) -> Vec<Violation> {
    ctx.containers()
        .filter_map(|container| violation(&container).map(|message| Violation::container(&container, message)))
        .collect()
}

fn host_process(ctx: &WorkloadCtx) -> Vec<Violation> {
    let pod_level = ctx
        .spec()
        .security_context
        .as_ref()
        .and_then(|sc| sc.windows_options.as_ref());
    let mut violations: Vec<Violation> = (pod_level.and_then(|options| options.host_process) == Some(true))
        .then(|| Violation::pod("securityContext.windowsOptions.hostProcess is true"))
        .into_iter()
        .collect();
    violations.extend(each_container(ctx, |container| {
        let options = container.security_context?.windows_options.as_ref()?;
        (options.host_process == Some(true)).then(|| "securityContext.windowsOptions.hostProcess is true".into())
    }));
    violations
}

fn host_namespaces(ctx: &WorkloadCtx) -> Vec<Violation> {
    let spec = ctx.spec();
    let shared: Vec<&str> = [
        ("hostNetwork", spec.host_network),
        ("hostPID", spec.host_pid),
        ("hostIPC", spec.host_ipc),
    ]
    .into_iter()
    .filter(|(_, value)| *value == Some(true))
    .map(|(field, _)| field)
    .collect();
    if shared.is_empty() {
        return Vec::new();
    }
    vec![Violation::pod(format!("{} true", shared.join(", ")))]
}

fn privileged(ctx: &WorkloadCtx) -> Vec<Violation> {
    each_container(ctx, |container| {
        (container.security_context?.privileged == Some(true)).then(|| "securityContext.privileged is true".into())
    })
}

fn added_capabilities<'a>(container: &ContainerView<'a>) -> &'a [String] {
    container
        .security_context
        .and_then(|sc| sc.capabilities.as_ref())
        .and_then(|caps| caps.add.as_deref())
        .unwrap_or_default()
}

fn capabilities_baseline(ctx: &WorkloadCtx) -> Vec<Violation> {
    let allowed = |cap: &str| {
        BASELINE_CAPABILITIES.contains(&cap) || ctx.params.allowed_capabilities.iter().any(|extra| extra == cap)
    };
    each_container(ctx, |container| {
        let forbidden: Vec<&str> = added_capabilities(container)
            .iter()
            .map(String::as_str)
            .filter(|cap| !allowed(cap))
            .collect();
        (!forbidden.is_empty()).then(|| format!("adds capabilities {}", forbidden.join(", ")))
    })
}

fn host_path(ctx: &WorkloadCtx) -> Vec<Violation> {
    ctx.volumes()
        .iter()
        .filter_map(|volume| {
            let host_path = volume.host_path.as_ref()?;
            Some(Violation::pod(format!(
                "volume {} mounts hostPath {host_path}",
                volume.name
            )))
        })
        .collect()
}

fn host_ports(ctx: &WorkloadCtx) -> Vec<Violation> {
    each_container(ctx, |container| {
        let ports: Vec<String> = container
            .ports
            .iter()
            .filter_map(|port| port.host_port.filter(|&host_port| host_port != 0))
            .map(|host_port| host_port.to_string())
            .collect();
        (!ports.is_empty()).then(|| format!("uses host ports {}", ports.join(", ")))
    })
}

fn probe_host(ctx: &WorkloadCtx) -> Vec<Violation> {
    if !since(ctx, PROBE_HOST_SINCE) {
        return Vec::new();
    }
    each_container(ctx, |container| {
        let hosts = container.handler_hosts;
        (!hosts.is_empty()).then(|| format!("probes or lifecycle hooks target host {}", hosts.join(", ")))
    })
}

fn apparmor_type_allowed(profile_type: &str) -> bool {
    matches!(profile_type, "RuntimeDefault" | "Localhost")
}

fn apparmor(ctx: &WorkloadCtx) -> Vec<Violation> {
    let mut violations = Vec::new();
    let pod_profile = ctx
        .spec()
        .security_context
        .as_ref()
        .and_then(|sc| sc.app_armor_profile.as_ref());
    if let Some(profile) = pod_profile.filter(|profile| !apparmor_type_allowed(&profile.type_)) {
        violations.push(Violation::pod(format!(
            "securityContext.appArmorProfile.type is {}",
            profile.type_
        )));
    }
    violations.extend(each_container(ctx, |container| {
        let profile = container.security_context?.app_armor_profile.as_ref()?;
        (!apparmor_type_allowed(&profile.type_))
            .then(|| format!("securityContext.appArmorProfile.type is {}", profile.type_))
    }));
    for (key, value) in &ctx.workload.pod_metadata.annotations {
        let Some(container) = key.strip_prefix(APPARMOR_ANNOTATION_PREFIX) else {
            continue;
        };
        if !value.is_empty() && value != "runtime/default" && !value.starts_with("localhost/") {
            violations.push(Violation {
                container: Some(Arc::from(container)),
                message: format!("annotation {key} is {value:?}").into(),
            });
        }
    }
    violations
}

fn selinux_violation(options: &k8s_openapi::api::core::v1::SELinuxOptions, version: PssVersion) -> Option<String> {
    let set = |value: &Option<String>| value.as_deref().filter(|v| !v.is_empty()).map(str::to_string);
    let mut problems = Vec::new();
    if let Some(selinux_type) = set(&options.type_).filter(|t| !allowed_at(SELINUX_TYPES, t, version)) {
        problems.push(format!("type {selinux_type}"));
    }
    if let Some(user) = set(&options.user) {
        problems.push(format!("user {user}"));
    }
    if let Some(role) = set(&options.role) {
        problems.push(format!("role {role}"));
    }
    (!problems.is_empty()).then(|| format!("seLinuxOptions set {}", problems.join(", ")))
}

fn selinux(ctx: &WorkloadCtx) -> Vec<Violation> {
    let pod_options = ctx
        .spec()
        .security_context
        .as_ref()
        .and_then(|sc| sc.se_linux_options.as_ref());
    let version = ctx.params.pss_version;
    let mut violations: Vec<Violation> = pod_options
        .and_then(|options| selinux_violation(options, version))
        .map(Violation::pod)
        .into_iter()
        .collect();
    violations.extend(each_container(ctx, |container| {
        selinux_violation(container.security_context?.se_linux_options.as_ref()?, version)
    }));
    violations
}

/// Whether the judged version has the control, exemption or relaxation introduced at `version`.
fn since(ctx: &WorkloadCtx, version: PssVersion) -> bool {
    ctx.params.pss_version >= version
}

/// Whether a Linux-only restricted control exempts the pod as a Windows pod (from v1.25).
fn windows_exempt(ctx: &WorkloadCtx) -> bool {
    ctx.is_windows() && since(ctx, WINDOWS_EXEMPT_SINCE)
}

/// Whether the pod runs in its own user namespace, where root and an unmasked /proc map to an
/// unprivileged host user; from v1.35 the standard relaxes the user and /proc controls for
/// such pods.
fn relaxed_for_user_namespace(ctx: &WorkloadCtx) -> bool {
    ctx.spec().host_users == Some(false) && since(ctx, USER_NAMESPACE_RELAXED_SINCE)
}

fn proc_mount(ctx: &WorkloadCtx) -> Vec<Violation> {
    if relaxed_for_user_namespace(ctx) {
        return Vec::new();
    }
    unmasked_proc_mounts(ctx)
}

/// Before v1.35 the baseline control forbade what this one does, in every pod.
fn proc_mount_restricted(ctx: &WorkloadCtx) -> Vec<Violation> {
    if !since(ctx, USER_NAMESPACE_RELAXED_SINCE) {
        return Vec::new();
    }
    unmasked_proc_mounts(ctx)
}

fn unmasked_proc_mounts(ctx: &WorkloadCtx) -> Vec<Violation> {
    each_container(ctx, |container| {
        let proc_mount = container.security_context?.proc_mount.as_deref()?;
        (proc_mount != "Default").then(|| format!("securityContext.procMount is {proc_mount}"))
    })
}

fn seccomp_type(profile: Option<&k8s_openapi::api::core::v1::SeccompProfile>) -> Option<&str> {
    profile.map(|profile| profile.type_.as_str())
}

fn seccomp_allowed(profile_type: &str) -> bool {
    matches!(profile_type, "RuntimeDefault" | "Localhost")
}

/// Up to v1.18 the control reads the seccomp annotations; from v1.19 the `seccompProfile` fields.
fn seccomp_baseline(ctx: &WorkloadCtx) -> Vec<Violation> {
    if !since(ctx, SECCOMP_FIELD_SINCE) {
        return seccomp_annotations(ctx);
    }
    let pod_type = seccomp_type(
        ctx.spec()
            .security_context
            .as_ref()
            .and_then(|sc| sc.seccomp_profile.as_ref()),
    );
    let mut violations: Vec<Violation> = pod_type
        .filter(|t| !seccomp_allowed(t))
        .map(|t| Violation::pod(format!("securityContext.seccompProfile.type is {t}")))
        .into_iter()
        .collect();
    violations.extend(each_container(ctx, |container| {
        let container_type = seccomp_type(container.security_context?.seccomp_profile.as_ref())?;
        (!seccomp_allowed(container_type)).then(|| format!("securityContext.seccompProfile.type is {container_type}"))
    }));
    violations
}

fn seccomp_annotation_allowed(value: &str) -> bool {
    matches!(value, "runtime/default" | "docker/default") || value.starts_with("localhost/")
}

fn seccomp_annotations(ctx: &WorkloadCtx) -> Vec<Violation> {
    let annotations = &ctx.workload.pod_metadata.annotations;
    let annotation = |key: &str| annotations.get(key).filter(|value| !seccomp_annotation_allowed(value));
    let mut violations: Vec<Violation> = annotation(SECCOMP_POD_ANNOTATION)
        .map(|value| Violation::pod(format!("annotation {SECCOMP_POD_ANNOTATION} is {value:?}")))
        .into_iter()
        .collect();
    violations.extend(each_container(ctx, |container| {
        let key = format!("{SECCOMP_CONTAINER_ANNOTATION_PREFIX}{}", container.name);
        annotation(&key).map(|value| format!("annotation {key} is {value:?}"))
    }));
    violations
}

fn sysctls(ctx: &WorkloadCtx) -> Vec<Violation> {
    let sysctls = ctx
        .spec()
        .security_context
        .as_ref()
        .and_then(|sc| sc.sysctls.as_deref());
    let unsafe_names: Vec<&str> = sysctls
        .unwrap_or_default()
        .iter()
        .map(|sysctl| sysctl.name.as_str())
        .filter(|name| !allowed_at(SAFE_SYSCTLS, name, ctx.params.pss_version))
        .collect();
    if unsafe_names.is_empty() {
        return Vec::new();
    }
    vec![Violation::pod(format!(
        "sets unsafe sysctls {}",
        unsafe_names.join(", ")
    ))]
}

fn volume_types(ctx: &WorkloadCtx) -> Vec<Violation> {
    ctx.volumes()
        .iter()
        .filter_map(|volume| {
            let forbidden: Vec<&str> = volume
                .sources
                .iter()
                .copied()
                .filter(|source| !RESTRICTED_VOLUME_TYPES.contains(source))
                .collect();
            (!forbidden.is_empty())
                .then(|| Violation::pod(format!("volume {} uses {}", volume.name, forbidden.join(", "))))
        })
        .collect()
}

fn privilege_escalation(ctx: &WorkloadCtx) -> Vec<Violation> {
    if !since(ctx, PRIVILEGE_ESCALATION_SINCE) || windows_exempt(ctx) {
        return Vec::new();
    }
    each_container(ctx, |container| {
        let allowed = container.security_context.and_then(|sc| sc.allow_privilege_escalation);
        (allowed != Some(false)).then(|| match allowed {
            Some(true) => "securityContext.allowPrivilegeEscalation is true".into(),
            _ => "securityContext.allowPrivilegeEscalation is not set to false".into(),
        })
    })
}

fn run_as_non_root(ctx: &WorkloadCtx) -> Vec<Violation> {
    if relaxed_for_user_namespace(ctx) {
        return Vec::new();
    }
    let pod_level = ctx.spec().security_context.as_ref().and_then(|sc| sc.run_as_non_root);
    let mut violations = Vec::new();
    if pod_level == Some(false) {
        violations.push(Violation::pod("securityContext.runAsNonRoot is false"));
    }
    violations.extend(each_container(ctx, |container| {
        match container.security_context.and_then(|sc| sc.run_as_non_root) {
            Some(true) => None,
            Some(false) => Some("securityContext.runAsNonRoot is false".into()),
            None if pod_level == Some(true) => None,
            None => Some("securityContext.runAsNonRoot is not set to true on the container or the pod".into()),
        }
    }));
    violations
}

fn run_as_user(ctx: &WorkloadCtx) -> Vec<Violation> {
    if !since(ctx, RUN_AS_USER_SINCE) || relaxed_for_user_namespace(ctx) {
        return Vec::new();
    }
    let pod_level = ctx.spec().security_context.as_ref().and_then(|sc| sc.run_as_user);
    let mut violations: Vec<Violation> = (pod_level == Some(0))
        .then(|| Violation::pod("securityContext.runAsUser is 0"))
        .into_iter()
        .collect();
    violations.extend(each_container(ctx, |container| {
        (container.security_context?.run_as_user == Some(0)).then(|| "securityContext.runAsUser is 0".into())
    }));
    violations
}

fn seccomp_restricted(ctx: &WorkloadCtx) -> Vec<Violation> {
    if !since(ctx, SECCOMP_FIELD_SINCE) || windows_exempt(ctx) {
        return Vec::new();
    }
    let pod_type = seccomp_type(
        ctx.spec()
            .security_context
            .as_ref()
            .and_then(|sc| sc.seccomp_profile.as_ref()),
    );
    let mut violations = Vec::new();
    if let Some(pod_type) = pod_type.filter(|t| !seccomp_allowed(t)) {
        violations.push(Violation::pod(format!(
            "securityContext.seccompProfile.type is {pod_type}"
        )));
    }
    violations.extend(each_container(ctx, |container| {
        match seccomp_type(container.security_context.and_then(|sc| sc.seccomp_profile.as_ref())) {
            Some(t) if seccomp_allowed(t) => None,
            Some(t) => Some(format!("securityContext.seccompProfile.type is {t}")),
            None if pod_type.is_some() => None,
            None => Some("no seccompProfile is set on the container or the pod".into()),
        }
    }));
    violations
}

fn capabilities_restricted(ctx: &WorkloadCtx) -> Vec<Violation> {
    if !since(ctx, CAPABILITIES_RESTRICTED_SINCE) || windows_exempt(ctx) {
        return Vec::new();
    }
    each_container(ctx, |container| {
        let capabilities = container.security_context.and_then(|sc| sc.capabilities.as_ref());
        let drops_all = capabilities
            .and_then(|caps| caps.drop.as_deref())
            .is_some_and(|dropped| dropped.iter().any(|cap| cap == "ALL"));
        let extra: Vec<&str> = added_capabilities(container)
            .iter()
            .map(String::as_str)
            .filter(|cap| *cap != "NET_BIND_SERVICE")
            .collect();
        let mut problems = Vec::new();
        if !drops_all {
            problems.push("does not drop ALL capabilities".to_string());
        }
        if !extra.is_empty() {
            problems.push(format!("adds {}", extra.join(", ")));
        }
        (!problems.is_empty()).then(|| problems.join("; "))
    })
}
