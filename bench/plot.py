#!/usr/bin/env python3
"""How the operator's cost grows with the cluster: reads bench/results/operator-scale-*.json and
writes bench/results/operator-scale.svg, three panels against pods: peak and steady memory,
convergence time beside the LIST floor, and the bytes of Palisade's objects. Only the standard
library: the benchmark must run where nothing else is installed.

    python3 bench/plot.py
"""
import glob
import json
import os

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
WIDTH, HEIGHT, PAD = 300, 220, 46
COLORS = ["#1f77b4", "#d62728", "#2ca02c"]


def runs():
    found = []
    for path in glob.glob(os.path.join(RESULTS, "operator-scale-*.json")):
        with open(path) as handle:
            run = json.load(handle)
        if run.get("operator", {}).get("ran"):
            found.append(run)
    return sorted(found, key=lambda run: run["size"])


def stored_kib(run):
    stored = run["operator"].get("stored")
    if not stored:
        return None
    return (stored["posture_report_bytes"] + stored["cluster_report_bytes"]) / 1024


def panel(x0, title, unit, series, sizes):
    """One chart: `series` is [(label, [value or None per size])]."""
    values = [value for _, points in series for value in points if value is not None]
    top = max(values or [1]) * 1.15
    right = max(sizes) * 1.05
    scale_x = lambda size: x0 + PAD + size / right * (WIDTH - PAD - 10)
    scale_y = lambda value: HEIGHT - PAD + 10 - value / top * (HEIGHT - PAD - 20)
    out = [f'<text x="{x0 + WIDTH / 2}" y="16" text-anchor="middle" font-size="13">{title}</text>',
           f'<line x1="{x0 + PAD}" y1="{HEIGHT - PAD + 10}" x2="{x0 + WIDTH - 10}" y2="{HEIGHT - PAD + 10}" stroke="#444"/>',
           f'<line x1="{x0 + PAD}" y1="20" x2="{x0 + PAD}" y2="{HEIGHT - PAD + 10}" stroke="#444"/>',
           f'<text x="{x0 + 4}" y="30" font-size="10">{unit}</text>',
           f'<text x="{x0 + WIDTH / 2}" y="{HEIGHT - 4}" text-anchor="middle" font-size="10">pods</text>']
    for fraction in (0.5, 1.0):
        value = top / 1.15 * fraction
        out.append(f'<text x="{x0 + PAD - 4}" y="{scale_y(value) + 3}" text-anchor="end" font-size="9">{value:.3g}</text>')
    for size in sizes:
        out.append(f'<text x="{scale_x(size)}" y="{HEIGHT - PAD + 22}" text-anchor="middle" font-size="9">{size:,}</text>')
    for index, (label, points) in enumerate(series):
        color = COLORS[index % len(COLORS)]
        coordinates = [(scale_x(size), scale_y(value)) for size, value in zip(sizes, points) if value is not None]
        if len(coordinates) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coordinates)
            out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        out += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>' for x, y in coordinates]
        out.append(f'<text x="{x0 + PAD + 6}" y="{34 + 12 * index}" font-size="10" fill="{color}">{label}</text>')
    return out


def main():
    measured = runs()
    if not measured:
        raise SystemExit("no bench/results/operator-scale-*.json with the operator measured")
    sizes = [run["size"] for run in measured]
    operator = [run["operator"] for run in measured]
    body = []
    body += panel(0, "Memory", "MiB", [
        ("peak RSS", [run["peak_rss_mib"] for run in operator]),
        ("steady RSS", [run["steady_rss_mib"] for run in operator]),
    ], sizes)
    body += panel(WIDTH, "Time to every report", "seconds", [
        ("operator converged", [run.get("converge_seconds") for run in operator]),
        ("LIST floor", [run["floor"]["seconds"] for run in measured]),
    ], sizes)
    body += panel(2 * WIDTH, "Palisade's objects stored", "KiB", [
        ("all reports", [stored_kib(run) for run in measured]),
    ], sizes)
    svg = "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{3 * WIDTH}" height="{HEIGHT}" '
        f'font-family="sans-serif" viewBox="0 0 {3 * WIDTH} {HEIGHT}">',
        f'<rect width="{3 * WIDTH}" height="{HEIGHT}" fill="white"/>',
        *body, "</svg>", ""])
    target = os.path.join(RESULTS, "operator-scale.svg")
    with open(target, "w") as handle:
        handle.write(svg)
    print(f"wrote {target} ({len(measured)} sizes: {', '.join(map(str, sizes))})")


if __name__ == "__main__":
    main()
