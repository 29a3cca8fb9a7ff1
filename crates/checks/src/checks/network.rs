//! Network segmentation: default-deny NetworkPolicies, pods no policy isolates, rules open to
//! any peer, and DNS under a default deny. NetworkPolicies are additive: a namespace denies a
//! direction by default when one policy selects every pod for that direction and none of its
//! rules re-opens it to every peer; narrower policies then allow what is needed.

use std::borrow::Cow;

use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use palisade_crds::{Profile, Severity};

use crate::catalog::{Category, CheckDef, Eval, Expect, Fixture};
use crate::engine::{Finding, NamespaceCtx, ResourceRef, Violation, WorkloadCtx};
use crate::inventory::NamespaceInventory;
use crate::selector;

const NSA_NETWORK_POLICIES: &[&str] = &["Network separation and hardening: network policies"];
const CIS_NETWORK_POLICIES: &[&str] = &["5.3.2"];

const DEFAULT_DENY_INGRESS: &str = "net.default-deny-ingress";
const DEFAULT_DENY_EGRESS: &str = "net.default-deny-egress";
const EGRESS_ANY: &str = "net.egress-any";
const INGRESS_ANY: &str = "net.ingress-any";
const DNS_BLOCKED: &str = "net.dns-blocked";

const DNS_PORT: i32 = 53;
/// Port names CoreDNS and kube-dns give DNS over UDP and TCP.
const DNS_PORT_NAMES: &[&str] = &["dns", "dns-tcp"];
/// The port name CoreDNS and kube-dns give DNS over UDP.
const DNS_UDP_PORT_NAME: &str = "dns";

pub static CHECKS: &[CheckDef] = &[
    CheckDef {
        id: DEFAULT_DENY_INGRESS,
        title: "Ingress is denied by default",
        severity: Severity::Medium,
        category: Category::Network,
        required_in: Some(Profile::Restricted),
        pss: None,
        cis: CIS_NETWORK_POLICIES,
        nsa: NSA_NETWORK_POLICIES,
        fails_when: "no NetworkPolicy selects every pod for Ingress without an ingress rule open to every source (judged only when the Namespace object is known)",
        remediation: "Add a NetworkPolicy with `podSelector: {}`, `policyTypes: [Ingress]` and no ingress rules, then allow the traffic each workload needs with narrower policies.",
        reads_secret_data: false,
        eval: Eval::Namespace(default_deny_ingress),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Namespace, metadata: {name: default}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Namespace, metadata: {name: default}}\n---\n{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: allow-all}, spec: {podSelector: {}, policyTypes: [Ingress], ingress: [{ports: [{port: 80}]}]}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Namespace, metadata: {name: default}}\n---\n{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: web-only}, spec: {podSelector: {matchLabels: {app: web}}, policyTypes: [Ingress]}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Namespace, metadata: {name: default}}\n---\n{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: egress-only}, spec: {podSelector: {}, policyTypes: [Egress]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Namespace, metadata: {name: default}}\n---\n{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: deny}, spec: {podSelector: {}}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Namespace, metadata: {name: default}}\n---\n{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: deny}, spec: {podSelector: {}, policyTypes: [Ingress, Egress], ingress: [{from: [{podSelector: {matchLabels: {app: frontend}}}]}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x}]}}",
            },
        ],
    },
    CheckDef {
        id: DEFAULT_DENY_EGRESS,
        title: "Egress is denied by default",
        severity: Severity::Low,
        category: Category::Network,
        required_in: None,
        pss: None,
        cis: CIS_NETWORK_POLICIES,
        nsa: NSA_NETWORK_POLICIES,
        fails_when: "no NetworkPolicy selects every pod for Egress without an egress rule open to every destination (judged only when the Namespace object is known)",
        remediation: "Add a NetworkPolicy with `podSelector: {}`, `policyTypes: [Egress]` and no egress rules, then allow DNS and the destinations each workload needs with narrower policies.",
        reads_secret_data: false,
        eval: Eval::Namespace(default_deny_egress),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Namespace, metadata: {name: default}}\n---\n{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: deny}, spec: {podSelector: {}}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Namespace, metadata: {name: default}}\n---\n{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: https-anywhere}, spec: {podSelector: {}, policyTypes: [Egress], egress: [{ports: [{port: 443}]}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Namespace, metadata: {name: default}}\n---\n{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: deny}, spec: {podSelector: {}, policyTypes: [Egress]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Namespace, metadata: {name: default}}\n---\n{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: in-cluster-only}, spec: {podSelector: {}, egress: [{to: [{namespaceSelector: {}}]}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: deny}, spec: {podSelector: {}}}",
            },
        ],
    },
    CheckDef {
        id: "net.pod-unprotected",
        title: "Every pod is selected by an ingress NetworkPolicy",
        severity: Severity::Medium,
        category: Category::Network,
        required_in: Some(Profile::Restricted),
        pss: None,
        cis: CIS_NETWORK_POLICIES,
        nsa: NSA_NETWORK_POLICIES,
        fails_when: "no NetworkPolicy of the namespace with policy type Ingress selects the workload's pod labels (judged only when the Namespace object is known)",
        remediation: "Add a default-deny ingress NetworkPolicy (`podSelector: {}`) to the namespace, or a NetworkPolicy whose podSelector matches the workload's pod labels and allows only the sources it needs.",
        reads_secret_data: false,
        eval: Eval::Workload(pod_unprotected),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Namespace, metadata: {name: default}}\n---\n{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: db}, spec: {podSelector: {matchLabels: {app: db}}}}\n---\n{apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c, image: x}]}}}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Namespace, metadata: {name: default}}\n---\n{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: egress-only}, spec: {podSelector: {}, policyTypes: [Egress]}}\n---\n{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Namespace, metadata: {name: default}}\n---\n{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: web}, spec: {podSelector: {matchExpressions: [{key: app, operator: In, values: [web, api]}]}, ingress: [{from: [{podSelector: {}}]}]}}\n---\n{apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: c, image: x}]}}}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Namespace, metadata: {name: default}}\n---\n{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: deny}, spec: {podSelector: {}, policyTypes: [Ingress]}}\n---\n{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x}]}}",
            },
        ],
    },
    CheckDef {
        id: EGRESS_ANY,
        title: "Egress rules do not allow every destination",
        severity: Severity::Low,
        category: Category::Network,
        required_in: None,
        pss: None,
        cis: &[],
        nsa: NSA_NETWORK_POLICIES,
        fails_when: "an egress rule has no `to` peers or an ipBlock of 0.0.0.0/0 or ::/0, unless its ports are DNS (53) only",
        remediation: "List the destinations the workload needs in the rule's `to` (podSelector, namespaceSelector or narrow ipBlocks), or restrict a rule that must reach any address to the ports it needs.",
        reads_secret_data: false,
        eval: Eval::Namespace(egress_any),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: internet}, spec: {podSelector: {}, policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]}]}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: https-anywhere}, spec: {podSelector: {}, egress: [{ports: [{port: 53, protocol: UDP}, {port: 443}]}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: dns}, spec: {podSelector: {}, policyTypes: [Egress], egress: [{ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]}, {to: [{ipBlock: {cidr: '::/0'}}], ports: [{port: dns}]}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: db}, spec: {podSelector: {}, policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 10.0.0.0/8}}, {podSelector: {matchLabels: {app: db}}}]}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: ingress-only}, spec: {podSelector: {}, policyTypes: [Ingress], egress: [{}]}}",
            },
        ],
    },
    CheckDef {
        id: INGRESS_ANY,
        title: "Ingress rules do not allow every source",
        severity: Severity::Medium,
        category: Category::Network,
        required_in: None,
        pss: None,
        cis: &[],
        nsa: NSA_NETWORK_POLICIES,
        fails_when: "an ingress rule has no `from` peers or an ipBlock of 0.0.0.0/0 or ::/0",
        remediation: "List the sources the workload serves in the rule's `from` (podSelector, namespaceSelector or narrow ipBlocks); expose public endpoints through an ingress controller instead of opening pods to every address.",
        reads_secret_data: false,
        eval: Eval::Namespace(ingress_any),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: allow-all}, spec: {podSelector: {}, ingress: [{}]}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: v6}, spec: {podSelector: {matchLabels: {app: web}}, policyTypes: [Ingress], ingress: [{from: [{podSelector: {}}]}, {from: [{ipBlock: {cidr: '::/0'}}]}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: frontend}, spec: {podSelector: {matchLabels: {app: web}}, ingress: [{from: [{podSelector: {matchLabels: {app: frontend}}}, {ipBlock: {cidr: 192.0.2.0/24}}]}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: deny}, spec: {podSelector: {}}}",
            },
        ],
    },
    CheckDef {
        id: DNS_BLOCKED,
        title: "DNS stays reachable under a default-deny egress policy",
        severity: Severity::Low,
        category: Category::Network,
        required_in: Some(Profile::Restricted),
        pss: None,
        cis: &[],
        nsa: &[],
        fails_when: "egress is denied by default but no egress rule allows UDP port 53 to a destination that can include the cluster DNS (judged only when the Namespace object is known)",
        remediation: "Add an egress rule allowing UDP (and TCP) port 53 to the cluster DNS, e.g. `to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}]`; the port's protocol defaults to TCP, so state `protocol: UDP`.",
        reads_secret_data: false,
        eval: Eval::Namespace(dns_blocked),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Namespace, metadata: {name: default}}\n---\n{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: deny}, spec: {podSelector: {}, policyTypes: [Egress]}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Namespace, metadata: {name: default}}\n---\n{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: deny}, spec: {podSelector: {}, policyTypes: [Egress], egress: [{to: [{namespaceSelector: {}}], ports: [{port: 53}]}]}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Namespace, metadata: {name: default}}\n---\n{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: deny}, spec: {podSelector: {}, policyTypes: [Egress]}}\n---\n{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: local-dns}, spec: {podSelector: {}, policyTypes: [Egress], egress: [{to: [{podSelector: {matchLabels: {app: dns}}}], ports: [{port: 53, protocol: UDP}]}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Namespace, metadata: {name: default}}\n---\n{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: deny}, spec: {podSelector: {}, policyTypes: [Egress], egress: [{to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}], ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Namespace, metadata: {name: default}}\n---\n{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: deny}, spec: {podSelector: {}, policyTypes: [Egress]}}\n---\n{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: dns}, spec: {podSelector: {}, policyTypes: [Egress], egress: [{ports: [{port: dns, protocol: UDP}]}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Namespace, metadata: {name: default}}\n---\n{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: deny}, spec: {podSelector: {}, policyTypes: [Egress], egress: [{to: [{ipBlock: {cidr: 10.96.0.10/32}}], ports: [{protocol: UDP, port: 50, endPort: 60}]}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Namespace, metadata: {name: default}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: deny}, spec: {podSelector: {}, policyTypes: [Egress]}}",
            },
        ],
    },
];

/// The two directions a NetworkPolicy governs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    /// The value naming this direction in `spec.policyTypes`.
    fn policy_type(self) -> &'static str {
        match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        }
    }

    /// The rule field that lists the peers.
    fn peers_field(self) -> &'static str {
        match self {
            Direction::Ingress => "from",
            Direction::Egress => "to",
        }
    }

    fn any_peer(self) -> &'static str {
        match self {
            Direction::Ingress => "any source",
            Direction::Egress => "any destination",
        }
    }
}

/// An ingress or egress rule seen the same way: its position, peers (`from` or `to`) and ports.
struct Rule<'a> {
    index: usize,
    peers: &'a [NetworkPolicyPeer],
    ports: &'a [NetworkPolicyPort],
}

/// A rule's peers and ports; absent lists are empty.
fn lists<'a>(
    peers: &'a Option<Vec<NetworkPolicyPeer>>,
    ports: &'a Option<Vec<NetworkPolicyPort>>,
) -> (&'a [NetworkPolicyPeer], &'a [NetworkPolicyPort]) {
    (
        peers.as_deref().unwrap_or_default(),
        ports.as_deref().unwrap_or_default(),
    )
}

fn rules(policy: &NetworkPolicy, direction: Direction) -> Vec<Rule<'_>> {
    let Some(spec) = policy.spec.as_ref() else {
        return Vec::new();
    };
    let peers_and_ports: Vec<(&[NetworkPolicyPeer], &[NetworkPolicyPort])> = match direction {
        Direction::Ingress => spec
            .ingress
            .iter()
            .flatten()
            .map(|rule| lists(&rule.from, &rule.ports))
            .collect(),
        Direction::Egress => spec
            .egress
            .iter()
            .flatten()
            .map(|rule| lists(&rule.to, &rule.ports))
            .collect(),
    };
    peers_and_ports
        .into_iter()
        .enumerate()
        .map(|(index, (peers, ports))| Rule { index, peers, ports })
        .collect()
}

/// Whether the policy applies to this direction. Without `policyTypes` the API server defaults
/// to Ingress, plus Egress when the policy has egress rules; rules of a direction the policy
/// does not govern have no effect.
fn governs(policy: &NetworkPolicy, direction: Direction) -> bool {
    let Some(spec) = policy.spec.as_ref() else {
        return direction == Direction::Ingress;
    };
    match spec.policy_types.as_deref() {
        Some(types) if !types.is_empty() => types.iter().any(|policy_type| policy_type == direction.policy_type()),
        _ => match direction {
            Direction::Ingress => true,
            Direction::Egress => spec.egress.as_ref().is_some_and(|egress| !egress.is_empty()),
        },
    }
}

/// The policy's pod selector; a missing one selects every pod, like an empty one.
fn pod_selector(policy: &NetworkPolicy) -> Option<&LabelSelector> {
    policy.spec.as_ref()?.pod_selector.as_ref()
}

fn selects_every_pod(policy: &NetworkPolicy) -> bool {
    pod_selector(policy).is_none_or(selector::is_empty)
}

fn is_default_deny(policy: &NetworkPolicy, direction: Direction) -> bool {
    selects_every_pod(policy)
        && governs(policy, direction)
        && rules(policy, direction).iter().all(|rule| !rule.peers.is_empty())
}

fn has_default_deny(namespace: &NamespaceInventory, direction: Direction) -> bool {
    namespace
        .network_policies
        .iter()
        .any(|policy| is_default_deny(policy, direction))
}

/// Whether a CIDR spans a whole address family (`0.0.0.0/0`, `::/0`): a zero prefix length
/// matches every address whatever the address part says.
pub(crate) fn is_whole_address_space(cidr: &str) -> bool {
    cidr.trim()
        .rsplit_once('/')
        .is_some_and(|(_, prefix)| prefix.parse::<u8>() == Ok(0))
}

/// Why the rule admits every peer, if it does: it lists no peers, or an ipBlock spanning a
/// whole address family.
fn admits_any_peer(rule: &Rule, direction: Direction) -> Option<String> {
    if rule.peers.is_empty() {
        return Some(format!("no `{}` peers", direction.peers_field()));
    }
    rule.peers
        .iter()
        .filter_map(|peer| peer.ip_block.as_ref())
        .find(|block| is_whole_address_space(&block.cidr))
        .map(|block| format!("ipBlock {}", block.cidr))
}

/// Whether a port entry is DNS on either protocol (DNS falls back to TCP for large answers).
fn is_dns_port(port: &NetworkPolicyPort) -> bool {
    match &port.port {
        Some(IntOrString::Int(number)) => *number == DNS_PORT && port.end_port.is_none_or(|end| end <= DNS_PORT),
        Some(IntOrString::String(name)) => DNS_PORT_NAMES.contains(&name.as_str()),
        None => false,
    }
}

fn allows_only_dns(rule: &Rule) -> bool {
    !rule.ports.is_empty() && rule.ports.iter().all(is_dns_port)
}

/// Whether a port entry admits UDP port 53. The protocol defaults to TCP, so it must say UDP;
/// a missing port means every port of the protocol.
fn admits_udp_dns(port: &NetworkPolicyPort) -> bool {
    if port.protocol.as_deref() != Some("UDP") {
        return false;
    }
    match &port.port {
        None => true,
        Some(IntOrString::Int(first)) => (*first..=port.end_port.unwrap_or(*first)).contains(&DNS_PORT),
        Some(IntOrString::String(name)) => name == DNS_UDP_PORT_NAME,
    }
}

/// Whether a peer can include the cluster DNS, which runs in another namespace (kube-system)
/// behind a service IP: a namespaceSelector or an ipBlock can reach it, a bare podSelector
/// stays inside this namespace.
fn may_reach_cluster_dns(peer: &NetworkPolicyPeer) -> bool {
    peer.namespace_selector.is_some() || peer.ip_block.is_some()
}

fn allows_dns(rule: &Rule) -> bool {
    let ports = rule.ports.is_empty() || rule.ports.iter().any(admits_udp_dns);
    let peers = rule.peers.is_empty() || rule.peers.iter().any(may_reach_cluster_dns);
    ports && peers
}

/// A finding on the namespace itself, exempted by the Namespace object's annotations.
pub(crate) fn namespace_finding(
    check: &'static str,
    namespace: &NamespaceInventory,
    message: impl Into<Cow<'static, str>>,
) -> Finding {
    let annotations = namespace
        .namespace
        .as_ref()
        .and_then(|object| object.metadata.annotations.as_ref());
    Finding::new(
        check,
        ResourceRef::new("Namespace", Some(&namespace.name), &namespace.name),
        message,
    )
    .exempt_by(annotations)
}

fn missing_default_deny(ctx: &NamespaceCtx, check: &'static str, direction: Direction) -> Vec<Finding> {
    // Without the Namespace object the manifests may be partial: the policy may live elsewhere.
    if ctx.namespace.namespace.is_none() || has_default_deny(ctx.namespace, direction) {
        return Vec::new();
    }
    let message = format!(
        "no NetworkPolicy selects every pod for {} without a rule open to {}",
        direction.policy_type(),
        direction.any_peer()
    );
    vec![namespace_finding(check, ctx.namespace, message)]
}

fn default_deny_ingress(ctx: &NamespaceCtx) -> Vec<Finding> {
    missing_default_deny(ctx, DEFAULT_DENY_INGRESS, Direction::Ingress)
}

fn default_deny_egress(ctx: &NamespaceCtx) -> Vec<Finding> {
    missing_default_deny(ctx, DEFAULT_DENY_EGRESS, Direction::Egress)
}

fn pod_unprotected(ctx: &WorkloadCtx) -> Vec<Violation> {
    // Without the Namespace object the manifests may be partial: the policy may live elsewhere.
    if ctx.namespace.namespace.is_none() {
        return Vec::new();
    }
    let labels = ctx.workload.labels();
    let isolated = ctx.namespace.network_policies.iter().any(|policy| {
        governs(policy, Direction::Ingress)
            && pod_selector(policy).is_none_or(|pods| selector::matches(pods, Some(labels)))
    });
    if isolated {
        return Vec::new();
    }
    vec![Violation::pod(
        "no NetworkPolicy with policy type Ingress selects the pod's labels, so it accepts connections from any source",
    )]
}

/// Findings for the rules of the namespace's policies that admit every peer in this direction,
/// except the rules `tolerated` accepts.
fn open_rules(
    ctx: &NamespaceCtx,
    check: &'static str,
    direction: Direction,
    tolerated: fn(&Rule) -> bool,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for policy in ctx
        .namespace
        .network_policies
        .iter()
        .filter(|policy| governs(policy, direction))
    {
        let name = policy.metadata.name.as_deref().unwrap_or_default();
        let resource = ResourceRef::new("NetworkPolicy", Some(&ctx.namespace.name), name);
        for rule in rules(policy, direction).iter().filter(|rule| !tolerated(rule)) {
            if let Some(reason) = admits_any_peer(rule, direction) {
                let message = format!(
                    "{} rule {} allows {} ({reason})",
                    direction.policy_type().to_lowercase(),
                    rule.index,
                    direction.any_peer()
                );
                findings.push(
                    Finding::new(check, resource.clone(), message).exempt_by(policy.metadata.annotations.as_ref()),
                );
            }
        }
    }
    findings
}

fn egress_any(ctx: &NamespaceCtx) -> Vec<Finding> {
    // Reaching DNS servers anywhere is routine and of little use to an attacker on its own.
    open_rules(ctx, EGRESS_ANY, Direction::Egress, allows_only_dns)
}

fn ingress_any(ctx: &NamespaceCtx) -> Vec<Finding> {
    open_rules(ctx, INGRESS_ANY, Direction::Ingress, |_| false)
}

fn dns_blocked(ctx: &NamespaceCtx) -> Vec<Finding> {
    // Without the Namespace object the manifests may be partial: the DNS rule may live elsewhere.
    if ctx.namespace.namespace.is_none() || !has_default_deny(ctx.namespace, Direction::Egress) {
        return Vec::new();
    }
    let policies = ctx.namespace.network_policies.iter();
    let dns_allowed = policies
        .filter(|policy| governs(policy, Direction::Egress))
        .any(|policy| rules(policy, Direction::Egress).iter().any(allows_dns));
    if dns_allowed {
        return Vec::new();
    }
    let message = "egress is denied by default but no egress rule allows UDP port 53 to the cluster DNS, so name resolution fails";
    vec![namespace_finding(DNS_BLOCKED, ctx.namespace, message)]
}

#[cfg(test)]
pub(crate) mod testing {
    use crate::catalog::{Expect, Fixture, find};
    use crate::engine::Finding;

    /// The findings of one check over multi-document YAML manifests.
    pub(crate) fn findings(check: &str, manifests: &'static str) -> Vec<Finding> {
        let fixture = Fixture {
            expect: Expect::Fail,
            manifests,
        };
        fixture
            .findings(find(check).expect("catalog id"))
            .expect("valid manifests")
    }
}

#[cfg(test)]
mod tests {
    use super::testing::findings;
    use super::*;

    #[test]
    fn whole_address_space_is_any_zero_prefix() {
        for cidr in ["0.0.0.0/0", "::/0", " 0::/0 ", "10.0.0.0/0"] {
            assert!(is_whole_address_space(cidr), "{cidr}");
        }
        for cidr in ["0.0.0.0/1", "10.0.0.0/8", "::/128", "0.0.0.0", "", "/", "x/y"] {
            assert!(!is_whole_address_space(cidr), "{cidr}");
        }
    }

    #[test]
    fn namespace_findings_carry_the_namespace_annotations() {
        let manifests = "{apiVersion: v1, kind: Namespace, metadata: {name: shop, annotations: {palisade.dev/exempt: 'net.*', palisade.dev/exempt-reason: mesh}}}";
        let found = findings(DEFAULT_DENY_INGRESS, manifests);
        let [finding] = found.as_slice() else {
            panic!("expected one finding, got {found:?}");
        };
        assert_eq!(*finding.resource, ResourceRef::new("Namespace", Some("shop"), "shop"));
        assert_eq!(finding.annotation_exemption.as_deref(), Some("mesh"));
    }

    #[test]
    fn rule_findings_name_the_policy_and_rule_index() {
        let manifests = "{apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: open, namespace: shop, annotations: {palisade.dev/exempt: net.ingress-any, palisade.dev/exempt-reason: public edge}}, spec: {podSelector: {}, ingress: [{from: [{podSelector: {}}]}, {from: [{ipBlock: {cidr: 0.0.0.0/0}}]}]}}";
        let found = findings(INGRESS_ANY, manifests);
        let [finding] = found.as_slice() else {
            panic!("expected one finding, got {found:?}");
        };
        assert_eq!(
            *finding.resource,
            ResourceRef::new("NetworkPolicy", Some("shop"), "open")
        );
        assert_eq!(finding.message, "ingress rule 1 allows any source (ipBlock 0.0.0.0/0)");
        assert_eq!(finding.annotation_exemption.as_deref(), Some("public edge"));
    }

    #[test]
    fn a_policy_without_spec_denies_ingress_like_the_api_server_default() {
        let policy: NetworkPolicy =
            serde_json::from_value(serde_json::json!({"metadata": {"name": "bare"}})).expect("policy");
        assert!(is_default_deny(&policy, Direction::Ingress));
        assert!(!governs(&policy, Direction::Egress));
        assert!(rules(&policy, Direction::Egress).is_empty());
    }
}
