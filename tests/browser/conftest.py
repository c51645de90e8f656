"""Real-browser fixtures: a throw-away JupyterLab and Debian's Chromium, one of each per module.

The server serves a temporary copy of ``notebooks/``, so runs never change the committed
notebooks. When a test fails, its screenshot, browser console and the server's log are saved
in ``test-results/browser/``. A missing or broken Chromium fails the tests; it never skips
them.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from tests.browser.lab_server import Lab, LabError, running_lab

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "test-results" / "browser"
CHROMIUM = Path(os.environ.get("ORDERKIT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",  # containers and CI run as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-dev-shm-usage",  # Docker's 64 MB /dev/shm crashes tabs otherwise
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ACTION_TIMEOUT = 30_000  # ms, for clicks and typing
# expect() waits 5 s by default: short for a round trip to a kernel on a busy machine.
expect.set_options(timeout=15_000)
# What a failing test's evidence comes from, kept on the test item by the page fixture
# (item.funcargs does not hold a fixture yet when a fixture built on it fails).
OPEN_PAGE = pytest.StashKey[tuple[Page, Lab, list[str]]]()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """A JupyterLab on 127.0.0.1 serving a fresh copy of notebooks/, for this module."""
    base = tmp_path_factory.mktemp("lab")
    root = base / "notebooks"
    shutil.copytree(ROOT / "notebooks", root, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    started = time.monotonic()
    try:
        with running_lab(base, root) as lab:
            print(f"\nJupyterLab ready in {time.monotonic() - started:.1f} s at {lab.url}")
            kernels = lab.api("GET", "/api/kernelspecs")["kernelspecs"]
            assert "python3" in kernels, f"the server finds no python3 kernel: {sorted(kernels)}"
            yield lab
    except LabError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: the browser tests need Debian's Chromium "
            "(apt-get install chromium) or ORDERKIT_CHROMIUM=/path/to/chromium",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
        except PlaywrightError as error:
            failure = error.message.split("\nCall log:")[0]  # the rest repeats the command
        else:
            yield chromium
            chromium.close()
            return
    pytest.fail(f"{CHROMIUM} did not start:\n{failure}", pytrace=False)


@pytest.fixture
def page(browser: Browser, lab: Lab, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A blank page in a new browser context; afterwards every kernel is shut down."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(ACTION_TIMEOUT)
    tab = context.new_page()
    console: list[str] = []
    request.node.stash[OPEN_PAGE] = (tab, lab, console)

    def remember(message: ConsoleMessage) -> None:
        console.append(f"[{message.type}] {message.text}")

    tab.on("console", remember)
    tab.on("pageerror", lambda error: console.append(f"[pageerror] {error}"))
    try:
        yield tab
    finally:
        context.close()
        lab.shut_down_kernels()


def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> None:
    """When a browser test fails, save what the browser showed while the page is still open."""
    if call.when == "teardown" or call.excinfo is None:
        return
    if call.excinfo.errisinstance(pytest.skip.Exception) or OPEN_PAGE not in item.stash:
        return
    page, lab, console = item.stash[OPEN_PAGE]
    if not page.is_closed():
        evidence = _save_evidence(item, page, lab, console)
        item.add_report_section(call.when, "browser evidence", evidence)


def _save_evidence(item: pytest.Item, page: Page, lab: Lab, console: list[str]) -> str:
    """Save a screenshot, the browser console and the server log; say where they are."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = RESULTS / re.sub(r"[^\w.-]+", "_", f"{item.path.stem}__{item.name}")
    notes = []
    try:
        page.screenshot(path=f"{stem}.png")
        Path(f"{stem}.html").write_text(page.content())
        notes.append(f"screenshot: {stem}.png, page: {stem}.html")
    except PlaywrightError as error:
        notes.append(f"no screenshot: {error.message.splitlines()[0]}")
    Path(f"{stem}.console.txt").write_text("".join(f"{line}\n" for line in console))
    notes.append(f"browser console ({len(console)} lines): {stem}.console.txt")
    shutil.copyfile(lab.log, f"{stem}.server.log")
    notes.append(f"server log: {stem}.server.log")
    return "\n".join(notes)
