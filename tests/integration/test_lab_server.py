"""`make lab`, the README's first command: JupyterLab on 127.0.0.1, nothing without a token.

Also `make lab DIR=path/to/course`, on a teacher's own course folder. Runs `make lab` word for
word, so it uses the Makefile's venv (`VENV=/tmp/v` in the environment points it at a
throw-away one), with throw-away Jupyter config and settings dirs.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
READY_WITHIN = 120.0  # seconds; the first run may still be creating .venv
NOTIFICATION_SETTINGS = "@jupyterlab/apputils-extension:notification"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def _get_json(url: str, token: str) -> Any:
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


def _listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket listening on ``port``, read from /proc/net/tcp{,6}."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:
                found.add(address)
    return found


@contextmanager
def _make_lab(tmp_path: Path, *make_args: str) -> Iterator[tuple[str, str]]:
    """Run `make lab` as a user would, with throw-away Jupyter dirs; yield (base url, token)."""
    port, token = _free_port(), secrets.token_hex(16)
    env = {
        **os.environ,
        "JUPYTER_TOKEN": token,
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
        "BROWSER": "true",  # a command that opens nothing
    }
    log = (tmp_path / "lab.log").open("w")
    server = subprocess.Popen(
        ["make", "--no-print-directory", "lab", f"PORT={port}", *make_args],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + READY_WITHIN
        while _status_or_none(f"{base}/api/status?token={token}") != 200:
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"make lab did not serve:\n{(tmp_path / 'lab.log').read_text()}")
            time.sleep(0.25)
        yield base, token
    finally:
        _shutdown(base, token, server)
        log.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """`make lab` on the lessons, for every test of this module that asks for it."""
    with _make_lab(tmp_path_factory.mktemp("lab")) as served:
        yield served


def _status_or_none(url: str) -> int | None:
    try:
        return _status(url)
    except OSError:
        return None


def _shutdown(base: str, token: str, server: subprocess.Popen[bytes]) -> None:
    request = urllib.request.Request(
        f"{base}/api/shutdown", method="POST", headers={"Authorization": f"token {token}"}
    )
    try:
        urllib.request.urlopen(request, timeout=5).close()
        server.wait(timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


@pytest.mark.slow
def test_make_lab_answers_with_the_token_only(lab: tuple[str, str]) -> None:
    base, token = lab

    assert _status(f"{base}/api/status?token={token}") == 200
    assert _status(f"{base}/api/status") == 403
    assert _status(f"{base}/api/status?token=wrong") == 403
    assert _status(f"{base}/api/contents?token=wrong") == 403


@pytest.mark.slow
def test_make_lab_listens_on_loopback_only(lab: tuple[str, str]) -> None:
    base, _ = lab
    port = int(base.rsplit(":", 1)[1])

    assert _listening_addresses(port) == {"0100007F"}  # 127.0.0.1, little-endian hex


@pytest.mark.slow
def test_make_lab_serves_the_notebooks_folder(lab: tuple[str, str]) -> None:
    base, token = lab
    request = urllib.request.Request(
        f"{base}/api/contents", headers={"Authorization": f"token {token}"}
    )

    with urllib.request.urlopen(request, timeout=5) as response:
        listing = response.read().decode()

    shown = sorted(p.name for p in (ROOT / "notebooks").iterdir() if not p.name.startswith("."))
    assert shown, "notebooks/ is never empty: it holds at least its README"
    assert all(f'"{name}"' in listing for name in shown), "the server's root is notebooks/"


def _listing(base: str, token: str) -> set[str]:
    """The names in the server's root folder, as its contents API lists them."""
    return {entry["name"] for entry in _get_json(f"{base}/api/contents", token)["content"]}


def _first_page(base: str, token: str) -> str:
    """Where the server sends a browser that asks for its root: the page JupyterLab opens."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(_NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as caught:
        opener.open(f"{base}/?token={token}", timeout=5)
    caught.value.close()
    assert caught.value.code == 302
    return str(caught.value.headers["Location"])


@pytest.mark.slow
def test_make_lab_opens_on_the_first_lesson(lab: tuple[str, str]) -> None:
    base, token = lab

    assert _first_page(base, token).startswith("/lab/tree/00-how-to-use-this-kit.ipynb")


@pytest.mark.slow
def test_make_lab_never_asks_about_news_or_updates(lab: tuple[str, str]) -> None:
    base, token = lab

    answer = _get_json(f"{base}/lab/api/settings/{NOTIFICATION_SETTINGS}", token)

    # What JupyterLab's front end uses: the user's settings over the schema's defaults. The
    # user's settings dir is fresh, so the defaults the venv's overrides.json set decide.
    defaults = {key: spec.get("default") for key, spec in answer["schema"]["properties"].items()}
    effective = {**defaults, **answer["settings"]}
    assert effective["fetchNews"] == "false"  # "none" (ask) would show the toast
    assert effective["checkForUpdates"] is False
    assert answer["settings"] == {}, "the user's own settings are left alone"


# -- make lab DIR=path/to/course: a teacher's own folder ----------------------------------------


@pytest.mark.slow
def test_make_lab_dir_serves_a_course_folder_given_relative_to_where_make_runs(
    tmp_path: Path,
) -> None:
    course = tmp_path / "my course"  # a space, as folder names on a teacher's machine have
    (course / "week 1").mkdir(parents=True)
    (course / "week 1" / "exercise.ipynb").write_text("{}")
    (course / "notes.md").write_text("# Notes\n")
    relative = os.path.relpath(course, ROOT)

    with _make_lab(tmp_path, f"DIR={relative}") as (base, token):
        listing = _listing(base, token)
        first_page = _first_page(base, token)

    assert listing == {"week 1", "notes.md"}
    assert first_page.startswith("/lab/tree")
    assert "00-how-to-use-this-kit" not in first_page


def test_make_lab_dir_that_is_no_folder_stops_before_installing_anything(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-course"

    done = subprocess.run(
        ["make", "--no-print-directory", "lab", f"DIR={missing}", f"VENV={tmp_path / 'venv'}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode != 0
    assert f"DIR={missing} is not a folder" in done.stderr
    assert not (tmp_path / "venv").exists()
