//! Palisade's own annotations on resources: `palisade.dev/exempt` exemptions that break the
//! grammar (see [`crate::exemption`]) exempt nothing and are reported here, so an owner who
//! meant to exempt something learns why it did not count.

use palisade_crds::Severity;

use crate::catalog::{Category, CheckDef, Eval, Expect, Fixture};
use crate::exemption::{self, Annotations};

pub static CHECKS: &[CheckDef] = &[CheckDef {
    id: "meta.invalid-exemption",
    title: "palisade.dev/exempt annotations are well-formed",
    severity: Severity::Low,
    category: Category::Admission,
    required_in: None,
    pss: None,
    cis: &[],
    nsa: &[],
    fails_when: "a `palisade.dev/exempt` annotation has no non-empty `palisade.dev/exempt-reason`, or lists an empty entry, an unknown check id, a glob matching no check or a glob not confined to one area (`*`, `*.*`, `p*`); such an annotation exempts nothing",
    remediation: "List exact check ids or globs of one area (`pod.*`, `rbac.secrets-*`), comma-separated, in `palisade.dev/exempt`, and say why in `palisade.dev/exempt-reason`. A Required check is exempted by an exception in the HardeningBaseline (with an owner and an expiry) unless the baseline sets `annotationExemptions: All`.",
    reads_secret_data: false,
    eval: Eval::Annotations(invalid_exemption),
    changes_at: None,
    fixtures: &[
        Fixture {
            expect: Expect::Fail,
            manifests: "{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, namespace: shop, annotations: {palisade.dev/exempt: pod.privileged}}, spec: {selector: {}, template: {spec: {containers: [{name: c, image: x}]}}}}",
        },
        Fixture {
            expect: Expect::Fail,
            manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p, namespace: shop, annotations: {palisade.dev/exempt: '*', palisade.dev/exempt-reason: everything}}, spec: {containers: [{name: c, image: x}]}}",
        },
        Fixture {
            expect: Expect::Fail,
            manifests: "{apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding, metadata: {name: b, annotations: {palisade.dev/exempt: 'rbac.secrets-reed', palisade.dev/exempt-reason: operator}}, roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}, subjects: [{kind: Group, name: g}]}",
        },
        Fixture {
            expect: Expect::Fail,
            manifests: "{apiVersion: v1, kind: Namespace, metadata: {name: shop, annotations: {palisade.dev/exempt: 'net.*,', palisade.dev/exempt-reason: mesh}}}",
        },
        Fixture {
            expect: Expect::Fail,
            manifests: "{apiVersion: v1, kind: ConfigMap, metadata: {name: settings, namespace: shop, annotations: {palisade.dev/exempt: 'secret.*', palisade.dev/exempt-reason: ''}}, data: {a: b}}",
        },
        Fixture {
            expect: Expect::Pass,
            manifests: "{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, namespace: shop}, spec: {selector: {}, template: {metadata: {annotations: {palisade.dev/exempt: 'pod.privileged, net.*', palisade.dev/exempt-reason: CNI agent}}, spec: {containers: [{name: c, image: x}]}}}}",
        },
        Fixture {
            expect: Expect::Pass,
            manifests: "{apiVersion: v1, kind: Service, metadata: {name: s, namespace: shop, annotations: {palisade.dev/exempt-reason: no exemption without palisade.dev/exempt}}, spec: {ports: [{port: 80}]}}",
        },
    ],
}];

fn invalid_exemption(annotations: &Annotations) -> Option<String> {
    let problems = exemption::read(*annotations)?.err()?;
    Some(exemption::describe(&problems))
}
