//! Services that expose workloads outside the cluster: public load balancers and node ports.

use k8s_openapi::api::core::v1::Service;
use palisade_crds::{Profile, Severity};

use super::cidr::{Admitted, Family, Range};
use crate::catalog::{Category, CheckDef, Eval, Expect, Fixture};
use crate::engine::{Finding, NamespaceCtx, ResourceRef};

const NSA_NETWORK_SEPARATION: &[&str] = &["Network separation and hardening"];

const PUBLIC_LOAD_BALANCER: &str = "svc.public-load-balancer";
const NODE_PORT: &str = "svc.node-port";

/// Annotations that make cloud providers provision a load balancer reachable only from private
/// networks, with the value that does so. `None` accepts any value but "false": the AWS
/// in-tree provider treats every other value of its annotation as internal.
const INTERNAL_LOAD_BALANCER_ANNOTATIONS: &[(&str, Option<&str>)] = &[
    ("service.beta.kubernetes.io/aws-load-balancer-internal", None),
    ("service.beta.kubernetes.io/aws-load-balancer-scheme", Some("internal")),
    ("networking.gke.io/load-balancer-type", Some("Internal")),
    ("cloud.google.com/load-balancer-type", Some("Internal")),
    ("service.beta.kubernetes.io/azure-load-balancer-internal", Some("true")),
    ("service.beta.kubernetes.io/oci-load-balancer-internal", Some("true")),
];

/// The legacy annotation Kubernetes reads when `spec.loadBalancerSourceRanges` is empty.
const SOURCE_RANGES_ANNOTATION: &str = "service.beta.kubernetes.io/load-balancer-source-ranges";

/// The share of a family's public addresses (numerator, denominator) from which source ranges
/// leave a load balancer open to the internet: no list of client networks comes near a quarter
/// of the internet, while `0.0.0.0/1` or `0.0.0.0/2` is no restriction worth the name.
const OPEN_SHARE: (u128, u128) = (1, 4);
/// How many ranges a message quotes.
const QUOTED_RANGES: usize = 3;

pub static CHECKS: &[CheckDef] = &[
    CheckDef {
        id: PUBLIC_LOAD_BALANCER,
        title: "LoadBalancer Services are not open to the internet",
        severity: Severity::High,
        category: Category::Network,
        required_in: Some(Profile::Restricted),
        pss: None,
        cis: &[],
        nsa: NSA_NETWORK_SEPARATION,
        fails_when: "a LoadBalancer Service without an internal load balancer annotation has no source ranges (`spec.loadBalancerSourceRanges`, else the `service.beta.kubernetes.io/load-balancer-source-ranges` annotation), source ranges that together admit a quarter or more of the public IPv4 or IPv6 addresses (such as 0.0.0.0/0, ::/0, or 0.0.0.0/1 with 128.0.0.0/1; private and reserved blocks do not count), or a malformed source range",
        remediation: "Set `spec.loadBalancerSourceRanges` to the client networks that need access, make the load balancer internal with your cloud provider's annotation (e.g. `service.beta.kubernetes.io/aws-load-balancer-scheme: internal`, `networking.gke.io/load-balancer-type: Internal`, `service.beta.kubernetes.io/azure-load-balancer-internal: \"true\"`), or publish through an Ingress or Gateway instead.",
        reads_secret_data: false,
        eval: Eval::Namespace(public_load_balancer),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {type: LoadBalancer, ports: [{port: 80}]}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {type: LoadBalancer, loadBalancerSourceRanges: [10.0.0.0/8, 0.0.0.0/0], ports: [{port: 80}]}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Service, metadata: {name: s, annotations: {service.beta.kubernetes.io/aws-load-balancer-internal: 'false', service.beta.kubernetes.io/azure-load-balancer-internal: 'false'}}, spec: {type: LoadBalancer, ports: [{port: 80}]}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {type: LoadBalancer, loadBalancerSourceRanges: [0.0.0.0/1, 128.0.0.0/1], ports: [{port: 80}]}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {type: LoadBalancer, loadBalancerSourceRanges: [198.51.100.0/24, '::/1', '8000::/1'], ports: [{port: 80}]}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Service, metadata: {name: s, annotations: {service.beta.kubernetes.io/load-balancer-source-ranges: '64.0.0.0/2'}}, spec: {type: LoadBalancer, ports: [{port: 80}]}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {type: LoadBalancer, loadBalancerSourceRanges: [203.0.113.0/24, 198.51.100.0], ports: [{port: 80}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {type: LoadBalancer, loadBalancerSourceRanges: [203.0.113.0/24], ports: [{port: 80}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {type: LoadBalancer, loadBalancerSourceRanges: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 'fd00::/8', 20.0.0.0/8], ports: [{port: 80}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Service, metadata: {name: s, annotations: {networking.gke.io/load-balancer-type: Internal}}, spec: {type: LoadBalancer, ports: [{port: 80}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Service, metadata: {name: s, annotations: {service.beta.kubernetes.io/aws-load-balancer-internal: 'true'}}, spec: {type: LoadBalancer, ports: [{port: 80}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Service, metadata: {name: s, annotations: {service.beta.kubernetes.io/load-balancer-source-ranges: '192.0.2.0/24, 198.51.100.0/24'}}, spec: {type: LoadBalancer, ports: [{port: 80}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {type: ClusterIP, ports: [{port: 80}]}}",
            },
        ],
    },
    CheckDef {
        id: NODE_PORT,
        title: "NodePort Services are not used",
        severity: Severity::Medium,
        category: Category::Network,
        required_in: None,
        pss: None,
        cis: &[],
        nsa: NSA_NETWORK_SEPARATION,
        fails_when: "a Service is of type NodePort",
        remediation: "Use a ClusterIP Service behind an Ingress or Gateway (or a LoadBalancer with source ranges); a NodePort opens the port on every node's addresses.",
        reads_secret_data: false,
        eval: Eval::Namespace(node_port),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {type: NodePort, ports: [{port: 80, nodePort: 30080}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {ports: [{port: 80}]}}",
            },
        ],
    },
];

fn service_type(service: &Service) -> Option<&str> {
    service.spec.as_ref()?.type_.as_deref()
}

fn annotation<'a>(service: &'a Service, key: &str) -> Option<&'a str> {
    service.metadata.annotations.as_ref()?.get(key).map(String::as_str)
}

fn is_internal(service: &Service) -> bool {
    INTERNAL_LOAD_BALANCER_ANNOTATIONS.iter().any(|(key, internal_value)| {
        annotation(service, key).is_some_and(|value| match internal_value {
            Some(internal_value) => value.eq_ignore_ascii_case(internal_value),
            None => !value.is_empty() && !value.eq_ignore_ascii_case("false"),
        })
    })
}

/// The source ranges the load balancer admits, with where they are set: the spec's, else the
/// legacy annotation's.
fn source_ranges(service: &Service) -> (&'static str, Vec<&str>) {
    let spec_ranges = service
        .spec
        .as_ref()
        .and_then(|spec| spec.load_balancer_source_ranges.as_deref());
    match spec_ranges {
        Some(ranges) if !ranges.is_empty() => (
            "loadBalancerSourceRanges",
            ranges.iter().map(|range| range.trim()).collect(),
        ),
        _ => (
            "annotation load-balancer-source-ranges",
            annotation(service, SOURCE_RANGES_ANNOTATION)
                .into_iter()
                .flat_map(|ranges| ranges.split(','))
                .map(str::trim)
                .filter(|range| !range.is_empty())
                .collect(),
        ),
    }
}

/// Why the load balancer is reachable from the internet (or cannot be judged), if it is.
fn exposure(service: &Service) -> Option<String> {
    if is_internal(service) {
        return None;
    }
    let (origin, ranges) = source_ranges(service);
    if ranges.is_empty() {
        return Some("LoadBalancer Service accepts traffic from any address: no loadBalancerSourceRanges".into());
    }
    let parsed: Vec<Range> = ranges.iter().filter_map(|range| Range::parse(range)).collect();
    let (numerator, denominator) = OPEN_SHARE;
    let open = [Family::V4, Family::V6]
        .into_iter()
        .map(|family| Admitted::of(family, &parsed))
        .find(|admitted| admitted.is_at_least(numerator, denominator));
    if let Some(admitted) = open {
        return Some(format!(
            "LoadBalancer Service accepts traffic from {} public {} addresses: {origin} {}",
            admitted.describe(),
            admitted.family.as_str(),
            quoted(&ranges),
        ));
    }
    let malformed: Vec<&str> = ranges
        .into_iter()
        .filter(|range| Range::parse(range).is_none())
        .collect();
    (!malformed.is_empty()).then(|| {
        format!(
            "LoadBalancer Service's source ranges cannot be judged: {origin} has malformed ranges (not address/prefix) {}",
            quoted(&malformed)
        )
    })
}

/// The first few ranges, and how many more there are.
fn quoted(ranges: &[&str]) -> String {
    let shown = ranges[..ranges.len().min(QUOTED_RANGES)].join(", ");
    match ranges.len().saturating_sub(QUOTED_RANGES) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}

fn service_finding(ctx: &NamespaceCtx, check: &'static str, service: &Service, message: String) -> Finding {
    let name = service.metadata.name.as_deref().unwrap_or_default();
    let resource = ResourceRef::new("Service", Some(&ctx.namespace.name), name);
    Finding::new(check, resource, message).exempt_by(service.metadata.annotations.as_ref())
}

fn public_load_balancer(ctx: &NamespaceCtx) -> Vec<Finding> {
    ctx.namespace
        .services
        .iter()
        .filter(|service| service_type(service) == Some("LoadBalancer"))
        .filter_map(|service| Some(service_finding(ctx, PUBLIC_LOAD_BALANCER, service, exposure(service)?)))
        .collect()
}

fn node_port(ctx: &NamespaceCtx) -> Vec<Finding> {
    ctx.namespace
        .services
        .iter()
        .filter(|service| service_type(service) == Some("NodePort"))
        .map(|service| {
            let message = "Service of type NodePort opens its ports on every node".to_string();
            service_finding(ctx, NODE_PORT, service, message)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::network::testing::findings;
    use super::*;

    #[test]
    fn service_findings_carry_the_service_annotations() {
        let manifests = "{apiVersion: v1, kind: Service, metadata: {name: edge, namespace: shop, annotations: {palisade.dev/exempt: svc.*, palisade.dev/exempt-reason: public api}}, spec: {type: LoadBalancer, loadBalancerSourceRanges: ['::/0']}}";
        let found = findings(PUBLIC_LOAD_BALANCER, manifests);
        let [finding] = found.as_slice() else {
            panic!("expected one finding, got {found:?}");
        };
        assert_eq!(*finding.resource, ResourceRef::new("Service", Some("shop"), "edge"));
        assert_eq!(
            finding.message,
            "LoadBalancer Service accepts traffic from all public IPv6 addresses: loadBalancerSourceRanges ::/0"
        );
        assert_eq!(finding.annotation_exemption.as_deref(), Some("public api"));
    }

    fn message(ranges: &str) -> String {
        let manifests = format!(
            "{{apiVersion: v1, kind: Service, metadata: {{name: edge}}, spec: {{type: LoadBalancer, loadBalancerSourceRanges: {ranges}}}}}"
        );
        let found = findings(PUBLIC_LOAD_BALANCER, manifests.leak());
        found.into_iter().map(|finding| finding.message).collect()
    }

    #[test]
    fn messages_say_how_much_of_the_internet_is_admitted_and_quote_few_ranges() {
        assert_eq!(
            message("[0.0.0.0/2, 64.0.0.0/2, 1.1.1.1/32, 8.8.8.8/32, 9.9.9.9/32]"),
            "LoadBalancer Service accepts traffic from about 56% of public IPv4 addresses: loadBalancerSourceRanges 0.0.0.0/2, 64.0.0.0/2, 1.1.1.1/32 and 2 more"
        );
        assert_eq!(
            message("['10.0.0.0/8', '300.0.0.0/8', 'office']"),
            "LoadBalancer Service's source ranges cannot be judged: loadBalancerSourceRanges has malformed ranges (not address/prefix) 300.0.0.0/8, office"
        );
        assert_eq!(
            message("['0.0.0.0/3', '::/3']"),
            "",
            "an eighth of IPv4, no public IPv6"
        );
    }
}
