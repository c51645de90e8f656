"""A tripwire in every clean run: code that looks at the kit's code ends the run at once.

The kit a run loads varies in form from run to run (:mod:`orderkit.classroom.batch.kitcopy`), but
a test could still read the implementation's code objects and compare them with a copy it
carries. An audit hook (PEP 578), installed before any of the notebook's code runs and
impossible to remove, watches for the ways to get at code and frames from the notebook's
own code: a kit function's ``__code__``, frames (``sys._getframe``, a traceback's or a
generator's frame, trace and profile functions), the garbage collector's object lists,
``marshal``, ``ctypes`` and opening the kit's files. On the first one it ends the run with
exit status :data:`EXIT`. The grader learns it from the exit status, which no code in the
run can forge into a catch, and reports that test as not valid ("looks at the kit's code").

Libraries that look at signatures for honest reasons (``unittest.mock``'s autospec,
``inspect.signature``, ``typing``, pytest reporting a failure) are not flagged: only code
of the notebook itself, or ``dis``, ``inspect``'s other helpers and pytest's traceback API
called from it.
"""

from __future__ import annotations

import os
import sys
import types
from typing import Any

EXIT = 86
_FRAMES = {"tb_frame", "gi_frame", "gi_code", "cr_frame", "cr_code", "ag_frame", "ag_code"}
_FRAME_EVENTS = {"sys._getframe", "sys._current_frames", "sys.settrace", "sys.setprofile"}
_FROM_NOTEBOOK = {"gc.get_objects", "gc.get_referrers", "gc.get_referents", "marshal.loads"}
_FROM_NOTEBOOK |= {"marshal.load", "sys.monitoring.register_callback", "sys._getframemodulename"}
_SIGNATURES = {
    "signature",
    "_signature_from_callable",
    "_signature_from_function",
    "_signature_is_functionlike",
    "unwrap",
    "isfunction",
    "_has_code_flag",
    "iscoroutinefunction",
    "isgeneratorfunction",
    "isasyncgenfunction",
    "_has_coroutine_mark",
}


def install(kit: str, library: tuple[str, ...]) -> None:
    """Watch from now on; ``kit`` is the run's copy of the kit, ``library`` what is not the
    notebook's code (Python, its packages, the kit)."""
    end, write = os._exit, os.write  # held here: patching ``os`` later changes nothing
    frame_of = sys._getframe
    busy = [False]
    kit_prefix = kit.rstrip("/") + "/"
    outer = set()  # what runs the run (below this call): never the notebook's code
    below: types.FrameType | None = frame_of(1)
    while below is not None:
        outer.add(below.f_code)
        below = below.f_back

    def notebook(frame: types.FrameType | None) -> bool:
        if frame is None or frame.f_code in outer:
            return False
        name = frame.f_code.co_filename
        return not (name.startswith(library) or name.startswith("<frozen"))

    def in_notebook_call(frame: types.FrameType | None) -> bool:
        while frame is not None:
            if notebook(frame):
                return True
            frame = frame.f_back
        return False

    def helper(frame: types.FrameType) -> bool:
        """dis, inspect (but its signature helpers) or pytest's traceback API."""
        name, function = frame.f_code.co_filename, frame.f_code.co_name
        if name.endswith(("/dis.py", "/_pytest/_code/code.py", "/traceback.py")):
            return True
        return name.endswith("/inspect.py") and function not in _SIGNATURES

    def origin(frame: types.FrameType | None) -> types.FrameType | None:
        """Who asked: the first frame up from ``frame`` that is not such a helper."""
        while frame is not None and helper(frame):
            frame = frame.f_back
        return frame

    def kit_function(value: Any) -> bool:
        module = getattr(value, "__module__", None) or ""
        return module == "orderkit" or (
            module.startswith("orderkit.") and not module.startswith("orderkit.classroom")
        )

    def looks(event: str, args: tuple[Any, ...]) -> bool:
        caller = frame_of(2)  # 0 this function, 1 the hook, 2 the code that raised the event
        asked_by_notebook = notebook(origin(caller))
        if event == "object.__getattr__":
            value, name = args[0], args[1]
            if name == "__code__":
                return asked_by_notebook and kit_function(value)
            return asked_by_notebook and name in _FRAMES
        if event in _FRAME_EVENTS or event in _FROM_NOTEBOOK or event.startswith("ctypes."):
            return asked_by_notebook
        if event == "open":
            path = args[0]
            return (
                isinstance(path, str)
                and os.path.abspath(path).startswith(kit_prefix)
                and path.endswith(".pyc")  # the kit's code (there is no source to read)
                and not caller.f_code.co_filename.startswith("<frozen")
                and in_notebook_call(caller)
            )
        return False

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if busy[0]:
            return
        busy[0] = True
        try:
            if looks(event, args):
                write(2, f"orderkit: stopped at {event} {str(args)[:200]}\n".encode())
                end(EXIT)
        finally:
            busy[0] = False

    sys.addaudithook(hook)
