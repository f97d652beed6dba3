"""The sweep plot's labels: crowded points near recall 1.0 get labels in their own order, apart."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt

# Crowded as a real run's were: efSearch 128 and 256 10 % apart in QPS at nearly equal recall.
SWEEP = [
    {"dataset": "d", "system": "s", "ef_search": ef, "qps": qps, "recall_at_10": recall}
    for ef, qps, recall in [
        (16, 907.0, 0.9769),
        (32, 880.0, 0.9962),
        (64, 776.0, 0.9992),
        (128, 660.0, 0.9997),
        (256, 594.0, 1.0),
    ]
]


@pytest.fixture
def report(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.syspath_prepend(str(Path(__file__).parents[2] / "bench"))
    from search import report

    return report


def test_crowded_labels_keep_their_points_order_and_stand_apart(report) -> None:
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot([r["recall_at_10"] for r in SWEEP], [r["qps"] for r in SWEEP], "o-")
    ax.set_yscale("log")
    ax.set_ylim(500, 20000)
    fig.canvas.draw()
    lifts = report.label_lifts(ax, SWEEP)
    to_points = 72 / fig.dpi
    heights = [ax.transData.transform((r["recall_at_10"], r["qps"]))[1] * to_points for r in SWEEP]
    labels = [h + lift for h, lift in zip(heights, lifts, strict=True)]
    plt.close(fig)

    assert all(lift >= 0 for lift in lifts)
    # 64, 128 and 256 crowd together: their labels go top to bottom in the points' order.
    assert labels[2] - labels[3] >= report.LABEL_GAP_POINTS - 1e-9
    assert labels[3] - labels[4] >= report.LABEL_GAP_POINTS - 1e-9
    assert lifts[3] > 0, "the crowded labels had to move, or this test shows nothing"
    # 16 is far to the left of the rest: nothing near it to make room for.
    assert lifts[0] == 0


def test_the_sweep_plot_is_written(report, tmp_path: Path) -> None:
    path = tmp_path / "sweep.png"
    assert report.plot_sweep(path, SWEEP)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not report.plot_sweep(tmp_path / "none.png", [])
