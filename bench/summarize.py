#!/usr/bin/env python3
"""Every size the operator was measured at, on one page against DESIGN.md section 6 and beside the
peer: reads bench/results/operator-scale-*.json (written by bench/operator-scale.sh) and writes
bench/results/operator-scale.md. Standard library only.

    python3 bench/summarize.py
"""
import os

from plot import RESULTS, runs, stored_kib

TARGET_LATENCY_MS = 1250


def number(value, digits=1):
    if value is None:
        return "–"
    return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"


def worst_p99(operator):
    kinds = (operator.get("change_latency") or {}).get("kinds") or {}
    measured = [(values["p99_ms"], kind) for kind, values in kinds.items() if values.get("p99_ms") is not None]
    return max(measured) if measured else (None, None)


def runs_note(runs):
    """How a figure was taken when it is the median of several alternating runs."""
    if not runs or runs["runs"] < 2:
        return ""
    each = ", ".join("–" if value is None else str(value) for value in (run["converge_seconds"] for run in runs["each"]))
    return f"; median of {runs['runs']} runs: {each}"


def row(label, target, cells):
    return f"| {label} | " + " | ".join(cells) + f" | {target} |"


def table(sized):
    header = "| | " + " | ".join(f"{run['size']:,} pods" for run in sized) + " | target (DESIGN.md §6) |"
    lines = [header, "|---|" + "---|" * (len(sized) + 1)]

    def add(label, target, cell):
        lines.append(row(label, target, [cell(run) for run in sized]))

    op = lambda run: run["operator"]
    add("namespaces / objects applied", "", lambda run: f"{run['load']['namespaces']} / {run['load']['objects_total']:,}")
    add("LIST floor (every watched kind)", "", lambda run: f"{run['floor']['seconds']:.2f} s")
    add("caches synced after start", "", lambda run: "–" if op(run).get("caches_synced_seconds") is None else f"{op(run)['caches_synced_seconds']} s")
    add("**converged, first start** (every report written)", "≤ 1.5 × floor",
        lambda run: f"**{op(run)['converge_seconds']} s** ({op(run)['converge_seconds'] / run['floor']['seconds']:.1f} × floor{runs_note(op(run).get('first_start_runs'))})")
    add("restart with reports in place: all evaluated", "≤ 1.5 × floor",
        lambda run: "–" if op(run).get("restart_evaluated_seconds") is None else
        f"{op(run)['restart_evaluated_seconds']} s ({op(run)['restart_evaluated_seconds'] / run['floor']['seconds']:.1f} × floor, {restart_writes(op(run))})")
    add("**peak RSS**", "≤ 64 MiB", lambda run: f"**{op(run)['peak_rss_mib']} MiB**")
    add("steady RSS", "≤ 64 MiB", lambda run: f"{op(run)['steady_rss_mib']} MiB")
    add("steady RSS per 1k pods", "", lambda run: f"{op(run)['steady_rss_mib'] / run['size'] * 1000:.1f} MiB")
    add("change → report p99, worst of six kinds", "≤ 1,250 ms",
        lambda run: "–" if worst_p99(op(run))[0] is None else f"{worst_p99(op(run))[0]:,.0f} ms ({worst_p99(op(run))[1]})")
    add("CPU until converged: operator / API server / etcd", "",
        lambda run: "–" if not op(run).get("cpu_seconds_to_convergence") else
        " / ".join(f"{op(run)['cpu_seconds_to_convergence'][part]} s" for part in ("operator", "kube_apiserver", "etcd")))
    add("report writes until converged", "one per namespace", lambda run: number(op(run)["report_writes_at_convergence"]))
    add("API requests until converged", "", lambda run: number(op(run)["api_requests_at_convergence"]))
    add("report writes in steady state", "0",
        lambda run: f"{op(run)['steady_state_writes']} in {op(run)['steady_state_seconds']} s")
    add("API requests in steady state (probe, lease)", "",
        lambda run: f"{op(run)['steady_state_api_requests']} in {op(run)['steady_state_seconds']} s")
    add("Palisade's objects in etcd (JSON)", "", lambda run: f"{op(run)['stored']['posture_reports'] + 1} objects, {stored_kib(run):,.0f} KiB")
    add("largest PostureReport", "< 1.5 MiB", lambda run: f"{op(run)['stored']['largest_report_bytes'] / 1024:,.0f} KiB")
    add("`palisade scan` of the same cluster", "",
        lambda run: "–" if not op(run).get("scan") else f"{op(run)['scan']['seconds']} s, {op(run)['scan']['peak_rss_mib']} MiB")
    return lines


def restart_writes(operator):
    # Runs made before the script read an absent metric as 0 recorded no count when a restart
    # wrote nothing (prometheus-client leaves a family without series out of the exposition).
    writes = operator.get("restart_writes")
    return "writes not read" if writes is None else f"{writes} writes"


def peer_table(sized):
    with_peer = [run for run in sized if run.get("peer", {}).get("ran")]
    if not with_peer:
        return []
    name = with_peer[0]["peer"].get("peer", "peer")
    lines = ["", f"Beside it, on the same cluster after the operator stopped: {name}. Kyverno's peak RSS is that of "
             "its run (the median where several ran); Palisade's is the peak of its whole first run.", "",
             "| | " + " | ".join(f"{run['size']:,} pods" for run in with_peer) + " |",
             "|---|" + "---|" * len(with_peer)]
    for label, cell in [
        ("time to every report: Kyverno / Palisade", lambda p, o: f"{p.get('converge_seconds') or 'not converged'} s{runs_note(p.get('runs'))} / {o['converge_seconds']} s{runs_note(o.get('first_start_runs'))}"),
        ("peak RSS: Kyverno / Palisade", lambda p, o: f"{p['peak_rss_mib']} / {o['peak_rss_mib']} MiB"),
        ("report objects: Kyverno / Palisade", lambda p, o: f"{p['report_objects']:,} / {o['stored']['posture_reports'] + 1:,}"),
        ("report bytes: Kyverno / Palisade", lambda p, o: f"{p['report_bytes'] / 1024:,.0f} / {o['stored']['posture_report_bytes'] / 1024 + o['stored']['cluster_report_bytes'] / 1024:,.0f} KiB"),
    ]:
        lines.append(f"| {label} | " + " | ".join(cell(run["peer"], run["operator"]) for run in with_peer) + " |")
    for run in with_peer:
        earlier = run["peer"].get("from_run")
        if earlier:
            lines += ["", f"At {run['size']:,} pods the peer's figures are from an earlier run of this script on a "
                      f"cluster generated alike (the same loadgen seed), on {earlier['date']} with Palisade at "
                      f"{earlier['commit']}; Palisade's beside them are from {run['date']} at {run['commit']}."]
    return lines


def latency_table(sized):
    lines = []
    for run in sized:
        latency = run["operator"].get("change_latency")
        if not latency:
            continue
        lines += ["", f"Change → report latency at {run['size']:,} pods: {latency['lanes']} namespaces per kind, "
                  f"{latency['rounds']} changes each, all {latency['lanes'] * len(latency['kinds'])} namespaces at once "
                  f"(debounce 1 s; target p99 ≤ {TARGET_LATENCY_MS:,} ms).", "",
                  "| change | samples | missed | p50 ms | p99 ms | max ms |", "|---|---|---|---|---|---|"]
        for kind, values in latency["kinds"].items():
            lines.append(f"| {kind} | {values['samples']} | {values['missed']} | {values['p50_ms']} | {values['p99_ms']} | {values['max_ms']} |")
    return lines


def main():
    sized = runs()
    if not sized:
        raise SystemExit("no bench/results/operator-scale-*.json with an operator run")
    commits = sorted({run["commit"] for run in sized})
    first = sized[0]
    lines = ["# The operator at scale", "",
             "Written by `python3 bench/summarize.py` from `operator-scale-SIZE.json`, each measured by "
             "`bash bench/operator-scale.sh SIZE` (details per size in `operator-scale-SIZE.md`; growth plotted in "
             "`operator-scale.svg`). Runs: " + ", ".join(f"{run['size']:,} pods on {run['date']} at {run['commit']}" for run in sized) + ".",
             f"Machine: {first['machine']['cores']} cores ({first['machine']['cpu']}), {first['machine']['memory_gib']} GiB; "
             f"local control plane (Kubernetes {first['control_plane']['kubernetes']}) on the same cores. "
             "Where several first starts were measured (`RUNS=N`), the operator's and Kyverno's alternated and the "
             "figures are medians; every other figure is from the first run.", ""]
    if len(commits) > 1:
        lines += [f"The sizes were measured at different commits ({', '.join(commits)}); compare across sizes with that in mind.", ""]
    lines += table(sized) + peer_table(sized) + latency_table(sized)
    with open(os.path.join(RESULTS, "operator-scale.md"), "w") as handle:
        handle.write("\n".join(lines) + "\n")


main()
