//! One kube-runtime watcher per watched kind, each turning its events into [`Message`]s for the
//! controller. Kinds whose metadata is enough (ReplicaSets and Jobs for ownership; Secrets
//! unless content checks are on) are watched as metadata only, so their specs and a Secret's
//! data never enter the process. ConfigMaps are watched in full and stripped as each arrives to
//! the keys whose values hold a credential, recorded by its kind only.

use std::fmt::Debug;
use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Pod, Secret, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, ApiResource, DynamicObject, PartialObjectMeta};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use kube::{Client, Resource};
use palisade_checks::{Kind, Object, ObjectRef};
use palisade_crds::{ClusterPostureReport, HardeningBaseline, PostureReport};
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;

use super::metrics::{KindLabels, Metrics};
use super::writer::{CLUSTER_REPORT_NAME, REPORT_NAME, status_edited_by_others};

/// What deleting an object takes: relists use it to drop what vanished while disconnected.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Gone {
    Object(ObjectRef),
    Baseline(String),
    /// One of Palisade's reports: a namespace's, or the cluster's (`None`).
    Report(Option<String>),
}

/// Where what a stream saw is kept, for a relist to find what was deleted while it was away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kept {
    /// In the index, as its objects of this kind (of Secrets listed by type, this type).
    Indexed {
        kind: Kind,
        secret_type: Option<&'static str>,
    },
    /// By the controller, as the references it saw: baselines and reports, a few per namespace.
    Remembered,
}

/// A change the watches saw.
#[derive(Debug)]
#[allow(clippy::large_enum_variant, reason = "boxed as a whole in StreamEvent")]
pub enum Update {
    Apply(Object),
    ApplyBaseline(HardeningBaseline),
    /// A stored baseline this operator's types cannot read (a CRD older or looser than the
    /// operator's let it in): it governs nothing and its status says why.
    UnreadableBaseline {
        metadata: ObjectMeta,
        problem: String,
    },
    /// One of Palisade's reports as stored: written back when someone else changed its status.
    Report {
        namespace: Option<String>,
        edited_by_others: bool,
    },
}

/// What one watch stream reports.
#[derive(Debug)]
pub enum StreamEvent {
    /// An object was listed, added or changed; `Gone` is how it would be deleted.
    Seen(Box<Update>, Gone),
    Deleted(Gone),
    /// A (re)list starts: objects not seen again before `RelistDone` were deleted meanwhile.
    Relist,
    RelistDone,
}

#[derive(Debug)]
pub struct Message {
    /// Which watch sent it (index into [`spawn_all`]'s streams).
    pub stream: usize,
    /// The kind label for metrics.
    pub kind: &'static str,
    pub event: StreamEvent,
}

/// Starts every watch; returns where each stream's objects are kept, by stream (all must list
/// once before the caches count as synced).
pub fn spawn_all(
    client: &Client,
    metrics: &Arc<Metrics>,
    content_checks: bool,
    lists: Lists,
    sender: &mpsc::Sender<Message>,
) -> Vec<Kept> {
    let mut streams = Streams {
        client,
        metrics,
        sender,
        lists,
        kept: Vec::new(),
    };
    streams.full::<Namespace>(Kind::Namespace, Object::Namespace);
    streams.full::<Pod>(Kind::Pod, Object::Pod);
    streams.full::<Deployment>(Kind::Deployment, |object| {
        controller(Kind::Deployment, object.metadata, Some(object.spec.template))
    });
    streams.full::<StatefulSet>(Kind::StatefulSet, |object| {
        controller(Kind::StatefulSet, object.metadata, Some(object.spec.template))
    });
    streams.full::<DaemonSet>(Kind::DaemonSet, |object| {
        controller(Kind::DaemonSet, object.metadata, Some(object.spec.template))
    });
    streams.full::<CronJob>(Kind::CronJob, |object| {
        let template = object.spec.job_template.spec.map(|job| job.template);
        controller(Kind::CronJob, object.metadata, template)
    });
    streams.metadata::<ReplicaSet>(Kind::ReplicaSet, None, |metadata| {
        controller(Kind::ReplicaSet, metadata, None)
    });
    streams.metadata::<Job>(Kind::Job, None, |metadata| controller(Kind::Job, metadata, None));
    streams.full::<ServiceAccount>(Kind::ServiceAccount, Object::ServiceAccount);
    streams.full::<Service>(Kind::Service, Object::Service);
    streams.full::<ConfigMap>(Kind::ConfigMap, Object::ConfigMap);
    streams.full::<Ingress>(Kind::Ingress, Object::Ingress);
    streams.full::<NetworkPolicy>(Kind::NetworkPolicy, Object::NetworkPolicy);
    streams.full::<Role>(Kind::Role, Object::Role);
    streams.full::<RoleBinding>(Kind::RoleBinding, Object::RoleBinding);
    streams.full::<ClusterRole>(Kind::ClusterRole, Object::ClusterRole);
    streams.full::<ClusterRoleBinding>(Kind::ClusterRoleBinding, Object::ClusterRoleBinding);
    if content_checks {
        streams.full::<Secret>(Kind::Secret, Object::Secret);
    } else {
        for (selector, secret_type) in palisade_checks::secret_type_selectors() {
            streams.metadata::<Secret>(Kind::Secret, Some((selector, secret_type)), move |metadata| {
                secret_of_type(metadata, secret_type)
            });
        }
    }
    streams.baselines();
    streams.report::<PostureReport>("PostureReport", REPORT_NAME);
    streams.report::<ClusterPostureReport>("ClusterPostureReport", CLUSTER_REPORT_NAME);
    streams.kept
}

fn controller(
    kind: Kind,
    metadata: ObjectMeta,
    template: Option<k8s_openapi::api::core::v1::PodTemplateSpec>,
) -> Object {
    Object::Controller {
        kind,
        metadata,
        template,
    }
}

/// A Secret known from its metadata and the watch that saw it. Types other than the telling
/// ones read as Opaque: no check tells them apart.
fn secret_of_type(metadata: ObjectMeta, secret_type: &str) -> Object {
    Object::Secret(Secret {
        metadata,
        type_: Some(secret_type.to_string()),
        ..Secret::default()
    })
}

/// A baseline as this operator's types read it, or why they cannot: the field's path within the
/// spec and the reason. A status that cannot be read is dropped (Palisade writes it again).
fn read_baseline(object: DynamicObject) -> Update {
    let value = serde_json::to_value(&object).unwrap_or_default();
    let read = |value| serde_path_to_error::deserialize::<_, HardeningBaseline>(value);
    let without_status = |mut value: serde_json::Value| {
        if let Some(fields) = value.as_object_mut() {
            fields.remove("status");
        }
        value
    };
    match read(value.clone()).or_else(|_| read(without_status(value))) {
        Ok(baseline) => Update::ApplyBaseline(baseline),
        Err(error) => {
            let path = error.path().to_string();
            let field = path.strip_prefix("spec.").unwrap_or(&path);
            Update::UnreadableBaseline {
                problem: format!("{field}: {}", error.inner()),
                metadata: object.metadata,
            }
        }
    }
}

/// How watches list what exists before they watch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Lists {
    /// The API server streams the initial objects one by one over the watch (WatchList,
    /// Kubernetes 1.32+): the process never holds a page of objects.
    Streaming,
    /// Paginated LISTs (pages of 500), for API servers without WatchList.
    Paginated,
}

impl Lists {
    fn config(self) -> watcher::Config {
        match self {
            Lists::Streaming => watcher::Config::default().streaming_lists(),
            Lists::Paginated => watcher::Config::default(),
        }
    }
}

struct Streams<'a> {
    client: &'a Client,
    metrics: &'a Arc<Metrics>,
    sender: &'a mpsc::Sender<Message>,
    lists: Lists,
    kept: Vec<Kept>,
}

/// The reference that deletes an object of this kind.
fn gone_of(kind: Kind, metadata: &ObjectMeta) -> Gone {
    Gone::Object(ObjectRef {
        kind,
        namespace: metadata.namespace.clone(),
        name: metadata.name.clone().unwrap_or_default(),
    })
}

impl Streams<'_> {
    fn full<K>(&mut self, kind: Kind, into: fn(K) -> Object)
    where
        K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + 'static,
    {
        let api = Api::<K>::all(self.client.clone());
        let gone = move |object: &K| gone_of(kind, object.meta());
        let kept = Kept::Indexed {
            kind,
            secret_type: None,
        };
        self.spawn(kind.as_str(), kept, api, self.lists.config(), gone, move |object| {
            Update::Apply(into(object))
        });
    }

    /// Objects read from their metadata; of Secrets, those a field selector picks, all of one type.
    fn metadata<K>(
        &mut self,
        kind: Kind,
        secrets_of_type: Option<(String, &'static str)>,
        into: impl Fn(ObjectMeta) -> Object + Send + 'static,
    ) where
        K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    {
        let api = Api::<PartialObjectMeta<K>>::all(self.client.clone());
        let mut config = self.lists.config();
        if let Some((fields, _)) = &secrets_of_type {
            config = config.fields(fields);
        }
        let kept = Kept::Indexed {
            kind,
            secret_type: secrets_of_type.map(|(_, secret_type)| secret_type),
        };
        let gone = move |object: &PartialObjectMeta<K>| gone_of(kind, &object.metadata);
        self.spawn(kind.as_str(), kept, api, config, gone, move |object| {
            Update::Apply(into(object.metadata))
        });
    }

    /// Baselines arrive untyped and are read one by one: a typed watch fails as a whole on one
    /// object it cannot read, which would stop every baseline from being served.
    fn baselines(&mut self) {
        let resource = ApiResource::erase::<HardeningBaseline>(&());
        let api = Api::<DynamicObject>::all_with(self.client.clone(), &resource);
        let gone = |baseline: &DynamicObject| Gone::Baseline(baseline.metadata.name.clone().unwrap_or_default());
        self.spawn(
            "HardeningBaseline",
            Kept::Remembered,
            api,
            self.lists.config(),
            gone,
            read_baseline,
        );
    }

    /// Palisade's own reports, by metadata: enough to see one deleted or its status edited.
    fn report<K>(&mut self, kind: &'static str, name: &str)
    where
        K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    {
        let api = Api::<PartialObjectMeta<K>>::all(self.client.clone());
        let config = self.lists.config().fields(&format!("metadata.name={name}"));
        let gone = |report: &PartialObjectMeta<K>| Gone::Report(report.metadata.namespace.clone());
        self.spawn(kind, Kept::Remembered, api, config, gone, |report| Update::Report {
            edited_by_others: status_edited_by_others(report.metadata.managed_fields.as_deref().unwrap_or_default()),
            namespace: report.metadata.namespace,
        });
    }

    fn spawn<K>(
        &mut self,
        kind: &'static str,
        kept: Kept,
        api: Api<K>,
        config: watcher::Config,
        gone: impl Fn(&K) -> Gone + Send + 'static,
        update: impl Fn(K) -> Update + Send + 'static,
    ) where
        K: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
    {
        let stream = self.kept.len();
        self.kept.push(kept);
        let sender = self.sender.clone();
        let errors = self.metrics.watch_errors.get_or_create(&KindLabels { kind }).clone();
        tokio::spawn(async move {
            let mut events = watcher::watcher(api, config).default_backoff().boxed();
            while let Some(event) = events.next().await {
                let event = match event {
                    Ok(Event::Apply(object) | Event::InitApply(object)) => {
                        let gone = gone(&object);
                        let mut update = update(object);
                        if let Update::Apply(object) = &mut update {
                            object.strip();
                        }
                        StreamEvent::Seen(Box::new(update), gone)
                    }
                    Ok(Event::Delete(object)) => StreamEvent::Deleted(gone(&object)),
                    Ok(Event::Init) => StreamEvent::Relist,
                    Ok(Event::InitDone) => StreamEvent::RelistDone,
                    Err(watcher::Error::WatchFailed(kube::Error::SerdeError(error))) => {
                        // A decoding error quotes what it could not read, which may be a value:
                        // only where it stopped is logged.
                        tracing::warn!(
                            kind,
                            line = error.line(),
                            column = error.column(),
                            "an object could not be read; skipped"
                        );
                        errors.inc();
                        continue;
                    }
                    Err(error) => {
                        // The backoff retries; the error names the kind and the API failure only.
                        tracing::warn!(kind, error = %error, "watch failed; retrying");
                        errors.inc();
                        continue;
                    }
                };
                if sender.send(Message { stream, kind, event }).await.is_err() {
                    return;
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::{Body, Bytes};
    use axum::extract::RawQuery;
    use axum::routing::get;
    use serde_json::json;

    use super::*;

    const TOKEN: &str = "ghp_EXAMPLE00000000000000000000000000000";

    /// Serves `app` on a loopback port; a client of it.
    async fn serve(app: Router) -> Client {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let address = listener.local_addr().expect("an address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        let url = format!("http://{address}").parse().expect("a URL");
        Client::try_from(kube::Config::new(url)).expect("a client")
    }

    /// Starts the watches `start` sets up against `client`; their messages and metrics.
    fn watch_with(
        client: &Client,
        lists: Lists,
        start: impl FnOnce(&mut Streams),
    ) -> (mpsc::Receiver<Message>, Arc<Metrics>) {
        let (sender, receiver) = mpsc::channel(8);
        let metrics = Arc::new(Metrics::default());
        start(&mut Streams {
            client,
            metrics: &metrics,
            sender: &sender,
            lists,
            kept: Vec::new(),
        });
        (receiver, metrics)
    }

    async fn next(receiver: &mut mpsc::Receiver<Message>) -> StreamEvent {
        let message = tokio::time::timeout(std::time::Duration::from_secs(10), receiver.recv())
            .await
            .expect("a message in time")
            .expect("the watch runs");
        message.event
    }

    /// A pod as a watch event line (`ADDED`), with `spec` as given.
    fn added(name: &str, annotations: serde_json::Value, spec: serde_json::Value) -> String {
        let pod = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "shop", "resourceVersion": "3", "annotations": annotations},
            "spec": spec});
        format!("{}\n", json!({"type": "ADDED", "object": pod}))
    }

    /// An API server that streams the initial pods (WatchList): one with a field newer than the
    /// types and a 200 KiB annotation, one whose spec no Pod can have, and a plain one; then the
    /// bookmark that ends the initial events, and nothing more.
    async fn pods(RawQuery(query): RawQuery) -> axum::response::Response {
        assert!(query.is_some_and(|query| query.contains("sendInitialEvents=true")));
        let container = json!([{"name": "c", "image": "nginx"}]);
        let lines = [
            added(
                "newer",
                json!({"note": "x".repeat(200 * 1024)}),
                json!({"containers": container, "fieldOfKubernetes9": {"on": true}}),
            ),
            added("unreadable", json!({}), json!({"containers": "not a list"})),
            added("plain", json!({}), json!({"containers": container})),
            format!(
                "{}\n",
                json!({"type": "BOOKMARK", "object": {"apiVersion": "v1", "kind": "Pod",
                    "metadata": {"resourceVersion": "4", "annotations": {"k8s.io/initial-events-end": "true"}}}})
            ),
        ];
        let events = futures::stream::iter(lines.map(|line| Ok::<_, std::convert::Infallible>(Bytes::from(line))));
        let quiet = futures::stream::pending();
        axum::response::Response::new(Body::from_stream(events.chain(quiet)))
    }

    #[tokio::test]
    async fn an_unreadable_object_is_skipped_and_counted_and_the_others_sync() {
        let client = serve(Router::new().route("/api/v1/pods", get(pods))).await;
        let (mut receiver, metrics) = watch_with(&client, Lists::Streaming, |streams| {
            streams.full::<Pod>(Kind::Pod, Object::Pod);
        });
        let mut seen = Vec::new();
        loop {
            match next(&mut receiver).await {
                StreamEvent::Seen(update, _) => match *update {
                    Update::Apply(Object::Pod(pod)) => seen.push(pod),
                    other => panic!("a pod: {other:?}"),
                },
                StreamEvent::RelistDone => break,
                StreamEvent::Relist => {}
                other => panic!("{other:?}"),
            }
        }
        let names: Vec<&str> = seen.iter().filter_map(|pod| pod.metadata.name.as_deref()).collect();
        assert_eq!(names, ["newer", "plain"]);
        assert!(seen[0].metadata.annotations.is_none(), "the large annotation is kept");
        assert_eq!(metrics.watch_errors.get_or_create(&KindLabels { kind: "Pod" }).get(), 1);
    }

    /// An API server that lists one ConfigMap holding a token and a setting, and then keeps
    /// every watch open without events.
    async fn config_maps(RawQuery(query): RawQuery) -> axum::response::Response {
        if query.is_some_and(|query| query.contains("watch=true")) {
            let quiet = futures::stream::pending::<Result<Bytes, std::convert::Infallible>>();
            return axum::response::Response::new(Body::from_stream(quiet));
        }
        let list = json!({"apiVersion": "v1", "kind": "ConfigMapList", "metadata": {"resourceVersion": "1"},
            "items": [{"metadata": {"name": "web", "namespace": "shop", "resourceVersion": "1"},
                "data": {"token": format!("GITHUB_TOKEN={TOKEN}"), "level": "debug"}}]});
        axum::response::Response::new(Body::from(list.to_string()))
    }

    fn baseline(spec: serde_json::Value, status: serde_json::Value) -> DynamicObject {
        serde_json::from_value(
            json!({"apiVersion": "palisade.dev/v1alpha1", "kind": "HardeningBaseline",
            "metadata": {"name": "prod", "generation": 3}, "spec": spec, "status": status}),
        )
        .expect("an object")
    }

    #[test]
    fn a_baseline_the_types_cannot_read_is_reported_by_field_and_an_unreadable_status_is_dropped() {
        let spec = json!({"namespaces": ["shop"], "profile": "restricted"});
        let Update::ApplyBaseline(read) = read_baseline(baseline(spec.clone(), json!({"matchedNamespaces": 2}))) else {
            panic!("a readable baseline");
        };
        assert_eq!(read.status.map(|status| status.matched_namespaces), Some(2));
        let Update::ApplyBaseline(read) = read_baseline(baseline(spec, json!({"matchedNamespaces": "two"}))) else {
            panic!("a readable spec");
        };
        assert!(read.status.is_none());
        let unreadable = read_baseline(baseline(
            json!({"namespaces": ["shop"], "profile": 7, "checks": [{"id": "pod.privileged", "mode": "Sometimes"}]}),
            json!({}),
        ));
        let Update::UnreadableBaseline { metadata, problem } = unreadable else {
            panic!("an unreadable baseline: {unreadable:?}");
        };
        assert_eq!((metadata.name.as_deref(), metadata.generation), (Some("prod"), Some(3)));
        assert!(
            problem.starts_with("checks[0].mode: unknown variant `Sometimes`"),
            "{problem}"
        );
    }

    #[tokio::test]
    async fn config_maps_arrive_holding_only_the_kind_of_credential_each_key_holds() {
        let client = serve(Router::new().route("/api/v1/configmaps", get(config_maps))).await;
        let (mut receiver, _) = watch_with(&client, Lists::Paginated, |streams| {
            streams.full::<ConfigMap>(Kind::ConfigMap, Object::ConfigMap);
        });
        let seen = loop {
            if let StreamEvent::Seen(update, gone) = next(&mut receiver).await {
                break (*update, gone);
            }
        };
        let (Update::Apply(Object::ConfigMap(config_map)), Gone::Object(reference)) = seen else {
            panic!("a ConfigMap update: {seen:?}");
        };
        assert_eq!((reference.kind, reference.name.as_str()), (Kind::ConfigMap, "web"));
        let data = config_map.data.unwrap_or_default();
        assert_eq!(
            data.into_iter().collect::<Vec<_>>(),
            [("token".to_string(), "(credential: GitHub token)".to_string())]
        );
    }
}
