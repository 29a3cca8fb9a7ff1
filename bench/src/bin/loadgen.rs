//! Fills a real control plane with a realistic cluster for the operator benchmark
//! (`bench/operator-scale.sh`). Writes deterministic manifests as JSON `List` files, ready for
//! `kubectl apply --server-side -f DIR`:
//!
//! - `00-cluster.json`: Namespaces, ClusterRoles and ClusterRoleBindings (first, so the
//!   namespaces exist before anything is created in them);
//! - `01-baselines.json`: HardeningBaselines (needs Palisade's CRDs installed);
//! - `ns-<name>.json`: one per namespace, ServiceAccounts first (pods are admitted only when
//!   their service account exists, and token secrets are deleted when theirs does not).
//!
//! It prints a JSON summary on stdout: namespaces, the pods to expect and objects by kind.
//!
//! Usage: `loadgen --pods N [--seed S] [--namespaces M] -o DIR`
//!
//! Scale follows DESIGN.md section 6: at `--pods 10000`, 500 namespaces, 2,000 Secrets and 1,000
//! RBAC objects; other sizes scale proportionally. The generator spends the pod budget exactly,
//! so the cluster ends up with N pods. The local control plane has no nodes and no scheduler,
//! which decides how many pods each owner makes:
//! - Deployments, Jobs and bare Pods create all their pods (they stay Pending);
//! - StatefulSets with `podManagementPolicy: Parallel` create every replica, `OrderedReady` ones
//!   stop at pod 0, which never becomes Ready (counted as one pod);
//! - DaemonSets create none (no nodes to run on);
//! - suspended CronJobs create none; the few active ones (every minute, `concurrencyPolicy:
//!   Forbid`) create one Job at the next minute boundary whose pod stays Pending, so they never
//!   start a second one: one pod each, appearing up to a minute after they are applied.
//!
//! Credentials in the manifests are fake (`fake-password-<n>` and the like).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Parser;
use serde_json::{Value, json};

#[derive(Parser)]
#[command(about = "Deterministic manifests of a realistic cluster for the operator benchmark")]
struct Args {
    /// Pods the cluster ends up with (created by Deployments, StatefulSets, Jobs, CronJobs or
    /// directly).
    #[arg(long)]
    pods: usize,
    /// Seed of the generator: the same seed and sizes write the same files.
    #[arg(long, default_value_t = 0x5EED_10AD)]
    seed: u64,
    /// Namespaces to spread the objects over [default: one per 20 pods].
    #[arg(long)]
    namespaces: Option<usize>,
    /// Directory to write the List files to (created if missing).
    #[arg(short = 'o', long = "output")]
    output: PathBuf,
}

fn main() -> Result<()> {
    let args = Args::parse();
    if args.pods == 0 {
        bail!("--pods must be at least 1");
    }
    let plan = Plan::new(args.pods, args.namespaces, args.seed)?;
    std::fs::create_dir_all(&args.output).with_context(|| format!("creating {}", args.output.display()))?;
    let summary = generate(&plan, |file, items| write_list(&args.output.join(file), items))?;
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, &summary)?;
    writeln!(stdout)?;
    Ok(())
}

/// Writes `items` as one `v1/List`, the form `kubectl apply -f` expands item by item.
fn write_list(path: &Path, items: Vec<Value>) -> Result<()> {
    let file = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut writer = std::io::BufWriter::new(file);
    let list = json!({"apiVersion": "v1", "kind": "List", "metadata": {}, "items": items});
    serde_json::to_writer(&mut writer, &list).with_context(|| format!("writing {}", path.display()))?;
    writer.flush().with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// xorshift64* (Vigna 2016): a few lines, deterministic across platforms, plenty for spreading
/// choices. Not for anything secret.
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> Self {
        // The state must never be zero; the multiply spreads nearby seeds apart.
        XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` > 0); the modulo bias is irrelevant at these sizes.
    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    fn percent(&mut self, chance: usize) -> bool {
        self.below(100) < chance
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }
}

/// How many of each thing to make, fixed before any manifest is written.
struct Plan {
    seed: u64,
    pods: usize,
    namespaces: usize,
    secrets: usize,
    /// Roles and RoleBindings.
    namespaced_rbac: usize,
    cluster_roles: usize,
    cluster_role_bindings: usize,
}

impl Plan {
    fn new(pods: usize, namespaces: Option<usize>, seed: u64) -> Result<Plan> {
        // DESIGN.md section 6: 10,000 pods, 500 namespaces, 2,000 secrets, 1,000 RBAC objects.
        let namespaces = namespaces.unwrap_or(pods / 20).max(1);
        if namespaces > 9999 {
            bail!("at most 9999 namespaces (names carry a four-digit index)");
        }
        let rbac = (pods / 10).max(2);
        // A tenth of the RBAC objects are cluster-scoped, as in clusters with many teams.
        let cluster = (rbac / 10).max(2);
        Ok(Plan {
            seed,
            pods,
            namespaces,
            secrets: pods / 5,
            namespaced_rbac: rbac - cluster,
            cluster_roles: cluster / 2,
            cluster_role_bindings: cluster - cluster / 2,
        })
    }
}

/// Splits `total` into parts proportional to `weights`, exactly: the rounding remainder goes to
/// the first parts, one each.
fn spread(total: usize, weights: &[usize]) -> Vec<usize> {
    let sum: usize = weights.iter().sum();
    let mut parts: Vec<usize> = weights.iter().map(|weight| total * weight / sum).collect();
    let mut left = total - parts.iter().sum::<usize>();
    for part in &mut parts {
        if left == 0 {
            break;
        }
        *part += 1;
        left -= 1;
    }
    parts
}

/// What the generator made, printed as JSON on stdout.
#[derive(Default, serde::Serialize)]
struct Summary {
    seed: u64,
    pods_requested: usize,
    namespaces: usize,
    /// Pods that exist once the controllers caught up (including `pods_after_next_minute`).
    expected_pods: usize,
    expected_pods_by_owner: BTreeMap<&'static str, usize>,
    /// Pods of active CronJobs, created at the next minute boundary after they are applied.
    pods_after_next_minute: usize,
    objects: BTreeMap<String, usize>,
    objects_total: usize,
    files: usize,
    notes: Vec<&'static str>,
}

const NOTES: [&str; 5] = [
    "no nodes: every pod stays Pending, DaemonSets create no pods (0 counted)",
    "StatefulSets with podManagementPolicy OrderedReady create only pod 0 (counted as 1)",
    "suspended CronJobs create nothing; active ones (every minute, concurrencyPolicy Forbid) create one Job whose pod stays Pending, so exactly one pod each, within a minute",
    "01-baselines.json holds HardeningBaselines: apply Palisade's CRDs first",
    "credentials are fake (fake-password-<n>, fake-token-<n>, ...)",
];

/// Generates every List in apply order and hands each to `sink` (file name, items).
fn generate(plan: &Plan, mut sink: impl FnMut(&str, Vec<Value>) -> Result<()>) -> Result<Summary> {
    let mut generator = Generator {
        rng: XorShift::new(plan.seed),
        summary: Summary {
            seed: plan.seed,
            pods_requested: plan.pods,
            namespaces: plan.namespaces,
            notes: NOTES.to_vec(),
            ..Summary::default()
        },
        exposed_services: 0,
        secret_serial: 0,
        credential_serial: 0,
    };
    // Namespace sizes vary like real tenants: most small, one in twenty several times larger.
    let pod_weights: Vec<usize> = (0..plan.namespaces)
        .map(|_| {
            let weight = 1 + generator.rng.below(8);
            if generator.rng.percent(5) { weight * 6 } else { weight }
        })
        .collect();
    // Secrets follow the size of the namespace, but small ones hold some too.
    let secret_weights: Vec<usize> = pod_weights.iter().map(|weight| weight + 4).collect();
    let rbac_weights: Vec<usize> = (0..plan.namespaces).map(|_| 1 + generator.rng.below(3)).collect();
    let pods = spread(plan.pods, &pod_weights);
    let secrets = spread(plan.secrets, &secret_weights);
    let rbac = spread(plan.namespaced_rbac, &rbac_weights);

    let mut cluster = Vec::new();
    let mut namespace_files = Vec::new();
    let mut service_accounts = Vec::new();
    for index in 0..plan.namespaces {
        let namespace = generator.namespace(index, pods[index], secrets[index], rbac[index]);
        service_accounts.push((namespace.name.clone(), namespace.service_accounts.clone()));
        cluster.push(namespace.object);
        namespace_files.push((format!("ns-{}.json", namespace.name), namespace.items));
    }
    for index in 0..plan.cluster_roles {
        cluster.push(cluster_role(index));
    }
    for index in 0..plan.cluster_role_bindings {
        cluster.push(generator.cluster_role_binding(index, plan.cluster_roles, &service_accounts));
    }
    let baselines = baselines();

    let mut summary = generator.summary;
    let lists = [
        ("00-cluster.json".to_string(), cluster),
        ("01-baselines.json".to_string(), baselines),
    ];
    for (file, items) in lists.into_iter().chain(namespace_files) {
        for item in &items {
            let kind = item["kind"].as_str().unwrap_or("?").to_string();
            *summary.objects.entry(kind).or_default() += 1;
            summary.objects_total += 1;
        }
        summary.files += 1;
        sink(&file, items)?;
    }
    summary.expected_pods = summary.expected_pods_by_owner.values().sum();
    Ok(summary)
}

struct Generator {
    rng: XorShift,
    summary: Summary,
    /// NodePort and LoadBalancer Services so far: each takes a node port, and the default range
    /// (30000-32767) holds only 2,768.
    exposed_services: usize,
    /// Numbers every Secret, so each type appears once ten have been made.
    secret_serial: usize,
    /// Makes every fake credential value unique (a few are shared on purpose).
    credential_serial: usize,
}

/// One namespace: its Namespace object (for the cluster file) and everything inside it.
struct GeneratedNamespace {
    name: String,
    object: Value,
    service_accounts: Vec<&'static str>,
    items: Vec<Value>,
}

/// What pod specs in a namespace may refer to.
struct Refs {
    namespace: String,
    service_accounts: Vec<&'static str>,
    opaque_secrets: Vec<String>,
    tls_secrets: Vec<String>,
    pull_secrets: Vec<String>,
}

#[derive(Clone, Copy, PartialEq)]
enum Posture {
    /// Passes the restricted Pod Security Standard and the resource and image checks.
    Restricted,
    /// What most teams ship: partly hardened, some gaps.
    Typical,
    /// One to three deliberate problems (privileged, host access, literal credentials, ...).
    Insecure,
}

const TEAMS: [&str; 12] = [
    "payments",
    "checkout",
    "search",
    "catalog",
    "identity",
    "billing",
    "data",
    "ml",
    "platform",
    "observability",
    "edge",
    "mobile",
];
const APPS: [&str; 10] = [
    "web", "api", "worker", "gateway", "cache", "queue", "auth", "report", "sync", "admin",
];
const PINNED_IMAGES: [&str; 7] = [
    "ghcr.io/example/web:1.4.2",
    "ghcr.io/example/api:2.11.0",
    "docker.io/library/nginx:1.27.3",
    "docker.io/library/redis:7.4.1",
    "docker.io/library/postgres:16.4",
    "registry.k8s.io/pause:3.10",
    "ghcr.io/example/worker@sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
];
const MUTABLE_IMAGES: [&str; 5] = [
    "nginx:latest",
    "busybox",
    "redis",
    "ghcr.io/example/web:latest",
    "alpine:3",
];
const HOST_PATHS: [&str; 4] = [
    "/var/run/docker.sock",
    "/run/containerd/containerd.sock",
    "/var/log",
    "/",
];
const SERVICE_ACCOUNTS: [&str; 3] = ["app", "worker", "deployer"];

/// Secret types, cycled by serial number: Opaque most often, every other type once per ten.
#[derive(Clone, Copy)]
enum SecretKind {
    Opaque,
    Cloud,
    Tls,
    DockerConfig,
    BasicAuth,
    SshAuth,
    ServiceAccountToken,
}
const SECRET_CYCLE: [SecretKind; 10] = [
    SecretKind::Opaque,
    SecretKind::Tls,
    SecretKind::Opaque,
    SecretKind::DockerConfig,
    SecretKind::Opaque,
    SecretKind::BasicAuth,
    SecretKind::Cloud,
    SecretKind::SshAuth,
    SecretKind::Opaque,
    SecretKind::ServiceAccountToken,
];

impl Generator {
    fn namespace(&mut self, index: usize, pods: usize, secrets: usize, rbac: usize) -> GeneratedNamespace {
        let (tier, short) = match self.rng.below(10) {
            0..=2 => ("production", "prod"),
            3..=5 => ("staging", "stg"),
            _ => ("dev", "dev"),
        };
        let name = format!("{}-{short}-{index:04}", TEAMS[index % TEAMS.len()]);
        let mut labels =
            json!({"palisade.dev/tier": tier, "palisade.dev/bench": "loadgen", "team": TEAMS[index % TEAMS.len()]});
        // Only warn/audit, or enforce at privileged: enforcing baseline or restricted would make
        // the API server reject the insecure pods this benchmark needs.
        let pss: &[(&str, &str)] = match self.rng.below(20) {
            0..=5 => &[],
            6..=10 => &[("warn", "restricted"), ("audit", "restricted")],
            11..=14 => &[("warn", "baseline"), ("audit", "restricted")],
            15..=17 => &[("enforce", "privileged"), ("warn", "baseline")],
            _ => &[("enforce", "privileged"), ("enforce-version", "latest")],
        };
        for (mode, level) in pss {
            labels[format!("pod-security.kubernetes.io/{mode}")] = json!(level);
        }
        let object = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}});

        let mut items = Vec::new();
        let service_accounts = SERVICE_ACCOUNTS[..1 + self.rng.below(SERVICE_ACCOUNTS.len())].to_vec();
        for account in &service_accounts {
            let mut sa =
                json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": account, "namespace": name}});
            if *account == "worker" && self.rng.percent(50) {
                sa["automountServiceAccountToken"] = json!(false);
            }
            items.push(sa);
        }
        let mut refs = Refs {
            namespace: name.clone(),
            service_accounts: service_accounts.clone(),
            opaque_secrets: Vec::new(),
            tls_secrets: Vec::new(),
            pull_secrets: Vec::new(),
        };
        for index in 0..secrets {
            items.push(self.secret(&mut refs, index));
        }
        self.namespaced_rbac(&mut items, &refs, rbac);
        self.network_policies(&mut items, &refs);
        self.workloads(&mut items, &refs, pods);
        GeneratedNamespace {
            name,
            object,
            service_accounts,
            items,
        }
    }

    fn credential(&mut self, what: &str) -> String {
        self.credential_serial += 1;
        // A few values repeat across namespaces, as a copied password would.
        if self.rng.percent(3) {
            return format!("fake-shared-{what}");
        }
        format!("fake-{what}-{}", self.credential_serial)
    }

    fn secret(&mut self, refs: &mut Refs, index: usize) -> Value {
        let kind = SECRET_CYCLE[self.secret_serial % SECRET_CYCLE.len()];
        self.secret_serial += 1;
        let namespace = refs.namespace.clone();
        let (name, secret_type, data): (String, &str, Vec<(&str, String)>) = match kind {
            SecretKind::Opaque => {
                let name = format!("db-credentials-{index}");
                refs.opaque_secrets.push(name.clone());
                (
                    name,
                    "Opaque",
                    vec![
                        ("username", "app".to_string()),
                        ("password", self.credential("password")),
                    ],
                )
            }
            SecretKind::Cloud => {
                let name = format!("cloud-credentials-{index}");
                let key_id = format!("AKIAFAKE{:012}", self.credential_serial);
                (
                    name,
                    "Opaque",
                    vec![
                        ("aws_access_key_id", key_id),
                        ("aws_secret_access_key", self.credential("secret-key")),
                    ],
                )
            }
            SecretKind::Tls => {
                let name = format!("tls-{index}");
                refs.tls_secrets.push(name.clone());
                let certificate = format!(
                    "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
                    self.credential("certificate")
                );
                let key = format!(
                    "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
                    self.credential("key")
                );
                (
                    name,
                    "kubernetes.io/tls",
                    vec![("tls.crt", certificate), ("tls.key", key)],
                )
            }
            SecretKind::DockerConfig => {
                let name = format!("regcred-{index}");
                refs.pull_secrets.push(name.clone());
                let password = self.credential("password");
                let auth = base64(format!("ci:{password}").as_bytes());
                let config =
                    json!({"auths": {"registry.example.test": {"username": "ci", "password": password, "auth": auth}}});
                (
                    name,
                    "kubernetes.io/dockerconfigjson",
                    vec![(".dockerconfigjson", config.to_string())],
                )
            }
            SecretKind::BasicAuth => {
                let name = format!("basic-auth-{index}");
                (
                    name,
                    "kubernetes.io/basic-auth",
                    vec![
                        ("username", "admin".to_string()),
                        ("password", self.credential("password")),
                    ],
                )
            }
            SecretKind::SshAuth => {
                let name = format!("deploy-key-{index}");
                let key = format!(
                    "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----\n",
                    self.credential("ssh-key")
                );
                (name, "kubernetes.io/ssh-auth", vec![("ssh-privatekey", key)])
            }
            SecretKind::ServiceAccountToken => {
                // A legacy long-lived token: the controller-manager fills in the token for the
                // named service account, which exists (ServiceAccounts come first in the file).
                let account = self.rng.pick(&refs.service_accounts);
                return json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
                    "metadata": {"name": format!("{account}-token-{index}"), "namespace": namespace,
                        "annotations": {"kubernetes.io/service-account.name": account}}});
            }
        };
        let data: serde_json::Map<String, Value> = data
            .into_iter()
            .map(|(key, value)| (key.to_string(), json!(base64(value.as_bytes()))))
            .collect();
        json!({"apiVersion": "v1", "kind": "Secret", "type": secret_type,
            "metadata": {"name": name, "namespace": namespace}, "data": data})
    }

    /// `count` Roles and RoleBindings in pairs; an odd one out binds a built-in ClusterRole.
    fn namespaced_rbac(&mut self, items: &mut Vec<Value>, refs: &Refs, count: usize) {
        let namespace = &refs.namespace;
        for pair in 0..count / 2 {
            let (purpose, rules) = self.role_rules();
            let name = format!("{purpose}-{pair}");
            items.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                "metadata": {"name": name, "namespace": namespace}, "rules": rules}));
            let subject = self.subject(refs);
            items.push(
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                "metadata": {"name": name, "namespace": namespace},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
                "subjects": [subject]}),
            );
        }
        if count % 2 == 1 {
            let role = match self.rng.below(20) {
                0..=9 => "view",
                10..=15 => "edit",
                16..=18 => "admin",
                _ => "cluster-admin",
            };
            let subject = self.subject(refs);
            items.push(
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                "metadata": {"name": format!("team-{role}"), "namespace": namespace},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
                "subjects": [subject]}),
            );
        }
    }

    /// A Role's purpose and rules: mostly narrow reads, some risky grants.
    fn role_rules(&mut self) -> (&'static str, Value) {
        match self.rng.below(10) {
            0..=3 => (
                "pod-reader",
                json!([{"apiGroups": [""], "resources": ["pods", "configmaps"], "verbs": ["get", "list", "watch"]}]),
            ),
            4 => (
                "deployer",
                json!([{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list", "create", "update", "patch"]}]),
            ),
            5 | 6 => (
                "secret-reader",
                json!([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list"]}]),
            ),
            7 => (
                "debugger",
                json!([{"apiGroups": [""], "resources": ["pods/exec", "pods/attach"], "verbs": ["create"]},
                {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]),
            ),
            8 => (
                "namespace-admin",
                json!([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]),
            ),
            _ => (
                "role-manager",
                json!([{"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles", "rolebindings"], "verbs": ["bind", "escalate", "create"]}]),
            ),
        }
    }

    fn subject(&mut self, refs: &Refs) -> Value {
        let namespace = &refs.namespace;
        match self.rng.below(20) {
            0..=11 => {
                json!({"kind": "ServiceAccount", "name": self.rng.pick(&refs.service_accounts), "namespace": namespace})
            }
            12..=14 => json!({"kind": "ServiceAccount", "name": "default", "namespace": namespace}),
            15 | 16 => {
                json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": format!("system:serviceaccounts:{namespace}")})
            }
            _ => {
                json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": format!("dev-{}@example.test", self.rng.below(200))})
            }
        }
    }

    fn network_policies(&mut self, items: &mut Vec<Value>, refs: &Refs) {
        let namespace = &refs.namespace;
        let policy = |name: &str, spec: Value| {
            json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": {"name": name, "namespace": namespace}, "spec": spec})
        };
        match self.rng.below(10) {
            0..=3 => {
                items.push(policy(
                    "default-deny",
                    json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
                ));
                if self.rng.percent(60) {
                    items.push(policy("allow-dns", json!({"podSelector": {}, "policyTypes": ["Egress"],
                        "egress": [{"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}],
                            "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}]})));
                }
                items.push(policy("allow-ingress-controller", json!({"podSelector": {"matchLabels": {"tier": "frontend"}},
                    "policyTypes": ["Ingress"],
                    "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}]}]})));
            }
            4 | 5 => items.push(policy(
                "default-deny-ingress",
                json!({"podSelector": {}, "policyTypes": ["Ingress"]}),
            )),
            6 | 7 => items.push(policy(
                "allow-same-namespace",
                json!({"podSelector": {}, "policyTypes": ["Ingress"],
                "ingress": [{"from": [{"podSelector": {}}]}]}),
            )),
            8 => items.push(policy(
                "allow-all",
                json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"],
                "ingress": [{}], "egress": [{}]}),
            )),
            _ => {}
        }
    }

    /// Workloads that create exactly `pods` pods, with their Services and Ingresses, plus the
    /// DaemonSets and suspended CronJobs that create none.
    fn workloads(&mut self, items: &mut Vec<Value>, refs: &Refs, pods: usize) {
        let mut services = Vec::new();
        let mut workloads = Vec::new();
        let mut ingresses = Vec::new();
        let mut remaining = pods;
        // Numbers the workloads so names and `app` labels never collide: a ReplicaSet or
        // StatefulSet would adopt a bare pod whose labels match its selector.
        let mut serial = 0;
        let mut next_name = |rng: &mut XorShift, prefix: Option<&str>| {
            serial += 1;
            format!("{}-{serial}", prefix.unwrap_or_else(|| rng.pick(&APPS)))
        };
        while remaining > 0 {
            let posture = self.posture();
            match self.rng.below(100) {
                0..=59 => {
                    let name = next_name(&mut self.rng, None);
                    let replicas = (1 + self.rng.below(5)).min(remaining);
                    remaining -= replicas;
                    self.expect("Deployment", replicas);
                    let template = self.template(refs, &name, posture, "Always");
                    let spec =
                        json!({"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "template": template});
                    workloads.push(self.workload("apps/v1", "Deployment", refs, &name, posture, spec));
                    if self.rng.percent(70) {
                        let service = self.service(refs, &name, false);
                        if self.rng.percent(12) {
                            ingresses.push(self.ingress(refs, &name));
                        }
                        services.push(service);
                    }
                }
                60..=69 => {
                    let name = next_name(&mut self.rng, None);
                    // OrderedReady stops at pod 0, which never becomes Ready without nodes.
                    let parallel = self.rng.percent(75);
                    let replicas = (1 + self.rng.below(3)).min(remaining);
                    let pods = if parallel { replicas } else { 1 };
                    remaining -= pods;
                    self.expect("StatefulSet", pods);
                    let template = self.template(refs, &name, posture, "Always");
                    let policy = if parallel { "Parallel" } else { "OrderedReady" };
                    let spec = json!({"replicas": replicas, "serviceName": name, "podManagementPolicy": policy,
                        "selector": {"matchLabels": {"app": name}}, "template": template});
                    workloads.push(self.workload("apps/v1", "StatefulSet", refs, &name, posture, spec));
                    services.push(self.service(refs, &name, true));
                }
                70..=79 => {
                    let name = next_name(&mut self.rng, Some("migrate"));
                    let parallelism = (1 + self.rng.below(2)).min(remaining);
                    remaining -= parallelism;
                    self.expect("Job", parallelism);
                    let template = self.template(refs, &name, posture, "Never");
                    workloads.push(self.workload("batch/v1", "Job", refs, &name, posture, json!({
                        "parallelism": parallelism, "completions": parallelism, "backoffLimit": 2, "template": template})));
                }
                80..=97 => {
                    let name = next_name(&mut self.rng, Some("debug"));
                    remaining -= 1;
                    self.expect("Pod", 1);
                    let mut template = self.template(refs, &name, posture, "Always");
                    // A pod is admitted only when its service account exists, and "default"
                    // appears only once the controller-manager made it: name one of ours,
                    // which the file creates first.
                    if template["spec"].get("serviceAccountName").is_none() {
                        template["spec"]["serviceAccountName"] = json!(self.rng.pick(&refs.service_accounts));
                    }
                    workloads.push(json!({"apiVersion": "v1", "kind": "Pod",
                        "metadata": {"name": name, "namespace": refs.namespace, "labels": template["metadata"]["labels"]},
                        "spec": template["spec"]}));
                }
                _ => {
                    let name = next_name(&mut self.rng, Some("sweep"));
                    remaining -= 1;
                    self.expect("CronJob", 1);
                    self.summary.pods_after_next_minute += 1;
                    workloads.push(self.cron_job(refs, &name, posture, false));
                }
            }
        }
        // Node agents and nightly jobs: realistic objects that make no pods here.
        if self.rng.percent(15) {
            let name = next_name(&mut self.rng, Some("log-agent"));
            let template = self.template(refs, &name, Posture::Insecure, "Always");
            self.expect("DaemonSet", 0);
            workloads.push(self.workload(
                "apps/v1",
                "DaemonSet",
                refs,
                &name,
                Posture::Insecure,
                json!({
                "selector": {"matchLabels": {"app": name}}, "template": template}),
            ));
        }
        if self.rng.percent(30) {
            let name = next_name(&mut self.rng, Some("nightly"));
            let posture = self.posture();
            workloads.push(self.cron_job(refs, &name, posture, true));
        }
        items.extend(services);
        items.extend(workloads);
        items.extend(ingresses);
    }

    fn expect(&mut self, owner: &'static str, pods: usize) {
        *self.summary.expected_pods_by_owner.entry(owner).or_default() += pods;
    }

    fn posture(&mut self) -> Posture {
        match self.rng.below(100) {
            0..=39 => Posture::Restricted,
            40..=74 => Posture::Typical,
            _ => Posture::Insecure,
        }
    }

    /// A workload object; some insecure ones exempt themselves from what they knowingly break.
    fn workload(
        &mut self,
        api_version: &str,
        kind: &str,
        refs: &Refs,
        name: &str,
        posture: Posture,
        spec: Value,
    ) -> Value {
        let mut metadata = json!({"name": name, "namespace": refs.namespace, "labels": {"app": name}});
        if posture == Posture::Insecure && self.rng.percent(10) {
            metadata["annotations"] = json!({"palisade.dev/exempt": "pod.host-path,pod.runtime-socket",
                "palisade.dev/exempt-reason": "reads container logs from the node until FAKE-123 lands"});
        }
        json!({"apiVersion": api_version, "kind": kind, "metadata": metadata, "spec": spec})
    }

    fn cron_job(&mut self, refs: &Refs, name: &str, posture: Posture, suspend: bool) -> Value {
        let template = self.template(refs, name, posture, "OnFailure");
        // Active ones run every minute but, with Forbid, never start a second Job while the
        // first one's pod waits for a node that never comes.
        let schedule = if suspend { "0 3 * * *" } else { "* * * * *" };
        self.workload(
            "batch/v1",
            "CronJob",
            refs,
            name,
            posture,
            json!({
            "schedule": schedule, "suspend": suspend, "concurrencyPolicy": "Forbid",
            "jobTemplate": {"spec": {"backoffLimit": 1, "template": template}}}),
        )
    }

    fn service(&mut self, refs: &Refs, name: &str, headless: bool) -> Value {
        let mut spec = json!({"selector": {"app": name}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]});
        let mut annotations = json!({});
        if headless {
            spec["clusterIP"] = json!("None");
        } else if self.exposed_services < 2000 {
            match self.rng.below(100) {
                0..=7 => {
                    spec["type"] = json!("NodePort");
                    self.exposed_services += 1;
                }
                8..=14 => {
                    spec["type"] = json!("LoadBalancer");
                    self.exposed_services += 1;
                    if self.rng.percent(50) {
                        annotations = json!({"service.beta.kubernetes.io/aws-load-balancer-internal": "true"});
                    }
                }
                _ => {}
            }
        }
        json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": refs.namespace, "annotations": annotations}, "spec": spec})
    }

    fn ingress(&mut self, refs: &Refs, service: &str) -> Value {
        let host = format!("{service}.{}.example.test", refs.namespace);
        let mut spec = json!({"ingressClassName": "nginx", "rules": [{"host": host, "http": {"paths": [
            {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": service, "port": {"number": 80}}}}]}}]});
        if !refs.tls_secrets.is_empty() && self.rng.percent(70) {
            spec["tls"] = json!([{"hosts": [host], "secretName": self.rng.pick(&refs.tls_secrets)}]);
        }
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": service, "namespace": refs.namespace}, "spec": spec})
    }

    /// A pod template (`metadata` and `spec`) at the given posture.
    fn template(&mut self, refs: &Refs, app: &str, posture: Posture, restart_policy: &str) -> Value {
        let mut labels = json!({"app": app});
        if self.rng.percent(30) {
            labels["tier"] = json!("frontend");
        }
        let mut containers = vec![self.container(refs, "main", posture)];
        if self.rng.percent(25) {
            containers.push(self.container(refs, "sidecar", posture));
        }
        let mut spec = json!({"restartPolicy": restart_policy, "containers": containers,
            "volumes": [{"name": "tmp", "emptyDir": {}}]});
        // Some templates leave the "default" service account implied; controllers retry until
        // the controller-manager has made it (bare pods name one of ours, see `workloads`).
        if self.rng.percent(80) {
            spec["serviceAccountName"] = json!(self.rng.pick(&refs.service_accounts));
        }
        if !refs.pull_secrets.is_empty() && self.rng.percent(40) {
            spec["imagePullSecrets"] = json!([{"name": self.rng.pick(&refs.pull_secrets)}]);
        }
        match posture {
            Posture::Restricted => {
                spec["securityContext"] =
                    json!({"runAsNonRoot": true, "runAsUser": 10001, "seccompProfile": {"type": "RuntimeDefault"}});
                if self.rng.percent(50) {
                    spec["automountServiceAccountToken"] = json!(false);
                }
            }
            Posture::Typical => {
                if self.rng.percent(50) {
                    spec["securityContext"] = json!({"runAsNonRoot": true});
                }
            }
            Posture::Insecure => self.insecure_pod(&mut spec),
        }
        json!({"metadata": {"labels": labels}, "spec": spec})
    }

    /// One to three deliberate problems on a pod spec (on its first container).
    fn insecure_pod(&mut self, spec: &mut Value) {
        for _ in 0..1 + self.rng.below(3) {
            match self.rng.below(8) {
                0 => spec["containers"][0]["securityContext"] = json!({"privileged": true}),
                1 | 2 => {
                    let volumes = &mut spec["volumes"];
                    if let Some(volumes) = volumes.as_array_mut()
                        && !volumes.iter().any(|volume| volume["name"] == "host")
                    {
                        volumes.push(json!({"name": "host", "hostPath": {"path": self.rng.pick(&HOST_PATHS)}}));
                        if let Some(mounts) = spec["containers"][0]["volumeMounts"].as_array_mut() {
                            mounts.push(json!({"name": "host", "mountPath": "/host"}));
                        }
                    }
                }
                3 => {
                    spec["hostNetwork"] = json!(true);
                    spec["hostPID"] = json!(self.rng.percent(50));
                }
                4 => {
                    spec["containers"][0]["securityContext"] =
                        json!({"capabilities": {"add": ["NET_ADMIN", "SYS_ADMIN"]}})
                }
                5 => {
                    spec["containers"][0]["securityContext"] = json!({"runAsUser": 0, "allowPrivilegeEscalation": true})
                }
                6 => {
                    if let Some(container) = spec["containers"][0].as_object_mut() {
                        container.remove("resources");
                    }
                }
                _ => spec["containers"][0]["image"] = json!(self.rng.pick(&MUTABLE_IMAGES)),
            }
        }
    }

    fn container(&mut self, refs: &Refs, name: &str, posture: Posture) -> Value {
        let image = match posture {
            Posture::Restricted => self.rng.pick(&PINNED_IMAGES),
            _ if self.rng.percent(20) => self.rng.pick(&MUTABLE_IMAGES),
            _ => self.rng.pick(&PINNED_IMAGES),
        };
        // Distinct ports per container: with hostNetwork each one is also a host port.
        let port = match name {
            "main" => json!({"name": "http", "containerPort": 8080}),
            _ => json!({"name": "metrics", "containerPort": 9090}),
        };
        let mut env = vec![json!({"name": "LOG_LEVEL", "value": "info"})];
        if !refs.opaque_secrets.is_empty() && self.rng.percent(60) {
            env.push(json!({"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef":
                {"name": self.rng.pick(&refs.opaque_secrets), "key": "password"}}}));
        }
        // Literal credentials in env: what secret scanners and Palisade's checks look for.
        if posture == Posture::Insecure && self.rng.percent(50) || posture == Posture::Typical && self.rng.percent(10) {
            env.push(json!({"name": "ADMIN_PASSWORD", "value": self.credential("password")}));
            env.push(json!({"name": "API_TOKEN", "value": self.credential("token")}));
        }
        let mut container = json!({"name": name, "image": image,
            "ports": [port], "env": env,
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
            "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}},
            "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}]});
        match posture {
            Posture::Restricted => {
                container["securityContext"] = json!({"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
                    "runAsNonRoot": true, "capabilities": {"drop": ["ALL"]}});
            }
            Posture::Typical | Posture::Insecure => {
                if self.rng.percent(50) {
                    container["securityContext"] = json!({"allowPrivilegeEscalation": false});
                }
                if self.rng.percent(40) {
                    container["resources"] = json!({"requests": {"cpu": "100m", "memory": "128Mi"}});
                }
            }
        }
        container
    }

    fn cluster_role_binding(
        &mut self,
        index: usize,
        cluster_roles: usize,
        service_accounts: &[(String, Vec<&'static str>)],
    ) -> Value {
        let role = match self.rng.below(20) {
            0 => "cluster-admin".to_string(),
            1 | 2 => "view".to_string(),
            _ if cluster_roles > 0 => cluster_role_name(self.rng.below(cluster_roles)),
            _ => "view".to_string(),
        };
        let subject = match self.rng.below(40) {
            0 => json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:authenticated"}),
            1 => json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:unauthenticated"}),
            2..=5 => {
                json!({"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": format!("ops-{}@example.test", self.rng.below(50))})
            }
            _ => {
                let (namespace, accounts) = &service_accounts[self.rng.below(service_accounts.len())];
                json!({"kind": "ServiceAccount", "name": self.rng.pick(accounts), "namespace": namespace})
            }
        };
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": format!("bench:binding-{index}")},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": [subject]})
    }
}

/// ClusterRoles, from harmless to the grants RBAC checks flag; the index picks the purpose.
const CLUSTER_ROLE_PURPOSES: [&str; 10] = [
    "namespace-viewer",
    "namespace-viewer",
    "metrics-reader",
    "secrets-reader",
    "superuser",
    "pod-exec",
    "node-proxy",
    "impersonator",
    "webhook-admin",
    "workload-creator",
];

fn cluster_role_name(index: usize) -> String {
    format!(
        "bench:{}-{index}",
        CLUSTER_ROLE_PURPOSES[index % CLUSTER_ROLE_PURPOSES.len()]
    )
}

fn cluster_role(index: usize) -> Value {
    let rules = match CLUSTER_ROLE_PURPOSES[index % CLUSTER_ROLE_PURPOSES.len()] {
        "namespace-viewer" => {
            json!([{"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get", "list", "watch"]}])
        }
        "metrics-reader" => json!([{"nonResourceURLs": ["/metrics"], "verbs": ["get"]}]),
        "secrets-reader" => json!([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]}]),
        "superuser" => json!([{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]),
        "pod-exec" => json!([{"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]}]),
        "node-proxy" => json!([{"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": ["get"]}]),
        "impersonator" => {
            json!([{"apiGroups": [""], "resources": ["users", "groups", "serviceaccounts"], "verbs": ["impersonate"]}])
        }
        "webhook-admin" => json!([{"apiGroups": ["admissionregistration.k8s.io"],
            "resources": ["validatingwebhookconfigurations", "mutatingwebhookconfigurations"], "verbs": ["*"]}]),
        _ => {
            json!([{"apiGroups": ["apps", "batch"], "resources": ["deployments", "jobs"], "verbs": ["create", "patch"]}])
        }
    };
    json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": cluster_role_name(index)}, "rules": rules})
}

/// Baselines by tier: production held to `restricted`, staging to `baseline`, dev namespaces
/// left without one (reported as `NoBaseline`).
fn baselines() -> Vec<Value> {
    vec![
        json!({"apiVersion": "palisade.dev/v1alpha1", "kind": "HardeningBaseline", "metadata": {"name": "bench-production"},
            "spec": {"namespaceSelector": {"matchLabels": {"palisade.dev/tier": "production"}}, "priority": 10,
                "profile": "restricted", "thresholds": {"minScore": 80, "maxCritical": 0},
                "parameters": {"allowedRegistries": ["ghcr.io/example", "registry.k8s.io", "docker.io/library"]},
                "exceptions": [{"checks": ["pod.read-only-root-fs"], "resources": [{"kind": "Deployment", "name": "cache-*"}],
                    "reason": "cache writes its snapshot to the root filesystem (FAKE-42)", "expires": "2099-12-31T00:00:00Z"}]}}),
        json!({"apiVersion": "palisade.dev/v1alpha1", "kind": "HardeningBaseline", "metadata": {"name": "bench-staging"},
            "spec": {"namespaceSelector": {"matchLabels": {"palisade.dev/tier": "staging"}}, "priority": 5, "profile": "baseline"}}),
    ]
}

/// Standard base64 with padding (RFC 4648), for Secret `data`: writing `data` rather than
/// `stringData` keeps server-side apply ownership on the field the API server stores.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let byte = |index: usize| u32::from(chunk.get(index).copied().unwrap_or(0));
        let triple = byte(0) << 16 | byte(1) << 8 | byte(2);
        for sextet in 0..4 {
            if sextet <= chunk.len() {
                out.push(char::from(ALPHABET[(triple >> (18 - 6 * sextet)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn run(pods: usize, namespaces: Option<usize>, seed: u64) -> (Summary, Vec<(String, Vec<Value>)>) {
        let plan = Plan::new(pods, namespaces, seed).expect("a valid plan");
        let mut lists = Vec::new();
        let summary = generate(&plan, |file, items| {
            lists.push((file.to_string(), items));
            Ok(())
        })
        .expect("generation writes nothing that can fail here");
        (summary, lists)
    }

    fn all_items(lists: &[(String, Vec<Value>)]) -> impl Iterator<Item = &Value> {
        lists.iter().flat_map(|(_, items)| items)
    }

    fn pod_spec(item: &Value) -> Option<&Value> {
        match item["kind"].as_str()? {
            "Pod" => Some(&item["spec"]),
            "CronJob" => Some(&item["spec"]["jobTemplate"]["spec"]["template"]["spec"]),
            "Deployment" | "StatefulSet" | "DaemonSet" | "Job" => Some(&item["spec"]["template"]["spec"]),
            _ => None,
        }
    }

    fn assert_unique<'a>(keys: impl Iterator<Item = &'a Value>, file: &str) {
        let keys: Vec<&Value> = keys.collect();
        let distinct: BTreeSet<String> = keys.iter().map(|key| key.to_string()).collect();
        assert_eq!(distinct.len(), keys.len(), "{file}: duplicate keys {keys:?}");
    }

    #[test]
    fn the_same_seed_writes_the_same_cluster() {
        let (_, first) = run(500, None, 7);
        let (_, second) = run(500, None, 7);
        let (_, other) = run(500, None, 8);
        assert_eq!(first, second);
        assert_ne!(first, other);
    }

    #[test]
    fn ten_thousand_pods_make_the_design_scale() {
        let (summary, _) = run(10_000, None, 1);
        assert_eq!(summary.namespaces, 500);
        assert_eq!(summary.objects["Namespace"], 500);
        assert_eq!(summary.objects["Secret"], 2000);
        let rbac: usize = ["Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"]
            .iter()
            .map(|kind| summary.objects[*kind])
            .sum();
        assert_eq!(rbac, 1000);
        assert_eq!(summary.expected_pods, 10_000);
    }

    #[test]
    fn the_pod_budget_is_spent_exactly() {
        for (pods, namespaces) in [
            (1, None),
            (7, None),
            (1000, None),
            (5000, None),
            (300, Some(40)),
            (10, Some(30)),
        ] {
            let (summary, lists) = run(pods, namespaces, 3);
            assert_eq!(summary.expected_pods, pods, "{pods} pods in {namespaces:?} namespaces");
            let bare = all_items(&lists).filter(|item| item["kind"] == "Pod").count();
            assert_eq!(summary.expected_pods_by_owner.get("Pod").copied().unwrap_or(0), bare);
        }
    }

    #[test]
    fn references_resolve_within_the_namespace() {
        let (_, lists) = run(2000, None, 5);
        for (file, items) in lists.iter().filter(|(file, _)| file.starts_with("ns-")) {
            let names = |kind: &str| -> BTreeSet<&str> {
                items
                    .iter()
                    .filter(|item| item["kind"] == kind)
                    .filter_map(|item| item["metadata"]["name"].as_str())
                    .collect()
            };
            let accounts = names("ServiceAccount");
            let services = names("Service");
            let secrets = names("Secret");
            for item in items {
                if item["type"] == "kubernetes.io/service-account-token" {
                    let account = item["metadata"]["annotations"]["kubernetes.io/service-account.name"].as_str();
                    assert!(
                        account.is_some_and(|account| accounts.contains(account)),
                        "{file}: {item}"
                    );
                }
                if item["kind"] == "Ingress" {
                    let backend = item["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"].as_str();
                    assert!(backend.is_some_and(|name| services.contains(name)), "{file}: {item}");
                }
                if item["kind"] == "StatefulSet" {
                    let service = items.iter().find(|other| {
                        other["kind"] == "Service" && other["metadata"]["name"] == item["spec"]["serviceName"]
                    });
                    assert_eq!(
                        service.map(|service| &service["spec"]["clusterIP"]),
                        Some(&json!("None")),
                        "{file}"
                    );
                }
                if let Some(spec) = pod_spec(item) {
                    if let Some(account) = spec["serviceAccountName"].as_str() {
                        assert!(accounts.contains(account), "{file}: {item}");
                    } else {
                        // Only controllers' pods may wait for the "default" service account.
                        assert_ne!(item["kind"], "Pod", "{file}: {item}");
                    }
                    // Server-side apply rejects duplicate keys in the lists it merges by key.
                    let containers = spec["containers"].as_array().into_iter().flatten();
                    assert_unique(containers.clone().map(|container| &container["name"]), file);
                    assert_unique(
                        spec["volumes"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .map(|volume| &volume["name"]),
                        file,
                    );
                    let ports = containers
                        .clone()
                        .flat_map(|container| container["ports"].as_array().into_iter().flatten());
                    assert_unique(ports.map(|port| &port["containerPort"]), file);
                    for container in containers {
                        assert_unique(
                            container["env"]
                                .as_array()
                                .into_iter()
                                .flatten()
                                .map(|env| &env["name"]),
                            file,
                        );
                        let mounts = container["volumeMounts"].as_array().into_iter().flatten();
                        assert_unique(mounts.map(|mount| &mount["mountPath"]), file);
                    }
                    for env in spec["containers"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .flat_map(|c| c["env"].as_array().into_iter().flatten())
                    {
                        if let Some(secret) = env["valueFrom"]["secretKeyRef"]["name"].as_str() {
                            assert!(secrets.contains(secret), "{file}: {env}");
                        }
                    }
                }
            }
            // Names are unique per kind, and the ServiceAccounts come before what needs them.
            for kind in [
                "Deployment",
                "StatefulSet",
                "Job",
                "CronJob",
                "Pod",
                "Service",
                "Secret",
                "Role",
                "RoleBinding",
            ] {
                let count = items.iter().filter(|item| item["kind"] == kind).count();
                assert_eq!(names(kind).len(), count, "{file}: duplicate {kind} names");
            }
            let last_account = items.iter().rposition(|item| item["kind"] == "ServiceAccount");
            let first_other = items.iter().position(|item| item["kind"] != "ServiceAccount");
            assert!(last_account < first_other, "{file}: ServiceAccounts first");
        }
    }

    #[test]
    fn every_secret_type_and_service_type_appears() {
        let (_, lists) = run(1000, None, 9);
        let secret_types: BTreeSet<&str> = all_items(&lists)
            .filter(|item| item["kind"] == "Secret")
            .filter_map(|item| item["type"].as_str())
            .collect();
        let expected = [
            "Opaque",
            "kubernetes.io/basic-auth",
            "kubernetes.io/dockerconfigjson",
            "kubernetes.io/service-account-token",
            "kubernetes.io/ssh-auth",
            "kubernetes.io/tls",
        ];
        assert_eq!(secret_types, expected.into_iter().collect());
        let service_types: BTreeSet<&str> = all_items(&lists)
            .filter(|item| item["kind"] == "Service")
            .map(|item| item["spec"]["type"].as_str().unwrap_or("ClusterIP"))
            .collect();
        assert_eq!(
            service_types,
            ["ClusterIP", "LoadBalancer", "NodePort"].into_iter().collect()
        );
    }

    #[test]
    fn pod_security_is_never_enforced_above_privileged() {
        let (_, lists) = run(2000, None, 11);
        let namespaces = all_items(&lists).filter(|item| item["kind"] == "Namespace");
        let enforced: BTreeSet<&str> = namespaces
            .filter_map(|namespace| namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"].as_str())
            .collect();
        assert_eq!(enforced, ["privileged"].into_iter().collect());
    }

    #[test]
    fn base64_matches_rfc_4648() {
        for (input, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), encoded);
        }
    }
}
