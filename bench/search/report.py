"""What a run leaves behind: the JSON of every row, a Markdown table and the sweep plot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

Row = dict[str, Any]

# A label of up to three digits at font size 8, plus a little air.
LABEL_GAP_POINTS = 10.0
LABEL_WIDTH_POINTS = 20.0


def _cell(value: Any, digits: int) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


def results_table(rows: list[Row]) -> list[str]:
    lines = [
        "| dataset | index | system | conc. | QPS | p50 ms | p99 ms | recall@10 | × FAISS QPS |"
        " note |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['dataset']} | {r['index']} | {r['system']} | {r.get('concurrency', '–')} "
            f"| {_cell(r.get('qps'), 0)} | {_cell(r.get('p50_ms'), 2)} "
            f"| {_cell(r.get('p99_ms'), 2)} | {_cell(r.get('recall_at_10'), 3)} "
            f"| {_cell(r.get('ratio_vs_faiss'), 2)} | {r.get('note', '')} |"
        )
    return lines


def load_detail(r: Row) -> str:
    """What the system says it built: semspace's index report, milvus-lite's segments."""
    if "segments" in r:
        return f"{r['milvus_index']}: {r['segments']} segments, {', '.join(r['segment_indexes'])}"
    if "milvus_index" in r:
        return f"{r['milvus_index']} ({r.get('layout_error', '')})"
    info = r.get("index_info")
    if isinstance(info, dict):
        params = ", ".join(f"{k}={v}" for k, v in sorted(info.get("params", {}).items()))
        return (
            f"server: {info.get('kind', r.get('server_index'))} ({params}), "
            f"{info.get('memory_bytes', 0) / 2**20:.1f} MiB index, "
            f"recall@10 at build {_cell(float(info.get('recall_at_10', 'nan')), 3)}"
            + ("" if info.get("trained", True) else ", untrained: searched exactly")
        )
    if "server_index" in r:
        return f"server index: {r['server_index']}"
    return ""


def loads_table(loads: list[Row]) -> list[str]:
    lines = [
        "| dataset | index | system | vectors | load s | raw MiB | idle RSS MiB | RSS MiB "
        "| RSS / raw | (RSS − idle) / raw | RSS after searches MiB | its / raw | detail |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in loads:
        # What the space itself costs: the RSS a server had before it held any space taken off.
        # Three digits: the target (1.5x) is met or missed in the third.
        grown = (r["rss_mib"] - r["idle_rss_mib"]) / r["raw_mib"] if "idle_rss_mib" in r else None
        lines.append(
            f"| {r['dataset']} | {r['index']} | {r['system']} | {r['count']:,} "
            f"| {_cell(r.get('load_seconds'), 2)} | {_cell(r['raw_mib'], 1)} "
            f"| {_cell(r.get('idle_rss_mib'), 1)} | {_cell(r.get('rss_mib'), 1)} "
            f"| {_cell(r.get('rss_over_raw'), 3)} | {_cell(grown, 3)} "
            f"| {_cell(r.get('rss_after_search_mib'), 1)} "
            f"| {_cell(r.get('rss_after_search_over_raw'), 3)} | {load_detail(r)} |"
        )
    return lines


def cold_start_table(starts: list[Row]) -> list[str]:
    lines = [
        "| dataset | vectors | dim | index | start → SERVING s | vectors MiB | artifact MiB "
        "| RSS MiB | empty server RSS MiB | RSS / artifact |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in starts:
        lines.append(
            f"| {r['dataset']} | {r['count']:,} | {r['dim']} | {r['server_index']} "
            f"| {_cell(r['start_seconds'], 2)} | {_cell(r['vector_mib'], 1)} "
            f"| {_cell(r['artifact_mib'], 1)} | {_cell(r['rss_mib'], 1)} "
            f"| {_cell(r['empty_server_rss_mib'], 1)} | {_cell(r['rss_over_artifact'], 2)} |"
        )
    return lines


def sweep_table(sweep: list[Row]) -> list[str]:
    lines = [
        "| dataset | system | efSearch | QPS | p50 ms | recall@10 |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in sweep:
        lines.append(
            f"| {r['dataset']} | {r['system']} | {r['ef_search']} | {_cell(r['qps'], 0)} "
            f"| {_cell(r['p50_ms'], 2)} | {_cell(r['recall_at_10'], 3)} |"
        )
    return lines


def write_markdown(path: Path, result: Row) -> None:
    env = result["environment"]
    parts = [
        f"# Search benchmark ({result['tag']})",
        "",
        f"`{result['command']}` · {env['cpus']} CPUs · load average "
        f"{env['load_before'][0]:.2f} before, {env['load_after'][0]:.2f} after · faiss "
        f"{env['versions']['faiss']} · pymilvus {env['versions']['pymilvus']} · milvus-lite "
        f"{env['versions']['milvus-lite']} · semspace {env['semspace_commit']}",
        "",
        "Single-query calls, k = 10, held-out queries; recall@10 against exact search. "
        "× FAISS QPS: the row's QPS over in-process FAISS with the same index, sequential.",
        "",
        *results_table(result["rows"]),
        "",
        "## Load and memory",
        "",
        *loads_table(result["loads"]),
        "",
    ]
    if result["cold_starts"]:
        parts += [
            "## Serving a trained artifact from cold (`semspace serve`, sha256 checks on)",
            "",
            *cold_start_table(result["cold_starts"]),
            "",
        ]
    if result["sweep"]:
        parts += ["## HNSW efSearch sweep (concurrency 1)", "", *sweep_table(result["sweep"]), ""]
    if result["notes"]:
        parts += ["## Notes", "", *(f"- {note}" for note in result["notes"]), ""]
    path.write_text("\n".join(parts))


def write_json(path: Path, result: Row) -> None:
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")


def label_lifts(ax: Any, points: list[Row]) -> list[float]:
    """How far (in points) to raise each point's label so that labels of one line that would
    overlap sit LABEL_GAP_POINTS apart, in the order of their points' heights: points near
    recall 1.0 crowd together, and labels placed by turns above and below can land crossed."""
    to_points = 72 / ax.figure.dpi
    spots = [ax.transData.transform((r["recall_at_10"], r["qps"])) * to_points for r in points]
    lifts = [0.0] * len(points)
    placed: list[tuple[float, float]] = []  # (x, label height) of labels already placed
    for i in sorted(range(len(points)), key=lambda i: spots[i][1]):
        x, height = spots[i]
        below = [y for px, y in placed if abs(px - x) < LABEL_WIDTH_POINTS]
        label = max([height, *(y + LABEL_GAP_POINTS for y in below)])
        lifts[i] = label - height
        placed.append((x, label))
    return lifts


def plot_sweep(path: Path, sweep: list[Row]) -> bool:
    """QPS against recall@10, one line per system, each point labelled with its efSearch."""
    if not sweep:
        return False
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on a server
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    systems = {
        system: [r for r in sweep if r["system"] == system]
        for system in dict.fromkeys(r["system"] for r in sweep)
    }
    for system, points in systems.items():
        ax.plot([r["recall_at_10"] for r in points], [r["qps"] for r in points], "o-", label=system)
    ax.set_yscale("log")
    ax.margins(x=0.1)  # room for the labels left of the lowest-recall points
    fig.canvas.draw()  # fixes the axes' limits, which the label offsets are computed in
    for points in systems.values():
        for r, lift in zip(points, label_lifts(ax, points), strict=True):
            ax.annotate(
                str(r["ef_search"]),
                (r["recall_at_10"], r["qps"]),
                fontsize=8,
                textcoords="offset points",
                xytext=(-6, lift),
                ha="right",
                va="center",
                arrowprops={"arrowstyle": "-", "lw": 0.5} if lift else None,
            )
    ax.set_xlabel("recall@10")
    ax.set_ylabel("queries / s (single-query calls, concurrency 1)")
    ax.set_title(f"HNSW efSearch sweep: {sweep[0]['dataset']}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True
