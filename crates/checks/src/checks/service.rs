//! Services that expose workloads outside the cluster: public load balancers and node ports.

use k8s_openapi::api::core::v1::Service;
use palisade_crds::{Profile, Severity};

use super::network::is_whole_address_space;
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
        fails_when: "a LoadBalancer Service has no loadBalancerSourceRanges (or one of 0.0.0.0/0 or ::/0) and no internal load balancer annotation",
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
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {type: LoadBalancer, loadBalancerSourceRanges: [203.0.113.0/24], ports: [{port: 80}]}}",
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

/// The source ranges the load balancer admits: the spec's, else the legacy annotation's.
fn source_ranges(service: &Service) -> Vec<&str> {
    let spec_ranges = service
        .spec
        .as_ref()
        .and_then(|spec| spec.load_balancer_source_ranges.as_deref());
    match spec_ranges {
        Some(ranges) if !ranges.is_empty() => ranges.iter().map(String::as_str).collect(),
        _ => annotation(service, SOURCE_RANGES_ANNOTATION)
            .into_iter()
            .flat_map(|ranges| ranges.split(','))
            .map(str::trim)
            .filter(|range| !range.is_empty())
            .collect(),
    }
}

/// Why the load balancer is reachable from any address, if it is.
fn exposure(service: &Service) -> Option<String> {
    if is_internal(service) {
        return None;
    }
    let ranges = source_ranges(service);
    if ranges.is_empty() {
        return Some("LoadBalancer Service accepts traffic from any address: no loadBalancerSourceRanges".into());
    }
    ranges
        .into_iter()
        .find(|range| is_whole_address_space(range))
        .map(|range| {
            format!("LoadBalancer Service accepts traffic from any address: loadBalancerSourceRanges includes {range}")
        })
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
        assert_eq!(finding.resource, ResourceRef::new("Service", Some("shop"), "edge"));
        assert!(finding.message.ends_with("includes ::/0"), "{}", finding.message);
        assert_eq!(finding.annotation_exemption.as_deref(), Some("public api"));
    }
}
