"""The feedback widget: caught or missed per bug, hints for the missed ones (ipywidgets 8)."""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets

from orderkit.classroom.results import CheckResult

_STYLE = """<style>
.orderkit-score td, .orderkit-score th {padding: 2px 8px; text-align: left}
.orderkit-score .caught {color: #1a7f37} .orderkit-score .missed {color: #cf222e}
.orderkit-score .hint {color: #57606a; font-style: italic}
</style>"""


class Scoreboard(widgets.VBox):
    """Shows a :class:`CheckResult`: never test or chaff source, only titles and hints."""

    def __init__(self, result: CheckResult) -> None:
        self.result = result
        bar = widgets.IntProgress(
            value=result.caught,
            min=0,
            max=max(len(result.chaffs), 1),
            description="Bugs caught",
            bar_style="success" if result.chaffs and result.score == 1.0 else "info",
        )
        super().__init__(
            [
                widgets.HTML(f"<b>{html.escape(result.summary())}</b>"),
                bar,
                widgets.HTML(_STYLE + _problems_html(result) + _table_html(result)),
            ]
        )

    def __repr__(self) -> str:
        return str(self.result)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        # ipywidgets cuts text/plain to 110 characters; the whole scoreboard is the point
        # (and what notebook validation compares).
        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict) and "text/plain" in bundle:
            bundle["text/plain"] = str(self.result)
        return bundle


def _problems_html(result: CheckResult) -> str:
    items = [
        f"<li>⚠ <code>{html.escape(test)}</code> fails on correct code: {html.escape(message)}</li>"
        for test, message in result.invalid.items()
    ]
    items += [
        f"<li><code>{html.escape(test)}</code> is not written yet</li>"
        for test in result.not_written
    ]
    items += [
        f"<li><code>{html.escape(test)}</code> was cut off (too slow) on one bug</li>"
        for test, _ in result.timeouts
    ]
    if not result.tests:
        items.append("<li>No tests found: define functions named <code>test_...</code></li>")
    return f"<ul>{''.join(items)}</ul>" if items else ""


def _table_html(result: CheckResult) -> str:
    rows = []
    for chaff in result.chaffs:
        if chaff.caught:
            status, note = '<span class="caught">✔ caught</span>', ""
        else:
            status = '<span class="missed">✘ missed</span>'
            note = f'<br><span class="hint">Hint: {html.escape(chaff.hint)}</span>'
        rows.append(
            f"<tr><td>{status}</td><td>{html.escape(chaff.title)}{note}</td>"
            f"<td>{chaff.level}</td></tr>"
        )
    head = "<tr><th></th><th>bug</th><th>level</th></tr>"
    return f'<table class="orderkit-score">{head}{"".join(rows)}</table>'
