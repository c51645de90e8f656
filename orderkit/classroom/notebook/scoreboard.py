"""The scoreboard: what ``check()`` found, drawn for a learner (ipywidgets 8).

It says the same as ``str(result)`` (the text form, which is also its ``text/plain``
repr, the part notebook validation compares), laid out for reading: the counts, a bar of
bugs caught, each test with its verdict, each bug. It never shows test or bug source, and
a bug's title only once a test has caught it (before that, its level and hint), unless the
teacher asked for titles (``check(..., show_titles=True)``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from orderkit.classroom.grading.results import (
    ASSERTS_NOTHING,
    FEEDBACK_ONLY,
    HINTS_HEAD,
    NO_TESTS,
    ChaffResult,
    CheckResult,
    Verdict,
    a_bug,
    stopped_on,
)

# Colours from JupyterLab's theme (light or dark), with GitHub's as fallbacks.
_STYLE = """<style>
.orderkit-board {font-size: var(--jp-content-font-size1, 14px); line-height: 1.45; overflow-x: auto;
  color: var(--jp-content-font-color1, #1f2328)}
.orderkit-board .ok-head {font-weight: 600; margin: 0 0 2px}
.orderkit-board h4 {margin: 10px 0 2px; font-size: 1em; font-weight: 600;
  color: var(--jp-content-font-color2, #57606a)}
.orderkit-board table {border-collapse: collapse}
.orderkit-board td {padding: 2px 8px 2px 0; text-align: left;
  vertical-align: top}
.orderkit-board .mark {flex: 0 0 1.6em; text-align: center; white-space: nowrap}
.orderkit-board code {overflow-wrap: anywhere}
.orderkit-board .orderkit-score td:first-child {white-space: nowrap}
.orderkit-board .ok-test {display: flex; flex-wrap: wrap; align-items: baseline; margin: 2px 0}
.orderkit-board .ok-test > span:not(.mark) {flex: 1 1 0}
.orderkit-board .ok-test .name {flex: 0 1 auto; min-width: 0; overflow-wrap: anywhere;
  white-space: normal}
.orderkit-board .ok-test > span.note {flex-grow: 1; padding-left: 1.6em}
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

_NOTE_BESIDE = 30  # characters a verdict beside a name needs at least, else it goes under

# A short name for each way a written test can be not valid; the verdict says why.
_NOT_VALID = {
    "fails": "not valid",
    "hangs": "not valid: hangs",
    "flaky": "not valid: flaky",
    "unspecified": "not valid: relies on an unspecified detail",
    "skipped": "not valid: skipped",
    "inspects": "not valid: looks at the kit's code",
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
    parts = [_head_html(result), _tests_html(result), _bugs_html(result), _hints_html(result)]
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
    width = max((len(v.name) for v in result.listed()), default=0)
    rows = [_test_row(v, stopped.get(v.name, 0), width) for v in result.listed()]
    rows += [
        _line("⚠", "ok-invalid", f"could not collect <code>{_e(what)}</code>:", _e(why))
        for what, why in result.uncollected
    ]
    if not rows:
        rows.append(_line("·", "ok-muted", _e(NO_TESTS)))
    return f'<h4>Your tests</h4><div class="orderkit-tests">{"".join(rows)}</div>'


def _test_row(verdict: Verdict, stopped_on_bugs: int, width: int) -> str:
    """Mark, name, then the verdict: a coloured tag and, in plain colour, why."""
    row = _row(width)
    if verdict.status == "not-written":
        return row("○", "ok-not-written", verdict.name, "not written yet")
    if not verdict.valid:
        tag = _NOT_VALID.get(verdict.status, "not valid")
        return row("✘", "ok-invalid", verdict.name, f"<b>{tag}</b>:", _e(verdict.message))
    notes = []
    if stopped_on_bugs:
        notes.append(_e(stopped_on(stopped_on_bugs)))
    if not verdict.asserts:
        why = ", ".join([ASSERTS_NOTHING, *notes])
        return row("?", "ok-warn", verdict.name, "valid, but it asserts nothing:", why)
    return row("✔", "ok-valid", verdict.name, "valid," if notes else "valid", ", ".join(notes))


def _row(width: int) -> Callable[..., str]:
    """Rows whose names take ``width`` characters: the verdicts line up beside them while
    the board is wide enough, and go under the name when it is not."""

    def row(mark: str, css: str, name: str, tag: str, why: str = "") -> str:
        # A short verdict stays beside the name; a long one goes under it sooner.
        note = min(len(tag) + len(why), _NOTE_BESIDE)
        return (
            f'<div class="ok-test"><span class="mark {css}">{mark}</span> '
            f'<code class="name" style="flex-basis: {width}ch">{_e(name)}</code> '
            f'<span class="note" style="flex-basis: {note}ch">'
            f'<span class="{css}">{tag}</span> {why}</span></div>'
        )

    return row


def _line(mark: str, css: str, tag: str, why: str = "") -> str:
    """A row that is one sentence, not about one test."""
    said = f'<span class="{css}">{tag}</span> {why}'
    return f'<div class="ok-test"><span class="mark {css}">{mark}</span> <span>{said}</span></div>'


def _bugs_html(result: CheckResult) -> str:
    if not result.chaffs:
        return ""
    rows = [_bug_row(chaff, result.show_titles) for chaff in result.chaffs if not chaff.private]
    if result.hidden:  # private bugs: how many, never which
        rows.append(f"<tr><td></td><td>{_e(result.hidden_summary())}</td><td></td></tr>")
    return f'<h4>Bugs to catch</h4><table class="orderkit-score">{"".join(rows)}</table>'


_CODE = re.compile(r"`([^`]*)`")
_AS_CODE = r"<code>\1</code>"


def _hints_html(result: CheckResult) -> str:
    """The coverage hints (only once every test is valid), code in backquotes as code."""
    if result.hints_note and not result.hints:
        return f'<div class="ok-muted">{_e(result.hints_note)}</div>'
    if not result.hints:
        return ""
    items = "".join(f"<li>{_CODE.sub(_AS_CODE, _e(hint))}</li>" for hint in result.hints)
    return f"<h4>{_e(HINTS_HEAD)}</h4><ul>{items}</ul>"


def _bug_row(chaff: ChaffResult, show_titles: bool) -> str:
    if chaff.caught:
        mark = '<span class="caught">✔ caught</span>'
        by = ", ".join(f"<code>{_e(test)}</code>" for test in chaff.caught_by)
        what = f'{_e(chaff.title)}<br><span class="ok-muted">caught by {by}</span>'
    else:
        mark = '<span class="missed">✘ not yet</span>'
        title = _e(chaff.title) if show_titles else _e(a_bug(chaff.level, capital=True))
        what = f'{title}<br><span class="hint">Hint: {_e(chaff.hint)}</span>'
    level = f'<span class="level">{_e(chaff.level)}</span>'
    return f"<tr><td>{mark}</td><td>{what}</td><td>{level}</td></tr>"


def _small_html(result: CheckResult) -> str:
    return (
        f'<div class="ok-small">{_e(FEEDBACK_ONLY)}</div>'
        f'<div class="ok-small">Isolation: {_e(result.isolation)}</div>'
    )
