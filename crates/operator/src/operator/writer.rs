//! Writes Palisade's objects with field manager `palisade`: a report object is created once by
//! server-side apply (its spec is empty), then only its status is written, replaced whole by a
//! JSON patch. The API server reads an apply's body as YAML, twice: at 10k pods that was 14% of
//! its CPU through a first start, and a status rewrite cost it 25.3 ms by apply against 17.5 ms
//! by JSON patch (`bench/report-write-cost.py`). Replacing the status whole also removes what
//! anyone else added to it, which restoring an edited report means to do.

use std::sync::Arc;

use json_patch::jsonptr::PointerBuf;
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ManagedFieldsEntry;
use kube::api::{Api, DeleteParams, Patch, PatchParams};
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::{Client, Resource};
use palisade_crds::{
    ClusterPostureReport, ClusterPostureReportStatus, HardeningBaseline, HardeningBaselineStatus, PostureReport,
    PostureReportStatus,
};
use serde::Serialize;
use serde_json::json;

use super::metrics::Metrics;

pub const FIELD_MANAGER: &str = "palisade";
pub const REPORT_NAME: &str = "posture";
pub const CLUSTER_REPORT_NAME: &str = "cluster";

#[derive(Clone)]
pub struct Writer {
    client: Client,
    metrics: Arc<Metrics>,
    recorder: Recorder,
}

impl Writer {
    pub fn new(client: Client, metrics: Arc<Metrics>, identity: &str) -> Writer {
        let reporter = Reporter {
            controller: "palisade".to_string(),
            instance: Some(identity.to_string()),
        };
        Writer {
            recorder: Recorder::new(client.clone(), reporter),
            client,
            metrics,
        }
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Writes a namespace's report status, creating the report first when it may not exist.
    pub async fn namespace_report(
        &self,
        namespace: &str,
        status: &PostureReportStatus,
        exists: bool,
    ) -> Result<(), kube::Error> {
        let api = Api::<PostureReport>::namespaced(self.client.clone(), namespace);
        let result = write_status(&api, REPORT_NAME, status, exists).await;
        self.count("PostureReport", &result);
        result
    }

    pub async fn delete_namespace_report(&self, namespace: &str) -> Result<(), kube::Error> {
        let api = Api::<PostureReport>::namespaced(self.client.clone(), namespace);
        self.delete(&api, REPORT_NAME, "PostureReport").await
    }

    /// Deletes one of Palisade's objects; one already gone (or whose namespace is going) is fine.
    pub async fn delete<K>(&self, api: &Api<K>, name: &str, kind: &'static str) -> Result<(), kube::Error>
    where
        K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
    {
        let result = match api.delete(name, &DeleteParams::default()).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 404 || status.code == 409 => Ok(()),
            Err(error) => Err(error),
        };
        match &result {
            Ok(()) => self.metrics.write(kind, "deleted"),
            Err(error) => self.metrics.write(kind, failure(error)),
        }
        result
    }

    pub async fn cluster_report(&self, status: &ClusterPostureReportStatus, exists: bool) -> Result<(), kube::Error> {
        let api = Api::<ClusterPostureReport>::all(self.client.clone());
        let result = write_status(&api, CLUSTER_REPORT_NAME, status, exists).await;
        self.count("ClusterPostureReport", &result);
        result
    }

    pub async fn baseline_status(&self, name: &str, status: &HardeningBaselineStatus) -> Result<(), kube::Error> {
        let api = Api::<HardeningBaseline>::all(self.client.clone());
        let result = write_status(&api, name, status, true).await;
        self.count("HardeningBaseline", &result);
        result
    }

    /// Publishes an Event about one of Palisade's objects; failing to is only logged.
    pub async fn event(&self, regarding: ObjectReference, warning: bool, reason: &str, note: String) {
        let event = Event {
            type_: if warning { EventType::Warning } else { EventType::Normal },
            reason: reason.to_string(),
            note: Some(note),
            action: "Evaluate".to_string(),
            secondary: None,
        };
        if let Err(error) = self.recorder.publish(&event, &regarding).await {
            tracing::warn!(reason, error = %error, "publishing an event failed");
        }
    }

    pub fn count(&self, kind: &'static str, result: &Result<(), kube::Error>) {
        match result {
            Ok(()) => self.metrics.write(kind, "applied"),
            Err(error) => self.metrics.write(kind, failure(error)),
        }
    }
}

/// An event to publish: whether it warns, its reason and its note.
pub type EventText = (bool, &'static str, String);

/// Whether someone other than Palisade changed an object's status after Palisade last wrote it,
/// or Palisade never did. Times have second precision, so an edit within the second of
/// Palisade's own counts as later: restoring costs one more write, and a write that changes
/// nothing changes no time (the API server keeps the managed fields' times then), so this
/// cannot loop.
pub fn status_edited_by_others(fields: &[ManagedFieldsEntry]) -> bool {
    let of_status = || {
        fields
            .iter()
            .filter(|entry| entry.subresource.as_deref() == Some("status"))
    };
    let ours = of_status()
        .filter(|entry| entry.manager.as_deref() == Some(FIELD_MANAGER))
        .filter_map(|entry| entry.time.as_ref())
        .max();
    of_status()
        .filter(|entry| entry.manager.as_deref() != Some(FIELD_MANAGER))
        .any(|entry| match (ours, &entry.time) {
            (None, _) => true,
            (Some(ours), Some(theirs)) => theirs >= ours,
            (Some(_), None) => false,
        })
}

/// A low-cardinality label for a failed write.
pub fn failure(error: &kube::Error) -> &'static str {
    match error {
        kube::Error::Api(status) if status.code == 409 => "conflict",
        kube::Error::Api(status) if status.code == 429 => "throttled",
        kube::Error::Api(status) if status.code == 403 || status.code == 401 => "forbidden",
        kube::Error::Api(status) if status.code == 404 => "not_found",
        _ => "error",
    }
}

async fn write_status<K>(api: &Api<K>, name: &str, status: &impl Serialize, exists: bool) -> Result<(), kube::Error>
where
    K: Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    if !exists {
        let object = json!({"apiVersion": K::api_version(&()), "kind": K::kind(&()),
            "metadata": {"name": name}, "spec": {}});
        api.patch(name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(object))
            .await?;
    }
    let params = PatchParams {
        field_manager: Some(FIELD_MANAGER.to_string()),
        ..PatchParams::default()
    };
    api.patch_status(name, &params, &replace_status(status)?)
        .await
        .map(|_| ())
}

/// A JSON patch setting `/status` to `status`, whether the object has a status or not.
fn replace_status(status: &impl Serialize) -> Result<Patch<()>, kube::Error> {
    let add = json_patch::AddOperation {
        path: PointerBuf::from_tokens(["status"]),
        value: serde_json::to_value(status).map_err(kube::Error::SerdeError)?,
    };
    Ok(Patch::Json(json_patch::Patch(vec![json_patch::PatchOperation::Add(
        add,
    )])))
}

/// The reference of a namespace's report, for Events.
pub fn report_reference(namespace: &str) -> ObjectReference {
    ObjectReference {
        api_version: Some(PostureReport::api_version(&()).to_string()),
        kind: Some(PostureReport::kind(&()).to_string()),
        namespace: Some(namespace.to_string()),
        name: Some(REPORT_NAME.to_string()),
        ..ObjectReference::default()
    }
}

/// The reference of a baseline, for Events.
pub fn baseline_reference(name: &str) -> ObjectReference {
    ObjectReference {
        api_version: Some(HardeningBaseline::api_version(&()).to_string()),
        kind: Some(HardeningBaseline::kind(&()).to_string()),
        name: Some(name.to_string()),
        ..ObjectReference::default()
    }
}

#[cfg(test)]
mod tests {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ManagedFieldsEntry, Time};

    use super::{FIELD_MANAGER, replace_status, status_edited_by_others};

    fn entry(manager: &str, subresource: Option<&str>, second: i64) -> ManagedFieldsEntry {
        ManagedFieldsEntry {
            manager: Some(manager.to_string()),
            subresource: subresource.map(str::to_string),
            time: Some(Time(
                k8s_openapi::jiff::Timestamp::from_second(1_800_000_000 + second).expect("a time"),
            )),
            ..ManagedFieldsEntry::default()
        }
    }

    #[test]
    fn the_status_is_replaced_whole_at_its_path() {
        let status = serde_json::json!({"score": 80, "checks": [{"id": "pod.privileged"}]});
        let kube::api::Patch::Json(patch) = replace_status(&status).expect("a patch") else {
            panic!("a JSON patch");
        };
        assert_eq!(
            serde_json::to_value(&patch).expect("serializable"),
            serde_json::json!([{"op": "add", "path": "/status", "value": status}])
        );
    }

    #[test]
    fn a_status_edit_after_palisade_s_apply_is_someone_else_s() {
        let ours = entry(FIELD_MANAGER, Some("status"), 10);
        assert!(!status_edited_by_others(std::slice::from_ref(&ours)));
        assert!(!status_edited_by_others(&[
            entry("kubectl-edit", Some("status"), 9),
            ours.clone()
        ]));
        assert!(status_edited_by_others(&[
            ours.clone(),
            entry("kubectl-edit", Some("status"), 11)
        ]));
        assert!(
            status_edited_by_others(&[ours.clone(), entry("kubectl-edit", Some("status"), 10)]),
            "within the same second, the edit may be later"
        );
        assert!(
            !status_edited_by_others(&[ours, entry("kubectl-label", None, 11)]),
            "metadata and spec edits leave the status as Palisade wrote it"
        );
        assert!(status_edited_by_others(&[entry("velero", Some("status"), 1)]));
        assert!(!status_edited_by_others(&[]));
    }
}
