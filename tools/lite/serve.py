"""Serve the built JupyterLite site (``dist/lite``) on 127.0.0.1 only: ``make lite-serve``.

Any static file server works for a JupyterLite site; this one only makes sure of two MIME
types that browsers insist on (``.wasm``, ``.mjs``) and never listens beyond loopback.
The browser tests start it in a thread with :func:`serving`.
"""

from __future__ import annotations

import argparse
import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"


class _SiteHandler(SimpleHTTPRequestHandler):
    extensions_map = {  # noqa: RUF012 (the base class declares it a plain class dict)
        **SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".mjs": "text/javascript",
        ".js": "text/javascript",
        ".json": "application/json",
        ".ipynb": "application/json",
    }

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:  # type: ignore[attr-defined]
            super().log_message(format, *args)


def make_server(site: Path, port: int = 0, *, verbose: bool = False) -> ThreadingHTTPServer:
    """A server of ``site`` on 127.0.0.1 (``port`` 0: any free port)."""
    if not (site / "jupyter-lite.json").is_file():
        raise FileNotFoundError(f"{site} is not a built JupyterLite site: run make lite")
    handler = functools.partial(_SiteHandler, directory=str(site))
    server = ThreadingHTTPServer((HOST, port), handler)
    server.verbose = verbose  # type: ignore[attr-defined]
    server.daemon_threads = True
    return server


@contextmanager
def serving(site: Path) -> Iterator[str]:
    """Serve ``site`` in a background thread; yield its base URL (ending in ``/``)."""
    server = make_server(site)
    thread = threading.Thread(target=server.serve_forever, name="lite-site", daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--site", type=Path, default=ROOT / "dist" / "lite")
    args = parser.parse_args()
    server = make_server(args.site, args.port, verbose=True)
    print(f"Serving {args.site} on http://{HOST}:{args.port}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
