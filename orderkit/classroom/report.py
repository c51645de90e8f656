"""grades.csv and report.html for a graded class."""

from __future__ import annotations

import base64
import io
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import jinja2

from orderkit.classroom.batch import Grade

def bug_rates(grades: Sequence[Grade]) -> list[tuple[str, str, int, int]]:
    """For each bug seen: (title, level, students who caught it, students graded on it)."""
    titles: dict[str, tuple[str, str]] = {}
    caught: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for grade in grades:
        for chaff in grade.result.chaffs if grade.result else ():
            titles.setdefault(chaff.name, (chaff.title, chaff.level))
            seen[chaff.name] += 1
            caught[chaff.name] += chaff.caught
    return [(*titles[name], caught[name], seen[name]) for name in titles]


def plot_png(rates: Sequence[tuple[str, str, int, int]]) -> str:
    """A horizontal bar chart of the share of the class that caught each bug, as base64 PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.patches import Patch

    colours = {
        "unit": "#4c72b0",
        "integration": "#dd8452",
        "database": "#55a868",
        "concurrency": "#c44e52",
    }
    height = 1.2 + 0.32 * max(len(rates), 1)
    figure, axes = plt.subplots(figsize=(10, height), dpi=100)
    titles = [title for title, *_ in rates][::-1]
    shares = [100 * caught / total if total else 0 for _, _, caught, total in rates][::-1]
    levels = [level for _, level, _, _ in rates][::-1]
    axes.barh(titles, shares, color=[colours.get(level, "#8172b3") for level in levels])
    axes.set_xlim(0, 100)
    axes.set_xlabel("students whose tests caught the bug (%)")
    axes.tick_params(axis="y", labelsize=8)
    shown = [level for level in colours if level in levels]
    handles = [Patch(color=colours[level]) for level in shown]
    axes.legend(handles, shown, title="level", loc="lower right", fontsize=8)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def write_html(grades: Sequence[Grade], path: Path) -> None:
    """A one-page report: summary, the plot, every student's row, the problems."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("orderkit.classroom", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    graded = [g for g in grades if g.result is not None]
    rates = bug_rates(graded)
    page = environment.get_template("report.html").render(
        grades=grades,
        graded=len(graded),
        mean=sum(g.score or 0.0 for g in graded) / len(graded) if graded else 0.0,
        rates=rates,
        plot=plot_png(rates) if rates else None,
    )
    path.write_text(page, encoding="utf-8")


def write_report(grades: Sequence[Grade], out: Path) -> Path:
    """Write report.html into ``out`` (grades.csv is written row by row as grading goes)."""
    out.mkdir(parents=True, exist_ok=True)
    html_path = out / "report.html"
    write_html(grades, html_path)
    return html_path
