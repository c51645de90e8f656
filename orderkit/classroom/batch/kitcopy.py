"""The kit a clean run loads: one implementation, compiled, varied per run, without source.

A batch run imports the kit from its own folder, never from the installed package: the
correct source with the implementation's changes (none for the reference), compiled here
to ``.pyc`` files that Python loads without any ``.py`` beside them. So a run holds the
code it runs and nothing else: no source text on disk to compare with a copy (a test that
reads the kit's source fails on correct code, and is not valid), and no pristine copy of
the kit in memory. Every run's code also differs from run to run in ways that change no
behaviour: each function of the kit starts with one to three assignments of random
numbers to unused local names, and every line number is random. So the bytecode,
constants, local names and traceback lines of correct code change from run to run: a test
that pins them fails on correct code and is not valid, instead of telling a bug by its
form. Every implementation's modules and classes also bind the same names
(:func:`_modules`).

``orderkit.classroom`` in a run is a stub whose ``check()`` does nothing (the batch grades
afterwards), beside the subpackage the run itself needs (:data:`RUNTIME`, kept as
source); the catalogue and the grader are not in the copy.
"""

from __future__ import annotations

import ast
import copy
import functools
import importlib.util
import marshal
import random
import secrets
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orderkit.classroom.bugs.catalogue import Implementation
from orderkit.classroom.bugs.kitpatch import PACKAGE, module_name

_Function = ast.FunctionDef | ast.AsyncFunctionDef
KIT = Path(__file__).resolve().parents[2]
RUNTIME = ("classroom", "runtime")
"""The classroom subpackage a clean run needs, kept as source: it holds code, no grading data."""

STUB = '''"""In a batch run the notebook is graded afterwards, outside: check() only says so."""


def check(*args, **kwargs):
    """Grade nothing: the batch grader grades this notebook's tests after it ran."""
    return None
'''


def kit_paths() -> list[Path]:
    """The kit's files a run loads, relative to :data:`KIT` (also what provenance digests)."""
    found = []
    for path in sorted(KIT.rglob("*")):
        relative = path.relative_to(KIT)
        if not path.is_file() or "__pycache__" in relative.parts:
            continue
        if relative.parts[0] == "classroom" and relative.parts[:2] != RUNTIME:
            continue
        found.append(relative)
    return found


@dataclass(frozen=True)
class _Module:
    """One kit module's syntax tree, ready to salt: its functions and its positioned nodes."""

    tree: ast.Module
    functions: list[_Function]
    positioned: list[tuple[Any, int, int]]  # (node, lineno, end_lineno) as parsed


@functools.cache
def _parsed(implementation: Implementation) -> dict[str, ast.Module]:
    """Each kit module's syntax tree under ``implementation`` (parsed once)."""
    changed = implementation.sources()
    trees = {}
    for relative in kit_paths():
        if relative.suffix == ".py" and relative.parts[0] != "classroom":
            path = relative.as_posix()
            text = changed.get(module_name(path)) or (KIT / relative).read_text(encoding="utf-8")
            trees[path] = ast.parse(text, filename=path)
    return trees


@functools.cache
def _modules(
    implementation: Implementation, alongside: tuple[Implementation, ...]
) -> dict[str, _Module]:
    """The modules to compile for ``implementation``, with the same global names as under
    every implementation ``alongside`` it (the rest of the catalogue).

    A bug may import or define a name the correct module does not have (an exception
    class, ``time``, a helper method); a test asking ``hasattr(module, name)`` would then
    tell the bug by its form. So each module, and each of its top-level classes, also
    binds, by the same statement, every name that another implementation binds there and
    this one does not; and at its end the module puts its globals and its classes'
    attributes in a random order (:data:`_REORDER`), so that neither their names nor their
    order say which implementation this is.
    """
    modules = {}
    for path, parsed in _parsed(implementation).items():
        tree = copy.deepcopy(parsed)
        others = [_parsed(other).get(path) for other in alongside]
        _equalise(tree.body, [o.body for o in others if o is not None])
        classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
        for name, definition in classes.items():
            _equalise(definition.body, [c.body for o in others if o for c in _classes(o, name)])
        tree.body.append(ast.parse(_SHUFFLE.format(classes=sorted(classes))).body[0])
        ast.fix_missing_locations(tree)
        functions = [node for node in ast.walk(tree) if isinstance(node, _Function)]
        positioned: list[tuple[Any, int, int]] = []
        for node in ast.walk(tree):
            line = getattr(node, "lineno", None)
            if isinstance(line, int):
                positioned.append((node, line, getattr(node, "end_lineno", None) or line))
        modules[path] = _Module(tree, functions, positioned)
    return modules


def _classes(tree: ast.Module, name: str) -> list[ast.ClassDef]:
    return [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name]


def _equalise(body: list[ast.stmt], others: list[list[ast.stmt]]) -> None:
    """Append to ``body`` what binds the names the ``others`` bind and it does not."""
    bound = set().union(*(_binds(statement) for statement in body))
    for other in others:
        for statement in other:
            added = _missing(statement, bound)
            if added is not None:
                body.append(added)
                bound |= _binds(added)


_SHUFFLE = """
def _shuffle(namespace=globals(), classes={classes!r}):
    import enum
    for cls in [namespace.get(name) for name in classes]:
        if isinstance(cls, type) and not isinstance(cls, enum.EnumMeta):
            for key in sorted((k for k in vars(cls) if not k.startswith("__")), key=hash):
                value = vars(cls)[key]
                delattr(cls, key)
                setattr(cls, key, value)
"""
"""Defined at the end of every module and called by :data:`_REORDER`: each class's own
attributes put back in the order of their names' hashes. Every implementation's class has
the same names, and a run's hashes are random (and the same in every run of a batch), so
the order says nothing about the implementation. Enums are left alone (their members
cannot be set again)."""

_REORDER = (
    "[_shuffle(), globals().pop('_shuffle')] and "
    "[globals().__setitem__(k, globals().pop(k))"
    " for k in sorted(globals(), key=lambda k: hash((k, {salt})))]"
)
"""The last statement of every module: its classes' attributes and its globals in a random
order (the hash of a name changes from process to process, and ``salt`` from run to run)."""


def _binds(statement: ast.stmt) -> set[str]:
    """The module-level names a top-level statement binds."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {statement.name}
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return {(alias.asname or alias.name).partition(".")[0] for alias in statement.names}
    targets = (
        statement.targets
        if isinstance(statement, ast.Assign)
        else [statement.target]
        if isinstance(statement, (ast.AnnAssign, ast.AugAssign))
        else []
    )
    return {n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name)}


def _missing(statement: ast.stmt, bound: set[str]) -> ast.stmt | None:
    """``statement`` reduced to the names not in ``bound``, or None if it binds none of them
    (or also rebinds a name this module binds otherwise: that could change its behaviour)."""
    names = _binds(statement)
    if not names or names <= bound:
        return None
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        reduced = copy.deepcopy(statement)
        reduced.names = [
            a for a in statement.names if (a.asname or a.name).partition(".")[0] not in bound
        ]
        return reduced
    return copy.deepcopy(statement) if not names & bound else None


VARIANTS = 8
"""Salted variants compiled per implementation and batch; each run draws one at random."""


LineMap = dict[str, dict[int, int]]
"""Per kit file (``"inventory.py"``), each line number of a run's copy -> its line in the
source the copy was compiled from (what a hint run's coverage is mapped back through)."""


def kit_files(
    implementation: Implementation,
    rng: secrets.SystemRandom,
    root: Path,
    alongside: tuple[Implementation, ...] = (),
    lines: LineMap | None = None,
) -> dict[str, bytes]:
    """{path relative to ``root``: content}: the kit under ``implementation``, salted, with
    the module globals of every implementation ``alongside`` it (see :func:`_modules`).

    The salt is one of :data:`VARIANTS` variants of this implementation, drawn at random
    and compiled on first use (compiling with random line numbers is the costly part of a
    run's copy); a run sees only its own, so it cannot tell a variant it shares with
    another run from one it does not. ``lines``, if given, receives the variant's
    :data:`LineMap` (it stays with the grader).
    """
    files: dict[str, bytes] = {}
    compiled = _variant(implementation, alongside, rng.randrange(VARIANTS))
    for relative in kit_paths():
        path = relative.as_posix()
        if path in compiled:
            code = _renamed(compiled[path][0], str(root / PACKAGE / path))
            if lines is not None:
                lines[path] = compiled[path][1]
            files[f"{PACKAGE}/{path}c"] = _pyc(code)
        else:
            files[f"{PACKAGE}/{path}"] = (KIT / relative).read_bytes()
    files[f"{PACKAGE}/classroom/__init__.py"] = STUB.encode()
    return files


@functools.cache
def _variant(
    implementation: Implementation, alongside: tuple[Implementation, ...], index: int
) -> dict[str, tuple[types.CodeType, dict[int, int]]]:
    """Variant ``index`` of the salted kit under ``implementation``: each module's code,
    and its line numbers mapped back to the source's."""
    rng = secrets.SystemRandom()
    return {
        path: _compiled(module, f"<{index}>/{path}", rng)
        for path, module in _modules(implementation, alongside).items()
    }


def _renamed(code: types.CodeType, filename: str) -> types.CodeType:
    """``code`` and every code object in it, as compiled from ``filename``: the run's own
    path, where the tripwire and tracebacks look for the kit."""
    consts = tuple(
        _renamed(c, filename) if isinstance(c, types.CodeType) else c for c in code.co_consts
    )
    return code.replace(co_filename=filename, co_consts=consts)


def write(files: dict[str, bytes], root: Path) -> None:
    """Write ``files`` under ``root``."""
    for relative, data in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _pyc(code: types.CodeType) -> bytes:
    """A ``.pyc`` file's bytes (PEP 552 header, unchecked: nothing to check it against)."""
    return importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps(code)


def _compiled(
    module: _Module, filename: str, rng: secrets.SystemRandom
) -> tuple[types.CodeType, dict[int, int]]:
    """Compile ``module`` salted for one run, then take the salt out of its tree again.

    The salt: every function starts with one to three unused assignments of random
    numbers to random names; every line number is random (so a traceback's line numbers
    say nothing about a bug that added or removed lines); the module's globals are put in
    a random order (:data:`_REORDER`'s ``SALT``). Returned beside the code: each random
    line number -> the line it stands for (the numbers are drawn distinct, so the map is
    one-to-one).
    """
    bodies = [node.body for node in module.functions]
    reorder: ast.stmt | None = None
    lines = random.Random(rng.getrandbits(128))  # thousands of numbers: no system call each
    drawn = lines.sample(range(1, 1 << 20), len(module.positioned))
    back: dict[int, int] = {}
    try:
        for (node, first, last), line in zip(module.positioned, drawn, strict=True):
            node.lineno, node.end_lineno = line, line + last - first
            back[line] = first
        for node in module.functions:
            node.body = _salted(node.body, rng)
        reorder = ast.parse(_REORDER.format(salt=rng.randrange(1 << 62))).body[0]
        module.tree.body.append(reorder)
        code = compile(module.tree, filename, "exec", dont_inherit=True)
    finally:
        if module.tree.body and module.tree.body[-1] is reorder:
            module.tree.body.pop()
        for node, body in zip(module.functions, bodies, strict=True):
            node.body = body
        for node, first, last in module.positioned:
            node.lineno, node.end_lineno = first, last
    return code, back


def _salted(body: list[ast.stmt], rng: secrets.SystemRandom) -> list[ast.stmt]:
    first = body[0]
    docstring = (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    )
    at = body[1] if docstring and len(body) > 1 else first
    salt: list[ast.stmt] = []
    for _ in range(rng.randint(1, 3)):
        name = ast.Name(id=f"_{secrets.token_hex(3)}", ctx=ast.Store())
        assign = ast.Assign(targets=[name], value=ast.Constant(rng.randrange(1 << 30)))
        salt.append(ast.copy_location(assign, at))
        ast.copy_location(name, at)
        ast.copy_location(assign.value, at)
    return [*body[:1], *salt, *body[1:]] if docstring else [*salt, *body]


def original_arcs(
    covered: dict[str, list[tuple[int, int]]], lines: LineMap
) -> dict[str, list[tuple[int, int]]]:
    """A hint run's coverage with the source's line numbers (:data:`LineMap`).

    Every node of the copy has its own random line, so a run records steps between the
    parts of one line too: mapped back they become steps from a line to itself, dropped.
    A line the map does not know (what a test forged) is dropped as well.
    """
    found: dict[str, list[tuple[int, int]]] = {}
    for file, arcs in covered.items():
        back = lines.get(file)
        if back is None:
            continue
        mapped = set()
        for start, end in arcs:
            first, last = back.get(abs(start)), back.get(abs(end))
            if first is None or last is None:
                continue
            pair = (first if start > 0 else -first, last if end > 0 else -last)
            if pair[0] != pair[1]:
                mapped.add(pair)
        found[file] = sorted(mapped)
    return found
