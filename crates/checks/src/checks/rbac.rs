//! RBAC checks: what each RoleBinding and ClusterRoleBinding grants its subjects, judged from the
//! rules of the role it binds. A role the inventory lacks has no known rules, so only checks that
//! judge the binding itself (its roleRef or its subjects) can fail on it. A binding without
//! subjects grants nothing and never fails.

use k8s_openapi::api::rbac::v1::{PolicyRule, Subject};
use palisade_crds::{Profile, Severity};

mod unbound;

use crate::catalog::{Category, CheckDef, Eval, Expect, Fixture};
use crate::engine::Grant;

const NSA_RBAC: &[&str] = &["Authentication and authorization: role-based access control"];

const WILDCARD: &str = "*";
const CLUSTER_ADMIN: &str = "cluster-admin";
/// Default ClusterRoles that grant real access. Offline manifests rarely include the cluster's
/// bootstrap roles, so a binding to one of these names grants something even when its rules are
/// unknown.
const WELL_KNOWN_CLUSTER_ROLES: &[&str] = &[CLUSTER_ADMIN, "admin", "edit", "view"];

/// An API resource a permission is about; `group: None` matches the resource in any API group.
#[derive(Clone, Copy)]
struct Target {
    group: Option<&'static str>,
    resource: &'static str,
}

const fn core(resource: &'static str) -> Target {
    in_group("", resource)
}

const fn in_group(group: &'static str, resource: &'static str) -> Target {
    Target {
        group: Some(group),
        resource,
    }
}

const fn any_group(resource: &'static str) -> Target {
    Target { group: None, resource }
}

const SECRETS: &[Target] = &[core("secrets")];
const RBAC_ROLES: &[Target] = &[
    in_group("rbac.authorization.k8s.io", "roles"),
    in_group("rbac.authorization.k8s.io", "clusterroles"),
];
const IMPERSONATION: &[Target] = &[
    any_group("users"),
    any_group("groups"),
    any_group("serviceaccounts"),
    any_group("uids"),
    any_group("userextras"),
];
const POD_SHELLS: &[Target] = &[core("pods/exec"), core("pods/attach")];
const NODE_PROXY: &[Target] = &[core("nodes/proxy")];
const WORKLOADS: &[Target] = &[
    core("pods"),
    core("replicationcontrollers"),
    in_group("apps", "deployments"),
    in_group("apps", "replicasets"),
    in_group("apps", "statefulsets"),
    in_group("apps", "daemonsets"),
    in_group("batch", "jobs"),
    in_group("batch", "cronjobs"),
];
const ADMISSION_CONFIG: &[Target] = &[
    in_group("admissionregistration.k8s.io", "mutatingwebhookconfigurations"),
    in_group("admissionregistration.k8s.io", "validatingwebhookconfigurations"),
    in_group("admissionregistration.k8s.io", "validatingadmissionpolicies"),
    in_group("admissionregistration.k8s.io", "validatingadmissionpolicybindings"),
    in_group("admissionregistration.k8s.io", "mutatingadmissionpolicies"),
    in_group("admissionregistration.k8s.io", "mutatingadmissionpolicybindings"),
];
/// What every authenticated user may do to learn about the API and its own permissions.
const SELF_REVIEWS: &[Target] = &[
    in_group("authorization.k8s.io", "selfsubjectaccessreviews"),
    in_group("authorization.k8s.io", "selfsubjectrulesreviews"),
    in_group("authentication.k8s.io", "selfsubjectreviews"),
];

/// Resources outside namespaces besides [`ADMISSION_CONFIG`] (subresources go with their
/// resource). A RoleBinding grants its role's rules only on the namespaced resources of its own
/// namespace, so rules about these grant nothing through one. `namespaces` is not among them: a
/// RoleBinding does reach its own Namespace object (requests for a namespace are authorized in
/// that namespace).
const CLUSTER_SCOPED: &[Target] = &[
    core("nodes"),
    core("persistentvolumes"),
    core("componentstatuses"),
    in_group("rbac.authorization.k8s.io", "clusterroles"),
    in_group("rbac.authorization.k8s.io", "clusterrolebindings"),
    in_group("certificates.k8s.io", "certificatesigningrequests"),
    in_group("certificates.k8s.io", "clustertrustbundles"),
    in_group("apiextensions.k8s.io", "customresourcedefinitions"),
    in_group("apiregistration.k8s.io", "apiservices"),
    in_group("storage.k8s.io", "storageclasses"),
    in_group("storage.k8s.io", "csidrivers"),
    in_group("storage.k8s.io", "csinodes"),
    in_group("storage.k8s.io", "volumeattachments"),
    in_group("storage.k8s.io", "volumeattributesclasses"),
    in_group("scheduling.k8s.io", "priorityclasses"),
    in_group("node.k8s.io", "runtimeclasses"),
    in_group("networking.k8s.io", "ingressclasses"),
    in_group("networking.k8s.io", "ipaddresses"),
    in_group("networking.k8s.io", "servicecidrs"),
    in_group("flowcontrol.apiserver.k8s.io", "flowschemas"),
    in_group("flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations"),
    in_group("authentication.k8s.io", "tokenreviews"),
    in_group("authentication.k8s.io", "selfsubjectreviews"),
    in_group("authorization.k8s.io", "subjectaccessreviews"),
    in_group("authorization.k8s.io", "selfsubjectaccessreviews"),
    in_group("authorization.k8s.io", "selfsubjectrulesreviews"),
    in_group("resource.k8s.io", "deviceclasses"),
    in_group("metrics.k8s.io", "nodes"),
    // Impersonating a user, group, uid or user extra is authorized outside any namespace;
    // impersonating a service account is authorized in its namespace.
    any_group("users"),
    any_group("groups"),
    any_group("uids"),
    any_group("userextras"),
];

const READ_VERBS: &[&str] = &["get", "list", "watch"];
const WRITE_VERBS: &[&str] = &["create", "update", "patch", "delete"];

/// Verbs on resources that a check looks for.
struct Permission {
    verbs: &'static [&'static str],
    targets: &'static [Target],
}

const SECRETS_READ: &[Permission] = &[Permission {
    verbs: READ_VERBS,
    targets: SECRETS,
}];
const ESCALATION: &[Permission] = &[
    Permission {
        verbs: &["escalate", "bind"],
        targets: RBAC_ROLES,
    },
    Permission {
        verbs: &["impersonate"],
        targets: IMPERSONATION,
    },
];
const POD_SHELL: &[Permission] = &[Permission {
    verbs: &["create", "get"],
    targets: POD_SHELLS,
}];
const NODE_PROXY_USE: &[Permission] = &[Permission {
    verbs: &["get", "create", "update", "patch", "delete"],
    targets: NODE_PROXY,
}];
const WORKLOAD_CREATION: &[Permission] = &[Permission {
    verbs: &["create"],
    targets: WORKLOADS,
}];
const ADMISSION_WRITE: &[Permission] = &[Permission {
    verbs: WRITE_VERBS,
    targets: ADMISSION_CONFIG,
}];
/// What the High and Critical grant checks look for (besides all-wildcard rules, which
/// include all of it): a role granting any of it is dangerous to bind.
const DANGEROUS: &[&[Permission]] = &[SECRETS_READ, ESCALATION, POD_SHELL, NODE_PROXY_USE, ADMISSION_WRITE];

pub static CHECKS: &[CheckDef] = &[
    CheckDef {
        id: "rbac.cluster-admin-binding",
        title: "cluster-admin is not bound",
        severity: Severity::Critical,
        category: Category::ApiAccess,
        required_in: Some(Profile::Restricted),
        pss: None,
        cis: &["5.1.1"],
        nsa: NSA_RBAC,
        fails_when: "a binding grants the cluster-admin ClusterRole, or a role allowing every verb on every resource in every API group",
        remediation: "Bind a role that grants only the verbs and resources the subject needs; keep cluster-admin for break-glass accounts outside day-to-day use.",
        reads_secret_data: false,
        eval: Eval::Grant(cluster_admin_binding),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}, subjects: [{kind: User, name: alice}]}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: god}, rules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: god}, subjects: [{kind: ServiceAccount, name: ci}]}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: cluster-admin, labels: {kubernetes.io/bootstrapping: rbac-defaults}}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}, subjects: [{kind: Group, name: 'system:masters'}]}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: cluster-admin}, rules: [{apiGroups: [''], resources: [configmaps], verbs: [get]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: cluster-admin}, subjects: [{kind: User, name: alice}]}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}}",
            },
        ],
    },
    CheckDef {
        id: "rbac.wildcard",
        title: "Roles do not use wildcards",
        severity: Severity::High,
        category: Category::ApiAccess,
        required_in: Some(Profile::Restricted),
        pss: None,
        cis: &["5.1.3"],
        nsa: NSA_RBAC,
        fails_when: "a bound role has a rule with \"*\" in its verbs, resources or API groups",
        remediation: "List the verbs, resources and API groups explicitly; a wildcard also grants whatever future API versions and CRDs add.",
        reads_secret_data: false,
        eval: Eval::Grant(wildcard),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: r}, rules: [{apiGroups: [''], resources: [configmaps], verbs: ['*']}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}, subjects: [{kind: User, name: bob}]}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: r}, rules: [{apiGroups: ['*'], resources: [pods], verbs: [get]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: Group, name: dev}]}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: r}, rules: [{apiGroups: [''], resources: [configmaps], verbs: [get, list]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}, subjects: [{kind: User, name: bob}]}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: cluster-admin}, rules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}, subjects: [{kind: User, name: alice}]}",
            },
        ],
    },
    CheckDef {
        id: "rbac.secrets-read",
        title: "Secrets are not readable through RBAC",
        severity: Severity::High,
        category: Category::ApiAccess,
        required_in: Some(Profile::Restricted),
        pss: None,
        cis: &["5.1.2"],
        nsa: NSA_RBAC,
        fails_when: "a bound role allows get, list or watch on secrets",
        remediation: "Remove get, list and watch on secrets; mount the secrets a workload needs instead of reading them through the API, or restrict the rule with resourceNames.",
        reads_secret_data: false,
        eval: Eval::Grant(secrets_read),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: r}, rules: [{apiGroups: [''], resources: [secrets], verbs: [list]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}, subjects: [{kind: ServiceAccount, name: app}]}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: r}, rules: [{apiGroups: ['*'], resources: ['*'], verbs: [get]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: Group, name: dev}]}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: r}, rules: [{apiGroups: [''], resources: [secrets], verbs: [create, delete]}, {apiGroups: [example.com], resources: [secrets], verbs: [get]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}, subjects: [{kind: ServiceAccount, name: app}]}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: missing}, subjects: [{kind: ServiceAccount, name: app}]}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: monitoring}, aggregationRule: {clusterRoleSelectors: [{matchLabels: {rbac.example.com/aggregate-to-monitoring: 'true'}}]}}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: monitoring-secrets, labels: {rbac.example.com/aggregate-to-monitoring: 'true'}}, rules: [{apiGroups: [''], resources: [secrets], verbs: [list]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: monitoring}, subjects: [{kind: ServiceAccount, name: prometheus}]}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: monitoring}, aggregationRule: {clusterRoleSelectors: [{matchLabels: {rbac.example.com/aggregate-to-monitoring: 'true'}}]}, rules: [{apiGroups: [''], resources: [pods], verbs: [list]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: monitoring-secrets, labels: {rbac.example.com/aggregate-to-monitoring: 'true'}}, rules: [{apiGroups: [''], resources: [secrets], verbs: [list]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: monitoring}, subjects: [{kind: ServiceAccount, name: prometheus, namespace: metrics}]}",
            },
        ],
    },
    CheckDef {
        id: "rbac.escalation-verbs",
        title: "Privilege escalation verbs are not granted",
        severity: Severity::High,
        category: Category::ApiAccess,
        required_in: Some(Profile::Restricted),
        pss: None,
        cis: &["5.1.8"],
        nsa: NSA_RBAC,
        fails_when: "a bound role allows escalate or bind on roles or clusterroles, or impersonate on users, groups, service accounts, uids or user extras",
        remediation: "Remove escalate, bind and impersonate; only the cluster's own controllers and administrators should hold them.",
        reads_secret_data: false,
        eval: Eval::Grant(escalation_verbs),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: r}, rules: [{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind, escalate]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: User, name: alice}]}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: r}, rules: [{apiGroups: [''], resources: [serviceaccounts], verbs: [impersonate]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}, subjects: [{kind: User, name: alice}]}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: r}, rules: [{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [get, list]}, {apiGroups: [rbac.authorization.k8s.io], resources: [rolebindings], verbs: [create, bind]}, {apiGroups: [''], resources: [serviceaccounts], verbs: [get]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: User, name: alice}]}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: r}, rules: [{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [escalate]}, {apiGroups: [''], resources: [users, groups], verbs: [impersonate]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b, namespace: shop}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: User, name: alice}]}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: r}, rules: [{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind], resourceNames: [admin]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b, namespace: shop}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: User, name: alice}]}",
            },
        ],
    },
    CheckDef {
        id: "rbac.pod-exec",
        title: "Exec and attach into pods are not granted",
        severity: Severity::High,
        category: Category::ApiAccess,
        required_in: None,
        pss: None,
        cis: &[],
        nsa: NSA_RBAC,
        fails_when: "a bound role allows create or get on pods/exec or pods/attach",
        remediation: "Remove pods/exec and pods/attach from day-to-day roles; grant them just in time for debugging.",
        reads_secret_data: false,
        eval: Eval::Grant(pod_exec),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: r}, rules: [{apiGroups: [''], resources: [pods, pods/exec], verbs: [get, create]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}, subjects: [{kind: Group, name: dev}]}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: r}, rules: [{apiGroups: [''], resources: ['*'], verbs: [create]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}, subjects: [{kind: Group, name: dev}]}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: r}, rules: [{apiGroups: [''], resources: [pods, pods/log, 'pods/*'], verbs: [get, create]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}, subjects: [{kind: Group, name: dev}]}",
            },
        ],
    },
    CheckDef {
        id: "rbac.node-proxy",
        title: "The nodes/proxy subresource is not granted",
        severity: Severity::High,
        category: Category::ApiAccess,
        required_in: Some(Profile::Restricted),
        pss: None,
        cis: &["5.1.10"],
        nsa: NSA_RBAC,
        fails_when: "a bound role allows get, create, update, patch or delete on nodes/proxy",
        remediation: "Remove nodes/proxy: it reaches the kubelet API directly, bypassing admission control and audit logging of the actions it runs.",
        reads_secret_data: false,
        eval: Eval::Grant(node_proxy),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: r}, rules: [{apiGroups: [''], resources: [nodes/proxy], verbs: [get]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: ServiceAccount, name: monitor, namespace: metrics}]}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: r}, rules: [{apiGroups: [''], resources: [nodes, nodes/metrics], verbs: [get]}, {apiGroups: [''], resources: [nodes/proxy], verbs: [list]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: ServiceAccount, name: monitor, namespace: metrics}]}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: r}, rules: [{apiGroups: [''], resources: [nodes/proxy], verbs: [get]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b, namespace: shop}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: ServiceAccount, name: monitor}]}",
            },
        ],
    },
    CheckDef {
        id: "rbac.workload-create",
        title: "Creating workloads is granted sparingly",
        severity: Severity::Medium,
        category: Category::ApiAccess,
        required_in: None,
        pss: None,
        cis: &["5.1.4"],
        nsa: NSA_RBAC,
        fails_when: "a bound role allows create on pods or on a workload controller (replicationcontrollers, deployments, replicasets, statefulsets, daemonsets, jobs, cronjobs)",
        remediation: "Grant create on workloads only to deployment pipelines and operators; whoever creates a pod can mount any secret and run as any service account of the namespace.",
        reads_secret_data: false,
        eval: Eval::Grant(workload_create),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: edit}, rules: [{apiGroups: [''], resources: [pods], verbs: [create, delete]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}, subjects: [{kind: Group, name: dev}]}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: r}, rules: [{apiGroups: [apps, batch], resources: [deployments, cronjobs], verbs: ['*']}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}, subjects: [{kind: User, name: ci}]}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: r}, rules: [{apiGroups: [apps], resources: [pods, deployments/scale], verbs: [create, update]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}, subjects: [{kind: User, name: ci}]}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: cluster-admin}, rules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}, subjects: [{kind: User, name: alice}]}",
            },
        ],
    },
    CheckDef {
        id: "rbac.anonymous-grant",
        title: "Anonymous users are granted nothing",
        severity: Severity::Critical,
        category: Category::ApiAccess,
        required_in: Some(Profile::Baseline),
        pss: None,
        cis: &[],
        nsa: NSA_RBAC,
        fails_when: "a binding grants a role to the user system:anonymous or the group system:unauthenticated",
        remediation: "Delete the binding, or replace the anonymous subject with the authenticated identities that need the access.",
        reads_secret_data: false,
        eval: Eval::Grant(anonymous_grant),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}, subjects: [{kind: Group, name: 'system:unauthenticated'}]}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: r}, rules: [{apiGroups: [''], resources: [configmaps], verbs: [get]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}, subjects: [{kind: User, name: alice}, {kind: User, name: 'system:anonymous'}]}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: 'system:public-info-viewer', labels: {kubernetes.io/bootstrapping: rbac-defaults}}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: 'system:public-info-viewer'}, subjects: [{kind: Group, name: 'system:unauthenticated'}]}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: unknown}, subjects: [{kind: User, name: 'system:anonymous'}]}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}, subjects: [{kind: Group, name: 'system:authenticated'}, {kind: User, name: anonymous}]}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: r}, rules: [{nonResourceURLs: [/metrics], verbs: [get]}, {apiGroups: [''], resources: [nodes], verbs: [list]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b, namespace: shop}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: Group, name: 'system:unauthenticated'}]}",
            },
        ],
    },
    CheckDef {
        id: "rbac.authenticated-grant",
        title: "All authenticated users get no more than discovery",
        severity: Severity::High,
        category: Category::ApiAccess,
        required_in: Some(Profile::Restricted),
        pss: None,
        cis: &[],
        nsa: NSA_RBAC,
        fails_when: "a binding grants the group system:authenticated a role with any rule beyond API discovery and self-review",
        remediation: "Bind the access to the groups or service accounts that need it; system:authenticated includes every service account of every namespace and, with some identity providers, any account of the provider.",
        reads_secret_data: false,
        eval: Eval::Grant(authenticated_grant),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: r}, rules: [{nonResourceURLs: [/version], verbs: [get]}, {apiGroups: [''], resources: [namespaces], verbs: [list]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: Group, name: 'system:authenticated'}]}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}, subjects: [{kind: Group, name: 'system:authenticated'}]}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: r}, rules: [{apiGroups: ['*'], resources: [selfsubjectaccessreviews], verbs: [create]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: Group, name: 'system:authenticated'}]}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: r}, rules: [{nonResourceURLs: [/api, /api/*, /apis, /apis/*, /version], verbs: [get]}, {apiGroups: [authorization.k8s.io], resources: [selfsubjectaccessreviews, selfsubjectrulesreviews], verbs: [create]}, {apiGroups: [authentication.k8s.io], resources: [selfsubjectreviews], verbs: [create]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: Group, name: 'system:authenticated'}]}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}, subjects: [{kind: Group, name: dev}]}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: r}, rules: [{nonResourceURLs: [/version], verbs: [get]}, {apiGroups: [storage.k8s.io], resources: [storageclasses], verbs: [list]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b, namespace: shop}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: Group, name: 'system:authenticated'}]}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: r}, rules: [{apiGroups: ['*'], resources: ['*'], verbs: [get]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b, namespace: shop}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: Group, name: 'system:authenticated'}]}",
            },
        ],
    },
    CheckDef {
        id: "rbac.default-sa-bound",
        title: "Default service accounts are not bound to roles",
        severity: Severity::Medium,
        category: Category::ApiAccess,
        required_in: None,
        pss: None,
        cis: &["5.1.5"],
        nsa: NSA_RBAC,
        fails_when: "a binding names a service account called default",
        remediation: "Create a dedicated service account for the workload that needs the access and bind the role to it; every pod without its own service account runs as default.",
        reads_secret_data: false,
        eval: Eval::Grant(default_sa_bound),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}, subjects: [{kind: ServiceAccount, name: default}]}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}, subjects: [{kind: ServiceAccount, name: default, namespace: shop}]}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}, subjects: [{kind: ServiceAccount, name: app}, {kind: User, name: default}]}",
            },
        ],
    },
    CheckDef {
        id: "rbac.webhook-admin",
        title: "Admission configuration is not writable",
        severity: Severity::High,
        category: Category::ApiAccess,
        required_in: Some(Profile::Restricted),
        pss: None,
        cis: &["5.1.12"],
        nsa: NSA_RBAC,
        fails_when: "a bound role allows create, update, patch or delete on admission webhook configurations or admission policies and their bindings",
        remediation: "Grant write access to admission configuration only to cluster administrators and the operators that own it; it can intercept, change or wave through every API request.",
        reads_secret_data: false,
        eval: Eval::Grant(webhook_admin),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: r}, rules: [{apiGroups: [admissionregistration.k8s.io], resources: [validatingwebhookconfigurations], verbs: [get, patch]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: ServiceAccount, name: injector, namespace: mesh}]}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: r}, rules: [{apiGroups: [admissionregistration.k8s.io], resources: ['*'], verbs: ['*']}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: User, name: alice}]}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: r}, rules: [{apiGroups: [admissionregistration.k8s.io], resources: [mutatingwebhookconfigurations, validatingadmissionpolicies], verbs: [get, list, watch]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: User, name: alice}]}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: r}, rules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}, {apiGroups: [admissionregistration.k8s.io], resources: [validatingwebhookconfigurations], verbs: [patch]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b, namespace: shop}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}, subjects: [{kind: User, name: alice}]}",
            },
        ],
    },
    CheckDef {
        id: unbound::UNBOUND_ROLE,
        title: "Unbound roles grant nothing dangerous",
        severity: Severity::Low,
        category: Category::ApiAccess,
        required_in: None,
        pss: None,
        cis: &[],
        nsa: NSA_RBAC,
        fails_when: "a Role or ClusterRole that no binding refers to (and, for a ClusterRole, no aggregated ClusterRole selects) allows every verb on every resource, or what rbac.secrets-read, rbac.escalation-verbs, rbac.pod-exec, rbac.node-proxy or rbac.webhook-admin look for; a Role is judged within its namespace, as a RoleBinding would grant it",
        remediation: "Delete roles nothing binds, or trim them to what their future subjects need: an unbound dangerous role is one binding away from a grant, and whoever may bind roles can make that binding.",
        reads_secret_data: false,
        eval: Eval::Cluster(unbound::unbound_roles),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: r, namespace: shop}, rules: [{apiGroups: [''], resources: [secrets], verbs: [get]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b, namespace: other}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}, subjects: [{kind: User, name: alice}]}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: debug}, rules: [{apiGroups: [''], resources: [pods/exec], verbs: [create]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b, namespace: shop}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: debug}, subjects: [{kind: User, name: alice}]}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: monitoring}, aggregationRule: {clusterRoleSelectors: [{matchLabels: {aggregate-to-monitoring: 'true'}}]}}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: monitoring-secrets, labels: {aggregate-to-monitoring: 'true'}}, rules: [{apiGroups: [''], resources: [secrets], verbs: [list]}]}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: r, namespace: shop}, rules: [{apiGroups: [''], resources: [secrets], verbs: [get]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b, namespace: shop}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}, subjects: [{kind: User, name: alice}]}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: proxy}, rules: [{apiGroups: [''], resources: [nodes/proxy], verbs: [get]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding, metadata: {name: b, namespace: shop}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: proxy}, subjects: [{kind: User, name: alice}]}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: monitoring}, aggregationRule: {clusterRoleSelectors: [{matchLabels: {aggregate-to-monitoring: 'true'}}]}}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: monitoring-secrets, labels: {aggregate-to-monitoring: 'true'}}, rules: [{apiGroups: [''], resources: [secrets], verbs: [list]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: b}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: monitoring}, subjects: [{kind: Group, name: ops}]}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: reader}, rules: [{apiGroups: [''], resources: [configmaps, pods], verbs: [get, list, watch]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: admin, labels: {kubernetes.io/bootstrapping: rbac-defaults}}, rules: [{apiGroups: [''], resources: [secrets], verbs: [get]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: ns-reader, namespace: shop}, rules: [{apiGroups: [''], resources: [nodes/proxy], verbs: [get]}]}",
            },
        ],
    },
];

fn cluster_admin_binding(grant: &Grant) -> Option<String> {
    let detail = if binds_cluster_admin(grant) {
        ""
    } else if grant.rules.iter().any(allows_everything) {
        " granting every verb on every resource in every API group"
    } else {
        return None;
    };
    binds(grant, detail, grant.subjects.iter())
}

fn wildcard(grant: &Grant) -> Option<String> {
    // cluster-admin is all wildcards; rbac.cluster-admin-binding reports it.
    if binds_cluster_admin(grant) {
        return None;
    }
    let fields: [(&str, RuleField); 3] = [("verbs", verbs), ("resources", resources), ("apiGroups", api_groups)];
    let wildcard_fields: Vec<&str> = fields
        .into_iter()
        .filter(|(_, field)| grant.rules.iter().any(|rule| has_wildcard(field(rule))))
        .map(|(name, _)| name)
        .collect();
    if wildcard_fields.is_empty() {
        return None;
    }
    let detail = format!(" with \"*\" in {}", wildcard_fields.join(", "));
    binds(grant, &detail, grant.subjects.iter())
}

fn secrets_read(grant: &Grant) -> Option<String> {
    binds_permissions(grant, &permissions_granted(grant, SECRETS_READ))
}

fn escalation_verbs(grant: &Grant) -> Option<String> {
    binds_permissions(grant, &permissions_granted(grant, ESCALATION))
}

fn pod_exec(grant: &Grant) -> Option<String> {
    binds_permissions(grant, &permissions_granted(grant, POD_SHELL))
}

fn node_proxy(grant: &Grant) -> Option<String> {
    binds_permissions(grant, &permissions_granted(grant, NODE_PROXY_USE))
}

fn workload_create(grant: &Grant) -> Option<String> {
    // cluster-admin can do anything; rbac.cluster-admin-binding already reports it.
    if binds_cluster_admin(grant) {
        return None;
    }
    binds_permissions(grant, &permissions_granted(grant, WORKLOAD_CREATION))
}

fn anonymous_grant(grant: &Grant) -> Option<String> {
    if !grants_anything(grant) {
        return None;
    }
    binds(grant, "", grant.subjects.iter().filter(|subject| is_anonymous(subject)))
}

fn authenticated_grant(grant: &Grant) -> Option<String> {
    let beyond_discovery = effective_rules(grant).any(|rule| !is_discovery(rule)) || binds_well_known_role(grant);
    if !beyond_discovery {
        return None;
    }
    let everyone = grant
        .subjects
        .iter()
        .filter(|subject| subject.kind == "Group" && subject.name == "system:authenticated");
    binds(grant, " granting more than API discovery", everyone)
}

fn default_sa_bound(grant: &Grant) -> Option<String> {
    let default_accounts = grant
        .subjects
        .iter()
        .filter(|subject| subject.kind == "ServiceAccount" && subject.name == "default");
    binds(grant, "", default_accounts)
}

fn webhook_admin(grant: &Grant) -> Option<String> {
    binds_permissions(grant, &permissions_granted(grant, ADMISSION_WRITE))
}

/// Whether the rule grants `verb` on `target`: its verbs, resources and (unless any group will
/// do) API groups each list the wanted value or "*". Subresources such as `pods/exec` match
/// only exactly, because RBAC has no `pods/*`-style globs.
fn rule_grants(rule: &PolicyRule, verb: &str, target: Target) -> bool {
    lists(verbs(rule), verb)
        && resources(rule)
            .iter()
            .any(|resource| resource_matches(resource, target.resource))
        && target.group.is_none_or(|group| lists(api_groups(rule), group))
}

/// RBAC's own resource matching: `*`, the exact `resource[/subresource]`, or `*/subresource`
/// for any resource's subresource. Impersonating user extras is granted per key
/// (`userextras/<key>`), and any key counts.
fn resource_matches(rule_resource: &str, target: &str) -> bool {
    rule_resource == WILDCARD
        || rule_resource == target
        || target
            .split_once('/')
            .is_some_and(|(_, subresource)| rule_resource.strip_prefix("*/") == Some(subresource))
        || (target == "userextras" && rule_resource.starts_with("userextras/"))
}

fn lists(values: &[String], wanted: &str) -> bool {
    values.iter().any(|value| value == WILDCARD || value == wanted)
}

fn has_wildcard(values: &[String]) -> bool {
    values.iter().any(|value| value == WILDCARD)
}

/// One of a rule's lists (verbs, resources, apiGroups).
type RuleField = fn(&PolicyRule) -> &[String];

fn verbs(rule: &PolicyRule) -> &[String] {
    &rule.verbs
}

fn resources(rule: &PolicyRule) -> &[String] {
    rule.resources.as_deref().unwrap_or_default()
}

fn api_groups(rule: &PolicyRule) -> &[String] {
    rule.api_groups.as_deref().unwrap_or_default()
}

/// Whether `resource` (or the resource of a subresource) in `group` ("*" for any) lies outside
/// namespaces.
fn is_cluster_scoped(group: &str, resource: &str) -> bool {
    let base = resource.split('/').next().unwrap_or(resource);
    CLUSTER_SCOPED.iter().chain(ADMISSION_CONFIG).any(|scoped| {
        scoped.resource == base
            && scoped
                .group
                .is_none_or(|scoped_group| group == WILDCARD || group == scoped_group)
    })
}

/// Whether the binding can grant `verb` on `target` at all: a ClusterRoleBinding can grant
/// anything, a RoleBinding only what lies in its namespace. `bind` on clusterroles is the
/// exception: Kubernetes authorizes it in the namespace of the RoleBinding being created, so
/// through a RoleBinding it lets the subject bind any ClusterRole in that namespace.
fn reaches(grant: &Grant, verb: &str, target: Target) -> bool {
    grant.namespace().is_none()
        || !is_cluster_scoped(target.group.unwrap_or(WILDCARD), target.resource)
        || (verb == "bind" && target.resource == "clusterroles")
}

/// Whether the rule grants anything through the binding: through a RoleBinding, only rules
/// on some namespaced resource do (never non-resource URLs, never cluster-scoped resources
/// alone; "*" resources still reach every namespaced one).
fn applies_through(grant: &Grant, rule: &PolicyRule) -> bool {
    grant.namespace().is_none()
        || api_groups(rule).iter().any(|group| {
            resources(rule)
                .iter()
                .any(|resource| resource == WILDCARD || !is_cluster_scoped(group, resource))
        })
}

/// The rules that grant something through the binding (see [`applies_through`]).
fn effective_rules<'a>(grant: &'a Grant) -> impl Iterator<Item = &'a PolicyRule> {
    grant.rules.iter().filter(|rule| applies_through(grant, rule))
}

/// Which of `wanted_verbs` on which of `targets` the grant's rules allow, e.g. "get, list on
/// secrets; create on pods/exec" (resources allowed the same verbs are listed together).
fn granted(grant: &Grant, wanted_verbs: &[&'static str], targets: &[Target]) -> Option<String> {
    let mut by_verbs: Vec<(Vec<&str>, Vec<&str>)> = Vec::new();
    for target in targets {
        let allowed: Vec<&str> = wanted_verbs
            .iter()
            .copied()
            .filter(|verb| reaches(grant, verb, *target))
            .filter(|verb| grant.rules.iter().any(|rule| rule_grants(rule, verb, *target)))
            .collect();
        if allowed.is_empty() {
            continue;
        }
        match by_verbs.iter_mut().find(|(same_verbs, _)| *same_verbs == allowed) {
            Some((_, grouped)) => grouped.push(target.resource),
            None => by_verbs.push((allowed, vec![target.resource])),
        }
    }
    let described: Vec<String> = by_verbs
        .iter()
        .map(|(allowed, grouped)| format!("{} on {}", allowed.join(", "), grouped.join(", ")))
        .collect();
    (!described.is_empty()).then(|| described.join("; "))
}

/// What the grant allows of each permission (see [`granted`]).
fn permissions_granted(grant: &Grant, permissions: &[Permission]) -> Vec<Option<String>> {
    permissions
        .iter()
        .map(|permission| granted(grant, permission.verbs, permission.targets))
        .collect()
}

/// What the grant allows of what makes a role dangerous ([`DANGEROUS`]), described.
fn dangerous_permissions(grant: &Grant) -> Vec<String> {
    if grant.rules.iter().any(allows_everything) {
        return vec!["every verb on every resource in every API group".to_string()];
    }
    DANGEROUS
        .iter()
        .flat_map(|permissions| permissions_granted(grant, permissions))
        .flatten()
        .collect()
}

/// The message for a grant of the given permissions (from [`granted`]) to every subject.
fn binds_permissions(grant: &Grant, permissions: &[Option<String>]) -> Option<String> {
    let permissions: Vec<&str> = permissions.iter().flatten().map(String::as_str).collect();
    if permissions.is_empty() {
        return None;
    }
    let detail = format!(" granting {}", permissions.join("; "));
    binds(grant, &detail, grant.subjects.iter())
}

/// "binds ClusterRole edit granting create on pods to Group dev", or None without subjects.
fn binds<'a>(grant: &Grant, detail: &str, subjects: impl Iterator<Item = &'a Subject>) -> Option<String> {
    let subjects: Vec<String> = subjects.map(|subject| describe_subject(grant, subject)).collect();
    if subjects.is_empty() {
        return None;
    }
    Some(format!(
        "binds {} {}{detail} to {}",
        grant.role_ref.kind,
        grant.role_ref.name,
        subjects.join(", ")
    ))
}

/// "User alice", "Group dev" or "ServiceAccount shop/app"; a RoleBinding's service account
/// subjects default to the binding's namespace.
fn describe_subject(grant: &Grant, subject: &Subject) -> String {
    if subject.kind != "ServiceAccount" {
        return format!("{} {}", subject.kind, subject.name);
    }
    match subject.namespace.as_deref().or(grant.namespace()) {
        Some(namespace) => format!("ServiceAccount {namespace}/{}", subject.name),
        None => format!("ServiceAccount {}", subject.name),
    }
}

fn binds_cluster_admin(grant: &Grant) -> bool {
    grant.role_ref.kind == "ClusterRole" && grant.role_ref.name == CLUSTER_ADMIN
}

fn binds_well_known_role(grant: &Grant) -> bool {
    grant.role_ref.kind == "ClusterRole" && WELL_KNOWN_CLUSTER_ROLES.contains(&grant.role_ref.name.as_str())
}

/// Whether the binding is known to grant some access: its role has rules that apply through
/// it, or it is a default ClusterRole whose rules the inventory may lack.
fn grants_anything(grant: &Grant) -> bool {
    effective_rules(grant).next().is_some() || binds_well_known_role(grant)
}

fn allows_everything(rule: &PolicyRule) -> bool {
    has_wildcard(verbs(rule)) && has_wildcard(resources(rule)) && has_wildcard(api_groups(rule))
}

fn is_anonymous(subject: &Subject) -> bool {
    (subject.kind == "User" && subject.name == "system:anonymous")
        || (subject.kind == "Group" && subject.name == "system:unauthenticated")
}

/// Whether the rule grants no more than what the default `system:discovery` and
/// `system:basic-user` roles give everyone: `get` on non-resource URLs, and `create` on the
/// self-review resources. Every group/resource pair a rule lists is granted, so all must be
/// self-reviews (a wildcard never is).
fn is_discovery(rule: &PolicyRule) -> bool {
    let urls = rule.non_resource_urls.as_deref().unwrap_or_default();
    let urls_are_read_only = urls.is_empty() || verbs(rule).iter().all(|verb| verb == "get");
    let resources_are_self_reviews = resources(rule).is_empty()
        || (verbs(rule).iter().all(|verb| verb == "create")
            && api_groups(rule).iter().all(|group| {
                resources(rule).iter().all(|resource| {
                    SELF_REVIEWS
                        .iter()
                        .any(|review| review.group == Some(group.as_str()) && review.resource == resource)
                })
            }));
    urls_are_read_only && resources_are_self_reviews
}

#[cfg(test)]
mod tests {
    use k8s_openapi::api::rbac::v1::RoleRef;

    use super::*;
    use crate::engine::ResourceRef;

    fn rule(groups: &[&str], resources: &[&str], verbs: &[&str]) -> PolicyRule {
        let strings = |values: &[&str]| values.iter().map(|value| value.to_string()).collect::<Vec<_>>();
        PolicyRule {
            api_groups: Some(strings(groups)),
            resources: Some(strings(resources)),
            verbs: strings(verbs),
            ..PolicyRule::default()
        }
    }

    fn subject(kind: &str, name: &str) -> Subject {
        Subject {
            kind: kind.to_string(),
            name: name.to_string(),
            ..Subject::default()
        }
    }

    fn message(check: fn(&Grant) -> Option<String>, role: (&str, &str), rules: &[PolicyRule]) -> Option<String> {
        message_through(Some("shop"), check, role, rules)
    }

    /// The check's message on a RoleBinding in `namespace`, or a ClusterRoleBinding for `None`.
    fn message_through(
        namespace: Option<&str>,
        check: fn(&Grant) -> Option<String>,
        role: (&str, &str),
        rules: &[PolicyRule],
    ) -> Option<String> {
        let role_ref = RoleRef {
            api_group: Some("rbac.authorization.k8s.io".to_string()),
            kind: role.0.to_string(),
            name: role.1.to_string(),
        };
        let subjects = [subject("Group", "dev"), subject("ServiceAccount", "builder")];
        check(&Grant {
            binding: match namespace {
                Some(namespace) => ResourceRef::new("RoleBinding", Some(namespace), "b"),
                None => ResourceRef::new("ClusterRoleBinding", None, "b"),
            },
            role_ref: &role_ref,
            subjects: &subjects,
            rules,
        })
    }

    #[test]
    fn messages_name_the_role_the_permissions_and_the_subjects() {
        let rules = [rule(&[""], &["pods", "secrets"], &["create", "get"])];
        assert_eq!(
            message(workload_create, ("ClusterRole", "edit"), &rules).as_deref(),
            Some("binds ClusterRole edit granting create on pods to Group dev, ServiceAccount shop/builder")
        );
        assert_eq!(
            message(secrets_read, ("Role", "r"), &rules).as_deref(),
            Some("binds Role r granting get on secrets to Group dev, ServiceAccount shop/builder")
        );
    }

    #[test]
    fn resources_granted_the_same_verbs_are_grouped() {
        let rules = [rule(&["*"], &["*"], &["create", "delete", "patch"])];
        let message = message_through(None, webhook_admin, ("ClusterRole", "r"), &rules).unwrap_or_default();
        assert!(
            message.starts_with(
                "binds ClusterRole r granting create, patch, delete on mutatingwebhookconfigurations, validatingwebhookconfigurations, "
            ),
            "{message}"
        );
    }

    #[test]
    fn role_bindings_grant_nothing_on_cluster_scoped_resources() {
        let role = ("ClusterRole", "r");
        let everything = [rule(&["*"], &["*"], &["*"])];
        let through_both = |check: fn(&Grant) -> Option<String>, rules: &[PolicyRule]| {
            (
                message_through(Some("shop"), check, role, rules),
                message_through(None, check, role, rules),
            )
        };
        for check in [node_proxy, webhook_admin] {
            let (role_binding, cluster_role_binding) = through_both(check, &everything);
            assert_eq!(role_binding, None);
            assert!(cluster_role_binding.is_some());
        }
        let escalate = [
            rule(&["rbac.authorization.k8s.io"], &["clusterroles"], &["escalate"]),
            rule(&[""], &["users", "groups"], &["impersonate"]),
            rule(
                &["authentication.k8s.io"],
                &["uids", "userextras/scopes"],
                &["impersonate"],
            ),
        ];
        let (role_binding, cluster_role_binding) = through_both(escalation_verbs, &escalate);
        assert_eq!(role_binding, None);
        assert!(cluster_role_binding.is_some());
        let (role_binding, _) = through_both(
            escalation_verbs,
            &[rule(&["rbac.authorization.k8s.io"], &["clusterroles"], &["bind"])],
        );
        assert_eq!(
            role_binding.as_deref(),
            Some("binds ClusterRole r granting bind on clusterroles to Group dev, ServiceAccount shop/builder"),
            "bind is authorized in the namespace of the binding it creates"
        );
        let (role_binding, _) = through_both(escalation_verbs, &[rule(&[""], &["serviceaccounts"], &["impersonate"])]);
        assert!(role_binding.is_some(), "service accounts are namespaced");
        for check in [pod_exec, secrets_read, workload_create] {
            let (role_binding, _) = through_both(check, &[rule(&["*"], &["*"], &["get", "create"])]);
            assert!(role_binding.is_some(), "\"*\" still reaches every namespaced resource");
        }
        let urls_and_nodes = [
            PolicyRule {
                non_resource_urls: Some(vec!["/metrics".to_string()]),
                verbs: vec!["get".to_string()],
                ..PolicyRule::default()
            },
            rule(&["", "metrics.k8s.io"], &["nodes", "nodes/stats"], &["get"]),
        ];
        let grant = |namespace: Option<&str>| {
            let role_ref = RoleRef {
                api_group: None,
                kind: "ClusterRole".to_string(),
                name: "r".to_string(),
            };
            let binding = match namespace {
                Some(namespace) => ResourceRef::new("RoleBinding", Some(namespace), "b"),
                None => ResourceRef::new("ClusterRoleBinding", None, "b"),
            };
            grants_anything(&Grant {
                binding,
                role_ref: &role_ref,
                subjects: &[],
                rules: &urls_and_nodes,
            })
        };
        assert!(
            !grant(Some("shop")),
            "non-resource URLs and nodes are out of a namespace's reach"
        );
        assert!(grant(None));
    }

    #[test]
    fn unbound_roles_are_reported_with_what_they_would_grant() {
        let manifests = "{apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: r, namespace: shop, annotations: {palisade.dev/exempt: rbac.unbound-role, palisade.dev/exempt-reason: kept for incidents}}, rules: [{apiGroups: [''], resources: [secrets, pods/exec], verbs: [get, create]}, {apiGroups: [''], resources: [nodes/proxy], verbs: [get]}]}\n---\n{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRole, metadata: {name: god}, rules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]}";
        let found = crate::checks::network::testing::findings(unbound::UNBOUND_ROLE, manifests);
        let described: Vec<(String, &str, Option<&str>)> = found
            .iter()
            .map(|finding| {
                (
                    format!("{}/{}", finding.resource.kind, finding.resource.name),
                    finding.message.as_ref(),
                    finding.annotation_exemption.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            described,
            [
                (
                    "ClusterRole/god".to_string(),
                    "ClusterRole grants every verb on every resource in every API group, but no ClusterRoleBinding or RoleBinding refers to it",
                    None
                ),
                (
                    "Role/r".to_string(),
                    "Role grants get on secrets; create, get on pods/exec, but no RoleBinding refers to it",
                    Some("kept for incidents")
                ),
            ]
        );
    }

    #[test]
    fn rule_grants_needs_verb_resource_and_group() {
        let exec = core("pods/exec");
        assert!(rule_grants(&rule(&[""], &["pods/exec"], &["create"]), "create", exec));
        assert!(rule_grants(&rule(&["*"], &["*"], &["*"]), "create", exec));
        assert!(!rule_grants(
            &rule(&["apps"], &["pods/exec"], &["create"]),
            "create",
            exec
        ));
        assert!(!rule_grants(&rule(&[""], &["pods/*"], &["create"]), "create", exec));
        assert!(!rule_grants(&rule(&[""], &["pods"], &["create"]), "create", exec));
        assert!(rule_grants(&rule(&[""], &["*/exec"], &["create"]), "create", exec));
        assert!(rule_grants(
            &rule(&["authentication.k8s.io"], &["userextras/scopes"], &["impersonate"]),
            "impersonate",
            any_group("userextras")
        ));
        assert!(rule_grants(
            &rule(&["example.com"], &["users"], &["impersonate"]),
            "impersonate",
            any_group("users")
        ));
    }

    #[test]
    fn discovery_rules() {
        let urls = PolicyRule {
            non_resource_urls: Some(vec!["/healthz".to_string()]),
            verbs: vec!["get".to_string()],
            ..PolicyRule::default()
        };
        assert!(is_discovery(&urls));
        assert!(!is_discovery(&PolicyRule {
            verbs: vec!["get".to_string(), "post".to_string()],
            ..urls
        }));
        let reviews = rule(&["authorization.k8s.io"], &["selfsubjectrulesreviews"], &["create"]);
        assert!(is_discovery(&reviews));
        let mixed_groups = rule(
            &["authorization.k8s.io", "authentication.k8s.io"],
            &["selfsubjectreviews"],
            &["create"],
        );
        assert!(!is_discovery(&mixed_groups));
        assert!(!is_discovery(&rule(
            &["authorization.k8s.io"],
            &["subjectaccessreviews"],
            &["create"]
        )));
    }

    #[test]
    fn bindings_without_subjects_grant_nothing() {
        let role_ref = RoleRef {
            api_group: Some("rbac.authorization.k8s.io".to_string()),
            kind: "ClusterRole".to_string(),
            name: CLUSTER_ADMIN.to_string(),
        };
        let grant = Grant {
            binding: ResourceRef::new("ClusterRoleBinding", None, "b"),
            role_ref: &role_ref,
            subjects: &[],
            rules: &[],
        };
        for check in CHECKS {
            if let Eval::Grant(eval) = check.eval {
                assert_eq!(eval(&grant), None, "{}", check.id);
            }
        }
    }
}
