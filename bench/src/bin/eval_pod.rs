//! Time to evaluate one typical pod against the whole catalog, on one core.
//!
//! Run: `cargo run --release -p palisade-bench --bin eval_pod`

use std::hint::black_box;
use std::time::Instant;

use palisade_checks::baseline::ResolvedBaseline;
use palisade_checks::{AddOptions, Inventory, evaluate_namespace};
use palisade_crds::Profile;

const PODS_PER_NAMESPACE: usize = 20;
const NAMESPACES: usize = 500;
const ROUNDS: usize = 5;
const SINGLE_POD_ITERATIONS: usize = 100_000;

fn main() {
    let baseline = ResolvedBaseline::profile(Profile::Restricted);
    let params = baseline.params(false, None);
    let enabled = baseline.enabled_checks();

    let mut inventory = Inventory::default();
    for namespace in 0..NAMESPACES {
        for index in 0..PODS_PER_NAMESPACE {
            let pod = palisade_bench::typical_pod(&format!("team-{namespace:03}"), index);
            inventory
                .add_object(pod, &AddOptions::default())
                .expect("typical pod is valid");
        }
    }
    let pods = NAMESPACES * PODS_PER_NAMESPACE;
    let checks = enabled.len();

    let mut best = f64::MAX;
    let mut findings = 0;
    for _ in 0..ROUNDS {
        let started = Instant::now();
        findings = 0;
        for namespace in inventory.namespaces.values() {
            findings += black_box(evaluate_namespace(namespace, &inventory.cluster, &params, enabled))
                .findings
                .len();
        }
        best = best.min(started.elapsed().as_secs_f64());
    }
    println!("pods evaluated:         {pods} in {NAMESPACES} namespaces");
    println!("checks enabled:         {checks} (restricted profile)");
    println!("findings per round:     {findings}");
    println!("best of {ROUNDS} rounds:       {:.1} ms", best * 1e3);
    println!("per pod (whole catalog): {:.2} µs", best * 1e6 / pods as f64);

    let mut single = Inventory::default();
    single
        .add_object(palisade_bench::typical_pod("team", 0), &AddOptions::default())
        .expect("typical pod is valid");
    let namespace = &single.namespaces["team"];
    let mut best_single = f64::MAX;
    for _ in 0..ROUNDS {
        let started = Instant::now();
        for _ in 0..SINGLE_POD_ITERATIONS {
            black_box(evaluate_namespace(
                black_box(namespace),
                &single.cluster,
                &params,
                enabled,
            ));
        }
        best_single = best_single.min(started.elapsed().as_secs_f64());
    }
    let per_pod = best_single * 1e6 / SINGLE_POD_ITERATIONS as f64;
    println!(
        "\none pod alone in its namespace, best of {ROUNDS} rounds of {SINGLE_POD_ITERATIONS}: {per_pod:.2} µs per evaluation"
    );

    println!("\nmost expensive checks on that pod (ns per evaluation, engine overhead included):");
    let mut costs: Vec<(f64, &str)> = enabled
        .iter()
        .map(|check| {
            let only = [*check];
            let started = Instant::now();
            for _ in 0..SINGLE_POD_ITERATIONS {
                black_box(evaluate_namespace(
                    black_box(namespace),
                    &single.cluster,
                    &params,
                    &only,
                ));
            }
            (
                started.elapsed().as_secs_f64() * 1e9 / SINGLE_POD_ITERATIONS as f64,
                check.id,
            )
        })
        .collect();
    costs.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (nanos, id) in costs.iter().take(12) {
        println!("  {nanos:7.0}  {id}");
    }
}
