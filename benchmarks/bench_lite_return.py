"""A student returns to the browser course with four lessons open: wait and memory.

Needs the built site (``make lite``) and Debian's Chromium. Run::

    python benchmarks/bench_lite_return.py [--runs 1] [--json]

In one fresh browser profile per variant, four lessons are opened (each starts its kernel),
then the page is loaded again as a student returning to it: JupyterLite restores the four
tabs. Measured from that load: seconds until the tab in front answers a first cell, and the
memory of the browser's processes (proportional set size, all of Chromium's processes) once
the kernels that start have started. Two variants of the same site, in the same run:

* ``stock``: every restored notebook starts its kernel at once, as JupyterLite does (the
  site's ``orderkit-lite:defer-restored-kernels`` plugin switched off for the run);
* ``site``: the site as built, where only the tab in front starts its kernel.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, Route, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

LESSONS = [
    "notebooks/01-meet-the-services.ipynb",
    "notebooks/02-first-unit-tests.ipynb",
    "notebooks/03-test-doubles.ipynb",
    "notebooks/04-integration-tests.ipynb",
]
DEFER_PLUGIN = "orderkit-lite:defer-restored-kernels"
WITHIN = 240_000  # ms

_RUNNING_IDLE = """async (count) => {
    const app = window.jupyterapp;
    if (!app) return false;
    await app.serviceManager.kernels.refreshRunning();
    const running = Array.from(app.serviceManager.kernels.running());
    const connections = app.shell.currentWidget && app.shell.currentWidget.sessionContext;
    const panels = Array.from(app.shell.widgets('main')).filter((w) => w.sessionContext);
    const idle = panels.filter((p) => p.sessionContext.session
        && p.sessionContext.session.kernel
        && p.sessionContext.session.kernel.status === 'idle').length;
    return running.length === count && idle === count && !!connections;
}"""

_FIRST_CELL = """async () => {
    const app = window.jupyterapp;
    const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    for (;;) {
        const panel = app.shell.currentWidget;
        const kernel = panel && panel.sessionContext && panel.sessionContext.session
            && panel.sessionContext.session.kernel;
        if (kernel && kernel.status === 'idle') {
            await kernel.requestExecute({code: '6 * 7'}).done;
            return panel.context.path;
        }
        await wait(100);
    }
}"""

_OPEN = "(path) => window.jupyterapp.commands.execute('docmanager:open', {path})"
_TABS = "() => Array.from(window.jupyterapp.shell.widgets('main')).length"
_KERNELS = """async () => {
    await window.jupyterapp.serviceManager.kernels.refreshRunning();
    return Array.from(window.jupyterapp.serviceManager.kernels.running()).length;
}"""


def _serving() -> Any:
    spec = importlib.util.spec_from_file_location("serve", ROOT / "tools" / "lite" / "serve.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.serving


def _descendants(root: int) -> list[int]:
    """Every process below ``root``, read from ``/proc`` (Linux)."""
    parents: dict[int, int] = {}
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parents[int(entry)] = int(stat.rpartition(")")[2].split()[1])
    found, frontier = [], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def _browser_memory() -> float:
    """MB: proportional set size of every Chromium process this run started."""
    total = 0
    for pid in _descendants(os.getpid()):
        try:
            if "chrom" not in Path(f"/proc/{pid}/comm").read_text():
                continue
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        pss = [line for line in rollup.splitlines() if line.startswith("Pss:")]
        total += sum(int(line.split()[1]) for line in pss)  # kB
    return total * 1024 / 1e6


def _route(disabled: list[str]) -> Any:
    def handle(route: Route) -> None:
        url = route.request.url
        if "127.0.0.1" not in url:
            route.abort("blockedbyclient")
        elif url.split("?")[0].endswith("/jupyter-lite.json"):
            response = route.fetch()
            config = response.json()
            data = config.setdefault("jupyter-config-data", {})
            data["exposeAppInBrowser"] = True
            if disabled:
                data["disabledExtensions"] = [*data.get("disabledExtensions", []), *disabled]
            route.fulfill(response=response, json=config)
        else:
            route.continue_()

    return handle


def _wait(page: Page, script: str, arg: Any = None) -> None:
    page.wait_for_function(script, arg=arg, timeout=WITHIN, polling=250)


def one_return(browser: Browser, base_url: str, *, defer: bool) -> dict[str, float]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.route("**/*", _route([] if defer else [DEFER_PLUGIN]))
    page = context.new_page()
    page.goto(f"{base_url}lab/index.html?path={LESSONS[0]}")
    for path in LESSONS[1:]:
        _wait(page, "() => !!window.jupyterapp && !!window.jupyterapp.shell.currentWidget")
        page.evaluate(_OPEN, path)
    _wait(page, _RUNNING_IDLE, len(LESSONS))
    page.wait_for_timeout(2_000)  # the workspace is saved on a short debounce
    page.close()

    returning = context.new_page()
    started = time.monotonic()
    returning.goto(f"{base_url}lab/index.html")
    returning.wait_for_function(
        "() => !!window.jupyterapp && !!window.jupyterapp.shell.currentWidget", timeout=WITHIN
    )
    returning.evaluate(_FIRST_CELL)
    first_cell = time.monotonic() - started
    expected = 1 if defer else len(LESSONS)
    _wait(returning, _RUNNING_IDLE, expected)
    settled = time.monotonic() - started
    returning.wait_for_timeout(3_000)
    figures = {
        "first_cell_s": first_cell,
        "all_started_s": settled,
        "tabs": float(returning.evaluate(_TABS)),
        "kernels": float(returning.evaluate(_KERNELS)),
        "memory_mb": _browser_memory(),
    }
    context.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--site", type=Path, default=ROOT / "dist" / "lite")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = {"stock": [], "site": []}
    with _serving()(args.site) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        for _ in range(args.runs):
            for name, defer in (("stock", False), ("site", True)):
                results[name].append(one_return(browser, base_url, defer=defer))
        browser.close()
    summary = {
        name: {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        for name, runs in results.items()
    }
    summary["ratio"] = {
        key: summary["site"][key] / summary["stock"][key] for key in ("first_cell_s", "memory_mb")
    }
    if args.json:
        print(json.dumps(summary))
        return
    for name, figures in summary.items():
        print(name, ", ".join(f"{key} {value:.2f}" for key, value in figures.items()))


if __name__ == "__main__":
    main()
