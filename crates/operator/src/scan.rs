//! `palisade scan`: evaluates the cluster of the current kubeconfig once, through the same path
//! as `palisade audit`: every kind the checks read is listed, page by page, into the audit's
//! [`Loaded`] inventory, then built into a report, printed and judged like an audit (exit 0, 1
//! or 2). Findings name no file.
//!
//! What enters the process matches the operator's watches: ReplicaSets and Jobs are listed as
//! metadata only (their owners are what matters; their pods and controllers carry the specs), and
//! so are Secrets unless `--content-checks`, their type told by one field-selected list per type
//! some check tells apart and one for all the others. The findings are the operator's, not those
//! of an audit of `kubectl get -o json`, where every ReplicaSet a Deployment keeps speaks for it
//! with its template, the old revisions' included. No HardeningBaseline is read from the cluster:
//! `--baseline FILE` or the built-in `restricted` profile applies.

use std::fmt::Debug;

use anyhow::Context;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod, Secret, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, ApiResource, DynamicObject, ListParams, PartialObjectMeta};
use kube::{Client, Config, Resource};
use palisade_checks::{AddOptions, Kind, Object};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::audit::load::Loaded;
use crate::audit::problem::InputError;
use crate::audit::{self, Judging, Verdict};

/// Objects per list request: memory holds one page besides the (stripped) inventory.
const PAGE: u32 = 500;

/// Arguments of `palisade scan`.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    judging: Judging,
    /// List Secrets in full and run the checks that read their values (values never appear in
    /// output). Without it Secrets are listed as metadata only: their values never enter the
    /// process.
    #[arg(long)]
    content_checks: bool,
    /// Namespaces not evaluated (comma-separated). Their objects are still listed and count where
    /// other namespaces' checks look at them (a secret value reused elsewhere), as in the operator.
    #[arg(long, value_delimiter = ',', value_name = "NS,...")]
    exclude_namespaces: Vec<String>,
}

/// Lists the cluster, evaluates it and prints the report. Errors are usage errors (an invalid
/// `--baseline`) and connection errors (no kubeconfig, the API server unreachable or refusing
/// the credentials); a list the API server refuses (forbidden, not served) is an input error:
/// the rest is still evaluated and the run exits 2.
pub fn run(args: &Args) -> anyhow::Result<Verdict> {
    let baselines = args.judging.baselines()?;
    let excluded = crate::namespace_set(&args.exclude_namespaces);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let scan = runtime.block_on(list_cluster(args.content_checks))?;
    drop(runtime);
    crate::stdio::error(&format!("scanned {} objects from {}", scan.loaded.objects, scan.server));
    let report = audit::governance::build(
        &scan.loaded,
        0,
        &baselines,
        args.content_checks,
        &excluded,
        Timestamp::now(),
    );
    Ok(audit::print_and_judge(report, scan.loaded, &args.judging)?)
}

/// Lists every kind the checks read from the kubeconfig's cluster.
async fn list_cluster(content_checks: bool) -> anyhow::Result<Scan> {
    // What `Client::try_default` does, keeping the server's address to name it.
    let config = Config::infer()
        .await
        .map_err(|error| anyhow::anyhow!("no cluster to scan: {}", causes(&error)))?;
    let server = config.cluster_url.to_string().trim_end_matches('/').to_string();
    let client =
        Client::try_from(config).map_err(|error| anyhow::anyhow!("connecting to {server}: {}", causes(&error)))?;
    let mut scan = Scan {
        client,
        server,
        loaded: Loaded::default(),
        options: AddOptions {
            keep_secret_data: content_checks,
            ..AddOptions::default()
        },
    };
    scan.full::<Namespace>().await?;
    scan.full::<Pod>().await?;
    scan.full::<Deployment>().await?;
    scan.full::<StatefulSet>().await?;
    scan.full::<DaemonSet>().await?;
    scan.full::<CronJob>().await?;
    scan.metadata::<ReplicaSet>(None, Listed::Owner(Kind::ReplicaSet))
        .await?;
    scan.metadata::<Job>(None, Listed::Owner(Kind::Job)).await?;
    scan.full::<ServiceAccount>().await?;
    scan.full::<Service>().await?;
    scan.full::<ConfigMap>().await?;
    scan.full::<Ingress>().await?;
    scan.full::<NetworkPolicy>().await?;
    scan.full::<Role>().await?;
    scan.full::<RoleBinding>().await?;
    scan.full::<ClusterRole>().await?;
    scan.full::<ClusterRoleBinding>().await?;
    if content_checks {
        scan.full::<Secret>().await?;
    } else {
        for (selector, secret_type) in palisade_checks::secret_type_selectors() {
            scan.metadata::<Secret>(Some(&selector), Listed::Secret(secret_type))
                .await?;
        }
    }
    // Refused every list (no RBAC permission at all): there is nothing to evaluate, and an
    // empty report would read as a clean cluster.
    if scan.loaded.objects == 0
        && let Some(refused) = scan.loaded.errors.first()
    {
        anyhow::bail!("nothing could be listed: {refused}");
    }
    Ok(scan)
}

/// What an object listed as metadata only is.
#[derive(Clone, Copy)]
enum Listed {
    /// A ReplicaSet or Job: what the checks need is its owner (its pods, and the Deployment or
    /// CronJob owning it, carry the pod spec). Its template is not listed: the revisions a
    /// Deployment keeps would speak for it with the templates it no longer runs.
    Owner(Kind),
    /// A Secret of this type (the one its list selected).
    Secret(&'static str),
}

/// A scan in progress: the client and what was listed so far.
struct Scan {
    client: Client,
    /// The API server's address, as problems and the summary name it.
    server: String,
    loaded: Loaded,
    options: AddOptions,
}

impl Scan {
    /// Lists every object of a kind in full.
    async fn full<K: Resource<DynamicType = ()>>(&mut self) -> anyhow::Result<()> {
        let resource = ApiResource::erase::<K>(&());
        let api = Api::<DynamicObject>::all_with(self.client.clone(), &resource);
        let listed = each_page(&api, None, |object: DynamicObject| {
            let fields = match object.data {
                Value::Object(fields) => fields,
                _ => Map::new(),
            };
            self.add(&resource, object.metadata, fields);
        })
        .await;
        self.conclude(&resource.plural, listed)
    }

    /// Lists the metadata of every object of a kind (those `fields` selects, when given).
    async fn metadata<K>(&mut self, fields: Option<&str>, listed_as: Listed) -> anyhow::Result<()>
    where
        K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug,
    {
        let resource = ApiResource::erase::<K>(&());
        let api = Api::<PartialObjectMeta<K>>::all(self.client.clone());
        let listed = each_page(&api, fields, |object: PartialObjectMeta<K>| {
            let metadata = object.metadata;
            match listed_as {
                Listed::Owner(kind) => {
                    self.loaded.add_typed(Object::Controller {
                        kind,
                        metadata,
                        template: None,
                    });
                }
                Listed::Secret(secret_type) => {
                    let fields = Map::from_iter([("type".to_string(), Value::from(secret_type))]);
                    self.add(&resource, metadata, fields);
                }
            }
        })
        .await;
        let what = match fields {
            Some(fields) => format!("{} ({fields})", resource.plural),
            None => resource.plural.clone(),
        };
        self.conclude(&what, listed)
    }

    /// Adds a listed object as a manifest would be: `apiVersion` and `kind` set (list items
    /// carry neither), `metadata.managedFields` dropped.
    fn add(&mut self, resource: &ApiResource, mut metadata: ObjectMeta, mut fields: Map<String, Value>) {
        metadata.managed_fields = None;
        let name = metadata.name.as_deref().unwrap_or_default();
        let item = match &metadata.namespace {
            Some(namespace) => format!("{namespace}/{name}"),
            None => name.to_string(),
        };
        match serde_json::to_value(metadata) {
            Ok(metadata) => {
                fields.insert("apiVersion".to_string(), Value::from(resource.api_version.as_str()));
                fields.insert("kind".to_string(), Value::from(resource.kind.as_str()));
                fields.insert("metadata".to_string(), metadata);
                self.loaded
                    .add_listed(Value::Object(fields), &self.server, item, &self.options);
            }
            Err(error) => self.loaded.errors.push(InputError {
                item: Some(item),
                ..InputError::file(&self.server, format!("{}: {error}", resource.kind))
            }),
        }
    }

    /// A list the API server refused (forbidden, not served) is an input error: the other kinds
    /// are still listed and evaluated. Anything else (unreachable, credentials refused) ends the
    /// scan.
    fn conclude(&mut self, what: &str, listed: kube::Result<()>) -> anyhow::Result<()> {
        match listed {
            Ok(()) => Ok(()),
            Err(kube::Error::Api(status)) => {
                let refused = format!("listing {what}: {} ({})", status.message, status.code);
                if status.code == 401 {
                    anyhow::bail!("{}: {refused}: the credentials were not accepted", self.server);
                }
                self.loaded.errors.push(InputError::file(&self.server, refused));
                Ok(())
            }
            Err(error) => anyhow::bail!("listing {what} from {}: {}", self.server, causes(&error)),
        }
    }
}

/// An error and its causes in one line, each cause once: kube's errors repeat their source in
/// their own message (`client error (Connect): client error (Connect): …`).
fn causes(error: &dyn std::error::Error) -> String {
    let mut line = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = cause.source();
    }
    line
}

/// Lists everything `api` serves (that `fields` selects), [`PAGE`] objects at a time, handing
/// each object to `add` before the next page is requested.
async fn each_page<K>(api: &Api<K>, fields: Option<&str>, mut add: impl FnMut(K)) -> kube::Result<()>
where
    K: Clone + DeserializeOwned + Debug,
{
    let mut params = ListParams::default().limit(PAGE);
    if let Some(fields) = fields {
        params = params.fields(fields);
    }
    loop {
        let page = api.list(&params).await?;
        let next = page.metadata.continue_.filter(|token| !token.is_empty());
        page.items.into_iter().for_each(&mut add);
        match next {
            Some(token) => params = params.continue_token(&token),
            None => return Ok(()),
        }
    }
}
