"""Execute lesson notebooks in place and store their outputs, as nbval will compare them.

Run it after editing a notebook (``make outputs`` runs it on all of them)::

    python tools/run_notebooks.py notebooks/01-meet-the-services.ipynb

The work is :func:`orderkit.classroom.authoring.outputs.store_outputs` (a teacher's
``orderkit outputs``), with paths in the outputs made relative to the repository.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from orderkit.classroom.authoring.outputs import store_outputs

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args()
    for path in args.notebooks:
        print(f"running {path}", flush=True)
        store_outputs(path, root=ROOT)


if __name__ == "__main__":
    main()
