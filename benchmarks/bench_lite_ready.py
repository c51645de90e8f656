"""Time to a ready kernel: the kit's JupyterLite site against a bare Pyodide site.

Needs the built site (``make lite``, which also makes its build venv ``.venv-lite``) and
Debian's Chromium, so it is not part of ``make bench`` or CI. Run::

    .venv/bin/python benchmarks/bench_lite_ready.py [--runs 3] [--json]

First the bare site is built into a temporary folder with the kit's tools: ``jupyter lite
build`` of ``.venv-lite`` (the same jupyterlite-core and jupyterlite-pyodide-kernel),
Pyodide's core from the same npm tarball, the lock made by the kernel's PyodideLockAddon
with its default packages plus micropip (the kernel loads it as it starts; the kit's pin),
no PyPI fallback. It holds nothing of the kit: one empty notebook, no extension but the
kernel's, no preloaded wheels.

Both sites are served on 127.0.0.1 and every other request is aborted, as in
``tests/lite``. Each run opens, one after the other and each in a fresh browser profile:
lesson 00 of the kit's site, the same lesson with the kit's preloaded wheels left out of
the kernel's start (``kit-no-preload``: what they cost), and the bare site's notebook; the
order rotates from run to run. Measured from the page opened: the JupyterLab shell
restored, the notebook's kernel connected, the kernel idle, and the output of a first
trivial cell sent once the kernel is idle. That output is the time to a ready kernel; the
target is kit / bare <= 1.2, judged on the medians (each round's own ratio is printed
too). Where the rest of the wait goes: the page's requests say when the kernel's worker
asked for Pyodide's core and, once Pyodide was up with the preloaded packages, for
micropip; and how many MB were loaded.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlparse

from playwright.sync_api import Browser, Route, sync_playwright
from playwright.sync_api import Error as PlaywrightError

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.lite.conftest import _tool, serving  # noqa: E402

TARGET = 1.2  # kit / bare, seconds to a ready kernel
WITHIN = 240_000  # ms
KERNEL_PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel"
KERNEL_EXTENSION = "@jupyterlite/pyodide-kernel-extension"
BARE_NOTEBOOK = "empty.ipynb"
# The kernel's worker asks for Pyodide's core as it starts, then for micropip once Pyodide
# is up with the preloaded packages installed (loadPyodideOptions.packages); then it
# installs piplite and imports its kernel, and reports idle.
PYODIDE_CORE = "static/pyodide/pyodide.asm.wasm"

# In the page: when each step is reached (ms since the page was opened). A first cell is
# sent once the notebook's kernel is idle, as tests/lite waits before it runs cells.
_MARKS = """(() => {
    if (window.top !== window) return;
    const marks = window.__benchMarks = {};
    const mark = (name) => { if (!(name in marks)) marks[name] = performance.now(); };
    let sent = false;
    const tick = () => {
        const app = window.jupyterapp;
        if (app && !('app' in marks)) {
            mark('app');
            app.restored.then(() => mark('shell'));
        }
        const panel = app && app.shell.currentWidget;
        const session = panel && panel.sessionContext && panel.sessionContext.session;
        const kernel = session && session.kernel;
        if (kernel) mark('kernel');
        if (kernel && kernel.status === 'idle' && !sent) {
            sent = true;
            mark('idle');
            const future = kernel.requestExecute({code: '6 * 7'});
            future.onIOPub = (msg) => {
                if (msg.header.msg_type === 'execute_result') {
                    marks.result = msg.content.data['text/plain'];
                    mark('output');
                }
            };
            future.done.then(() => mark('done'), (error) => { marks.error = String(error); });
        }
        if (!('done' in marks) && !('error' in marks)) setTimeout(tick, 20);
    };
    tick();
})();"""
_DONE = "() => !!window.__benchMarks && ('done' in __benchMarks || 'error' in __benchMarks)"
STEPS = {"shell": "shell_s", "kernel": "kernel_s", "idle": "idle_s", "output": "ready_s"}


class BenchError(RuntimeError):
    """The benchmark cannot measure: a site is missing or broken, or a run went wrong."""


@dataclass(frozen=True)
class Site:
    """A built site served at ``url``, the notebook a run opens, and the packages its
    kernel preloads if they are to be replaced (``None``: as built)."""

    folder: Path
    url: str
    notebook: str
    packages: list[str] | None = None


@dataclass
class Requests:
    """When the page first asked for each of the site's files (s), and what it asked
    beyond 127.0.0.1 (aborted)."""

    started: float
    first: dict[str, float] = field(default_factory=dict)
    outside: list[str] = field(default_factory=list)


def _config(site: Path) -> dict[str, Any]:
    config: dict[str, Any] = json.loads((site / "jupyter-lite.json").read_text())
    return config


def _kernel_settings(site: Path) -> dict[str, Any]:
    settings: dict[str, Any] = _config(site)["jupyter-config-data"]["litePluginSettings"]
    return dict(settings[KERNEL_PLUGIN])


def versions(site: Path) -> dict[str, str]:
    """The JupyterLite and Pyodide kernel versions a built site was made with."""
    kernel = json.loads((site / "extensions" / KERNEL_EXTENSION / "package.json").read_text())
    return {
        "jupyterlite": str(_config(site)["jupyter-config-data"]["appVersion"]),
        "pyodide-kernel": str(kernel["version"]),
    }


def _kit_pin(name: str) -> str:
    """The kit site's pin of ``name`` (``tools/lite/site-requirements.txt``)."""
    lines = (ROOT / "tools" / "lite" / "site-requirements.txt").read_text().splitlines()
    pins = [line for line in lines if line.startswith(f"{name}==")]
    if len(pins) != 1:
        raise BenchError(f"site-requirements.txt has no single pin of {name}: {pins}")
    return pins[0]


def build_bare_site(folder: Path, lite_venv: Path) -> Path:
    """A bare Pyodide site in ``folder/site``, built as ``tools/lite/build.py`` builds the
    kit's, with one empty notebook and nothing of the kit."""
    build = _tool("build")
    notebooks = _tool("site_notebooks")
    lite_dir, output = folder / "lite", folder / "site"
    build.unpack_pyodide(build.pyodide_tarball(), lite_dir)
    (lite_dir / "contents").mkdir()
    empty = {
        "cells": [],
        "metadata": {
            "kernelspec": notebooks.PYODIDE_KERNELSPEC,
            "language_info": notebooks.PYODIDE_LANGUAGE_INFO,
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (lite_dir / "contents" / BARE_NOTEBOOK).write_text(json.dumps(empty))
    build_config = {
        "LiteBuildConfig": {
            "contents": ["contents"],
            "output_dir": str(output),
            "no_sourcemaps": True,
            # The environment's other extensions (widgets, pygments) are the kit's needs.
            "ignore_sys_prefix": ["federated_extensions"],
            "federated_extensions": [
                str(lite_venv / "share" / "jupyter" / "labextensions" / KERNEL_EXTENSION)
            ],
        },
        # The kernel loads micropip as it starts; Pyodide's npm package does not ship it.
        "PyodideLockAddon": {"enabled": True, "specs": [_kit_pin("micropip")]},
    }
    site_config = {
        "jupyter-lite-schema-version": 0,
        "jupyter-config-data": {
            "litePluginSettings": {KERNEL_PLUGIN: {"disablePyPIFallback": True}}
        },
    }
    (lite_dir / "jupyter_lite_config.json").write_text(json.dumps(build_config))
    (lite_dir / "jupyter-lite.json").write_text(json.dumps(site_config))
    env = {
        **os.environ,
        "UV_CACHE_DIR": str(build.CACHE / "uv"),
        "UV_PYTHON_DOWNLOADS": "never",
        "PYTHONHASHSEED": "0",
    }
    jupyter = lite_venv / "bin" / "jupyter"
    completed = subprocess.run(
        [str(jupyter), "lite", "build"], cwd=lite_dir, env=env, capture_output=True, text=True
    )
    if completed.returncode:
        tail = (completed.stdout + completed.stderr)[-3000:]
        raise BenchError(f"the bare site did not build ({jupyter} lite build):\n{tail}")
    settings = _kernel_settings(output)
    if not str(settings.get("pyodideUrl", "")).startswith("./static/pyodide/"):
        raise BenchError(f"the bare site's pyodideUrl is not local: {settings}")
    return output


def _path(url: str) -> str:
    return unquote(urlparse(url).path).lstrip("/")


def _route(site: Site, requests: Requests) -> Callable[[Route], None]:
    def handle(route: Route) -> None:
        url = urlparse(route.request.url)
        if url.hostname != "127.0.0.1":
            requests.outside.append(route.request.url)
            route.abort("blockedbyclient")
            return
        requests.first.setdefault(_path(route.request.url), time.monotonic() - requests.started)
        if not url.path.endswith("/jupyter-lite.json"):
            route.continue_()
            return
        response = route.fetch()
        config = response.json()
        data = config.setdefault("jupyter-config-data", {})
        data["exposeAppInBrowser"] = True
        kernel = data.get("litePluginSettings", {}).get(KERNEL_PLUGIN, {})
        if site.packages is not None and "loadPyodideOptions" in kernel:
            kernel["loadPyodideOptions"]["packages"] = site.packages
        route.fulfill(response=response, json=config)

    return handle


def open_once(browser: Browser, site: Site) -> dict[str, float]:
    """Open the site's notebook in a fresh profile: seconds from the page opened to each
    step (``ROWS``), and the MB loaded."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    requests = Requests(started=time.monotonic())
    context.route("**/*", _route(site, requests))
    context.add_init_script(_MARKS)
    page = context.new_page()
    requests.started = time.monotonic()
    page.goto(f"{site.url}lab/index.html?path={quote(site.notebook)}", wait_until="commit")
    try:
        page.wait_for_function(_DONE, timeout=WITHIN, polling=250)
    except PlaywrightError as error:
        state = page.evaluate("() => window.__benchMarks")
        raise BenchError(
            f"{site.url}{site.notebook}: {error.message}; steps reached {state}"
        ) from None
    marks: dict[str, Any] = page.evaluate("() => window.__benchMarks")
    context.unroute_all(behavior="ignoreErrors")
    context.close()
    if requests.outside:
        raise BenchError(f"{site.url}: asked for something beyond loopback: {requests.outside}")
    if marks.get("result") != "42" or "error" in marks:
        raise BenchError(f"{site.url}{site.notebook}: the first cell did not give 42: {marks}")
    figures = {key: marks[step] / 1000 for step, key in STEPS.items()}
    wheels = [path for path in requests.first if path.endswith(".whl")]
    figures["core_asked_s"] = requests.first.get(PYODIDE_CORE, float("nan"))
    micropip = [path for path in wheels if path.rpartition("/")[2].startswith("micropip-")]
    figures["pyodide_up_s"] = requests.first[micropip[0]] if micropip else float("nan")
    sizes = {path: _size(site.folder / path) for path in requests.first}
    figures["loaded_mb"] = sum(sizes.values()) / 1e6
    figures["wheels_mb"] = sum(sizes[path] for path in wheels) / 1e6
    return figures


def _size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else 0


def measure(sites: dict[str, Site], runs: int) -> dict[str, list[dict[str, float]]]:
    """``runs`` rounds, each site once per round in a fresh profile, the order rotated."""
    results: dict[str, list[dict[str, float]]] = {name: [] for name in sites}
    names = list(sites)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        for run in range(runs):
            shift = run % len(names)
            for name in names[shift:] + names[:shift]:
                results[name].append(open_once(browser, sites[name]))
        browser.close()
    return results


def summarise(results: dict[str, list[dict[str, float]]]) -> dict[str, Any]:
    medians = {
        name: {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        for name, runs in results.items()
    }
    ratio = medians["kit"]["ready_s"] / medians["bare"]["ready_s"]
    # Each round's own ratio: the load of a busy machine drifts less within a round.
    paired = [
        kit["ready_s"] / bare["ready_s"]
        for kit, bare in zip(results["kit"], results["bare"], strict=True)
    ]
    return {
        "medians": medians,
        "ready_s": {name: [run["ready_s"] for run in runs] for name, runs in results.items()},
        "ratio": ratio,
        "round_ratios": paired,
        "median_round_ratio": statistics.median(paired),
        "target": TARGET,
        "met": ratio <= TARGET,
    }


# The rows of the printed table: each figure's key and label, in the order of the wait.
ROWS = {
    "shell_s": "JupyterLab shell restored (s)",
    "kernel_s": "notebook's kernel connected (s)",
    "core_asked_s": "Pyodide's core asked for (s)",
    "pyodide_up_s": "Pyodide up, preloads in (s)",
    "idle_s": "kernel idle (s)",
    "ready_s": "first cell's output: ready (s)",
    "loaded_mb": "loaded (MB)",
    "wheels_mb": "of which wheels (MB)",
}


def _report(summary: dict[str, Any]) -> None:
    medians: dict[str, dict[str, float]] = summary["medians"]
    count = len(summary["ready_s"]["kit"])
    print(f"{f'median of {count} runs':34}" + "".join(f"{name:>16}" for name in medians))
    for key, label in ROWS.items():
        print(f"{label:34}" + "".join(f"{site[key]:16.1f}" for site in medians.values()))
    spreads = [f"{min(runs):.1f}-{max(runs):.1f}" for runs in summary["ready_s"].values()]
    print(f"{'ready, fastest-slowest (s)':34}" + "".join(f"{s:>16}" for s in spreads))
    met = "met" if summary["met"] else "NOT met"
    print(f"ready kit / bare: {summary['ratio']:.2f} (target <= {TARGET}: {met})")
    rounds = ", ".join(f"{ratio:.2f}" for ratio in summary["round_ratios"])
    print(f"each round's kit / bare: {rounds}; median {summary['median_round_ratio']:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--site", type=Path, default=ROOT / "dist" / "lite")
    parser.add_argument("--lite-venv", type=Path, default=ROOT / ".venv-lite")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    kit = args.site.resolve()
    lesson = f"notebooks/{_tool('site_notebooks').LESSON_00}"
    try:
        if not (kit / "jupyter-lite.json").is_file():
            raise BenchError(f"{kit} is not a built JupyterLite site: run make lite")
        if not CHROMIUM.exists():
            raise BenchError(f"{CHROMIUM} not found (apt-get install chromium)")
        with tempfile.TemporaryDirectory(prefix="orderkit-bare-lite-") as folder:
            bare = build_bare_site(Path(folder), args.lite_venv.resolve())
            if versions(kit) != versions(bare):
                raise BenchError(f"{kit} was built with {versions(kit)}, not {versions(bare)}")
            bare_packages = _kernel_settings(bare)["loadPyodideOptions"]["packages"]
            with serving(kit) as kit_url, serving(bare) as bare_url:
                sites = {
                    "kit": Site(kit, kit_url, lesson),
                    "kit-no-preload": Site(kit, kit_url, lesson, bare_packages),
                    "bare": Site(bare, bare_url, BARE_NOTEBOOK),
                }
                summary = summarise(measure(sites, args.runs))
    except BenchError as error:
        sys.exit(f"bench_lite_ready: {error}")
    summary["versions"] = versions(kit)
    if args.json:
        print(json.dumps(summary))
        return
    _report(summary)


if __name__ == "__main__":
    main()
