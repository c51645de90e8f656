"""The report's two charts, drawn with matplotlib's Agg canvas and returned as base64 PNG.

Each chart is a bare :class:`matplotlib.figure.Figure` saved by the Agg renderer: no pyplot, so
drawing a report never switches the backend of a notebook or script that calls it. The PNG
goes inline into ``report.html``, which therefore needs no file beside it and no network.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

# One colour per level of test (colour-blind-safe Tableau hues), in the catalogue's order.
LEVEL_COLOURS = {
    "unit": "#4e79a7",
    "integration": "#f28e2b",
    "database": "#59a14f",
    "concurrency": "#e15759",
}
OTHER_COLOUR = "#9c755f"
BINS = tuple(range(0, 101, 10))  # score bins in percent; the last one, 90-100, includes 100


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})  # Agg draws PNG
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def bug_chart(bugs: Sequence[tuple[str, str, float]]) -> str:
    """:func:`bug_figure` as base64 PNG."""
    return _png(bug_figure(bugs))


def score_histogram(scores: Sequence[float]) -> str:
    """:func:`histogram_figure` as base64 PNG."""
    return _png(histogram_figure(scores))


def bug_figure(bugs: Sequence[tuple[str, str, float]]) -> Figure:
    """Horizontal bars: for each (label, level, share in %) the share of the class, by level.

    The legend sits above the plot, outside the axes, so it never hides a bar.
    """
    height = 1.1 + 0.28 * max(len(bugs), 1)
    figure = Figure(figsize=(7.5, height), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    labels = [label for label, _, _ in bugs][::-1]
    shares = [share for _, _, share in bugs][::-1]
    levels = [level for _, level, _ in bugs][::-1]
    bars = axes.barh(labels, shares, color=[LEVEL_COLOURS.get(lv, OTHER_COLOUR) for lv in levels])
    axes.bar_label(bars, labels=[f"{share:.0f}%" for share in shares], padding=3, fontsize=8)
    axes.set_xlim(0, 112)  # room for the label of a bar at 100%
    axes.set_xticks(range(0, 101, 20))
    axes.set_xlabel("students whose valid tests caught the bug (%)")
    axes.tick_params(axis="y", labelsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    shown = [lv for lv in LEVEL_COLOURS if lv in levels] + sorted(
        {lv for lv in levels if lv not in LEVEL_COLOURS}
    )
    handles = [Patch(color=LEVEL_COLOURS.get(lv, OTHER_COLOUR), label=lv) for lv in shown]
    axes.legend(
        handles=handles,
        title="level of test that catches it",
        loc="lower left",
        bbox_to_anchor=(0.0, 1.02),
        ncol=max(len(handles), 1),
        frameon=False,
        fontsize=8,
        title_fontsize=8,
        alignment="left",
    )
    return figure


def histogram_figure(scores: Sequence[float]) -> Figure:
    """A small histogram of scores (percent) in bins of 10 points."""
    figure = Figure(figsize=(4.2, 2.0), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    axes.hist(list(scores), bins=list(BINS), color="#4e79a7", edgecolor="white")
    axes.set_xlim(0, 100)
    axes.set_xticks(BINS[::2])
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlabel("score (%)", fontsize=8)
    axes.set_ylabel("students", fontsize=8)
    axes.tick_params(labelsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    return figure
