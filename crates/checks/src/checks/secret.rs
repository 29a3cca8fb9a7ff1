//! Secrets hygiene: long-lived token secrets, secrets nothing uses, secrets never rotated, cloud
//! credentials kept in secrets and values shared across namespaces. The checks that read values
//! never put a value, or anything derived from it, into a finding: messages name keys only.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{Secret, ServiceAccount};
use k8s_openapi::api::networking::v1::Ingress;
use k8s_openapi::jiff::Timestamp;
use palisade_crds::{Profile, Severity};

use super::secret_value::records;
use crate::catalog::{Category, CheckDef, Eval, Expect, Fixture};
use crate::engine::{ClusterCtx, Finding, NamespaceCtx, ResourceRef};
use crate::inventory::{NamespaceInventory, StoredSpec};

const NSA_SECRETS: &[&str] = &["Secrets"];

const SERVICE_ACCOUNT_TOKEN: &str = "kubernetes.io/service-account-token";
const HELM_RELEASE: &str = "helm.sh/release.v1";
const BOOTSTRAP_TOKEN: &str = "bootstrap.kubernetes.io/token";
/// Annotation naming the ServiceAccount a legacy token secret belongs to.
const SERVICE_ACCOUNT_NAME_ANNOTATION: &str = "kubernetes.io/service-account.name";
const SECONDS_PER_DAY: i64 = 86_400;

pub static CHECKS: &[CheckDef] = &[
    CheckDef {
        id: "secret.legacy-sa-token",
        title: "No long-lived service account token secrets",
        severity: Severity::Medium,
        category: Category::Secrets,
        required_in: Some(Profile::Restricted),
        pss: None,
        cis: &[],
        nsa: NSA_SECRETS,
        fails_when: "a Secret of type kubernetes.io/service-account-token exists",
        remediation: "Delete the secret and let pods use projected, auto-rotated service account tokens; for an external client issue a short-lived token with `kubectl create token` or the TokenRequest API.",
        reads_secret_data: false,
        eval: Eval::Namespace(legacy_sa_token),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Secret, metadata: {name: builder-token, annotations: {kubernetes.io/service-account.name: builder}}, type: kubernetes.io/service-account-token}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Secret, metadata: {name: s}, type: Opaque, stringData: {password: hunter2-hunter2}}\n---\n{apiVersion: v1, kind: Secret, metadata: {name: untyped}}",
            },
        ],
    },
    CheckDef {
        id: "secret.unreferenced",
        title: "Every secret is used",
        severity: Severity::Low,
        category: Category::Secrets,
        required_in: None,
        pss: None,
        cis: &[],
        nsa: NSA_SECRETS,
        fails_when: "a secret is referenced by no workload, ServiceAccount or Ingress of its namespace",
        remediation: "Delete secrets nothing uses (after checking that no external tool reads them); an unused credential is one more to leak and nobody to notice.",
        reads_secret_data: false,
        eval: Eval::Namespace(unreferenced),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Namespace, metadata: {name: default}}\n---\n{apiVersion: v1, kind: Secret, metadata: {name: orphan}, type: Opaque}\n---\n{apiVersion: apps/v1, kind: Deployment, metadata: {name: d}, spec: {selector: {}, template: {spec: {containers: [{name: c, image: x, env: [{name: P, valueFrom: {secretKeyRef: {name: other, key: p}}}]}]}}}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Namespace, metadata: {name: default}}\n---\n{apiVersion: v1, kind: Secret, metadata: {name: db}}\n---\n{apiVersion: v1, kind: Pod, metadata: {name: p, namespace: other}, spec: {containers: [{name: c, image: x, envFrom: [{secretRef: {name: db}}]}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Namespace, metadata: {name: default}}\n---\n{apiVersion: v1, kind: Secret, metadata: {name: db}, type: Opaque}\n---\n{apiVersion: apps/v1, kind: Deployment, metadata: {name: d}, spec: {selector: {}, template: {spec: {containers: [{name: c, image: x, envFrom: [{secretRef: {name: db}}]}]}}}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Namespace, metadata: {name: default}}\n---\n{apiVersion: v1, kind: Secret, metadata: {name: db}}\n---\n{apiVersion: v1, kind: Secret, metadata: {name: bundle}}\n---\n{apiVersion: v1, kind: Secret, metadata: {name: files}}\n---\n{apiVersion: v1, kind: Secret, metadata: {name: pull}, type: kubernetes.io/dockerconfigjson}\n---\n{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {imagePullSecrets: [{name: pull}], volumes: [{name: a, secret: {secretName: files}}, {name: b, projected: {sources: [{secret: {name: bundle}}]}}], initContainers: [{name: i, image: x, env: [{name: P, valueFrom: {secretKeyRef: {name: db, key: p}}}]}], containers: [{name: c, image: x}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Namespace, metadata: {name: default}}\n---\n{apiVersion: v1, kind: Secret, metadata: {name: cert}, type: kubernetes.io/tls}\n---\n{apiVersion: networking.k8s.io/v1, kind: Ingress, metadata: {name: i}, spec: {tls: [{secretName: cert}]}}\n---\n{apiVersion: v1, kind: Secret, metadata: {name: registry}, type: kubernetes.io/dockerconfigjson}\n---\n{apiVersion: v1, kind: Secret, metadata: {name: mounted}}\n---\n{apiVersion: v1, kind: ServiceAccount, metadata: {name: app}, imagePullSecrets: [{name: registry}], secrets: [{name: mounted}]}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Namespace, metadata: {name: default}}\n---\n{apiVersion: v1, kind: Secret, metadata: {name: sh.helm.release.v1.web.v1}, type: helm.sh/release.v1}\n---\n{apiVersion: v1, kind: Secret, metadata: {name: app-token}, type: kubernetes.io/service-account-token}\n---\n{apiVersion: v1, kind: Secret, metadata: {name: owned, ownerReferences: [{apiVersion: example.com/v1, kind: Database, name: db, uid: u}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Secret, metadata: {name: orphan}, type: Opaque}",
            },
        ],
    },
    CheckDef {
        id: "secret.rotation-age",
        title: "Secrets are rotated",
        severity: Severity::Low,
        category: Category::Secrets,
        required_in: None,
        pss: None,
        cis: &[],
        nsa: NSA_SECRETS,
        fails_when: "a secret was created longer ago than `parameters.maxSecretAgeDays` (default 90 days)",
        remediation: "Rotate the credential and recreate the secret (or have an external secrets operator do it); raise `maxSecretAgeDays` in the HardeningBaseline if your rotation period is longer.",
        reads_secret_data: false,
        eval: Eval::Namespace(rotation_age),
        changes_at: Some(rotation_due),
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Secret, metadata: {name: s, creationTimestamp: '2026-01-01T00:00:00Z'}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: palisade.dev/v1alpha1, kind: HardeningBaseline, metadata: {name: b}, spec: {profile: restricted, namespaces: [default], parameters: {maxSecretAgeDays: 30}}}\n---\n{apiVersion: v1, kind: Secret, metadata: {name: s, creationTimestamp: '2026-04-01T00:00:00Z'}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Secret, metadata: {name: s, creationTimestamp: '2026-05-01T00:00:00Z'}}\n---\n{apiVersion: v1, kind: Secret, metadata: {name: undated}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: palisade.dev/v1alpha1, kind: HardeningBaseline, metadata: {name: b}, spec: {profile: restricted, namespaces: [default], parameters: {maxSecretAgeDays: 365}}}\n---\n{apiVersion: v1, kind: Secret, metadata: {name: s, creationTimestamp: '2026-01-01T00:00:00Z'}}",
            },
        ],
    },
    CheckDef {
        id: "secret.cloud-credentials",
        title: "Secrets hold no static cloud credentials",
        severity: Severity::High,
        category: Category::Secrets,
        required_in: Some(Profile::Restricted),
        pss: None,
        cis: &[],
        nsa: NSA_SECRETS,
        fails_when: "a secret value holds an AWS access key ID, a GCP service account key, an Azure storage account key or a PEM private key outside the key slot its secret type provides for one",
        remediation: "Use workload identity (IRSA or EKS Pod Identity, GKE Workload Identity, Azure Workload Identity) instead of static keys; otherwise fetch them at run time from a secrets manager and rotate them.",
        reads_secret_data: true,
        eval: Eval::Namespace(cloud_credentials),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Secret, metadata: {name: aws}, type: Opaque, stringData: {aws_access_key_id: AKIAIOSFODNN7EXAMPLE}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Secret, metadata: {name: aws}, data: {credentials: W2RlZmF1bHRdCmF3c19hY2Nlc3Nfa2V5X2lkPUFTSUFJT1NGT0ROTjdFWEFNUExFCg==}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Secret, metadata: {name: gcp}, stringData: {key.json: '{\"type\":  \"service_account\", \"project_id\": \"demo-project\", \"private_key_id\": \"0123456789abcdef\", \"private_key\": \"placeholder-key\", \"client_email\": \"ci@demo-project.iam.gserviceaccount.com\"}'}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Secret, metadata: {name: azure}, stringData: {connection: 'DefaultEndpointsProtocol=https;AccountName=demostore;AccountKey=ZmFrZS1henVyZS1rZXk=;EndpointSuffix=core.windows.net'}}",
            },
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Secret, metadata: {name: signer}, type: Opaque, stringData: {signing.pem: \"-----BEGIN EC PRIVATE KEY-----\\nbm90LWEtcmVhbC1rZXk=\\n-----END EC PRIVATE KEY-----\\n\"}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Secret, metadata: {name: web-tls}, type: kubernetes.io/tls, stringData: {tls.crt: \"-----BEGIN CERTIFICATE-----\\nbm90LWEtcmVhbC1jZXJ0\\n-----END CERTIFICATE-----\\n\", tls.key: \"-----BEGIN PRIVATE KEY-----\\nbm90LWEtcmVhbC1rZXk=\\n-----END PRIVATE KEY-----\\n\"}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Secret, metadata: {name: app}, stringData: {password: hunter2-hunter2, id: AKIAIOSFODNN7EXAMPLES, lower: akiaiosfodnn7example, json: '{\"type\": \"authorized_user\", \"private_key\": \"none\"}'}}",
            },
        ],
    },
    CheckDef {
        id: "secret.reused-value",
        title: "Secret values are not shared across namespaces",
        severity: Severity::Medium,
        category: Category::Secrets,
        required_in: None,
        pss: None,
        cis: &[],
        nsa: NSA_SECRETS,
        fails_when: "the same value (8 bytes or longer) appears in secrets of two or more namespaces",
        remediation: "Issue a separate credential per namespace (or per workload), so that one leaked namespace does not expose the others and each can be rotated and revoked alone.",
        reads_secret_data: true,
        eval: Eval::Cluster(reused_value),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Secret, metadata: {name: a, namespace: team-a}, stringData: {password: correct-horse-battery-staple}}\n---\n{apiVersion: v1, kind: Secret, metadata: {name: b, namespace: team-b}, data: {db-password: Y29ycmVjdC1ob3JzZS1iYXR0ZXJ5LXN0YXBsZQ==}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Secret, metadata: {name: a}, stringData: {password: correct-horse-battery-staple}}\n---\n{apiVersion: v1, kind: Secret, metadata: {name: b}, stringData: {password: correct-horse-battery-staple}}\n---\n{apiVersion: v1, kind: Secret, metadata: {name: c, namespace: team-b}, stringData: {password: hunter2-hunter2}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Secret, metadata: {name: a, namespace: team-a}, stringData: {tls: 'on', ca.crt: \"-----BEGIN CERTIFICATE-----\\nbm90LWEtcmVhbC1jZXJ0\\n-----END CERTIFICATE-----\\n\"}}\n---\n{apiVersion: v1, kind: Secret, metadata: {name: b, namespace: team-b}, stringData: {tls: 'on', ca.crt: \"-----BEGIN CERTIFICATE-----\\nbm90LWEtcmVhbC1jZXJ0\\n-----END CERTIFICATE-----\\n\"}}",
            },
        ],
    },
];

fn legacy_sa_token(ctx: &NamespaceCtx) -> Vec<Finding> {
    ctx.namespace
        .secrets
        .iter()
        .filter(|secret| secret_type(secret) == SERVICE_ACCOUNT_TOKEN)
        .map(|secret| {
            let message = match annotation(secret, SERVICE_ACCOUNT_NAME_ANNOTATION) {
                Some(account) => format!("is a long-lived token of ServiceAccount {account}"),
                None => "is a long-lived service account token".to_string(),
            };
            finding("secret.legacy-sa-token", &ctx.namespace.name, secret, message)
        })
        .collect()
}

fn unreferenced(ctx: &NamespaceCtx) -> Vec<Finding> {
    // Without the Namespace object the input may be a partial set of manifests, whose
    // references live elsewhere.
    if ctx.namespace.namespace.is_none() {
        return Vec::new();
    }
    let referenced = referenced_secrets(ctx.namespace);
    ctx.namespace
        .secrets
        .iter()
        .filter(|secret| is_user_managed(secret))
        .filter(|secret| !referenced.contains(secret.metadata.name.as_deref().unwrap_or_default()))
        .map(|secret| {
            let message = "is referenced by no workload, ServiceAccount or Ingress of the namespace";
            finding("secret.unreferenced", &ctx.namespace.name, secret, message)
        })
        .collect()
}

fn rotation_age(ctx: &NamespaceCtx) -> Vec<Finding> {
    let Some(now) = ctx.params.now else {
        return Vec::new();
    };
    let max_days = ctx.params.max_secret_age_days;
    ctx.namespace
        .secrets
        .iter()
        .filter_map(|secret| {
            let created = secret.metadata.creation_timestamp.as_ref()?;
            let days = age_in_days(now, created.0);
            (days > max_days).then(|| {
                let message = format!("was created {days} days ago, more than the {max_days} days allowed");
                finding("secret.rotation-age", &ctx.namespace.name, secret, message)
            })
        })
        .collect()
}

/// When the next secret of the namespace crosses the rotation age: its age in whole days
/// exceeds the limit from `created + (limit + 1) days` on.
fn rotation_due(ctx: &NamespaceCtx) -> Option<Timestamp> {
    let now = ctx.params.now?;
    let limit = (ctx.params.max_secret_age_days.max(0) + 1).saturating_mul(SECONDS_PER_DAY);
    ctx.namespace
        .secrets
        .iter()
        .filter_map(|secret| {
            let created = secret.metadata.creation_timestamp.as_ref()?.0.as_second();
            Timestamp::from_second(created.saturating_add(limit)).ok()
        })
        .filter(|due| *due > now)
        .min()
}

fn cloud_credentials(ctx: &NamespaceCtx) -> Vec<Finding> {
    ctx.namespace
        .secrets
        .iter()
        .filter_map(|secret| {
            let found: Vec<String> = records(secret)
                .filter_map(|(key, record)| Some(format!("key {key} holds {}", record.credential?)))
                .collect();
            (!found.is_empty()).then(|| {
                finding(
                    "secret.cloud-credentials",
                    &ctx.namespace.name,
                    secret,
                    found.join("; "),
                )
            })
        })
        .collect()
}

/// Where one value occurs: a key of a secret.
struct Occurrence<'a> {
    namespace: &'a str,
    secret: &'a Secret,
    key: &'a str,
}

fn reused_value(ctx: &ClusterCtx) -> Vec<Finding> {
    // Values are compared by their keyed digests; no digest leaves this function.
    let mut by_value: BTreeMap<u64, Vec<Occurrence>> = BTreeMap::new();
    for (namespace, inventory) in &ctx.inventory.namespaces {
        for secret in &inventory.secrets {
            for (key, record) in records(secret) {
                if let Some(digest) = record.digest {
                    by_value
                        .entry(digest)
                        .or_default()
                        .push(Occurrence { namespace, secret, key });
                }
            }
        }
    }
    let mut reuses: BTreeMap<(&str, &str), (&Secret, BTreeSet<String>)> = BTreeMap::new();
    for occurrences in by_value.values() {
        for occurrence in occurrences.iter().filter(|occurrence| ctx.wants(occurrence.namespace)) {
            let Some(other) = occurrences.iter().find(|other| other.namespace != occurrence.namespace) else {
                continue;
            };
            let reuse = format!(
                "key {} has the same value as {}/{} key {}",
                occurrence.key,
                other.namespace,
                name(other.secret),
                other.key
            );
            reuses
                .entry((occurrence.namespace, name(occurrence.secret)))
                .or_insert_with(|| (occurrence.secret, BTreeSet::new()))
                .1
                .insert(reuse);
        }
    }
    reuses
        .into_iter()
        .map(|((namespace, _), (secret, messages))| {
            let message = messages.into_iter().collect::<Vec<_>>().join("; ");
            finding("secret.reused-value", namespace, secret, message)
        })
        .collect()
}

fn finding(check: &'static str, namespace: &str, secret: &Secret, message: impl Into<Cow<'static, str>>) -> Finding {
    let resource = ResourceRef::new("Secret", Some(namespace), name(secret));
    Finding::new(check, resource, message).exempt_by(secret.metadata.annotations.as_ref())
}

fn name(secret: &Secret) -> &str {
    secret.metadata.name.as_deref().unwrap_or_default()
}

/// The secret's type; the API server defaults a missing one to Opaque.
fn secret_type(secret: &Secret) -> &str {
    secret.type_.as_deref().unwrap_or("Opaque")
}

fn annotation<'a>(secret: &'a Secret, key: &str) -> Option<&'a str> {
    secret.metadata.annotations.as_ref()?.get(key).map(String::as_str)
}

/// Whether a person, not tooling, manages the secret's lifecycle: token secrets belong to the
/// ServiceAccount machinery, Helm release records to Helm, and owned secrets to their owner.
fn is_user_managed(secret: &Secret) -> bool {
    let tooling_type = matches!(
        secret_type(secret),
        SERVICE_ACCOUNT_TOKEN | HELM_RELEASE | BOOTSTRAP_TOKEN
    );
    let owned = secret
        .metadata
        .owner_references
        .as_ref()
        .is_some_and(|owners| !owners.is_empty());
    !tooling_type && !owned
}

/// Names of the secrets a namespace's workloads, ServiceAccounts and Ingresses refer to.
fn referenced_secrets(namespace: &NamespaceInventory) -> BTreeSet<&str> {
    let mut names = BTreeSet::new();
    for workload in &namespace.workloads {
        names.extend(pod_secret_names(&workload.spec));
    }
    for account in &namespace.service_accounts {
        names.extend(service_account_secret_names(account));
    }
    for ingress in &namespace.ingresses {
        names.extend(ingress_secret_names(ingress));
    }
    names
}

/// Secrets a pod mounts, projects, reads into its environment or pulls images with.
fn pod_secret_names(spec: &StoredSpec) -> Vec<&str> {
    let mut names = Vec::new();
    for volume in &spec.volumes {
        names.extend(volume.secrets.iter().map(String::as_str));
    }
    for container in spec.containers() {
        names.extend(container.env.iter().filter_map(|env| {
            let selector = env.value_from.as_ref()?.secret_key_ref.as_ref()?;
            Some(selector.name.as_str())
        }));
        names.extend(
            container
                .env_from
                .iter()
                .filter_map(|source| Some(source.secret_ref.as_ref()?.name.as_str())),
        );
    }
    names.extend(spec.pod.image_pull_secrets.iter().map(|secret| secret.name.as_str()));
    names
}

fn service_account_secret_names(account: &ServiceAccount) -> impl Iterator<Item = &str> {
    let mountable = account
        .secrets
        .iter()
        .flatten()
        .filter_map(|secret| secret.name.as_deref());
    let pull = account
        .image_pull_secrets
        .iter()
        .flatten()
        .map(|secret| secret.name.as_str());
    mountable.chain(pull)
}

fn ingress_secret_names(ingress: &Ingress) -> impl Iterator<Item = &str> {
    let tls = ingress.spec.as_ref().and_then(|spec| spec.tls.as_ref());
    tls.into_iter().flatten().filter_map(|tls| tls.secret_name.as_deref())
}

/// Whole days from `created` to `now` (negative when created in the future).
fn age_in_days(now: Timestamp, created: Timestamp) -> i64 {
    (now.as_second() - created.as_second()) / SECONDS_PER_DAY
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::CheckDef;
    use crate::inventory::{AddOptions, Inventory};
    use crate::manifest::split;

    /// Values shorter than this could appear in a message by coincidence (a key named "on").
    const MIN_CHECKED_VALUE_LEN: usize = 4;

    /// The fixture's findings, evaluated as the catalog harness does, and every secret value it
    /// contains (decoded, and as the base64 text of `data`).
    fn evaluate_fixture(check: &'static CheckDef, fixture: &Fixture) -> (Vec<Finding>, Vec<String>) {
        let (documents, errors) = split(fixture.manifests, false);
        let errors: Vec<_> = errors.into_iter().collect();
        assert!(errors.is_empty(), "{}: {errors:?}", check.id);
        let options = AddOptions {
            keep_secret_data: true,
            ..AddOptions::default()
        };
        let mut inventory = Inventory::default();
        let mut values = Vec::new();
        let objects = documents.into_iter().map(|document| document.object);
        for object in objects.filter(|object| object["kind"] != "HardeningBaseline") {
            let encoded = object["data"].as_object().into_iter().flatten();
            for (_, value) in encoded {
                let decoded = serde_json::from_value::<k8s_openapi::ByteString>(value.clone());
                values.extend(decoded.map(|bytes| String::from_utf8_lossy(&bytes.0).into_owned()));
                values.extend(value.as_str().map(str::to_string));
            }
            let plain = object["stringData"].as_object().into_iter().flatten();
            values.extend(plain.filter_map(|(_, value)| value.as_str().map(str::to_string)));
            assert!(inventory.add_object(object, &options).is_ok(), "{}", check.id);
        }
        (fixture.findings(check).expect("valid fixture"), values)
    }

    fn first_fixture(id: &str, expect: Expect) -> (Vec<Finding>, Vec<String>) {
        let check = CHECKS.iter().find(|check| check.id == id).expect("check");
        let fixture = check
            .fixtures
            .iter()
            .find(|fixture| fixture.expect == expect)
            .expect("fixture");
        evaluate_fixture(check, fixture)
    }

    #[test]
    fn findings_never_contain_a_fixture_value() {
        let mut values_checked = 0;
        for check in CHECKS {
            for fixture in check.fixtures {
                let (findings, values) = evaluate_fixture(check, fixture);
                for finding in &findings {
                    let shown = format!("{} {finding:?}", finding.message);
                    for value in values.iter().filter(|value| value.len() >= MIN_CHECKED_VALUE_LEN) {
                        values_checked += 1;
                        assert!(
                            !shown.contains(value.as_str()),
                            "{}: finding shows a value: {shown}",
                            check.id
                        );
                    }
                }
            }
        }
        assert!(values_checked > 0, "no fixture finding was checked against a value");
    }

    #[test]
    fn messages_name_keys_and_counterparts() {
        let (findings, _) = first_fixture("secret.reused-value", Expect::Fail);
        let messages: Vec<(String, &str)> = findings
            .iter()
            .map(|finding| {
                (
                    finding.resource.namespace.clone().unwrap_or_default(),
                    finding.message.as_ref(),
                )
            })
            .collect();
        assert_eq!(
            messages,
            vec![
                (
                    "team-a".to_string(),
                    "key password has the same value as team-b/b key db-password"
                ),
                (
                    "team-b".to_string(),
                    "key db-password has the same value as team-a/a key password"
                ),
            ]
        );
        let cloud = CHECKS
            .iter()
            .find(|check| check.id == "secret.cloud-credentials")
            .expect("check");
        let (findings, _) = evaluate_fixture(cloud, &cloud.fixtures[1]);
        let messages: Vec<&str> = findings.iter().map(|finding| finding.message.as_ref()).collect();
        assert_eq!(messages, vec!["key credentials holds an AWS access key ID"]);
    }

    #[test]
    fn ages_are_whole_days() {
        let now: Timestamp = "2026-06-01T00:00:00Z".parse().expect("time");
        let created: Timestamp = "2026-02-01T12:00:00Z".parse().expect("time");
        assert_eq!(age_in_days(now, created), 119);
        assert_eq!(age_in_days(created, now), -119);
    }
}
