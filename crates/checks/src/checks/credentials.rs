//! Credentials written where anyone who can read the object reads them: literal env values,
//! commands and arguments, ConfigMap data. They are told by shape ([`CredentialShape`]) when the
//! object is stored; checks read the markers left in place of the values, so findings name the
//! container, variable, argument index or key and the kind of credential, never the value.

use k8s_openapi::api::core::v1::ConfigMap;
use palisade_crds::{Profile, Severity};

use super::credential_shape::CredentialShape;
use crate::catalog::{Category, CheckDef, Eval, Expect, Fixture};
use crate::engine::{Finding, NamespaceCtx, ResourceRef, Violation, WorkloadCtx};

const NSA_SECRETS: &[&str] = &["Secrets"];

/// The shapes recognised, as the checks' texts list them (a test keeps it complete).
macro_rules! shapes {
    () => {
        "a PEM private key, an AWS access key ID, a GitHub token, a GitLab access token, a Slack token, a Stripe live secret key, a Google API key, a JSON Web Token or a Kubernetes bootstrap token (each by its documented prefix, length and structure)"
    };
}

pub static CHECKS: &[CheckDef] = &[
    CheckDef {
        id: "pod.credential-in-env",
        title: "Env values hold no private key or token",
        severity: Severity::High,
        category: Category::Secrets,
        required_in: Some(Profile::Restricted),
        pss: None,
        cis: &[],
        nsa: NSA_SECRETS,
        fails_when: concat!("a literal env value of a container holds ", shapes!()),
        remediation: "Move the credential into a Secret and read it with `valueFrom.secretKeyRef` (or mount it as a file); then revoke and rotate it, since everyone who could read the pod spec has it.",
        reads_secret_data: false,
        eval: Eval::Workload(credential_in_env),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x, env: [{name: GH, value: ghp_EXAMPLE00000000000000000000000000000}]}]}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: apps/v1, kind: Deployment, metadata: {name: d}, spec: {selector: {}, template: {spec: {initContainers: [{name: migrate, image: x, env: [{name: AWS_CREDENTIALS, value: \"[default]\\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\\n\"}]}], containers: [{name: c, image: x}]}}}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x}], ephemeralContainers: [{name: debug, image: x, env: [{name: KEY, value: \"-----BEGIN OPENSSH PRIVATE KEY-----\\nbm90LWEtcmVhbC1rZXk=\\n-----END OPENSSH PRIVATE KEY-----\\n\"}]}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x, env: [{name: API_TOKEN, value: hunter2-hunter2}, {name: TOKEN, value: '$(OTHER)'}, {name: CA, value: \"-----BEGIN CERTIFICATE-----\\nbm90LWEtcmVhbC1jZXJ0\\n-----END CERTIFICATE-----\\n\"}, {name: GH, valueFrom: {secretKeyRef: {name: gh, key: token}}}, {name: HOST, value: db.payments.svc.cluster.local}]}]}}",
            },
        ],
    },
    CheckDef {
        id: "pod.credential-in-args",
        title: "Commands and arguments hold no private key or token",
        severity: Severity::High,
        category: Category::Secrets,
        required_in: Some(Profile::Restricted),
        pss: None,
        cis: &[],
        nsa: NSA_SECRETS,
        fails_when: concat!("a container's command or argument holds ", shapes!()),
        remediation: "Read the credential from a mounted Secret file, or from an env var set from a Secret and expanded as `$(VAR)`, instead of writing it into the command; then revoke and rotate it, since pod specs and process listings show arguments.",
        reads_secret_data: false,
        eval: Eval::Workload(credential_in_args),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: apps/v1, kind: Deployment, metadata: {name: notifier}, spec: {selector: {}, template: {spec: {containers: [{name: c, image: x, args: [--channel, alerts, --slack-token, xoxb-1234567890-1234567890123-EXAMPLEexampleEXAMPLE00]}]}}}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: batch/v1, kind: CronJob, metadata: {name: sync}, spec: {schedule: '@daily', jobTemplate: {spec: {template: {spec: {containers: [{name: c, image: x, command: [sh, -c, \"curl -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJleGFtcGxlIn0.c2lnbmF0dXJlLW5vdC1yZWFs' https://api.example.com\"]}]}}}}}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: c, image: x, command: [/app/server], args: [--token-file=/run/secrets/token, '--token=$(API_TOKEN)', --listen=:8080, --upstream=api.example.com]}]}}",
            },
        ],
    },
    CheckDef {
        id: "secret.credential-in-configmap",
        title: "ConfigMaps hold no private key or token",
        severity: Severity::High,
        category: Category::Secrets,
        required_in: Some(Profile::Restricted),
        pss: None,
        cis: &[],
        nsa: NSA_SECRETS,
        fails_when: concat!("a ConfigMap `data` or `binaryData` value holds ", shapes!()),
        remediation: "Move the value into a Secret (roles that may not read Secrets often read ConfigMaps, and encryption at rest covers Secrets only); then revoke and rotate the credential.",
        reads_secret_data: false,
        eval: Eval::Namespace(credential_in_config_map),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: ConfigMap, metadata: {name: deploy-keys}, data: {id_ed25519: \"-----BEGIN OPENSSH PRIVATE KEY-----\\nbm90LWEtcmVhbC1rZXk=\\n-----END OPENSSH PRIVATE KEY-----\\n\", known_hosts: 'github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5'}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: ConfigMap, metadata: {name: web, namespace: shop}, data: {config.js: 'window.config = {stripeKey: \"sk_live_EXAMPLE0000000000000000000\"}'}, binaryData: {credentials: W2RlZmF1bHRdCmF3c19hY2Nlc3Nfa2V5X2lkPUFTSUFJT1NGT0ROTjdFWEFNUExFCg==}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: ConfigMap, metadata: {name: kube-root-ca.crt}, data: {ca.crt: \"-----BEGIN CERTIFICATE-----\\nbm90LWEtcmVhbC1jZXJ0\\n-----END CERTIFICATE-----\\n\"}}\n---\n{apiVersion: v1, kind: ConfigMap, metadata: {name: settings}, data: {LOG_LEVEL: debug, STRIPE_MODE: sk_test_EXAMPLE0000000000000000000, DB_HOST: db.payments.svc.cluster.local}, binaryData: {logo.png: iVBORw0KGgo=}}",
            },
        ],
    },
];

fn credential_in_env(ctx: &WorkloadCtx) -> Vec<Violation> {
    let mut violations = Vec::new();
    for container in ctx.containers() {
        for env in container.env {
            if let Some(shape) = recorded(env.value.as_deref()) {
                let message = format!("env {} holds {}", env.name, shape.phrase());
                violations.push(Violation::container(&container, message));
            }
        }
    }
    violations
}

fn credential_in_args(ctx: &WorkloadCtx) -> Vec<Violation> {
    let mut violations = Vec::new();
    for container in ctx.containers() {
        for (field, items) in [("command", container.command), ("args", container.args)] {
            for (index, item) in items.iter().enumerate() {
                if let Some(shape) = recorded(Some(item)) {
                    let message = format!("{field}[{index}] holds {}", shape.phrase());
                    violations.push(Violation::container(&container, message));
                }
            }
        }
    }
    violations
}

fn credential_in_config_map(ctx: &NamespaceCtx) -> Vec<Finding> {
    ctx.namespace
        .config_maps
        .iter()
        .filter_map(|config_map| {
            let found = config_map_credentials(config_map);
            (!found.is_empty()).then(|| {
                let name = config_map.metadata.name.as_deref().unwrap_or_default();
                let resource = ResourceRef::new("ConfigMap", Some(&ctx.namespace.name), name);
                Finding::new("secret.credential-in-configmap", resource, found.join("; "))
                    .exempt_by(config_map.metadata.annotations.as_ref())
            })
        })
        .collect()
}

/// "key K holds a ..." for each `data` and `binaryData` key whose stored value is a marker.
fn config_map_credentials(config_map: &ConfigMap) -> Vec<String> {
    let data = config_map
        .data
        .iter()
        .flatten()
        .map(|(key, value)| ("key", key, value.as_bytes()));
    let binary = config_map
        .binary_data
        .iter()
        .flatten()
        .map(|(key, value)| ("binaryData key", key, value.0.as_slice()));
    data.chain(binary)
        .filter_map(|(field, key, stored)| {
            let shape = CredentialShape::from_marker(stored)?;
            Some(format!("{field} {key} holds {}", shape.phrase()))
        })
        .collect()
}

/// The credential a stored value was found to hold (the inventory keeps markers, not values).
fn recorded(stored: Option<&str>) -> Option<CredentialShape> {
    CredentialShape::from_marker(stored?.as_bytes())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use serde_json::json;

    use super::*;
    use crate::inventory::{AddOptions, Inventory};

    fn check(id: &str) -> &'static CheckDef {
        CHECKS.iter().find(|check| check.id == id).expect("check")
    }

    fn messages(id: &str, fixture: usize) -> Vec<(Option<String>, String)> {
        let check = check(id);
        let findings = check.fixtures[fixture].findings(check).expect("valid fixture");
        findings
            .into_iter()
            .map(|finding| {
                (
                    finding.container.as_deref().map(str::to_string),
                    finding.message.into_owned(),
                )
            })
            .collect()
    }

    fn pair(container: Option<&str>, message: &str) -> (Option<String>, String) {
        (container.map(str::to_string), message.to_string())
    }

    #[test]
    fn findings_name_the_place_and_the_kind_of_credential() {
        assert_eq!(
            messages("pod.credential-in-env", 0),
            [pair(Some("c"), "env GH holds a GitHub token")]
        );
        assert_eq!(
            messages("pod.credential-in-env", 1),
            [pair(Some("migrate"), "env AWS_CREDENTIALS holds an AWS access key ID")]
        );
        assert_eq!(
            messages("pod.credential-in-env", 2),
            [pair(Some("debug"), "env KEY holds a PEM private key")]
        );
        assert_eq!(
            messages("pod.credential-in-args", 0),
            [pair(Some("c"), "args[3] holds a Slack token")]
        );
        assert_eq!(
            messages("pod.credential-in-args", 1),
            [pair(Some("c"), "command[2] holds a JSON Web Token")]
        );
        assert_eq!(
            messages("secret.credential-in-configmap", 0),
            [pair(None, "key id_ed25519 holds a PEM private key")]
        );
        assert_eq!(
            messages("secret.credential-in-configmap", 1),
            [pair(
                None,
                "key config.js holds a Stripe live secret key; binaryData key credentials holds an AWS access key ID"
            )]
        );
    }

    #[test]
    fn the_check_texts_list_every_shape() {
        for check in CHECKS {
            for shape in CredentialShape::ALL {
                assert!(
                    check.fails_when.contains(&shape.phrase()),
                    "{} does not name {}",
                    check.id,
                    shape.name()
                );
            }
        }
    }

    /// A credential of each shape, made up for the test.
    fn one_of_each_shape() -> Vec<String> {
        let google = format!("AIza{}", "Sy-_9".repeat(7));
        let fine_grained = format!("github_pat_{}", "A1b_".repeat(21).get(..82).unwrap_or_default());
        let credentials = vec![
            "-----BEGIN RSA PRIVATE KEY-----\nbm90LWEtcmVhbC1rZXk=\n-----END RSA PRIVATE KEY-----\n".to_string(),
            "AKIAIOSFODNN7EXAMPLE".to_string(),
            "ghp_EXAMPLE00000000000000000000000000000".to_string(),
            fine_grained,
            "glpat-EXAMPLEexample000000".to_string(),
            "xoxb-1234567890-1234567890123-EXAMPLEexampleEXAMPLE00".to_string(),
            "sk_live_EXAMPLE0000000000000000000".to_string(),
            google,
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJleGFtcGxlIn0.c2lnbmF0dXJlLW5vdC1yZWFs".to_string(),
            "07401b.f395accd246ae52d".to_string(),
        ];
        let found: BTreeSet<CredentialShape> = credentials
            .iter()
            .filter_map(|credential| CredentialShape::find(credential.as_bytes()))
            .collect();
        assert_eq!(found.len(), CredentialShape::ALL.len(), "{found:?}");
        credentials
    }

    #[test]
    fn no_credential_or_part_of_one_is_stored_or_reported() {
        let credentials = one_of_each_shape();
        let env: Vec<serde_json::Value> = (credentials.iter().enumerate())
            .map(|(index, value)| json!({"name": format!("V{index}"), "value": format!("x {value} y")}))
            .collect();
        let data: serde_json::Map<String, serde_json::Value> = (credentials.iter().enumerate())
            .map(|(index, value)| (format!("k{index}"), json!(value)))
            .collect();
        let mut inventory = Inventory::default();
        let objects = [
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {"selector": {},
                "template": {"spec": {"initContainers": [{"name": "i", "env": env}],
                "containers": [{"name": "c", "command": credentials, "args": credentials}]}}}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}, "data": data}),
        ];
        for object in objects {
            inventory.add_object(object, &AddOptions::default()).expect("valid");
        }
        let namespace = &inventory.namespaces["default"];
        let checks: Vec<&'static CheckDef> = CHECKS.iter().collect();
        let findings =
            crate::evaluate_namespace(namespace, &inventory.cluster, &crate::Params::default(), &checks).findings;
        let found = |check: &str| findings.iter().filter(|finding| finding.check == check).count();
        let each = credentials.len();
        assert_eq!(
            [
                found("pod.credential-in-env"),
                found("pod.credential-in-args"),
                found("secret.credential-in-configmap")
            ],
            [each, 2 * each, 1]
        );
        let mut shown: Vec<String> = findings.iter().map(|finding| format!("{finding:?}")).collect();
        shown.extend(namespace.workloads.iter().map(|workload| format!("{workload:?}")));
        shown.extend(namespace.config_maps.iter().map(|config_map| format!("{config_map:?}")));
        let mut checked = 0;
        for credential in &credentials {
            // No 10 consecutive characters of a credential are kept or shown.
            let chars: Vec<char> = credential.chars().collect();
            for part in chars.windows(10).map(String::from_iter) {
                checked += 1;
                for text in &shown {
                    assert!(!text.contains(&part), "{part:?} in {text}");
                }
            }
        }
        assert!(checked > 100, "{checked}");
    }
}
