"""The scoreboard: what ``check()`` found, drawn for a learner (ipywidgets 8).

It says the same as ``str(result)`` (the text form, which is also its ``text/plain``
repr, the part notebook validation compares), laid out for reading: the counts, a bar of
bugs caught, each test with its verdict, each bug. It never shows test or bug source, and
a bug's title only once a test has caught it (before that, its level and hint), unless the
teacher asked for titles (``check(..., show_titles=True)``).
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets

from orderkit.classroom.results import (
    ASSERTS_NOTHING,
    NO_TESTS,
    ChaffResult,
    CheckResult,
    TestVerdict,
    stopped_on,
)

# Colours from JupyterLab's theme (light or dark), with GitHub's as fallbacks.
_STYLE = """<style>
.orderkit-board {font-size: var(--jp-content-font-size1, 14px); line-height: 1.45;
  color: var(--jp-content-font-color1, #1f2328)}
.orderkit-board .ok-head {font-weight: 600; margin: 0 0 2px}
.orderkit-board h4 {margin: 10px 0 2px; font-size: 1em; font-weight: 600;
  color: var(--jp-content-font-color2, #57606a)}
.orderkit-board table {border-collapse: collapse}
.orderkit-board td, .orderkit-board th {padding: 2px 8px 2px 0; text-align: left;
  vertical-align: top}
.orderkit-board th {font-weight: normal; color: var(--jp-content-font-color2, #57606a)}
.orderkit-board td.mark {width: 1.2em; text-align: center; white-space: nowrap}
.orderkit-board code {white-space: nowrap}
.orderkit-board .caught, .orderkit-board .ok-valid {color: var(--jp-success-color1, #1a7f37)}
.orderkit-board .missed, .orderkit-board .ok-invalid {color: var(--jp-error-color1, #cf222e)}
.orderkit-board .ok-warn {color: var(--jp-warn-color1, #9a6700)}
.orderkit-board .ok-muted, .orderkit-board .ok-not-written {
  color: var(--jp-content-font-color2, #57606a)}
.orderkit-board .hint {color: var(--jp-content-font-color2, #57606a); font-style: italic}
.orderkit-board .level {font-size: 0.85em; padding: 0 6px; border-radius: 8px;
  border: 1px solid var(--jp-border-color1, #d0d7de); white-space: nowrap}
.orderkit-board .ok-small {font-size: 0.85em; color: var(--jp-content-font-color3, #6e7781);
  margin-top: 8px}
.orderkit-board .ok-error {border-left: 4px solid var(--jp-error-color1, #cf222e);
  padding: 4px 10px}
</style>"""

# A short name for each way a written test can be not valid; the verdict says why.
_NOT_VALID = {
    "fails": "not valid",
    "hangs": "not valid: hangs",
    "flaky": "not valid: flaky",
    "unspecified": "not valid: relies on an unspecified detail",
    "skipped": "not valid: skipped",
}


class Scoreboard(widgets.VBox):
    """Shows a :class:`CheckResult`: never test or chaff source, only titles and hints."""

    def __init__(self, result: CheckResult) -> None:
        self.result = result
        super().__init__(_children(result))
        self.add_class("orderkit-scoreboard")

    def __repr__(self) -> str:
        return str(self.result)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        # ipywidgets cuts text/plain to 110 characters; the whole scoreboard is the point
        # (and what notebook validation compares).
        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, dict) and "text/plain" in bundle:
            bundle["text/plain"] = str(self.result)
        return bundle


def show_scoreboards(shell: Any) -> None:
    """Draw a :class:`CheckResult` that is a cell's value as a :class:`Scoreboard`.

    Registered on IPython's display formatter (calling it again changes nothing), so
    the result type needs no import of this module.
    """
    shell.display_formatter.mimebundle_formatter.for_type(CheckResult, _bundle)


def _bundle(result: CheckResult) -> Any:
    return Scoreboard(result)._repr_mimebundle_()


def _children(result: CheckResult) -> list[widgets.Widget]:
    if result.error:
        return [_html(f'<div class="ok-error">{_e(result.summary())}</div>', style=True)]
    if result.skipped_grading:
        return [_html(f'<div class="ok-muted">{_e(result.summary())}</div>', style=True)]
    total = len(result.chaffs)
    bar = widgets.IntProgress(
        value=result.caught,
        min=0,
        max=max(total, 1),
        description=f"Bugs caught: {result.caught} of {total}",
        bar_style="success" if total and result.caught == total else "info",
        style={"description_width": "initial"},  # the default 80 px cuts the label
        layout=widgets.Layout(width="min(100%, 520px)"),
    )
    parts = [_head_html(result), _tests_html(result), _bugs_html(result)]
    small = [_html(_small_html(result))] if result.isolation else []
    return [_html(parts[0], style=True), bar, _html("".join(parts[1:])), *small]


def _html(body: str, *, style: bool = False) -> widgets.HTML:
    # The style sheet once per scoreboard is enough: it applies to the whole page.
    return widgets.HTML(f'{_STYLE if style else ""}<div class="orderkit-board">{body}</div>')


def _e(text: str) -> str:
    return html.escape(text, quote=False)


def _head_html(result: CheckResult) -> str:
    counts = ", ".join(
        f'<span class="ok-{kind if result.valid or kind != "valid" else "muted"}">{_e(text)}</span>'
        for kind, text in result.summary_counts()
    )
    return f'<div class="ok-head">{counts}; {_e(result.summary_caught())}</div>'


def _tests_html(result: CheckResult) -> str:
    stopped = result.stopped_on_bugs()
    rows = [_test_row(verdict, stopped.get(verdict.name, 0)) for verdict in result.verdicts]
    rows += [
        _row("⚠", "ok-invalid", what, f"could not collect {_e(what)}: {_e(why)}", named=False)
        for what, why in result.uncollected
    ]
    if not rows:
        rows.append(f'<tr><td class="mark ok-muted">·</td><td>{_e(NO_TESTS)}</td></tr>')
    return f'<h4>Your tests</h4><table class="orderkit-tests">{"".join(rows)}</table>'


def _test_row(verdict: TestVerdict, stopped_on_bugs: int) -> str:
    if verdict.status == "not-written":
        return _row("○", "ok-not-written", verdict.name, "not written yet")
    if not verdict.valid:
        tag = _NOT_VALID.get(verdict.status, "not valid")
        return _row("✘", "ok-invalid", verdict.name, f"<b>{tag}</b>: {_e(verdict.message)}")
    notes = ["valid"]
    if not verdict.asserts:
        notes.append(f"but it asserts nothing: {ASSERTS_NOTHING}")
    if stopped_on_bugs:
        notes.append(_e(stopped_on(stopped_on_bugs)))
    css = "ok-valid" if verdict.asserts else "ok-warn"
    return _row("✔" if verdict.asserts else "?", css, verdict.name, ", ".join(notes))


def _row(mark: str, css: str, name: str, note: str, *, named: bool = True) -> str:
    who = f"<code>{_e(name)}</code> " if named else ""
    cells = f'<td class="mark {css}">{mark}</td><td>{who}<span class="{css}">{note}</span></td>'
    return f"<tr>{cells}</tr>"


def _bugs_html(result: CheckResult) -> str:
    if not result.chaffs:
        return ""
    rows = [_bug_row(chaff, result.show_titles) for chaff in result.chaffs]
    head = "<tr><th></th><th>bug</th><th>level</th></tr>"
    return f'<h4>Bugs to catch</h4><table class="orderkit-score">{head}{"".join(rows)}</table>'


def _bug_row(chaff: ChaffResult, show_titles: bool) -> str:
    if chaff.caught:
        mark = '<span class="caught">✔ caught</span>'
        by = ", ".join(f"<code>{_e(test)}</code>" for test in chaff.caught_by)
        what = f'{_e(chaff.title)}<br><span class="ok-muted">caught by {by}</span>'
    else:
        mark = '<span class="missed">✘ not yet</span>'
        title = _e(chaff.title) if show_titles else f"A {_e(chaff.level)} bug"
        what = f'{title}<br><span class="hint">Hint: {_e(chaff.hint)}</span>'
    level = f'<span class="level">{_e(chaff.level)}</span>'
    return f"<tr><td>{mark}</td><td>{what}</td><td>{level}</td></tr>"


def _small_html(result: CheckResult) -> str:
    return f'<div class="ok-small">Isolation: {_e(result.isolation)}</div>'
