//! The controller loop: applies watch events to the world, keeps the set of dirty namespaces
//! with the instant each is due (first change + debounce, or the instant a result changes by
//! time alone), and, while leading, evaluates due namespaces off the async runtime's threads
//! and writes what changed.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use palisade_checks::Dirty;
use palisade_crds::{ClusterPostureReportStatus, DriftState, HardeningBaselineStatus, PostureReportStatus};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::{self, JoinHandle, JoinSet};
use tokio::time::Instant;

use super::evaluate::{self, NamespaceOutcome};
use super::metrics::{KindLabels, Metrics};
use super::namespace_write::{self, NamespaceWrite, NamespaceWritten};
use super::openreports::{Applied, OpenReports};
use super::read_back;
use super::report::{Limits, Remembered, baseline_status};
use super::summaries::{self, BaselineWrite, ClusterInputs, Written};
use super::watch::{Gone, Kept, Message, StreamEvent, Update};
use super::world::{Scope, World};
use super::writer::{self, Writer};

/// How often the index's object counts are published (counting walks the whole index).
const COUNT_EVERY: Duration = Duration::from_secs(2);
/// How long the cluster report, once due, waits for the namespaces' report writes in flight: it
/// sums their summaries, and written during a burst (a first start) it would be written again
/// after every few writes.
const CLUSTER_WAITS_FOR_WRITES: Duration = Duration::from_secs(5);
/// Failed writes in a row after which a namespace counts as stalled.
const STALLED_AFTER: u32 = 3;
/// How long reading back the reports waits after a failure.
const RETRY_AFTER: Duration = Duration::from_secs(5);
/// The wait after a first failed write; it doubles with each failure in a row, up to the maximum.
const FIRST_RETRY: Duration = Duration::from_secs(1);
const LAST_RETRY: Duration = Duration::from_secs(60);
/// Reports evaluated but not yet written, at most, per write in flight. A first start finds
/// every namespace due at once, and each report waiting for a write holds its findings (at 10k
/// pods, 9 of the heap's 65 MB at its peak when all were evaluated ahead of their writes).
const QUEUED_PER_WRITE: usize = 4;

/// How long to wait before writing again after `failures` failed writes in a row.
fn retry_after(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(6);
    (FIRST_RETRY * 2u32.pow(doublings)).min(LAST_RETRY)
}

pub struct Settings {
    pub scope: Scope,
    pub limits: Limits,
    pub debounce: Duration,
    pub concurrency: usize,
    /// Whether OpenReports Reports are written too.
    pub openreports: bool,
}

pub struct Controller {
    world: Arc<RwLock<World>>,
    settings: Arc<Settings>,
    metrics: Arc<Metrics>,
    writer: Writer,
    synced: Arc<AtomicBool>,
    /// Where each stream's objects are kept, by stream.
    streams: Vec<Kept>,
    streams_synced: BTreeSet<usize>,
    /// Streams that began a list: a stream's first list has nothing to find deleted.
    lists_begun: BTreeSet<usize>,
    /// What each stream the index does not keep has seen (baselines, reports).
    known: HashMap<usize, HashSet<Gone>>,
    /// What each stream relisting saw again so far.
    relisting: HashMap<usize, HashSet<Gone>>,
    /// Dirty namespaces and when each is due.
    due: BTreeMap<String, Instant>,
    cluster_due: Option<Instant>,
    /// When the baselines' statuses are due to be written again on their own.
    baselines_due: Option<Instant>,
    /// When a namespace's result changes by time alone.
    timers: BTreeMap<String, Timestamp>,
    leading: bool,
    /// Whether the reports on the server were read back since this replica began to lead.
    loaded: bool,
    /// What is remembered of each namespace's report as written.
    written: BTreeMap<String, Remembered>,
    cluster_written: Option<ClusterPostureReportStatus>,
    baselines_written: BTreeMap<String, HardeningBaselineStatus>,
    /// Consecutive failed report writes per namespace, of the cluster report and of baselines.
    write_failures: BTreeMap<String, u32>,
    cluster_failures: u32,
    baseline_failures: u32,
    /// Reports someone else edited or deleted (`false`: no longer on the server), to be written
    /// again whatever the evaluation says; `None` is the cluster report.
    restore: BTreeMap<Option<String>, bool>,
    /// Baselines whose status someone else edited.
    restore_baselines: BTreeSet<String>,
    /// The OpenReports written, when `--openreports`.
    openreports: Option<OpenReports>,
    /// The reports on the server, being read since this replica began to lead.
    reading_back: Option<JoinHandle<Result<read_back::OnServer, kube::Error>>>,
    /// The cluster report and baseline statuses being written, if they are.
    summaries: Option<JoinHandle<Written>>,
    /// Namespaces' report writes in flight, and the task writing each namespace's.
    writes: JoinSet<NamespaceWritten>,
    writing: HashMap<String, task::Id>,
    /// Namespaces that came due while their report was being written.
    after_write: BTreeSet<String>,
    /// Bound the report writes and the Events in flight (a first start tells hundreds of drifts).
    write_permits: Arc<Semaphore>,
    /// How many namespaces' writes may be queued, in flight or waiting for a permit.
    write_queue: usize,
    event_permits: Arc<Semaphore>,
}

impl Controller {
    pub fn new(
        settings: Settings,
        metrics: Arc<Metrics>,
        writer: Writer,
        synced: Arc<AtomicBool>,
        streams: Vec<Kept>,
    ) -> Controller {
        let in_flight = settings.concurrency * 4;
        Controller {
            openreports: settings.openreports.then(OpenReports::default),
            world: Arc::default(),
            settings: Arc::new(settings),
            metrics,
            writer,
            synced,
            streams,
            streams_synced: BTreeSet::new(),
            lists_begun: BTreeSet::new(),
            known: HashMap::new(),
            relisting: HashMap::new(),
            due: BTreeMap::new(),
            cluster_due: None,
            baselines_due: None,
            timers: BTreeMap::new(),
            leading: false,
            loaded: false,
            written: BTreeMap::new(),
            cluster_written: None,
            baselines_written: BTreeMap::new(),
            write_failures: BTreeMap::new(),
            cluster_failures: 0,
            baseline_failures: 0,
            restore: BTreeMap::new(),
            restore_baselines: BTreeSet::new(),
            reading_back: None,
            summaries: None,
            writes: JoinSet::new(),
            writing: HashMap::new(),
            after_write: BTreeSet::new(),
            write_permits: Arc::new(Semaphore::new(in_flight)),
            write_queue: in_flight * QUEUED_PER_WRITE,
            event_permits: Arc::new(Semaphore::new(in_flight)),
        }
    }

    /// Runs until `shutdown` resolves or the watches end.
    pub async fn run(
        mut self,
        mut messages: mpsc::Receiver<Message>,
        mut leader: watch::Receiver<bool>,
        shutdown: impl std::future::Future<Output = ()>,
    ) {
        tokio::pin!(shutdown);
        self.set_leading(*leader.borrow_and_update());
        let mut counting = tokio::time::interval(COUNT_EVERY);
        loop {
            let next = self.next_due();
            tokio::select! {
                biased;
                () = &mut shutdown => return,
                changed = leader.changed() => {
                    if changed.is_err() {
                        tracing::error!("leader election stopped; no longer writing");
                        self.set_leading(false);
                        return;
                    }
                    let leading = *leader.borrow_and_update();
                    self.set_leading(leading);
                }
                message = messages.recv() => {
                    let Some(message) = message else { return };
                    self.receive(message, &mut messages);
                }
                () = tokio::time::sleep_until(next.unwrap_or_else(far_future)), if next.is_some() => {
                    self.work().await;
                }
                Some(written) = self.writes.join_next_with_id(), if !self.writes.is_empty() => {
                    self.namespace_written(written);
                }
                written = in_flight(&mut self.summaries), if self.summaries.is_some() => {
                    self.summaries = None;
                    self.summaries_written(written);
                }
                _ = counting.tick() => self.count_cached(),
            }
        }
    }

    fn set_leading(&mut self, leading: bool) {
        if leading != self.leading {
            tracing::info!(leading, "leadership changed");
        }
        self.leading = leading;
        self.loaded = false;
        if let Some(reading) = self.reading_back.take() {
            reading.abort();
        }
        if leading {
            self.reading_back = Some(self.start_reading_back());
        } else {
            // Only the leader writes; what the new leader finds on the server is read back.
            if let Some(summaries) = self.summaries.take() {
                summaries.abort();
            }
            self.writes.abort_all();
            self.due
                .extend(self.writing.drain().map(|(namespace, _)| (namespace, Instant::now())));
            self.after_write.clear();
        }
        self.metrics.leader.set(i64::from(leading));
    }

    /// Applies a message and every other one already waiting, under one lock.
    fn receive(&mut self, first: Message, messages: &mut mpsc::Receiver<Message>) {
        let mut dirty = Dirty::default();
        let was_synced = self.streams_synced.len() == self.streams.len();
        {
            let lock = Arc::clone(&self.world);
            let mut world = lock.write().unwrap_or_else(std::sync::PoisonError::into_inner);
            let mut next = Some(first);
            while let Some(message) = next {
                self.metrics
                    .watch_events
                    .get_or_create(&KindLabels { kind: message.kind })
                    .inc();
                dirty.merge(self.handle(&mut world, message));
                next = messages.try_recv().ok();
            }
        }
        let just_synced = !was_synced && self.streams_synced.len() == self.streams.len();
        let at = match just_synced {
            // The caches hold the whole cluster now: nothing is gained by waiting for more.
            true => Instant::now(),
            false => Instant::now() + self.settings.debounce,
        };
        if just_synced {
            self.due.values_mut().for_each(|due| *due = at);
            self.cluster_due = Some(at);
        }
        for namespace in dirty.namespaces {
            self.due.entry(namespace).or_insert(at);
        }
        if dirty.cluster {
            self.cluster_due.get_or_insert(at);
        }
        self.publish_pending();
    }

    fn handle(&mut self, world: &mut World, message: Message) -> Dirty {
        let stream = message.stream;
        match message.event {
            StreamEvent::Seen(update, gone) => {
                if let Some(relisting) = self.relisting.get_mut(&stream) {
                    relisting.insert(gone.clone());
                }
                if self.kept(stream) == Kept::Remembered {
                    self.known.entry(stream).or_default().insert(gone);
                }
                match *update {
                    Update::Apply(object) => world.apply(object),
                    Update::ApplyBaseline(baseline) => {
                        let managed_fields = baseline.metadata.managed_fields.as_deref().unwrap_or_default();
                        if writer::status_edited_by_others(managed_fields)
                            && let Some(name) = &baseline.metadata.name
                        {
                            self.restore_baselines.insert(name.clone());
                            self.baselines_due
                                .get_or_insert(Instant::now() + self.settings.debounce);
                        }
                        world.apply_baseline(baseline)
                    }
                    Update::UnreadableBaseline { metadata, problem } => {
                        tracing::warn!(baseline = metadata.name, problem, "a baseline cannot be read");
                        world.apply_unreadable_baseline(metadata, problem)
                    }
                    // A report where the index knows no namespace: evaluated, it is deleted if
                    // its namespace is indeed gone.
                    Update::Report {
                        namespace: Some(orphan),
                        ..
                    } if !world.namespace_exists(&orphan) => Dirty {
                        namespaces: BTreeSet::from([orphan]),
                        cluster: false,
                    },
                    Update::Report {
                        namespace,
                        edited_by_others,
                    } => match edited_by_others {
                        true => self.restore_report(world, namespace, true),
                        false => Dirty::default(),
                    },
                }
            }
            StreamEvent::Deleted(gone) => {
                if let Some(known) = self.known.get_mut(&stream) {
                    known.remove(&gone);
                }
                self.forget(world, gone)
            }
            StreamEvent::Relist => {
                if !self.lists_begun.insert(stream) {
                    self.relisting.insert(stream, HashSet::new());
                }
                Dirty::default()
            }
            StreamEvent::RelistDone => {
                let mut dirty = Dirty::default();
                if let Some(seen) = self.relisting.remove(&stream) {
                    for vanished in self.vanished(world, stream, seen) {
                        dirty.merge(self.forget(world, vanished));
                    }
                }
                if self.streams_synced.insert(stream) && self.streams_synced.len() == self.streams.len() {
                    tracing::info!("every cache synced; evaluation starts");
                    self.synced.store(true, Ordering::Relaxed);
                    dirty.namespaces.extend(world.namespaces().map(str::to_string));
                    dirty.cluster = true;
                }
                dirty
            }
        }
    }

    fn kept(&self, stream: usize) -> Kept {
        self.streams.get(stream).copied().unwrap_or(Kept::Remembered)
    }

    /// What `stream` had seen before its relist and did not see again (`seen`): deleted while
    /// it was away. What it saw is remembered from now on, where the index does not keep it.
    fn vanished(&mut self, world: &World, stream: usize, seen: HashSet<Gone>) -> Vec<Gone> {
        match self.kept(stream) {
            Kept::Indexed { kind, secret_type } => {
                let held = world.inventory.held(kind, secret_type).into_iter().map(Gone::Object);
                held.filter(|gone| !seen.contains(gone)).collect()
            }
            Kept::Remembered => {
                let before = self.known.insert(stream, seen).unwrap_or_default();
                let seen = &self.known[&stream];
                before.into_iter().filter(|gone| !seen.contains(gone)).collect()
            }
        }
    }

    /// Drops what a deleted object contributed; a deleted report of Palisade's is written again.
    fn forget(&mut self, world: &mut World, gone: Gone) -> Dirty {
        match gone {
            Gone::Object(reference) => world.delete(&reference),
            Gone::Baseline(name) => world.delete_baseline(&name),
            Gone::Report(namespace) => self.restore_report(world, namespace, false),
        }
    }

    /// Marks a report Palisade wrote, but someone else edited or deleted, to be written again
    /// (not when its namespace is going, which takes the report with it).
    fn restore_report(&mut self, world: &World, namespace: Option<String>, exists: bool) -> Dirty {
        let mut dirty = Dirty::default();
        match &namespace {
            Some(name) if self.written.contains_key(name) && world.namespace_active(name) => {
                dirty.namespaces.insert(name.clone());
            }
            None if self.cluster_written.is_some() => dirty.cluster = true,
            _ => return dirty,
        }
        tracing::info!(
            namespace,
            deleted = !exists,
            "a report was changed by someone else; restoring it"
        );
        self.restore.insert(namespace, exists);
        dirty
    }

    /// The earliest instant something is due, once caches synced and while leading.
    fn next_due(&self) -> Option<Instant> {
        if !self.leading || self.streams_synced.len() < self.streams.len() {
            return None;
        }
        if !self.loaded {
            return Some(Instant::now());
        }
        // With no room, what is due waits for a write to finish, which wakes the loop.
        let room = self.evaluation_room() > 0;
        let timer = self.timers.values().min().filter(|_| room).map(|at| {
            let ahead = at.duration_since(Timestamp::now());
            let wait = if ahead.is_negative() {
                Duration::ZERO
            } else {
                ahead.unsigned_abs()
            };
            Instant::now() + wait
        });
        // The cluster report and baselines are decided again once the write in flight is done.
        let summaries_due = match self.summaries {
            Some(_) => None,
            None => [self.cluster_ready_at(), self.baselines_due]
                .into_iter()
                .flatten()
                .min(),
        };
        let due = self.due.values().min().copied().filter(|_| room);
        [due, summaries_due, timer].into_iter().flatten().min()
    }

    async fn work(&mut self) {
        if !self.loaded {
            let reading = self.reading_back.take().unwrap_or_else(|| self.start_reading_back());
            let fetched = match reading.await {
                Ok(fetched) => fetched.map_err(|error| error.to_string()),
                Err(error) => Err(error.to_string()),
            };
            match fetched {
                Ok(on_server) => {
                    self.read_back(on_server).await;
                    self.loaded = true;
                }
                Err(error) => {
                    tracing::warn!(error, "reading back reports failed; retrying");
                    tokio::time::sleep(RETRY_AFTER).await;
                }
            }
            return;
        }
        self.evaluate_due().await;
    }

    fn start_reading_back(&self) -> JoinHandle<Result<read_back::OnServer, kube::Error>> {
        tokio::spawn(read_back::fetch(self.writer.client().clone()))
    }

    /// Takes in the reports on the server: what they hold need not be written again, and
    /// firstSeen and drift `since` continue from them. Every namespace is due at once.
    ///
    /// Reports in namespaces that no longer exist (the namespace controller leaves them when it
    /// deletes a namespace while Palisade's kinds are missing from discovery, as after an API
    /// server restart) are orphans: not counted in the cluster report, and due to be deleted.
    async fn read_back(&mut self, on_server: read_back::OnServer) {
        if let Some(openreports) = &mut self.openreports {
            openreports.read_back(&self.writer).await;
        }
        let world = self.world.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (written, orphans): (BTreeMap<_, _>, BTreeMap<_, _>) = on_server
            .namespaces
            .into_iter()
            .partition(|(namespace, _)| world.namespace_exists(namespace));
        self.written = written;
        self.cluster_written = on_server.cluster;
        self.baselines_written = world
            .baselines
            .iter()
            .filter_map(|(name, entry)| Some((name.clone(), entry.status.clone()?)))
            .collect();
        let now = Instant::now();
        let namespaces = world.namespaces().map(str::to_string).chain(orphans.keys().cloned());
        self.due
            .extend(namespaces.map(|namespace| (namespace, now)).collect::<Vec<_>>());
        self.cluster_due = Some(now);
        tracing::info!(
            reports = self.written.len(),
            orphans = orphans.len(),
            "read back existing reports"
        );
    }

    /// Whether the report of `namespace` is on the server, as the reports' watch last saw.
    fn report_on_server(&self, namespace: &str) -> bool {
        let report = Gone::Report(Some(namespace.to_string()));
        self.known.values().any(|seen| seen.contains(&report))
    }

    async fn evaluate_due(&mut self) {
        let now = Instant::now();
        let clock = Timestamp::now();
        let mut namespaces: BTreeSet<String> = self
            .due
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(name, _)| name.clone())
            .collect();
        namespaces.extend(
            self.timers
                .iter()
                .filter(|(_, at)| **at <= clock)
                .map(|(name, _)| name.clone()),
        );
        // A namespace whose report is being written is evaluated again once the write is done,
        // against what it wrote.
        let (waiting, ready): (BTreeSet<String>, BTreeSet<String>) = namespaces
            .into_iter()
            .partition(|namespace| self.writing.contains_key(namespace));
        // The rest stay due until writes drain.
        let namespaces: BTreeSet<String> = ready.into_iter().take(self.evaluation_room()).collect();
        for namespace in waiting.iter().chain(&namespaces) {
            self.due.remove(namespace);
            self.timers.remove(namespace);
        }
        self.after_write.extend(waiting);
        let cluster_due = self.cluster_ready_at().is_some_and(|at| at <= now);
        let outcomes = self.evaluate(namespaces, clock).await;
        for outcome in &outcomes {
            match outcome.changes_at {
                Some(at) => self.timers.insert(outcome.namespace.clone(), at),
                None => self.timers.remove(&outcome.namespace),
            };
        }
        self.start_writes(outcomes);
        self.start_summaries(cluster_due, clock);
        self.publish_pending();
        let drifted = self
            .written
            .values()
            .filter(|written| written.summary.state == DriftState::Drifted)
            .count();
        self.metrics.drifted_namespaces.set(drifted as i64);
    }

    /// How many namespaces may be evaluated now: none until half the write queue has drained,
    /// so that evaluations come in batches rather than one per finished write.
    fn evaluation_room(&self) -> usize {
        match self.writing.len() > self.write_queue / 2 {
            true => 0,
            false => self.write_queue - self.writing.len(),
        }
    }

    /// When the cluster report is to be written, if it is due.
    fn cluster_ready_at(&self) -> Option<Instant> {
        let due = self.cluster_due?;
        Some(match self.writing.is_empty() {
            true => due,
            false => due + CLUSTER_WAITS_FOR_WRITES,
        })
    }

    /// Namespaces dirty or being written.
    fn publish_pending(&self) {
        let writing = self
            .writing
            .keys()
            .filter(|namespace| !self.due.contains_key(*namespace))
            .count();
        self.metrics.pending_namespaces.set((self.due.len() + writing) as i64);
    }

    /// Namespaces (among those `which` accepts) whose report writes keep failing.
    fn stalled_namespaces(&self, which: impl Fn(&str) -> bool) -> Vec<String> {
        self.write_failures
            .iter()
            .filter(|(namespace, failures)| **failures >= STALLED_AFTER && which(namespace))
            .map(|(namespace, _)| namespace.clone())
            .collect()
    }

    /// Publishes how many objects the index holds (on followers too).
    fn count_cached(&self) {
        let world = self.world.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        for (kind, count) in world.inventory.counts() {
            self.metrics
                .cache_objects
                .get_or_create(&KindLabels { kind })
                .set(count as i64);
        }
        let invalid = world.baselines.values().filter(|entry| entry.resolved.is_err()).count();
        self.metrics.invalid_baselines.set(invalid as i64);
    }

    /// Evaluates namespaces on blocking threads, `concurrency` at a time, under the world's read lock.
    async fn evaluate(&self, namespaces: BTreeSet<String>, now: Timestamp) -> Vec<NamespaceOutcome> {
        if namespaces.is_empty() {
            return Vec::new();
        }
        let jobs: Vec<(String, Option<Remembered>)> = namespaces
            .into_iter()
            .map(|namespace| {
                let previous = self.written.get(&namespace).cloned();
                (namespace, previous)
            })
            .collect();
        let world = Arc::clone(&self.world);
        let settings = Arc::clone(&self.settings);
        let metrics = Arc::clone(&self.metrics);
        let evaluated = tokio::task::spawn_blocking(move || {
            let world = world.read().unwrap_or_else(std::sync::PoisonError::into_inner);
            // A namespace being deleted refuses new content and takes its reports with it.
            let jobs: Vec<_> = jobs
                .into_iter()
                .filter(|(namespace, _)| !world.namespace_terminating(namespace))
                .collect();
            let shares = crate::parallel::in_shares(&jobs, settings.concurrency, |share| {
                share
                    .iter()
                    .map(|(namespace, previous)| {
                        let started = std::time::Instant::now();
                        let outcome = evaluate::namespace(
                            &world,
                            &settings.scope,
                            namespace,
                            previous.as_ref(),
                            settings.limits,
                            now,
                        );
                        metrics.evaluation_duration.observe(started.elapsed().as_secs_f64());
                        outcome
                    })
                    .collect::<Vec<_>>()
            });
            shares.into_iter().flatten().collect::<Vec<_>>()
        })
        .await;
        evaluated.unwrap_or_else(|error| {
            tracing::error!(error = %error, "evaluation failed");
            Vec::new()
        })
    }

    /// Starts writing the reports that changed, and the OpenReports of every evaluated namespace
    /// (written only when their content changed).
    fn start_writes(&mut self, outcomes: Vec<NamespaceOutcome>) {
        for outcome in outcomes {
            let namespace = outcome.namespace.clone();
            let orphan = outcome.namespace_gone && self.report_on_server(&namespace);
            // The OpenReports Report of a namespace that is gone went with it too, unless the
            // PostureReport was left behind: then it is deleted beside it, if it is known.
            let openreport = match &mut self.openreports {
                Some(openreports) if !outcome.namespace_gone => Some(openreports.digest(Some(&namespace))),
                Some(openreports) => {
                    let digest = openreports.digest(Some(&namespace)).filter(|_| orphan);
                    openreports.forget(&namespace);
                    digest.map(Some)
                }
                None => None,
            };
            if !self.leading {
                continue;
            }
            let restore = self.restore.get(&Some(namespace.clone())).copied();
            let report = outcome.changed || restore.is_some() || orphan;
            if !report && openreport.is_none() {
                continue;
            }
            let write = NamespaceWrite {
                exists: orphan || (self.written.contains_key(&namespace) && restore != Some(false)),
                outcome,
                report,
                openreport,
            };
            let task = self.writes.spawn(namespace_write::write(
                self.writer.clone(),
                Arc::clone(&self.write_permits),
                write,
            ));
            self.writing.insert(namespace, task.id());
        }
    }

    /// Remembers what a namespace's write came to; a failed one is retried.
    fn namespace_written(&mut self, joined: Result<(task::Id, NamespaceWritten), task::JoinError>) {
        let id = match &joined {
            Ok((id, _)) => *id,
            Err(error) => error.id(),
        };
        // Writes aborted when leadership was lost are forgotten already.
        let Some(namespace) = self.finish_write(id) else {
            return;
        };
        let written = match joined {
            Ok((_, written)) => written,
            Err(error) => {
                tracing::error!(namespace, error = %error, "writing the report failed");
                self.due.entry(namespace).or_insert(Instant::now() + FIRST_RETRY);
                return;
            }
        };
        match written.report {
            Some(Err(error)) => {
                tracing::warn!(namespace, error = %error, "writing the report failed; retrying");
                let failures = self.write_failures.entry(namespace.clone()).or_default();
                *failures += 1;
                let stalled = *failures == STALLED_AFTER;
                let at = Instant::now() + retry_after(*failures);
                self.due.entry(namespace.clone()).or_insert(at);
                if stalled {
                    self.cluster_changed();
                }
            }
            Some(Ok(())) => self.report_written(written.outcome),
            None => {}
        }
        if self.openreport_written(Some(&namespace), written.openreport) {
            self.due.entry(namespace).or_insert(Instant::now() + FIRST_RETRY);
        }
        self.publish_pending();
    }

    /// Forgets the write in flight of the task `id`; its namespace, if it was not forgotten.
    fn finish_write(&mut self, id: task::Id) -> Option<String> {
        let namespace = self
            .writing
            .iter()
            .find(|(_, task)| **task == id)
            .map(|(namespace, _)| namespace.clone())?;
        self.writing.remove(&namespace);
        if self.after_write.remove(&namespace) {
            self.due.entry(namespace.clone()).or_insert(Instant::now());
        }
        Some(namespace)
    }

    fn report_written(&mut self, outcome: NamespaceOutcome) {
        let namespace = outcome.namespace;
        self.write_failures.remove(&namespace);
        self.restore.remove(&Some(namespace.clone()));
        self.metrics
            .namespace(&namespace, outcome.report.as_ref().map(|report| &report.status));
        match outcome.report {
            Some(report) => {
                if let Some((warning, reason, note)) = drift_event(self.written.get(&namespace), &report.status) {
                    // Events are told, not awaited: they must not hold back the next reports.
                    let writer = self.writer.clone();
                    let permits = Arc::clone(&self.event_permits);
                    let regarding = writer::report_reference(&namespace);
                    tokio::spawn(async move {
                        let _permit = permits.acquire_owned().await.ok();
                        writer.event(regarding, warning, reason, note).await;
                    });
                }
                self.written.insert(namespace, report.remembered);
            }
            None => {
                self.written.remove(&namespace);
            }
        }
        self.cluster_changed();
    }

    /// A namespace's report changed, so the cluster report, which sums them all, is due. It is
    /// large (90 KB at 1,000 namespaces): while other namespaces are due or being written it
    /// waits a debounce, so their writes do not queue behind one cluster write each.
    fn cluster_changed(&mut self) {
        let at = match self.due.is_empty() && self.writing.is_empty() {
            true => Instant::now(),
            false => Instant::now() + self.settings.debounce,
        };
        self.cluster_due = Some(self.cluster_due.map_or(at, |due| due.min(at)));
    }

    /// Starts writing the cluster report (when `cluster_due`) and the baselines' statuses that
    /// changed; with a write in flight they are decided again once it is done.
    fn start_summaries(&mut self, cluster_due: bool, now: Timestamp) {
        if self.summaries.is_some() {
            let now = Instant::now();
            if cluster_due {
                self.cluster_due.get_or_insert(now);
            }
            self.baselines_due.get_or_insert(now);
            return;
        }
        if !self.leading {
            return;
        }
        let cluster = cluster_due.then(|| {
            self.cluster_due = None;
            self.cluster_inputs()
        });
        // Like the cluster report, baselines' statuses sum namespaces' reports: while reports are
        // being written they follow the cluster report's pace, not every batch of evaluations.
        let baselines_due = self.baselines_due.is_some_and(|at| at <= Instant::now());
        let baselines = match cluster.is_some() || self.writing.is_empty() || baselines_due {
            true => self.baseline_writes(now),
            false => Vec::new(),
        };
        if cluster.is_none() && baselines.is_empty() {
            return;
        }
        self.summaries = Some(tokio::spawn(summaries::write(
            self.writer.clone(),
            Arc::clone(&self.world),
            Arc::clone(&self.settings),
            cluster,
            baselines,
            now,
        )));
    }

    fn cluster_inputs(&mut self) -> ClusterInputs {
        ClusterInputs {
            namespaces: self
                .written
                .iter()
                .map(|(namespace, written)| (namespace.clone(), written.summary.clone()))
                .collect(),
            stalled: self.stalled_namespaces(|_| true),
            previous: self.cluster_written.clone(),
            restore: self.restore.remove(&None),
            openreport: self.openreports.as_ref().map(|openreports| openreports.digest(None)),
        }
    }

    /// The baselines' statuses as they are now, those that differ from what was written.
    fn baseline_writes(&mut self, now: Timestamp) -> Vec<BaselineWrite> {
        let mut governed: BTreeMap<&str, BTreeMap<String, DriftState>> = BTreeMap::new();
        for (namespace, written) in &self.written {
            if let (Some(baseline), Some(_)) = (&written.summary.baseline, &written.drift) {
                governed
                    .entry(baseline.as_str())
                    .or_default()
                    .insert(namespace.clone(), written.summary.state);
            }
        }
        let statuses: Vec<(String, HardeningBaselineStatus)> = {
            let world = self.world.read().unwrap_or_else(std::sync::PoisonError::into_inner);
            let time = Time(now);
            world
                .baselines
                .iter()
                .map(|(name, entry)| {
                    let empty = BTreeMap::new();
                    let governed = governed.get(name.as_str()).unwrap_or(&empty);
                    let governs = |namespace: &str| {
                        world.governing(namespace).and_then(|baseline| baseline.name.as_deref()) == Some(name.as_str())
                    };
                    let failing = self.stalled_namespaces(governs);
                    (name.clone(), baseline_status(entry, governed, &failing, &time))
                })
                .collect()
        };
        let known: BTreeSet<&String> = statuses.iter().map(|(name, _)| name).collect();
        self.baselines_written.retain(|name, _| known.contains(name));
        self.restore_baselines.retain(|name| known.contains(name));
        self.baselines_due = None;
        statuses
            .into_iter()
            .filter_map(|(name, status)| {
                let previous = self.baselines_written.get(&name);
                let restore = self.restore_baselines.remove(&name);
                if previous == Some(&status) && !restore {
                    return None;
                }
                let became_invalid = readiness(Some(&status)) == Some(false) && readiness(previous) != Some(false);
                Some(BaselineWrite {
                    name,
                    status,
                    became_invalid,
                    restore,
                    result: None,
                })
            })
            .collect()
    }

    /// Remembers what the cluster report and baseline writes came to; failed ones are retried.
    fn summaries_written(&mut self, written: Result<Written, tokio::task::JoinError>) {
        let written = match written {
            Ok(written) => written,
            Err(error) => {
                tracing::error!(error = %error, "writing the cluster report and baseline statuses failed");
                let retry = Instant::now() + FIRST_RETRY;
                self.cluster_due = Some(retry);
                self.baselines_due = Some(retry);
                return;
            }
        };
        match written.cluster {
            Some(Ok(cluster)) => self.cluster_written(cluster),
            Some(Err(error)) => {
                tracing::error!(error = %error, "evaluating the cluster report failed");
                self.cluster_due = Some(Instant::now() + FIRST_RETRY);
            }
            None => {}
        }
        for baseline in written.baselines {
            match baseline.result {
                Some(Ok(())) => {
                    self.baselines_written.insert(baseline.name, baseline.status);
                    self.baseline_failures = 0;
                }
                Some(Err(error)) => {
                    tracing::warn!(baseline = baseline.name, error = %error, "writing the baseline status failed; retrying");
                    if baseline.restore {
                        self.restore_baselines.insert(baseline.name);
                    }
                    self.baseline_failures += 1;
                    self.baselines_due = Some(Instant::now() + retry_after(self.baseline_failures));
                }
                None => {}
            }
        }
    }

    fn cluster_written(&mut self, cluster: summaries::ClusterWritten) {
        if let Some(Err(error)) = &cluster.report {
            tracing::warn!(error = %error, "writing the cluster report failed; retrying");
            if let Some(exists) = cluster.restore {
                self.restore.entry(None).or_insert(exists);
            }
            self.cluster_failures += 1;
            self.cluster_due = Some(Instant::now() + retry_after(self.cluster_failures));
            return;
        }
        if cluster.report.is_some() {
            self.cluster_failures = 0;
        }
        if self.openreport_written(None, cluster.openreport) {
            self.cluster_due.get_or_insert(Instant::now() + FIRST_RETRY);
        }
        if cluster.changed {
            self.cluster_written = Some(cluster.status);
        }
    }

    /// Remembers what writing a namespace's OpenReports Report (the ClusterReport for `None`)
    /// came to; whether it failed in a way worth retrying (not when the CRDs are missing).
    fn openreport_written(&mut self, namespace: Option<&str>, written: Option<Result<Applied, kube::Error>>) -> bool {
        match written {
            Some(Ok(applied)) => {
                if let Some(openreports) = &mut self.openreports {
                    openreports.applied(namespace, applied);
                }
                false
            }
            Some(Err(error)) => {
                let kind = if namespace.is_some() { "Report" } else { "ClusterReport" };
                tracing::warn!(namespace, kind, error = %error, "writing the OpenReports report failed");
                retriable(&error)
            }
            None => false,
        }
    }
}

/// Waits for the write in flight; only polled while there is one.
async fn in_flight(summaries: &mut Option<JoinHandle<Written>>) -> Result<Written, tokio::task::JoinError> {
    match summaries {
        Some(task) => task.await,
        None => std::future::pending().await,
    }
}

/// The baseline's `Ready` verdict: `None` before Palisade has given one (no status, or the status
/// the CRD gives a new baseline: `observedGeneration: 0` and no condition).
fn readiness(status: Option<&HardeningBaselineStatus>) -> Option<bool> {
    let ready = status?.conditions.iter().find(|condition| condition.type_ == "Ready")?;
    Some(ready.status == "True")
}

/// The Event a drift transition deserves: Drifted when a namespace drifts (from sync, from no
/// baseline, or on its first report), InSync when it comes back.
fn drift_event(previous: Option<&Remembered>, current: &PostureReportStatus) -> Option<writer::EventText> {
    let before = previous
        .and_then(|written| written.drift.as_ref())
        .map(|drift| drift.state);
    let drift = current.drift.as_ref()?;
    match (before, drift.state) {
        (Some(DriftState::Drifted), DriftState::Drifted) => None,
        (_, DriftState::Drifted) => Some((true, "Drifted", drifted_note(&drift.items))),
        (Some(DriftState::Drifted), DriftState::InSync) => {
            Some((false, "InSync", "back in sync with its baseline".to_string()))
        }
        _ => None,
    }
}

/// Why a namespace drifted, within the 1 kB an Event's note may hold.
fn drifted_note(items: &[String]) -> String {
    const LISTED: usize = 5;
    let listed: Vec<&str> = items.iter().take(LISTED).map(String::as_str).collect();
    let mut note = format!("drifted from its baseline: {}", listed.join("; "));
    if items.len() > LISTED {
        note.push_str(&format!("; and {} more (see the PostureReport)", items.len() - LISTED));
    }
    note
}

/// Whether a failed OpenReports write is worth retrying: not when the CRDs are not installed.
fn retriable(error: &kube::Error) -> bool {
    !matches!(error, kube::Error::Api(status) if status.code == 404)
}

fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400)
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
    use palisade_checks::{AddOptions, Kind, Object, ObjectRef};
    use palisade_crds::{HardeningBaseline, Profile};
    use serde_json::json;

    use super::*;

    /// A writer whose requests are never answered while `server` lives: nobody accepts its
    /// connections, so every write stays in flight, as with an API server that has fallen behind.
    fn writer_to(server: &TcpListener) -> Writer {
        let url = format!("http://{}", server.local_addr().expect("address"));
        let client = kube::Client::try_from(kube::Config::new(url.parse().expect("url"))).expect("client");
        Writer::new(client, Arc::new(Metrics::default()), "test")
    }

    /// A leader whose caches synced and whose reports were read back (none), `namespaces`
    /// namespaces known and all due now.
    fn leader(writer: Writer, namespaces: usize) -> Controller {
        let settings = Settings {
            scope: Scope::new(BTreeSet::new(), Profile::Restricted, false),
            limits: Limits::default(),
            debounce: Duration::from_millis(100),
            concurrency: 2,
            openreports: false,
        };
        let mut controller = Controller::new(
            settings,
            Arc::new(Metrics::default()),
            writer,
            Arc::default(),
            vec![Kept::Remembered],
        );
        {
            let mut world = controller.world.write().expect("world");
            for index in 0..namespaces {
                let namespace =
                    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": format!("team-{index:03}")}});
                world
                    .inventory
                    .add_object(namespace, &AddOptions::default())
                    .expect("namespace");
            }
            let baseline: HardeningBaseline = serde_json::from_value(json!({
                "apiVersion": "palisade.dev/v1alpha1", "kind": "HardeningBaseline",
                "metadata": {"name": "all", "generation": 1},
                "spec": {"namespaceSelector": {}, "profile": "baseline"}}))
            .expect("baseline");
            world.apply_baseline(baseline);
            let now = Instant::now();
            controller.due = world
                .namespaces()
                .map(|namespace| (namespace.to_string(), now))
                .collect();
        }
        controller.leading = true;
        controller.loaded = true;
        controller.streams_synced.insert(0);
        controller
    }

    #[tokio::test]
    async fn namespaces_are_evaluated_at_most_a_write_queue_ahead_of_their_writes() {
        let server = TcpListener::bind("127.0.0.1:0").expect("listen");
        let mut controller = leader(writer_to(&server), 100);
        let queue = controller.write_queue;
        assert!(queue < 100, "the test needs more namespaces than the queue holds");

        controller.evaluate_due().await;
        assert_eq!(controller.writing.len(), queue, "a first batch fills the queue");
        assert_eq!(controller.due.len(), 100 - queue, "the rest stay due");
        assert_eq!(
            controller.next_due(),
            None,
            "with no room, what is due waits for a write to finish rather than waking the loop"
        );
        controller.evaluate_due().await;
        assert_eq!(
            controller.writing.len(),
            queue,
            "nothing more is evaluated while no write finished"
        );

        // The server goes away: every write fails, is retried later, and the queue is free again.
        drop(server);
        let drained = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(written) = controller.writes.join_next_with_id().await {
                controller.namespace_written(written);
            }
        });
        drained.await.expect("writes fail once the server is gone");
        assert!(controller.writing.is_empty());
        assert!(controller.next_due().is_some());
        controller.evaluate_due().await;
        assert_eq!(controller.writing.len(), queue, "the next batch fills the queue again");
        assert_eq!(
            controller.due.len(),
            100 - queue,
            "the failed writes are due again, later"
        );
    }

    #[tokio::test]
    async fn baseline_statuses_wait_for_the_cluster_report_while_reports_are_being_written() {
        let server = TcpListener::bind("127.0.0.1:0").expect("listen");
        let mut controller = leader(writer_to(&server), 10);
        controller.evaluate_due().await;
        assert_eq!(controller.writing.len(), 10);
        assert!(
            controller.summaries.is_none(),
            "no baseline status is written after a batch of evaluations while its reports are in flight"
        );

        controller.start_summaries(true, Timestamp::now());
        let written = controller.summaries.take().expect("the cluster report is written");
        written.abort();

        controller.baselines_due = Some(Instant::now());
        controller.start_summaries(false, Timestamp::now());
        assert!(
            controller.summaries.take().is_some_and(|written| {
                written.abort();
                true
            }),
            "baseline statuses due on their own are written without the cluster report"
        );
    }

    /// An object of namespace `shop` seen by `stream`.
    fn seen(stream: usize, kind: Kind, name: &str, object: Object) -> Message {
        let gone = Gone::Object(ObjectRef {
            kind,
            namespace: Some("shop".into()),
            name: name.into(),
        });
        let event = StreamEvent::Seen(Box::new(Update::Apply(object)), gone);
        Message {
            stream,
            kind: kind.as_str(),
            event,
        }
    }

    fn event(stream: usize, event: StreamEvent) -> Message {
        Message {
            stream,
            kind: "test",
            event,
        }
    }

    fn pod(name: &str) -> Object {
        Object::Pod(
            serde_json::from_value(json!({"metadata": {"name": name, "namespace": "shop"},
                "spec": {"containers": [{"name": "app", "image": "app:1"}]}}))
            .expect("pod"),
        )
    }

    fn secret(name: &str, secret_type: &str) -> Object {
        Object::Secret(
            serde_json::from_value(json!({"metadata": {"name": name, "namespace": "shop"}, "type": secret_type}))
                .expect("secret"),
        )
    }

    fn held(world: &World, kind: Kind) -> Vec<String> {
        world
            .inventory
            .held(kind, None)
            .into_iter()
            .map(|object| object.name)
            .collect()
    }

    #[tokio::test]
    async fn a_relist_forgets_what_its_own_stream_no_longer_lists() {
        const TLS: &str = "kubernetes.io/tls";
        let server = TcpListener::bind("127.0.0.1:0").expect("listen");
        let mut controller = leader(writer_to(&server), 0);
        controller.streams = vec![
            Kept::Indexed {
                kind: Kind::Pod,
                secret_type: None,
            },
            Kept::Indexed {
                kind: Kind::Secret,
                secret_type: Some(TLS),
            },
            Kept::Indexed {
                kind: Kind::Secret,
                secret_type: Some("Opaque"),
            },
            Kept::Remembered,
        ];
        let mut world = World::default();
        let baseline: HardeningBaseline = serde_json::from_value(json!({
            "apiVersion": "palisade.dev/v1alpha1", "kind": "HardeningBaseline",
            "metadata": {"name": "strict"}, "spec": {"profile": "restricted"}}))
        .expect("baseline");
        let first_lists = [
            vec![
                seen(0, Kind::Pod, "web-1", pod("web-1")),
                seen(0, Kind::Pod, "web-2", pod("web-2")),
            ],
            vec![seen(1, Kind::Secret, "cert", secret("cert", TLS))],
            vec![seen(2, Kind::Secret, "token", secret("token", "Opaque"))],
            vec![event(
                3,
                StreamEvent::Seen(
                    Box::new(Update::ApplyBaseline(baseline)),
                    Gone::Baseline("strict".into()),
                ),
            )],
        ];
        for (stream, objects) in first_lists.into_iter().enumerate() {
            controller.handle(&mut world, event(stream, StreamEvent::Relist));
            for message in objects {
                controller.handle(&mut world, message);
            }
            controller.handle(&mut world, event(stream, StreamEvent::RelistDone));
        }
        assert_eq!(held(&world, Kind::Pod), ["web-1", "web-2"]);
        assert_eq!(held(&world, Kind::Secret), ["cert", "token"]);
        assert!(world.baselines.contains_key("strict"));

        // The TLS Secrets' watch lists again and finds none: the Opaque one's stays.
        controller.handle(&mut world, event(1, StreamEvent::Relist));
        let dirty = controller.handle(&mut world, event(1, StreamEvent::RelistDone));
        assert_eq!(held(&world, Kind::Secret), ["token"]);
        assert!(dirty.namespaces.contains("shop"));

        // The pods' watch fails halfway through a relist and lists again from the start.
        controller.handle(&mut world, event(0, StreamEvent::Relist));
        controller.handle(&mut world, seen(0, Kind::Pod, "web-2", pod("web-2")));
        controller.handle(&mut world, event(0, StreamEvent::Relist));
        controller.handle(&mut world, seen(0, Kind::Pod, "web-3", pod("web-3")));
        controller.handle(&mut world, event(0, StreamEvent::RelistDone));
        assert_eq!(held(&world, Kind::Pod), ["web-3"]);

        controller.handle(&mut world, event(3, StreamEvent::Relist));
        controller.handle(&mut world, event(3, StreamEvent::RelistDone));
        assert!(
            world.baselines.is_empty(),
            "a baseline deleted while its watch was away"
        );
        assert!(controller.relisting.is_empty());
    }

    #[test]
    fn a_new_baseline_has_no_verdict_yet() {
        let defaulted = HardeningBaselineStatus {
            observed_generation: Some(0),
            ..HardeningBaselineStatus::default()
        };
        assert_eq!(readiness(None), None);
        assert_eq!(readiness(Some(&defaulted)), None);
        let ready = |value: &str| HardeningBaselineStatus {
            conditions: vec![Condition {
                type_: "Ready".into(),
                status: value.into(),
                last_transition_time: Time(k8s_openapi::jiff::Timestamp::UNIX_EPOCH),
                message: String::new(),
                observed_generation: None,
                reason: "Test".into(),
            }],
            ..defaulted.clone()
        };
        assert_eq!(readiness(Some(&ready("False"))), Some(false));
        assert_eq!(readiness(Some(&ready("True"))), Some(true));
    }
}
