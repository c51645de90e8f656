"""A pytest plugin that puts off building jsonschema's IRI parser until an IRI is checked.

Every process that imports ``nbformat`` (nbval's controller, each xdist worker) imports
``jsonschema``, whose format checkers import ``rfc3987_syntax`` when it is installed; that
module compiles an Earley grammar at import time, about 0.8 s per process here
(python-jsonschema/jsonschema #1428). ``jupyter-events`` (a JupyterLab dependency) asks for
it, so it is always installed. nbformat validates notebooks without a format checker, so
the parser is never used during notebook validation.

Loaded early (``-p tools.lazy_iri``, before nbval imports nbformat), this module puts a
stand-in for ``rfc3987_syntax`` in ``sys.modules``. jsonschema still registers its
``iri`` checkers; the first time one runs, the stand-in imports the real module and hands
over, so nothing is validated less. In a process that has already imported the real
module, or where it is not installed, the plugin does nothing.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any

MODULE = "rfc3987_syntax"


def _real() -> Any:
    """Import the real module in place of the stand-in, once, and return it."""
    if isinstance(sys.modules.get(MODULE), _StandIn):
        del sys.modules[MODULE]
    return importlib.import_module(MODULE)


class _StandIn(types.ModuleType):
    """``rfc3987_syntax`` until first use: every attribute comes from the real module."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # import machinery probing (__path__, __file__, ...)
            raise AttributeError(name)
        return getattr(_real(), name)


def is_valid_syntax(term: str, value: str) -> bool:
    """``rfc3987_syntax.is_valid_syntax``, imported on the first call."""
    return bool(_real().is_valid_syntax(term, value))


def install() -> bool:
    """Put the stand-in in place; return whether it was (False: nothing to put off)."""
    if MODULE in sys.modules or importlib.util.find_spec(MODULE) is None:
        return False
    stand_in = _StandIn(MODULE, "Stand-in for rfc3987_syntax (tools/lazy_iri.py).")
    # What jsonschema takes from it at import time, so that import builds nothing.
    stand_in.is_valid_syntax = is_valid_syntax  # type: ignore[attr-defined]
    sys.modules[MODULE] = stand_in
    return True


install()
