//! Helpers for end-to-end tests against the local control plane that `e2e/run.sh` starts.

use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;
use std::time::{Duration, Instant};

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs kubectl against the control plane named by `KUBECONFIG`.
///
/// Panics with a clear message when the tests run without a control plane, because a
/// silently skipped e2e test would pass without proving anything.
pub fn kubectl(args: &[&str]) -> Output {
    let kubeconfig = std::env::var("KUBECONFIG")
        .expect("KUBECONFIG is not set: run the e2e tests through e2e/run.sh (or `make test`)");
    run_kubectl(&["--kubeconfig", &kubeconfig], args)
}

fn run_kubectl(connection: &[&str], args: &[&str]) -> Output {
    Command::new("kubectl")
        .args(connection)
        .args(args)
        .current_dir(repo_root())
        .output()
        .expect("kubectl runs")
}

/// Runs kubectl and returns stdout, failing the test with stderr when kubectl fails.
pub fn kubectl_ok(args: &[&str]) -> String {
    let output = kubectl(args);
    assert!(
        output.status.success(),
        "kubectl {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Runs kubectl authenticated only by a bearer token (e.g. a service account's), against the
/// same server and CA as the admin kubeconfig.
pub fn kubectl_with_token(token: &str, args: &[&str]) -> Output {
    let server = kubectl_ok(&[
        "config",
        "view",
        "--minify",
        "-o",
        "jsonpath={.clusters[0].cluster.server}",
    ]);
    let ca = kubectl_ok(&[
        "config",
        "view",
        "--minify",
        "-o",
        "jsonpath={.clusters[0].cluster.certificate-authority}",
    ]);
    let connection = [
        "--kubeconfig",
        "/dev/null",
        "--server",
        &server,
        "--certificate-authority",
        &ca,
        "--token",
        token,
    ];
    run_kubectl(&connection, args)
}

/// Waits until kube-controller-manager has created the `default` service account of a new
/// namespace: until then the API server refuses every pod created there (dry runs included).
pub fn wait_for_default_service_account(namespace: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !kubectl(&["get", "serviceaccount", "default", "-n", namespace])
        .status
        .success()
    {
        assert!(
            Instant::now() < deadline,
            "namespace {namespace} has no default service account after 60 s"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Polls `condition` every 200 ms until it returns `Some`, failing the test after `seconds`
/// with `what` and the last value seen.
pub fn wait_for<T>(seconds: u64, what: &str, mut condition: impl FnMut() -> Result<T, String>) -> T {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        match condition() {
            Ok(value) => return value,
            Err(last) if Instant::now() >= deadline => {
                panic!("timed out after {seconds} s waiting for {what}; last: {last}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

/// An object as JSON, or `None` when kubectl cannot get it.
pub fn get_json(args: &[&str]) -> Option<serde_json::Value> {
    let mut all = vec!["get", "-o", "json"];
    all.extend_from_slice(args);
    let output = kubectl(&all);
    if !output.status.success() {
        return None;
    }
    serde_json::from_slice(&output.stdout).ok()
}

/// Applies YAML or JSON from a string with server-side apply.
pub fn apply(manifest: &str) {
    if let Err(error) = try_apply(manifest) {
        panic!("kubectl apply failed: {error}\n{manifest}");
    }
}

/// As [`apply`], returning kubectl's complaint when the API server refuses.
pub fn try_apply(manifest: &str) -> Result<(), String> {
    let output = kubectl_fed(&["apply", "--server-side", "--force-conflicts", "-f", "-"], manifest)
        .wait_with_output()
        .expect("kubectl ends");
    match output.status.success() {
        true => Ok(()),
        false => Err(String::from_utf8_lossy(&output.stderr).into_owned()),
    }
}

/// Starts kubectl with these arguments against `KUBECONFIG`, `input` written to its stdin; its
/// stdout and stderr are captured.
pub fn kubectl_fed(args: &[&str], input: &str) -> std::process::Child {
    use std::io::Write;
    let kubeconfig = std::env::var("KUBECONFIG").expect("KUBECONFIG is set by e2e/run.sh");
    let mut child = Command::new("kubectl")
        .args(["--kubeconfig", &kubeconfig])
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("kubectl runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("input written");
    child
}

/// The namespace the operator's chart resources are installed in for the tests.
pub const OPERATOR_NAMESPACE: &str = "palisade-system";

/// Applies the CRDs of a file or directory (server-side, taking over their fields) and waits
/// until the API server serves them.
pub fn install_crds(path: &str) {
    kubectl_ok(&["apply", "--server-side", "--force-conflicts", "-f", path]);
    kubectl_ok(&["wait", "--for=condition=Established", "--timeout=60s", "-f", path]);
}

/// The chart rendered by `helm template RELEASE charts/palisade -n NAMESPACE ARGS…`, with helm
/// built at its pinned version by `e2e/helm.sh`.
pub fn helm_template(release: &str, namespace: &str, args: &[&str]) -> String {
    let helm = Command::new("bash")
        .arg(repo_root().join("e2e/helm.sh"))
        .arg("path")
        .output()
        .expect("e2e/helm.sh runs");
    assert!(helm.status.success(), "{}", String::from_utf8_lossy(&helm.stderr));
    let rendered = Command::new(String::from_utf8_lossy(&helm.stdout).trim())
        .args(["template", release, "charts/palisade", "-n", namespace])
        .args(args)
        .current_dir(repo_root())
        .output()
        .expect("helm template runs");
    assert!(
        rendered.status.success(),
        "{}",
        String::from_utf8_lossy(&rendered.stderr)
    );
    String::from_utf8_lossy(&rendered.stdout).into_owned()
}

/// Installs the CRDs and the ServiceAccount and RBAC exactly as `helm template` renders them (the Deployment
/// and Service are left out: the operator runs as a local process) and returns a kubeconfig
/// that authenticates as that ServiceAccount.
pub fn operator_kubeconfig() -> PathBuf {
    operator_kubeconfig_with(&[])
}

/// As [`operator_kubeconfig`], with the chart rendered with these `helm template` arguments
/// (e.g. `--set openReports.enabled=true` for the RBAC an option needs).
pub fn operator_kubeconfig_with(helm_args: &[&str]) -> PathBuf {
    let rendered = helm_template("palisade", OPERATOR_NAMESPACE, helm_args);
    let rbac: Vec<&str> = rendered
        .split("\n---")
        .filter(|document| {
            ["kind: ServiceAccount", "kind: ClusterRole", "kind: Role", "RoleBinding"]
                .iter()
                .any(|kind| document.contains(kind))
        })
        .collect();
    assert!(
        rbac.len() >= 5,
        "the chart renders a ServiceAccount and its RBAC:\n{rendered}"
    );
    let _ = kubectl(&["create", "namespace", OPERATOR_NAMESPACE]);
    install_crds("charts/palisade/crds/");
    apply(&rbac.join("\n---\n"));
    service_account_kubeconfig(OPERATOR_NAMESPACE, "palisade")
}

/// Where `go mod download` put a Go module (`path@version`), fetched from the module proxy into
/// Go's module cache on first use.
pub fn go_module_dir(module: &str) -> PathBuf {
    let download = Command::new("go")
        .args(["mod", "download", "-json", module])
        .current_dir(std::env::temp_dir())
        .output()
        .expect("go runs");
    let described: serde_json::Value = serde_json::from_slice(&download.stdout).unwrap_or_default();
    match described["Dir"].as_str() {
        Some(dir) => PathBuf::from(dir),
        None => panic!(
            "go mod download {module} gave no Dir: {}{}",
            String::from_utf8_lossy(&download.stdout),
            String::from_utf8_lossy(&download.stderr)
        ),
    }
}

/// A running `palisade operator` process, stopped (SIGTERM, then kill) when dropped.
pub struct Operator {
    child: std::process::Child,
    pub metrics_port: u16,
    pub log: PathBuf,
}

impl Operator {
    /// Starts the operator as the chart's ServiceAccount with the given extra flags.
    pub fn start(kubeconfig: &std::path::Path, identity: &str, metrics_port: u16, extra: &[&str]) -> Operator {
        let binary = repo_root().join("target/debug/palisade");
        assert!(
            binary.exists(),
            "build the operator first (e2e/run.sh does): {}",
            binary.display()
        );
        let log = std::env::temp_dir().join(format!("palisade-e2e-{identity}-{}.log", std::process::id()));
        let log_file = std::fs::File::create(&log).expect("log file");
        let listen = format!("127.0.0.1:{metrics_port}");
        let child = Command::new(binary)
            .args([
                "operator",
                "--listen",
                &listen,
                "--lease-namespace",
                OPERATOR_NAMESPACE,
                "--lease-name",
                "palisade-leader",
                "--identity",
                identity,
                "--debounce",
                "300ms",
            ])
            .args(extra)
            .env("KUBECONFIG", kubeconfig)
            .env_remove("POD_NAMESPACE")
            .stdout(log_file.try_clone().expect("log file"))
            .stderr(log_file)
            .spawn()
            .expect("the operator starts");
        Operator {
            child,
            metrics_port,
            log,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The operator's /metrics text ("" while it does not answer).
    pub fn metrics(&self) -> String {
        let output = Command::new("curl")
            .args(["-sf", &format!("http://127.0.0.1:{}/metrics", self.metrics_port)])
            .output()
            .expect("curl runs");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// The value of a metric line that starts with `series` (name and labels), if present.
    pub fn metric(&self, series: &str) -> Option<f64> {
        self.metrics()
            .lines()
            .find_map(|line| line.strip_prefix(series)?.trim().split(' ').next()?.parse().ok())
    }

    /// Whether the operator's /readyz answers 200.
    pub fn ready(&self) -> bool {
        Command::new("curl")
            .args(["-sf", &format!("http://127.0.0.1:{}/readyz", self.metrics_port)])
            .output()
            .is_ok_and(|output| output.status.success())
    }

    /// Waits until /readyz answers 200 (`true`) or anything else (`false`).
    pub fn wait_ready(&self, ready: bool, seconds: u64) {
        wait_for(seconds, &format!("the operator's /readyz to be {ready}"), || {
            match self.ready() == ready {
                true => Ok(()),
                false => Err(format!("ready: {}", !ready)),
            }
        });
    }

    /// Whether the process is still running (it never exits on its own while it operates).
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The sum of a metric's series whose line starts with `prefix` (name and some labels).
    pub fn metric_sum(&self, prefix: &str) -> f64 {
        self.metrics()
            .lines()
            .filter(|line| line.starts_with(prefix))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    /// Waits until nothing is pending and no report was written for `quiet` seconds: a report
    /// read then is the one the operator settled on, not one mid-churn.
    pub fn wait_settled(&self, seconds: u64, quiet: u64) {
        let mut last = None;
        let mut since = Instant::now();
        wait_for(seconds, "the operator to settle", || {
            let writes = self.metric_sum("palisade_report_writes_total");
            if last != Some(writes) {
                last = Some(writes);
                since = Instant::now();
            }
            match self.metric("palisade_pending_namespaces ") {
                Some(0.0) if since.elapsed().as_secs() >= quiet => Ok(()),
                pending => Err(format!("pending {pending:?}, {writes} writes")),
            }
        });
    }

    pub fn wait_leading(&self, seconds: u64) {
        wait_for(seconds, "the operator to lead", || {
            match self.metric("palisade_leader ") {
                Some(1.0) => Ok(()),
                other => Err(format!("{other:?}")),
            }
        });
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Stops the process with SIGTERM (graceful shutdown) and waits for it.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.child.wait().expect("the operator exits")
    }

    /// Kills the process at once, as a crash would.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Palisade's Pod Security violations of a pod at a level and version, one line each, for the
/// messages of tests that compare them with the standard's own verdicts.
pub fn pss_violations(
    pod: &k8s_openapi::api::core::v1::Pod,
    level: palisade_checks::PssLevel,
    version: palisade_checks::pss::PssVersion,
) -> Vec<String> {
    palisade_checks::pss::violations_at(pod, level, version)
        .iter()
        .map(|violation| {
            let container = violation.container.as_deref().unwrap_or("pod");
            format!("{} [{container}] {}", violation.check, violation.message)
        })
        .collect()
}

// Reports, workloads and the control plane's components, shared by the operator tests.

/// A loopback port for an operator's metrics: `$PALISADE_E2E_PORT_BASE` (default 18100) plus `offset`,
/// so two suites can run side by side.
pub fn port(offset: u16) -> u16 {
    let base = std::env::var("PALISADE_E2E_PORT_BASE")
        .ok()
        .and_then(|base| base.parse().ok());
    base.unwrap_or(18100) + offset
}

/// Every completed write (create, update, patch, delete) to Palisade's objects, refused ones
/// included, as the API server's audit log records them (see `e2e/controlplane.sh`), oldest first.
pub fn palisade_writes() -> Vec<Value> {
    let directory = std::env::var("PALISADE_CP_DIR").expect("PALISADE_CP_DIR is set by e2e/run.sh");
    let log = std::fs::read_to_string(format!("{directory}/logs/audit.log")).expect("the audit log");
    log.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|event| event["stage"] == "ResponseComplete")
        .collect()
}

/// Whether an audited request came from the operator replica with this identity (its
/// User-Agent ends with it in parentheses).
pub fn written_by(event: &Value, identity: &str) -> bool {
    event["userAgent"]
        .as_str()
        .is_some_and(|user_agent| user_agent.ends_with(&format!("({identity})")))
}

/// Waits until a namespace is deleted and finalized.
pub fn wait_namespace_gone(namespace: &str, seconds: u64) {
    wait_for(
        seconds,
        &format!("namespace {namespace} to be gone"),
        || match get_json(&["namespace", namespace]) {
            None => Ok(()),
            Some(object) => Err(object["status"].to_string()),
        },
    );
}

/// Waits until no namespace is terminating: one that earlier tests deleted without waiting
/// changes the cluster report when it goes, which a test of "nothing changed" must not see.
pub fn wait_no_namespace_terminating(seconds: u64) {
    wait_for(seconds, "no namespace to be terminating", || {
        let terminating = kubectl_ok(&[
            "get",
            "namespaces",
            "-o",
            "jsonpath={.items[?(@.status.phase==\"Terminating\")].metadata.name}",
        ]);
        if terminating.trim().is_empty() {
            Ok(())
        } else {
            Err(terminating)
        }
    });
}

/// A namespace's PostureReport, if there is one.
pub fn report(namespace: &str) -> Option<Value> {
    get_json(&["posturereport", "posture", "-n", namespace])
}

/// The listed resources of a failing check, as `Kind/name`.
pub fn failing(report: &Value, check: &str) -> Vec<String> {
    report["status"]["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|entry| entry["id"] == check && entry["result"] == "Fail")
        .flat_map(|entry| entry["resources"].as_array().cloned().unwrap_or_default())
        .map(|resource| {
            format!(
                "{}/{}",
                resource["kind"].as_str().unwrap_or(""),
                resource["name"].as_str().unwrap_or("")
            )
        })
        .collect()
}

/// Waits until the namespace's report satisfies `accept`, and returns it.
pub fn wait_report(namespace: &str, what: &str, accept: impl Fn(&Value) -> bool) -> Value {
    wait_for(60, what, || match report(namespace) {
        Some(report) if accept(&report) => Ok(report),
        other => Err(other
            .map(|report| report["status"].to_string())
            .unwrap_or_else(|| "no report".into())),
    })
}

/// A Deployment (JSON) of one nginx container, privileged or not, with a literal env var `VERSION`.
pub fn deployment(namespace: &str, name: &str, replicas: u32, privileged: bool, version: &str) -> String {
    format!(
        r#"{{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {{"name": "{name}", "namespace": "{namespace}"}},
  "spec": {{"replicas": {replicas}, "strategy": {{"type": "Recreate"}}, "selector": {{"matchLabels": {{"app": "{name}"}}}},
    "template": {{"metadata": {{"labels": {{"app": "{name}"}}}}, "spec": {{"containers": [{{"name": "app", "image": "nginx:1.27",
      "env": [{{"name": "VERSION", "value": "{version}"}}], "securityContext": {{"privileged": {privileged}}}}}]}}}}}}}}"#
    )
}

/// Runs `e2e/controlplane.sh` with these arguments on the control plane `e2e/run.sh` started
/// (its PALISADE_CP_DIR and ports are in the environment), e.g. `["stop-one", "etcd"]`.
pub fn control_plane(args: &[&str]) -> String {
    control_plane_fed(args, b"")
}

/// Runs `e2e/controlplane.sh` with these arguments and `input` on its standard input.
fn control_plane_fed(args: &[&str], input: &[u8]) -> String {
    use std::io::Write;
    let mut child = Command::new("bash")
        .arg(repo_root().join("e2e/controlplane.sh"))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("bash runs");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input).expect("controlplane.sh reads its input");
    }
    let output = child.wait_with_output().expect("controlplane.sh ends");
    assert!(
        output.status.success(),
        "controlplane.sh {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Leaves an object like `like` (a PostureReport, `palisade.dev/posturereports`, or another
/// namespaced `group/resource`) in `namespace`, which does not exist, as the namespace controller
/// leaves one when it deletes a namespace while the object's kind is missing from discovery (just
/// after an API server restart). Admission refuses content in a namespace that does not exist, so
/// the object is written to etcd, where the API server keeps it.
pub fn leave_orphan(group_resource: &str, namespace: &str, like: &Value) {
    let name = like["metadata"]["name"].as_str().expect("a named object");
    let key = format!("/registry/{group_resource}/{namespace}/{name}");
    let mut object = like.clone();
    object["metadata"] = serde_json::json!({
        "name": name,
        "namespace": namespace,
        "uid": format!("00000000-0000-4000-8000-{:012x}", distinct(&key)),
        "creationTimestamp": like["metadata"]["creationTimestamp"],
        "generation": 1,
        "labels": like["metadata"]["labels"],
        "annotations": like["metadata"]["annotations"],
        "managedFields": like["metadata"]["managedFields"],
    });
    control_plane_fed(&["put", &key], object.to_string().as_bytes());
}

/// A number that differs between keys (for uids).
fn distinct(key: &str) -> u64 {
    key.bytes()
        .fold(0u64, |hash, byte| hash.wrapping_mul(31).wrapping_add(u64::from(byte)))
        & 0xffff_ffff_ffff
}

/// A control-plane component taken down by a fault test; brought back (resumed or started) when
/// dropped, so a failing test does not leave the shared control plane broken for the next.
pub struct Outage {
    component: &'static str,
    paused: bool,
    ended: bool,
}

impl Outage {
    /// Stops the component (SIGTERM; its data is kept).
    pub fn stop(component: &'static str) -> Outage {
        control_plane(&["stop-one", component]);
        Outage {
            component,
            paused: false,
            ended: false,
        }
    }

    /// Freezes the component (SIGSTOP): connections stay open and nothing answers.
    pub fn pause(component: &'static str) -> Outage {
        control_plane(&["pause", component]);
        Outage {
            component,
            paused: true,
            ended: false,
        }
    }

    /// Brings the component back and waits until the API server is ready again.
    pub fn end(mut self) {
        self.restore();
    }

    fn restore(&mut self) {
        if self.ended {
            return;
        }
        self.ended = true;
        match self.paused {
            true => control_plane(&["resume", self.component]),
            false => control_plane(&["start-one", self.component]),
        };
        wait_for(90, "the API server to be ready again", || {
            match kubectl(&["get", "--raw", "/readyz"]).status.success() {
                true => Ok(()),
                false => Err("not ready".to_string()),
            }
        });
    }
}

impl Drop for Outage {
    fn drop(&mut self) {
        self.restore();
    }
}

/// A kubeconfig that authenticates as a ServiceAccount (by a token valid for 2 hours), against
/// the same server and CA as the admin kubeconfig.
pub fn service_account_kubeconfig(namespace: &str, name: &str) -> PathBuf {
    let token = kubectl_ok(&["-n", namespace, "create", "token", name, "--duration", "2h"]);
    let view = |path: &str| kubectl_ok(&["config", "view", "--minify", "--raw", "-o", &format!("jsonpath={path}")]);
    let server = view("{.clusters[0].cluster.server}");
    let ca = view("{.clusters[0].cluster.certificate-authority}");
    let kubeconfig = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: e2e\n  cluster: {{server: \"{server}\", certificate-authority: \"{ca}\"}}\n\
         contexts:\n- name: {name}\n  context: {{cluster: e2e, user: {name}}}\ncurrent-context: {name}\n\
         users:\n- name: {name}\n  user: {{token: \"{}\"}}\n",
        token.trim()
    );
    let file = format!("palisade-e2e-{namespace}-{name}-{}.kubeconfig", std::process::id());
    let path = std::env::temp_dir().join(file);
    std::fs::write(&path, kubeconfig).expect("kubeconfig written");
    path
}

/// The OpenReports API module whose CRDs the OpenReports output is written against.
pub const OPENREPORTS_API: &str = "github.com/openreports/reports-api@v0.2.1";

/// Installs the OpenReports CRDs (Report, ClusterReport) from [`OPENREPORTS_API`].
pub fn install_openreports_crds() {
    let dir = go_module_dir(OPENREPORTS_API);
    for crd in ["reports", "clusterreports"] {
        let file = dir.join(format!("config/crd/openreports.io_{crd}.yaml"));
        install_crds(file.to_str().expect("a UTF-8 module path"));
    }
}

/// Creates objects (JSON, one each) with `kubectl create`, in four runs side by side: thousands of
/// objects in seconds rather than minutes.
pub fn create_in_parallel(objects: &[String]) {
    let runs: Vec<_> = (0..4)
        .map(|part| {
            let items: Vec<&str> = objects.iter().skip(part).step_by(4).map(String::as_str).collect();
            let list = format!(
                r#"{{"apiVersion": "v1", "kind": "List", "items": [{}]}}"#,
                items.join(",")
            );
            kubectl_fed(&["create", "-f", "-", "-o", "name"], &list)
        })
        .collect();
    for run in runs {
        let output = run.wait_with_output().expect("kubectl ends");
        assert!(
            output.status.success(),
            "creating objects failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// The PostureReports of the namespaces whose names start with `prefix`, in namespace order, read
/// in one request.
pub fn reports_of_namespaces(prefix: &str) -> Vec<Value> {
    let all = get_json(&["posturereports", "-A"]).unwrap_or_default();
    let mut reports: Vec<Value> = all["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|report| {
            report["metadata"]["namespace"]
                .as_str()
                .is_some_and(|namespace| namespace.starts_with(prefix))
        })
        .cloned()
        .collect();
    reports.sort_by_key(|report| report["metadata"]["namespace"].as_str().map(str::to_string));
    reports
}
