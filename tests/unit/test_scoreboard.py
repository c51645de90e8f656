"""The scoreboard drawn from hand-built results: every state a learner meets, HTML and text.

``STATES`` (nothing written yet, part way, everything caught) are also what the browser
test draws in a real JupyterLab.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser

import ipywidgets as widgets
import pytest
from IPython.core.formatters import DisplayFormatter

from orderkit.classroom.grading import results
from orderkit.classroom.grading.results import FLAKY, ChaffResult, CheckResult, from_data, to_data
from orderkit.classroom.notebook.scoreboard import Scoreboard, show_scoreboards

Verdict = results.Verdict  # imported under its own name, pytest would try to collect it

TESTS = (
    "test_check_stock_returns_the_opening_stock",
    "test_taking_exactly_what_is_left_empties_the_item",
    "test_taking_too_much_raises_insufficient_stock",
    "test_restock_adds_to_the_stock_already_there",
    "test_set_stock_refuses_a_negative_level",
    "test_an_order_takes_the_quantity_asked_for",
)
BUGS = (  # name, title, hint: four of the kit's unit-level bugs
    (
        "off-by-one",
        "Ordering exactly the stock that is left is refused",
        "Boundaries: what should happen when an order asks for exactly what is left?",
    ),
    (
        "quantity-ignored",
        "An order always takes one unit, whatever the quantity",
        "Order more than one unit: how much stock should be gone?",
    ),
    (
        "restock-replaces",
        "Restocking replaces the stock instead of adding to it",
        "Restock an item that still has stock: what total do you expect?",
    ),
    (
        "negative-stock",
        "set_stock accepts a negative level",
        "Which stock levels are valid? Test the edge just below the smallest one.",
    ),
)
ISOLATION = "each run in its own forked process, working folder and temporary folder"
HANGS = "this test ran for more than 10 s on the correct code and was stopped"
STOPPED = "ran for more than the time limit on one of the bugs and was stopped"
NOT_COLLECTED = "could not collect TestOrders: cannot collect test class because it has a __init__"
Caught = dict[str, tuple[str, ...]]  # bug name: the valid tests that caught it


def _bugs(caught: Caught, hung: Caught) -> tuple[ChaffResult, ...]:
    return tuple(
        ChaffResult(name, title, "unit", hint, caught.get(name, ()), hung.get(name, ()))
        for name, title, hint in BUGS
    )


def _not_written(*names: str) -> tuple[Verdict, ...]:
    return tuple(Verdict(n, "not-written", "raises NotImplementedError") for n in names)


START = CheckResult(
    verdicts=_not_written(*TESTS), chaffs=_bugs({}, {}), isolation=ISOLATION, exercise="unit-tests"
)
PART_WAY = CheckResult(
    verdicts=(
        Verdict(TESTS[0], "valid", asserts=False),
        Verdict(TESTS[1], "valid"),
        Verdict(TESTS[2], "fails", "fails on correct code: AssertionError: assert 10 == 9"),
        Verdict(TESTS[3], "hangs", HANGS),
        Verdict(TESTS[4], "flaky", FLAKY),
        *_not_written(TESTS[5]),
    ),
    chaffs=_bugs({"off-by-one": (TESTS[1],)}, {"off-by-one": (TESTS[1],)}),
    uncollected=(("TestOrders", "cannot collect test class because it has a __init__"),),
    isolation=ISOLATION,
    exercise="unit-tests",
)
ALL_CAUGHT = CheckResult(
    verdicts=tuple(Verdict(name, "valid") for name in TESTS),
    chaffs=_bugs(
        {
            "off-by-one": (TESTS[1],),
            "quantity-ignored": (TESTS[5],),
            "restock-replaces": (TESTS[3],),
            "negative-stock": (TESTS[4], TESTS[5]),
        },
        {},
    ),
    isolation=ISOLATION,
    exercise="unit-tests",
)
STATES = {"start": START, "part-way": PART_WAY, "all-caught": ALL_CAUGHT}


class _Text(HTMLParser):
    """What a reader sees of some HTML: its text, without style sheets."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: object) -> None:
        self._in_style = self._in_style or tag == "style"
        if tag in ("div", "tr", "br", "h4"):
            self.parts.append("\n")
        elif tag == "td":
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        self._in_style = self._in_style and tag != "style"

    def handle_data(self, data: str) -> None:
        if not self._in_style:
            self.parts.append(data)


def _html(board: Scoreboard) -> str:
    return "".join(c.value for c in board.children if isinstance(c, widgets.HTML))


def _text(board: Scoreboard) -> str:
    parser = _Text()
    parser.feed(_html(board))
    return re.sub(r" *\n\s*", "\n", re.sub(r" +", " ", "".join(parser.parts))).strip()


def _bar(board: Scoreboard) -> widgets.IntProgress:
    [bar] = [c for c in board.children if isinstance(c, widgets.IntProgress)]
    return bar


_DRAWN: list[Scoreboard] = []


def _board(result: CheckResult) -> Scoreboard:
    _DRAWN.append(Scoreboard(result))
    return _DRAWN[-1]


@pytest.fixture(autouse=True)
def _close_boards() -> Iterator[None]:
    yield
    while _DRAWN:
        _DRAWN.pop().close()


@pytest.mark.parametrize("result", STATES.values(), ids=STATES.keys())
def test_the_first_line_is_the_summary_and_the_plain_text_is_the_text_form(
    result: CheckResult,
) -> None:
    board = _board(result)

    assert _text(board).splitlines()[0] == result.summary()
    assert repr(board) == str(result)
    assert board._repr_mimebundle_()["text/plain"] == str(result)


@pytest.mark.parametrize("result", STATES.values(), ids=STATES.keys())
def test_the_progress_label_is_whole(result: CheckResult) -> None:
    bar = _bar(_board(result))

    assert bar.description == f"Bugs caught: {result.caught} of {len(result.chaffs)}"
    assert bar.style.description_width == "initial"
    assert (bar.value, bar.max) == (result.caught, len(result.chaffs))


def test_at_the_start_every_test_is_not_written_yet_and_only_hints_show() -> None:
    board = _board(START)
    text = _text(board)

    assert text.splitlines()[0] == "0 valid tests, 6 not written yet; caught 0 of 4 bugs"
    assert "not valid" not in text
    for name in TESTS:
        assert f"{name} not written yet" in text
    for _, title, hint in BUGS:
        assert title not in _html(board)
        assert title not in str(START)
        assert f"A unit bug\nHint: {hint}" in text
        assert f"a unit bug; hint: {hint}" in str(START)
    assert _bar(board).bar_style == "info"


def test_part_way_each_test_says_valid_or_why_not_in_plain_words() -> None:
    text = _text(_board(PART_WAY))

    summary = "2 valid tests, 3 not valid, 1 not written yet; caught 1 of 4 bugs"
    assert text.splitlines()[0] == summary
    assert f"{TESTS[0]} valid, but it asserts nothing: it can only catch crashes" in text
    assert f"{TESTS[1]} valid, {STOPPED}" in text
    assert f"{TESTS[2]} not valid: fails on correct code: AssertionError: assert 10 == 9" in text
    assert f"{TESTS[3]} not valid: hangs: {HANGS}" in text
    assert f"{TESTS[4]} not valid: flaky: {FLAKY}" in text
    assert f"{TESTS[5]} not written yet" in text
    assert NOT_COLLECTED in text
    assert "Timeout" not in text


def test_the_text_form_says_what_the_scoreboard_says() -> None:
    text = str(PART_WAY)

    assert f"{TESTS[0]} asserts nothing: it can only catch crashes" in text
    assert f"{TESTS[1]} {STOPPED}" in text
    assert f"{TESTS[3]}: {HANGS}" in text
    assert NOT_COLLECTED in text
    assert f"[x] {BUGS[0][1]} (unit): caught by {TESTS[1]}" in text


def test_a_bug_shows_its_title_once_caught_and_only_its_hint_before() -> None:
    board = _board(PART_WAY)
    page = _html(board)

    assert f"{BUGS[0][1]}\ncaught by {TESTS[1]}" in _text(board)
    assert BUGS[0][2] not in page  # a caught bug needs no hint
    for _, title, hint in BUGS[1:]:
        assert title not in page
        assert hint in page
    assert page.count('class="caught"') == 1
    assert page.count('class="missed"') == 3


def test_a_teacher_can_show_every_title_from_the_start() -> None:
    result = CheckResult(verdicts=START.verdicts, chaffs=START.chaffs, show_titles=True)

    text = _text(_board(result))

    for _, title, hint in BUGS:
        assert f"{title}\nHint: {hint}" in text
        assert f"{title} (unit); hint: {hint}" in str(result)


def test_everything_caught_shows_every_title_a_full_green_bar_and_no_hints() -> None:
    board = _board(ALL_CAUGHT)
    text = _text(board)

    assert text.splitlines()[0] == "6 valid tests; caught 4 of 4 bugs"
    assert _bar(board).bar_style == "success"
    assert all(title in text for _, title, _ in BUGS)
    assert not any(hint in text for _, _, hint in BUGS)
    assert "Hint" not in text
    assert f"caught by {TESTS[4]}, {TESTS[5]}" in text


def test_isolation_is_small_print_at_the_end() -> None:
    board = _board(START)

    assert _text(board).endswith(f"Isolation: {ISOLATION}")
    assert f'<div class="ok-small">Isolation: {ISOLATION}</div>' in _html(board)


def test_a_grader_failure_is_said_as_such_and_nothing_else() -> None:
    result = CheckResult(exercise="unit-tests", error="RuntimeError: the sandbox did not start")

    board = _board(result)

    expected = "The grader itself failed (not your tests): RuntimeError: the sandbox did not start"
    assert _text(board) == expected
    assert str(result) == expected
    assert [type(c) for c in board.children] == [widgets.HTML]


def test_a_call_that_did_not_grade_says_so_in_a_short_note() -> None:
    result = CheckResult(skipped_grading="check() grades nothing here: the batch grader will")

    board = _board(result)

    assert _text(board) == "check() grades nothing here: the batch grader will"
    assert str(result) == "check() grades nothing here: the batch grader will"
    assert [type(c) for c in board.children] == [widgets.HTML]


def test_no_tests_at_all_says_how_to_write_one() -> None:
    result = CheckResult(chaffs=START.chaffs)

    text = _text(_board(result))

    assert "no tests found: define functions named test_... in a code cell" in text
    assert "no tests found" in str(result)


def test_names_and_messages_are_shown_as_text_never_as_markup() -> None:
    result = CheckResult(
        verdicts=(Verdict("test_x", "fails", "fails on correct code: <b>AssertionError</b>"),),
        chaffs=(ChaffResult("c", "A <i>title</i>", "unit", "Try <script>", ()),),
    )

    page = _html(_board(result))

    assert "&lt;b&gt;AssertionError&lt;/b&gt;" in page
    assert "Try &lt;script&gt;" in page
    assert "<script>" not in page


def test_a_result_read_back_from_json_draws_the_same() -> None:
    assert _html(_board(from_data(to_data(PART_WAY)))) == _html(_board(PART_WAY))


def test_a_result_as_a_cells_value_is_drawn_as_a_scoreboard() -> None:
    class Shell:
        display_formatter = DisplayFormatter()

    show_scoreboards(Shell)
    show_scoreboards(Shell)  # twice changes nothing

    data, _ = Shell.display_formatter.format(PART_WAY)

    assert data["text/plain"] == str(PART_WAY)
    assert "application/vnd.jupyter.widget-view+json" in data


def test_a_parametrized_test_not_written_yet_is_listed_once() -> None:
    names = [f"test_refuses_a_quantity[{q}]" for q in (0, -1, -3)]
    result = CheckResult(verdicts=_not_written(*names, "test_later"))

    assert result.not_written == ("test_refuses_a_quantity", "test_later")
    assert result.summary().startswith("0 valid tests, 2 not written yet")
    assert str(result).count("test_refuses_a_quantity is not written yet") == 1
    assert _html(_board(result)).count("test_refuses_a_quantity") == 1


def test_hidden_bugs_are_counted_never_named_and_an_integration_bug_has_its_article() -> None:
    chaffs = (
        ChaffResult("a", "Secret title", "unit", "secret hint", ("test_x",), private=True),
        ChaffResult("b", "Other secret", "unit", "other hint", (), private=True),
        ChaffResult("c", "Public title", "integration", "public hint", ()),
    )
    result = CheckResult(verdicts=(Verdict("test_x", "valid"),), chaffs=chaffs)

    for shown in (str(result), _html(_board(result))):
        assert "hidden bugs: 1 of 2 caught" in shown
        assert "secret" not in shown.lower()
        assert "n integration bug" in shown


def test_the_weighted_score_counts_each_bug_by_its_weight() -> None:
    chaffs = (
        ChaffResult("a", "A", "unit", "h", ("test_x",), weight=3.0),
        ChaffResult("b", "B", "unit", "h", ()),
    )
    result = CheckResult(chaffs=chaffs)

    assert result.score == 0.5
    assert result.weighted_score == 0.75
    assert CheckResult().weighted_score == 0.0
