"""The JupyterLite site in Debian's Chromium, with every request beyond loopback blocked.

``make lite-test`` builds the site (``make lite``) and runs these tests with
``ORDERKIT_LITE_SITE=dist/lite``. Without that variable only the tests that need no built
site are collected, so ``pytest tests`` (``make unit``) never depends on a build it did not
ask for. The browser tests fail, never skip, when Chromium or the site is missing.

Every request the page, its workers or the service worker make goes through
:func:`_route`: anything not for 127.0.0.1 is aborted and recorded, and the ``browser``
fixture fails the session's last test if anything was. The site's ``jupyter-lite.json``
reaches the browser with ``exposeAppInBrowser`` set, so tests can ask the application
itself; the files on disk stay as published.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, ROOT


def _tool(name: str) -> Any:
    """A script of tools/lite/ as a module (tools/lite is a folder of scripts, no package)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / "lite" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


serving = _tool("serve").serving
site_notebooks = _tool("site_notebooks")  # what the site serves, and how it is changed

SITE_VARIABLE = "ORDERKIT_LITE_SITE"
ACTION_TIMEOUT = 30_000  # ms
NEEDS_SITE = ["test_site.py", "test_student_path.py", "test_lite_venv.py", "test_solutions.py"]
collect_ignore = [] if os.environ.get(SITE_VARIABLE) else NEEDS_SITE


@pytest.fixture(scope="session")
def site() -> Path:
    """The built site (``make lite``)."""
    path = (ROOT / os.environ[SITE_VARIABLE]).resolve()
    if not (path / "jupyter-lite.json").is_file():
        pytest.fail(f"{path} is not a built JupyterLite site: run make lite", pytrace=False)
    return path


@pytest.fixture(scope="session")
def base_url(site: Path) -> Iterator[str]:
    """The site, served on 127.0.0.1 for the whole session."""
    with serving(site) as url:
        yield url


@pytest.fixture(scope="session")
def outside_requests() -> list[str]:
    """Every request for anything but 127.0.0.1, aborted."""
    return []


@pytest.fixture(scope="session")
def browser(outside_requests: list[str]) -> Iterator[Browser]:
    """Debian's Chromium, headless; fails the run if any outside request was made."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found (apt-get install chromium)", pytrace=False)
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
        except PlaywrightError as error:
            pytest.fail(f"{CHROMIUM} did not start: {error.message}", pytrace=False)
        yield chromium
        chromium.close()


def _route(outside: list[str]) -> Callable[[Route], None]:
    def handle(route: Route) -> None:
        url = route.request.url
        if urlparse(url).hostname != "127.0.0.1":
            outside.append(url)
            route.abort("blockedbyclient")
        elif urlparse(url).path.endswith("/jupyter-lite.json"):
            response = route.fetch()
            config = response.json()
            config.setdefault("jupyter-config-data", {})["exposeAppInBrowser"] = True
            route.fulfill(response=response, json=config)
        else:
            route.continue_()

    return handle


@pytest.fixture
def context(browser: Browser, outside_requests: list[str]) -> Iterator[BrowserContext]:
    """A fresh browser profile (its own IndexedDB: no notebook saved by an earlier test)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    context.set_default_timeout(ACTION_TIMEOUT)
    context.route("**/*", _route(outside_requests))
    before = len(outside_requests)
    yield context
    # A request still being routed when the profile closes must not fail the test
    # (Playwright: "Response has been disposed"); what it asked for is recorded already.
    context.unroute_all(behavior="ignoreErrors")
    context.close()
    assert outside_requests[before:] == [], "the site asked for something beyond loopback"


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()
