"""Test lights: chosen tests re-run after every change of stock or orders, one light each.

A :class:`TestLights` widget watches services (or a stock panel) through their
``subscribe`` hooks. A moment after a change (a slider drag, a click, a call in code) it
runs its tests with pytest, in this process, the way ``%%ipytest`` does (the kit's own
pytest settings, quiet, no extra plugins), and shows one light per test: green, or red
with the failing line below it (the whole message on hover). Fixtures work as in
``%%ipytest``: those defined beside the tests, and pytest's own (``tmp_path``, ...).

Why in-process pytest rather than calling the functions: fixtures, ``parametrize`` and
pytest's assertion messages come for free, and the run is what a learner's ``%%ipytest``
cell would report.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import inspect
import io
import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Literal

import ipytest
import ipywidgets as widgets
import pytest

from orderkit.defaults import TEST_TIMEOUT
from orderkit.errors import OrderkitError
from orderkit.inventory import InventoryService
from orderkit.notebook import pytest_args
from orderkit.orders import OrderService
from orderkit.widgets import StockPanel

DEBOUNCE = 0.3
"""Seconds of quiet after a change before the tests run: a drag or key presses make one run."""

Colour = Literal["green", "red", "waiting"]
Watched = InventoryService | OrderService | StockPanel

_RUN_LOCK = threading.Lock()  # one in-process pytest session at a time (ipytest's module file)
_TEST_NAME = "test_light_{}"  # what the tests are called in the module pytest collects
_COLOURS = {"green": "#1a7f37", "red": "#cf222e", "waiting": "#8c959f"}


class LightsError(OrderkitError, ValueError):
    """TestLights were given something they cannot watch or run."""


@dataclass(frozen=True)
class Light:
    """What one test did on the last run."""

    label: str
    colour: Colour
    message: str = ""

    def __str__(self) -> str:
        line = f"● {self.colour:<5} {self.label}"
        return f"{line} - {self.message.splitlines()[0]}" if self.message else line


class TestLights(widgets.VBox):  # type: ignore[misc]  # ipywidgets is untyped (Any)
    """One light per test in ``tests``, re-run after each change of what ``watch`` holds.

    ``tests`` are test functions, plain or asking for fixtures (defined beside them, or
    pytest's own). ``watch`` is an :class:`InventoryService`, an :class:`OrderService` (its
    inventory too) or a :class:`StockPanel` (its services), or a list of them.

    In a notebook the tests run ``debounce`` seconds after the last change, in the kernel's
    own thread between cells, so a drag of a slider makes one run, not dozens. A change in
    code shows after the cell; call :meth:`flush` to run at once. Without an event loop (a
    script, a test) every change runs the tests at once. Changes made while the tests run
    (by the tests themselves, in any thread) never start another run, so tests that order
    from a watched inventory cannot set off an endless chain of runs. A test that raises,
    hangs (longer than ``timeout`` seconds, by default :data:`~orderkit.defaults.TEST_TIMEOUT`)
    or cannot be collected is a red light with the reason; nothing reaches the kernel.
    """

    __test__ = False  # a class called Test... in a notebook: not for pytest to collect
    # Class-level defaults, so close() (which Widget.__del__ calls) works on lights whose
    # __init__ refused its arguments.
    _pending: asyncio.TimerHandle | None = None
    _unsubscribe: Sequence[Callable[[], None]] = ()

    def __init__(
        self,
        tests: Sequence[Callable[..., object]],
        *,
        watch: Watched | Sequence[Watched],
        debounce: float = DEBOUNCE,
        timeout: float = TEST_TIMEOUT,
    ) -> None:
        self.tests = list(tests)
        self.labels = [_label(test) for test in self.tests]
        if not self.tests:
            raise LightsError("TestLights needs at least one test")
        duplicates = sorted({label for label in self.labels if self.labels.count(label) > 1})
        if duplicates:
            raise LightsError(f"two tests with the same name and fixtures: {duplicates}")
        self.debounce, self.timeout = debounce, timeout
        self.runs = 0  # how many times the tests have run
        self.lights = [Light(label, "waiting") for label in self.labels]
        self._rows = [widgets.HTML() for _ in self.tests]
        self.status = widgets.HTML()
        self._running = False
        self._loop = _running_loop()
        self._loop_thread = threading.get_ident()
        self._unsubscribe = [_subscribe(service, self._changed) for service in _services(watch)]
        super().__init__([*self._rows, self.status])
        self.run()

    def __repr__(self) -> str:
        return "\n".join(str(light) for light in self.lights)

    def _repr_mimebundle_(self, **kwargs: object) -> dict[str, object]:
        """The live widget, and every light as text (ipywidgets cuts text at 110 characters).

        The text is what a notebook shows before its kernel runs, and what nbval compares.
        """
        bundle: dict[str, object] = super()._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = repr(self)
        return bundle

    @property
    def colours(self) -> dict[str, Colour]:
        """Each test's label and the colour of its light."""
        return {light.label: light.colour for light in self.lights}

    def run(self) -> None:
        """Run the tests now and show what they did."""
        self._cancel_pending()
        with _RUN_LOCK:
            self._running = True
            try:
                self.lights = _run(self.tests, self.labels, self.timeout)
            finally:
                self._running = False
        self.runs += 1
        self._show()

    def flush(self) -> None:
        """Run the tests at once if a change is waiting for its run."""
        if self._pending is not None:
            self.run()

    def close(self) -> None:
        """Stop watching and close the widget."""
        self._cancel_pending()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        super().close()

    # -- scheduling --------------------------------------------------------------------
    def _changed(self, *_change: object) -> None:
        if self._running:  # a test of ours changed what we watch: not a reason to re-run
            return
        if self._loop is None or self._loop.is_closed():
            self.run()
            return
        if threading.get_ident() == self._loop_thread:
            self._schedule()
        else:  # a change made in another thread: the run still happens in the loop's
            self._loop.call_soon_threadsafe(self._schedule)

    def _schedule(self) -> None:
        self._cancel_pending()
        assert self._loop is not None
        self._pending = self._loop.call_later(self.debounce, self.run)

    def _cancel_pending(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
            self._pending = None

    # -- output ------------------------------------------------------------------------
    def _show(self) -> None:
        for row, light in zip(self._rows, self.lights, strict=True):
            row.value = _light_html(light)
        green = sum(light.colour == "green" for light in self.lights)
        self.status.value = (
            f'<span class="orderkit-lights-status">Run {self.runs}: {green} green, '
            f"{len(self.lights) - green} red</span>"
        )


def _light_html(light: Light) -> str:
    colour = _COLOURS[light.colour]
    message = html.escape(light.message)
    first = html.escape(light.message.splitlines()[0]) if light.message else ""
    return (
        f'<div class="orderkit-light orderkit-{light.colour}" title="{message}">'
        f'<span style="color: {colour}; font-size: 1.3em">●</span> '
        f"<code>{html.escape(light.label)}</code>"
        + (
            f'<div style="color: {colour}; margin-left: 1.6em"><code>{first}</code></div>'
            if first
            else ""
        )
        + "</div>"
    )


def _label(test: Callable[..., object]) -> str:
    if not callable(test) or not getattr(test, "__name__", "").startswith("test"):
        raise LightsError(f"not a test function (a function whose name starts with test): {test!r}")
    parameters = ", ".join(inspect.signature(test).parameters)
    return f"{test.__name__}({parameters})"


def _services(watch: Watched | Sequence[Watched]) -> list[InventoryService | OrderService]:
    """The services behind ``watch``, each once (an order service brings its inventory)."""
    found: list[InventoryService | OrderService] = []
    for item in watch if isinstance(watch, Sequence) else [watch]:
        if isinstance(item, StockPanel):
            candidates: list[InventoryService | OrderService] = [item.orders, item.inventory]
        elif isinstance(item, OrderService):
            candidates = [item, item.inventory]
        elif isinstance(item, InventoryService):
            candidates = [item]
        else:
            raise LightsError(
                "watch takes an InventoryService, an OrderService or a StockPanel, "
                f"not {type(item).__name__}"
            )
        found += [c for c in candidates if all(c is not f for f in found)]
    if not found:
        raise LightsError("TestLights need something to watch")
    return found


def _subscribe(
    service: InventoryService | OrderService, listener: Callable[..., None]
) -> Callable[[], None]:
    return service.subscribe(listener)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:  # no loop runs in this thread
        return None


# -- running the tests ---------------------------------------------------------------------
class _Recorder:
    """A pytest plugin that keeps the worst outcome of each test (a failed setup counts)."""

    def __init__(self) -> None:
        self.failures: dict[int, str] = {}
        self.passed: set[int] = set()
        self.stopped = ""  # why the session ended early (pytest.exit, Ctrl-C)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Iterator[None]:
        report: pytest.TestReport = yield  # type: ignore[assignment]
        index = _index(item)
        if report.failed:
            where = "" if report.when == "call" else f"in {report.when}: "
            self.failures.setdefault(index, where + _message(report))
        elif report.when == "call" and report.passed:
            self.passed.add(index)
        return report  # type: ignore[return-value]

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        self.stopped = f"the run was stopped: {type(excinfo.value).__name__}: {excinfo.value}"

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.failures.setdefault(-1, "could not collect: " + _message(report))


def _index(item: pytest.Item) -> int:
    name = getattr(item, "originalname", item.name)
    return int(name.rsplit("_", 1)[1])


def _message(report: pytest.TestReport | pytest.CollectReport) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return str(crash.message)
    lines = [line for line in str(report.longrepr).splitlines() if line.strip()]
    errors = [line for line in lines if line.lstrip().startswith("E ")]
    return (errors or lines or ["failed"])[-1].strip().removeprefix("E").strip()


def _fixtures(tests: Sequence[Callable[..., object]]) -> list[ModuleType]:
    """One plugin per namespace the tests were defined in, so pytest finds their fixtures.

    Fixtures of a registered plugin are visible to every test; pytest only reads fixture
    definitions from it (and hooks, hence no ``pytest_*`` names).
    """
    holders: dict[int, ModuleType] = {}
    for test in tests:
        namespace = getattr(test, "__globals__", {})
        if id(namespace) not in holders:
            holder = ModuleType("orderkit_lights_fixtures")
            vars(holder).update(
                {k: v for k, v in namespace.items() if not k.startswith(("pytest_", "__"))}
            )
            holders[id(namespace)] = holder
    return list(holders.values())


def _run(tests: Sequence[Callable[..., object]], labels: list[str], timeout: float) -> list[Light]:
    module = ModuleType("orderkit_lights")
    for index, test in enumerate(tests):
        setattr(module, _TEST_NAME.format(index), test)
    recorder = _Recorder()
    args = pytest_args()
    # pytest-timeout's signal method needs setitimer, which the browser (Pyodide) lacks.
    if threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer"):
        args += ["--timeout", str(timeout), "--timeout-method", "signal"]
    output = io.StringIO()
    try:
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            ipytest.run(
                *args,
                module=module,
                plugins=[recorder, *_fixtures(tests)],
                raise_on_error=False,
                addopts=[],
                run_in_thread=False,
            )
    except BaseException as error:  # a lights run must never end the kernel
        if isinstance(error, KeyboardInterrupt):
            reason = "interrupted"
        else:
            reason = f"the tests could not run: {type(error).__name__}: {error}"
        return [Light(label, "red", reason) for label in labels]
    collect_error = recorder.failures.get(-1)
    lights = []
    for index, label in enumerate(labels):
        if index in recorder.failures:
            lights.append(Light(label, "red", recorder.failures[index]))
        elif index in recorder.passed:
            lights.append(Light(label, "green"))
        else:
            reason = collect_error or recorder.stopped or "did not run"
            lights.append(Light(label, "red", reason))
    return lights


__all__ = ["DEBOUNCE", "Light", "LightsError", "TestLights"]
