//! What a new leader finds on the server: the reports a previous leader (or this replica before
//! a restart) wrote. Fetched as soon as this replica leads, while the caches are still syncing,
//! so the reports' LIST (18 KB a namespace) does not wait for every other kind's.

use std::collections::BTreeMap;

use kube::Client;
use kube::api::{Api, ListParams};
use palisade_crds::{ClusterPostureReport, ClusterPostureReportStatus, PostureReport};

use super::report::Remembered;
use super::writer;

/// The reports on the server, as Palisade remembers reports it wrote.
pub struct OnServer {
    pub namespaces: BTreeMap<String, Remembered>,
    pub cluster: Option<ClusterPostureReportStatus>,
}

/// Reports listed at a time: each is remembered in a fraction of its size, so listing them all at
/// once would make a restart's peak memory (5k pods: 77 MiB against 68) of reports read and
/// dropped a moment later.
const PAGE: u32 = 50;

pub async fn fetch(client: Client) -> Result<OnServer, kube::Error> {
    let reports = Api::<PostureReport>::all(client.clone());
    let mut namespaces = BTreeMap::new();
    let mut params = ListParams::default().limit(PAGE);
    loop {
        let page = reports.list(&params).await?;
        namespaces.extend(
            page.items
                .into_iter()
                .filter(|report| report.metadata.name.as_deref() == Some(writer::REPORT_NAME))
                .filter_map(|report| {
                    Some((
                        report.metadata.namespace?,
                        Remembered::read_back(report.status.as_ref()?),
                    ))
                }),
        );
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => params = params.continue_token(&token),
            _ => break,
        }
    }
    let cluster = Api::<ClusterPostureReport>::all(client)
        .get_opt(writer::CLUSTER_REPORT_NAME)
        .await?
        .and_then(|report| report.status);
    Ok(OnServer { namespaces, cluster })
}
