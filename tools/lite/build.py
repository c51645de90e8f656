"""Build the course as a static JupyterLite site (Pyodide kernel) in ``dist/lite/``.

Run by ``make lite`` with the build venv's Python (``.venv-lite``, 3.12+)::

    .venv-lite/bin/python tools/lite/build.py

Every build starts from clean: the output, the staging folder (JupyterLite's ``lite_dir``
with its ``.cache`` and ``.jupyterlite.doit.db``; a stale doit db once dropped
``pyodideUrl`` from the output) are deleted first. Downloads are kept in ``.cache/lite/``
(the npm tarball of Pyodide's core, uv's wheel cache), so a rebuild is fast and needs no
network once they are there. Everything comes from registries only:

* Pyodide's core from the npm package ``pyodide``, at the version the kernel pins, copied
  into ``<lite_dir>/static/pyodide/`` where the kernel addon picks it up as ``pyodideUrl``;
  its ``pyodide-lock.json`` lists packages the npm package does not ship, so the list is
  emptied and PyodideLockAddon (uv) fills it with pure wheels from PyPI;
* the kit as a wheel built from this repository, plus ``site-requirements.txt``;
* ``disablePyPIFallback``: the site never asks PyPI for anything at run time.

The site's contents are the lessons (``notebooks/0*.ipynb``), the student versions of the
exercises (``notebooks/1*.ipynb``) and the files lesson 08 reads; lesson 08's copy is
changed where it would start processes (see ``site_notebooks.py``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from site_notebooks import LESSON_00, stage_contents

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "tools" / "lite"
CACHE = ROOT / ".cache" / "lite"
LITE_DIR = ROOT / "build" / "lite"
OUTPUT = ROOT / "dist" / "lite"
# The kernel's jupyterlite_pyodide_kernel.constants.PYODIDE_VERSION, checked below.
PYODIDE_VERSION = "314.0.6"
# The kit's wheel declares what CPython needs for grading, reports and validation; none of
# it runs in the browser (and matplotlib, jupyterlab and jsonschema's Rust parts have no
# pure wheels), so it is left out of the solve.
EXCLUDES = ["jupyterlab", "matplotlib", "nbclient", "nbformat", "nbval", "jinja2", "tqdm"]
# Loaded while the kernel starts: the kernel has no import hook that would fetch them later.
PRELOAD = ["orderkit", "ipywidgets", "ipytest", "pytest", "pytest-timeout", "hypothesis"]


EXTENSION = HERE / "extension"  # orderkit-lite, a federated extension written by hand
# JupyterLab settings of the site (overrides.json, read by jupyter lite build).
SETTINGS = {
    # Closing a lesson shuts its kernel down (each Pyodide kernel holds ~190 MB).
    "@jupyterlab/notebook-extension:tracker": {"kernelShutdown": True},
}


# The site's root opens lesson 00 (its copy says how the browser course works).
FIRST_LESSON = f"lab/index.html?path=notebooks/{LESSON_00}"
ROOT_PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>orderkit: testing in the browser</title>
<meta http-equiv="refresh" content="0; url={FIRST_LESSON}">
<!-- Every app page of the site reads this (empty) configuration from the root page. -->
<script id="jupyter-config-data" type="application/json" data-jupyter-lite-root=".">
{{}}
</script>
</head>
<body>
<p>Opening <a href="{FIRST_LESSON}">lesson 00 · How to use this kit</a>…</p>
</body>
</html>
"""


class BuildError(RuntimeError):
    """A step of the build failed; the message says which and why."""


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(command), flush=True)
    completed = subprocess.run(command, cwd=cwd, env=env, check=False)
    if completed.returncode:
        raise BuildError(f"{command[0]} exited with {completed.returncode}")


def _check_kernel_pin() -> None:
    # Only in the build venv, not in the kit's (where mypy runs).
    from jupyterlite_pyodide_kernel import constants  # type: ignore[import-not-found]

    if constants.PYODIDE_VERSION != PYODIDE_VERSION:
        raise BuildError(
            f"jupyterlite-pyodide-kernel pins Pyodide {constants.PYODIDE_VERSION}, "
            f"build.py {PYODIDE_VERSION}"
        )


def pyodide_tarball() -> Path:
    """The npm tarball of Pyodide's core, downloaded once into the cache."""
    npm_cache = CACHE / "npm"
    tarball = npm_cache / f"pyodide-{PYODIDE_VERSION}.tgz"
    if not tarball.is_file():
        npm_cache.mkdir(parents=True, exist_ok=True)
        _run(["npm", "pack", f"pyodide@{PYODIDE_VERSION}", "--silent"], cwd=npm_cache)
    return tarball


def unpack_pyodide(tarball: Path, lite_dir: Path) -> None:
    """Put Pyodide's core in ``static/pyodide/``, with an empty package list to fill."""
    target = lite_dir / "static" / "pyodide"
    target.mkdir(parents=True)
    with tarfile.open(tarball) as archive:
        for member in archive.getmembers():
            name = member.name.removeprefix("package/")
            if not member.isfile() or "/" in name or name.endswith((".map", ".d.ts", ".html")):
                continue
            source = archive.extractfile(member)
            assert source is not None  # a regular file
            (target / name).write_bytes(source.read())
    lock_path = target / "pyodide-lock.json"
    lock = json.loads(lock_path.read_text())
    lock["packages"] = {}  # the npm package ships none of them
    lock_path.write_text(json.dumps(lock, indent=2))


def build_kit_wheel(lite_dir: Path) -> Path:
    """A wheel of this repository's kit, in ``<lite_dir>/wheels/``.

    setuptools copies the package into ``build/lib`` and never removes what is gone from
    the source: a module since moved or deleted would ship in the wheel. So it starts clean.
    """
    wheels = lite_dir / "wheels"
    shutil.rmtree(ROOT / "build" / "lib", ignore_errors=True)
    _run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), "."],
        cwd=ROOT,
    )
    (wheel,) = wheels.glob("orderkit-*.whl")
    return wheel


def stage_extension(lite_dir: Path) -> Path:
    """Put orderkit-lite in ``<lite_dir>/extensions/``, its script named after its content.

    The build config names its folder (``federated_extensions``); the hash in the file name
    makes a browser fetch the script again when it changes, as a built extension's would.
    """
    source = (EXTENSION / "remoteEntry.js").read_bytes()
    package = json.loads((EXTENSION / "package.json").read_text())
    load = f"static/remoteEntry.{hashlib.sha256(source).hexdigest()[:16]}.js"
    package["jupyterlab"]["_build"]["load"] = load
    name: str = package["name"]
    target = lite_dir / "extensions" / name
    (target / "static").mkdir(parents=True)
    (target / load).write_bytes(source)
    (target / "package.json").write_text(json.dumps(package, indent=2) + "\n")
    return target


def write_config(lite_dir: Path, output: Path, extension: Path) -> None:
    """``jupyter_lite_config.json`` (the build) and ``jupyter-lite.json`` (the site)."""
    shutil.copyfile(HERE / "site-requirements.txt", lite_dir / "site-requirements.txt")
    from jupyterlite_core.config import LiteBuildConfig  # type: ignore[import-not-found]

    defaults = LiteBuildConfig(lite_dir=lite_dir, output_dir=output).ignore_contents
    # JupyterLite leaves out every path that starts with .git, so .github too; lesson 08
    # reads .github/workflows/ci.yml.
    ignore = [r"/\.git/" if pattern == r"/\.git" else pattern for pattern in defaults]
    build_config = {
        "LiteBuildConfig": {
            "contents": ["contents"],
            "ignore_contents": ignore,
            "output_dir": str(output),
            "no_sourcemaps": True,
            "federated_extensions": [str(extension.relative_to(lite_dir))],
        },
        "PyodideLockAddon": {
            "enabled": True,
            "wheels": ["wheels"],
            "specs": ["-r site-requirements.txt"],
            "excludes_extra": EXCLUDES,
            "prefetch_extra": PRELOAD,
        },
    }
    site_config = {
        "jupyter-lite-schema-version": 0,
        "jupyter-config-data": {
            "appName": "orderkit: testing in the browser",
            "litePluginSettings": {
                "@jupyterlite/pyodide-kernel-extension:kernel": {"disablePyPIFallback": True}
            },
        },
    }
    (lite_dir / "jupyter_lite_config.json").write_text(json.dumps(build_config, indent=2))
    (lite_dir / "overrides.json").write_text(json.dumps(SETTINGS, indent=2))
    (lite_dir / "jupyter-lite.json").write_text(json.dumps(site_config, indent=2))


def check_site(output: Path) -> None:
    """Fail unless the site loads Pyodide and every package from itself."""
    config = json.loads((output / "jupyter-lite.json").read_text())
    kernel = config["jupyter-config-data"]["litePluginSettings"][
        "@jupyterlite/pyodide-kernel-extension:kernel"
    ]
    if not kernel.get("pyodideUrl", "").startswith("./static/pyodide/"):
        raise BuildError(f"pyodideUrl is not local: {kernel.get('pyodideUrl')!r}")
    if kernel.get("disablePyPIFallback") is not True:
        raise BuildError("disablePyPIFallback was lost")
    extension = json.loads((EXTENSION / "package.json").read_text())["name"]
    loaded = [item["name"] for item in config["jupyter-config-data"]["federated_extensions"]]
    if extension not in loaded:
        raise BuildError(f"{extension} is not among the site's extensions: {loaded}")
    lock = json.loads((output / "static" / "pyodide-lock" / "pyodide-lock.json").read_text())
    remote = [p["file_name"] for p in lock["packages"].values() if "://" in p["file_name"]]
    if remote:
        raise BuildError(f"packages fetched from outside the site: {remote}")
    missing = [name for name in PRELOAD if name not in lock["packages"]]
    if missing:
        raise BuildError(f"not in the site's lock: {missing}")


def site_size(output: Path) -> int:
    return sum(path.stat().st_size for path in output.rglob("*") if path.is_file())


def build(output: Path = OUTPUT) -> None:
    started = time.monotonic()
    _check_kernel_pin()
    for stale in (output, LITE_DIR, ROOT / ".jupyterlite.doit.db"):
        if stale.is_dir():
            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()
    LITE_DIR.mkdir(parents=True)
    unpack_pyodide(pyodide_tarball(), LITE_DIR)
    build_kit_wheel(LITE_DIR)
    stage_contents(ROOT, LITE_DIR / "contents")
    write_config(LITE_DIR, output, stage_extension(LITE_DIR))
    env = {
        **os.environ,
        "UV_CACHE_DIR": str(CACHE / "uv"),  # downloads survive the clean rebuild
        "UV_PYTHON_DOWNLOADS": "never",  # else ~8 s of failed downloads
        "PYTHONHASHSEED": "0",
    }
    jupyter = Path(sys.executable).with_name("jupyter")
    # jupyter-server's contents manager, which lists the files, hides dot folders too (its
    # allow_hidden is read from the command line, not from jupyter_lite_config.json).
    _run([str(jupyter), "lite", "build", "--ContentsManager.allow_hidden=True"], LITE_DIR, env)
    # JupyterLite's own root page only forwards to lab/, which shows a bare launcher.
    (output / "index.html").write_text(ROOT_PAGE)
    check_site(output)
    size = site_size(output) / 1e6
    print(f"site: {output} ({size:.1f} MB), built in {time.monotonic() - started:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    try:
        build(args.output.resolve())
    except BuildError as error:
        sys.exit(f"make lite: {error}")


if __name__ == "__main__":
    main()
