//! Time to evaluate a typical pod against the whole catalog, on one core: one pod alone (the
//! per-pod cost), 10,000 pods in 500 namespaces (replicas and cache misses included), and the
//! most expensive checks.
//!
//! Run: `cargo run --release -p palisade-bench --bin eval_pod` (pin it with `taskset -c 1`).

use std::hint::black_box;
use std::time::Instant;

use palisade_checks::baseline::ResolvedBaseline;
use palisade_checks::{AddOptions, CheckDef, Inventory, Params, evaluate_namespace};
use palisade_crds::Profile;

const PODS_PER_NAMESPACE: usize = 20;
const NAMESPACES: usize = 500;
const ROUNDS: usize = 5;
const SINGLE_POD_ITERATIONS: usize = 100_000;

/// The median of `ROUNDS` runs of `work`, in seconds: what a run typically takes on this
/// machine, not its luckiest.
fn median_of_rounds(mut work: impl FnMut()) -> f64 {
    let mut seconds: Vec<f64> = (0..ROUNDS)
        .map(|_| {
            let started = Instant::now();
            work();
            started.elapsed().as_secs_f64()
        })
        .collect();
    seconds.sort_by(f64::total_cmp);
    seconds[ROUNDS / 2]
}

fn inventory_of(namespaces: usize, pods_per_namespace: usize) -> Inventory {
    let mut inventory = Inventory::default();
    for namespace in 0..namespaces {
        let replica_set = palisade_bench::typical_replica_set(&format!("team-{namespace:03}"));
        inventory
            .add_object(replica_set, &AddOptions::default())
            .expect("typical ReplicaSet is valid");
        for index in 0..pods_per_namespace {
            let pod = palisade_bench::typical_pod(&format!("team-{namespace:03}"), index);
            inventory
                .add_object(pod, &AddOptions::default())
                .expect("typical pod is valid");
        }
    }
    inventory
}

/// Seconds per evaluation of the single-pod inventory with these checks.
fn single_pod_seconds(inventory: &Inventory, params: &Params, checks: &[&'static CheckDef]) -> f64 {
    let namespace = inventory.namespaces.values().next().expect("one namespace");
    let seconds = median_of_rounds(|| {
        for _ in 0..SINGLE_POD_ITERATIONS {
            black_box(evaluate_namespace(
                black_box(namespace),
                &inventory.cluster,
                params,
                checks,
            ));
        }
    });
    seconds / SINGLE_POD_ITERATIONS as f64
}

fn main() {
    let baseline = ResolvedBaseline::profile(Profile::Restricted);
    let params = baseline.params(false, None);
    let enabled = baseline.enabled_checks();
    println!("checks enabled: {} (restricted profile)", enabled.len());

    let single = inventory_of(1, 1);
    let per_pod = single_pod_seconds(&single, &params, enabled);
    println!("one pod alone in its namespace: {:.2} µs per evaluation", per_pod * 1e6);

    let many = inventory_of(NAMESPACES, PODS_PER_NAMESPACE);
    let pods = NAMESPACES * PODS_PER_NAMESPACE;
    let mut findings = 0;
    let seconds = median_of_rounds(|| {
        findings = many
            .namespaces
            .values()
            .map(|namespace| {
                black_box(evaluate_namespace(namespace, &many.cluster, &params, enabled))
                    .findings
                    .len()
            })
            .sum();
    });
    println!(
        "{pods} pods in {NAMESPACES} namespaces: {:.1} ms, {:.2} µs per pod, {findings} findings",
        seconds * 1e3,
        seconds * 1e6 / pods as f64
    );

    println!("most expensive checks on the single pod (ns per evaluation, engine overhead included):");
    let mut costs: Vec<(f64, &str)> = enabled
        .iter()
        .map(|check| (single_pod_seconds(&single, &params, &[*check]) * 1e9, check.id))
        .collect();
    costs.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (nanos, id) in costs.iter().take(10) {
        println!("  {nanos:6.0}  {id}");
    }
}
