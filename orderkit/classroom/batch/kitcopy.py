"""The kit a clean run loads: one implementation, compiled, varied per run, without source.

A batch run imports the kit from its own folder, never from the installed package: the
correct source with the implementation's changes (none for the reference), compiled here
to ``.pyc`` files that Python loads without any ``.py`` beside them. So a run holds the
code it runs and nothing else: no source text on disk to compare with a copy (a test that
reads the kit's source fails on correct code, and is not valid), and no pristine copy of
the kit in memory. Every run's code also differs from every other run's in ways that
change no behaviour: each function of the kit starts with one to three assignments of
random numbers to unused local names. So the bytecode, constants and local names of
correct code change from run to run:
a test that pins them fails on correct code and is not valid, instead of telling a bug
by its form.

``orderkit.classroom`` in a run is a stub whose ``check()`` does nothing (the batch grades
afterwards), beside the subpackage the run itself needs (:data:`RUNTIME`, kept as
source); the catalogue and the grader are not in the copy.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import marshal
import secrets
import types
from pathlib import Path

from orderkit.classroom.bugs.catalogue import Implementation
from orderkit.classroom.bugs.kitpatch import PACKAGE, module_name

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


@functools.cache
def _trees(implementation: Implementation) -> dict[str, ast.Module]:
    """Each kit module's syntax tree under ``implementation`` (parsed once)."""
    changed = implementation.sources()
    trees = {}
    for relative in kit_paths():
        if relative.suffix == ".py" and relative.parts[0] != "classroom":
            path = relative.as_posix()
            text = changed.get(module_name(path)) or (KIT / relative).read_text(encoding="utf-8")
            trees[path] = ast.parse(text, filename=path)
    return trees


def kit_files(
    implementation: Implementation, rng: secrets.SystemRandom, root: Path
) -> dict[str, bytes]:
    """{path relative to ``root``: content}: the kit under ``implementation``, salted."""
    files: dict[str, bytes] = {}
    trees = _trees(implementation)
    for relative in kit_paths():
        path = relative.as_posix()
        if path in trees:
            filename = str(root / PACKAGE / path)
            code = _compiled(trees[path], filename, rng)
            files[f"{PACKAGE}/{path}c"] = _pyc(code)
        else:
            files[f"{PACKAGE}/{path}"] = (KIT / relative).read_bytes()
    files[f"{PACKAGE}/classroom/__init__.py"] = STUB.encode()
    return files


def write(files: dict[str, bytes], root: Path) -> None:
    """Write ``files`` under ``root``."""
    for relative, data in files.items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def _pyc(code: types.CodeType) -> bytes:
    """A ``.pyc`` file's bytes (PEP 552 header, unchecked: nothing to check it against)."""
    return importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps(code)


def _compiled(tree: ast.Module, filename: str, rng: secrets.SystemRandom) -> types.CodeType:
    """Compile ``tree`` with salt in every function, then take the salt out of the tree."""
    functions = [
        node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    ]
    bodies = [node.body for node in functions]
    try:
        for node in functions:
            node.body = _salted(node.body, rng)
        code = compile(tree, filename, "exec", dont_inherit=True)
    finally:
        for node, body in zip(functions, bodies, strict=True):
            node.body = body
    return code


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
