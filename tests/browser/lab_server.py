"""A throw-away JupyterLab server for browser tests: private dirs, a token, no leftovers.

Every Jupyter directory lives in a temporary folder, so no user setting or saved workspace
gets in the way; kernels are still found, because the venv's ``share/jupyter`` (where
ipykernel installs ``python3``) stays on Jupyter's path.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

READY_WITHIN = 60.0  # seconds; ~2 s is usual
SHUTDOWN_WITHIN = 20.0
PORT_ATTEMPTS = 3  # another process may take the free port before the server does
# A fresh user's settings, minus what gets in a robot's way: the "Jupyter news?" toast
# (it appears even with news_url=None) and virtual scrolling, which would take cells
# outside the window out of the page.
SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


class LabError(RuntimeError):
    """The server did not start, or did not go away."""


@dataclass(frozen=True)
class Lab:
    """A running JupyterLab: its address, its token, the folder it serves and its log."""

    url: str
    token: str
    root: Path
    log: Path
    marker: str  # in the environment of the server and of every kernel it starts

    def api(self, method: str, path: str) -> Any:
        """Call the REST API with the token; the decoded JSON answer, or None."""
        request = urllib.request.Request(
            f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def page_url(self, notebook: str, workspace: str) -> str:
        """The address that opens ``notebook`` in the (new, empty) ``workspace``."""
        return f"{self.url}/lab/workspaces/{workspace}/tree/{quote(notebook)}?token={self.token}"

    def shut_down_kernels(self) -> None:
        """End every session, so that the next test starts a new kernel."""
        for session in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{session['id']}")


@contextmanager
def running_lab(base: Path, root: Path) -> Iterator[Lab]:
    """Serve ``root`` on 127.0.0.1 with dirs under ``base``; afterwards no process is left."""
    marker, token = secrets.token_hex(8), secrets.token_hex(24)
    env = _environment(base, marker)
    log = base / "lab.log"
    log.touch()
    for _ in range(PORT_ATTEMPTS):
        lab = Lab(f"http://127.0.0.1:{_free_port()}", token, root, log, marker)
        logged_before = log.stat().st_size
        server = _launch(lab, env)
        if _wait_until_ready(lab, server):
            break
        _stop(lab, server)
        output = log.read_bytes()[logged_before:].decode(errors="replace")
        if "already in use" not in output:
            raise LabError(f"JupyterLab exited or was silent for {READY_WITHIN:.0f} s:\n{output}")
    else:
        raise LabError(f"no free port in {PORT_ATTEMPTS} attempts:\n{output}")
    try:
        yield lab
    finally:
        _stop(lab, server)


def _environment(base: Path, marker: str) -> dict[str, str]:
    dirs = {
        "JUPYTER_CONFIG_DIR": base / "config",
        "JUPYTER_DATA_DIR": base / "data",
        "JUPYTER_RUNTIME_DIR": base / "runtime",
        "JUPYTERLAB_SETTINGS_DIR": base / "settings",
        "JUPYTERLAB_WORKSPACES_DIR": base / "workspaces",
        "IPYTHONDIR": base / "ipython",
    }
    for folder in dirs.values():
        folder.mkdir(parents=True, exist_ok=True)
    for name, settings in SETTINGS.items():
        path = dirs["JUPYTERLAB_SETTINGS_DIR"] / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))
    return {
        **os.environ,
        **{name: str(folder) for name, folder in dirs.items()},
        "PYTHONHASHSEED": "0",  # as `make test` runs the notebooks
        "ORDERKIT_BROWSER_LAB": marker,
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _launch(lab: Lab, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser",
        "--ip=127.0.0.1", f"--port={lab.url.rsplit(':', 1)[1]}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={lab.token}", f"--ServerApp.root_dir={lab.root}",
        "--expose-app-in-browser",  # window.jupyterapp: the tests wait on the app itself
    ]  # fmt: skip
    if os.geteuid() == 0:
        command.append("--allow-root")
    with lab.log.open("ab") as output:
        return subprocess.Popen(
            command, cwd=lab.root, env=env, stdin=subprocess.DEVNULL, stdout=output,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def _wait_until_ready(lab: Lab, server: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + READY_WITHIN
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(f"{lab.url}/api/status?token={lab.token}", timeout=5):
                return True
        except OSError:  # not listening yet (HTTPError is an OSError too)
            time.sleep(0.1)
    return False


def _stop(lab: Lab, server: subprocess.Popen[bytes]) -> None:
    """Shut down through the API; kill what is left: the server's group, then kernels."""
    if server.poll() is None:
        try:
            lab.api("POST", "/api/shutdown")
            server.wait(timeout=SHUTDOWN_WITHIN)
        except (OSError, subprocess.TimeoutExpired):
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    # Kernels run in process groups of their own, which killpg above does not reach.
    for pid in _marked_processes(lab.marker):
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + SHUTDOWN_WITHIN
    while (left := _marked_processes(lab.marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    if left:
        raise LabError(f"processes of the server still running after SIGKILL: {left}")


def _marked_processes(marker: str) -> list[int]:
    """Processes whose environment carries this server's marker (server, kernels, ...)."""
    needle = f"ORDERKIT_BROWSER_LAB={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if needle in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:  # gone already, or not ours to read
                continue
    return found
