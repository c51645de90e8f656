"""Load a patched copy of the kit's source *as* the kit's own modules, and undo it.

A bug of the catalogue is a small change to the correct source, the way mutation-testing
tools write mutants. To test a student's tests on it, the changed source is compiled and
grafted into the modules already loaded, in place: every class and function keeps its
identity, name, qualified name, ``__module__``, file and MRO, and only its code changes.
So a test reaches the implementation under test by every path it can take (the names a
notebook imported, ``orderkit.X``, ``orderkit.inventory.X``, a fresh ``import``, objects
made before the run, bound methods kept in a variable), and nothing but behaviour tells
two implementations apart.

Line numbers of the changed code are mapped back to the lines of the file on disk, so
``inspect.getsource`` and tracebacks read the same text under every implementation.
What this cannot hide: the code objects themselves (a test that compares bytecode).
"""

from __future__ import annotations

import ast
import difflib
import importlib
import sys
import types
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from orderkit.classroom.bugs.errors import CatalogueError

PACKAGE = "orderkit"
# Attributes a class keeps as they are: its identity, and the ABC machinery's own caches.
_SPECIAL = {
    "__dict__",
    "__weakref__",
    "__module__",
    "__qualname__",
    "__doc__",
    "_abc_impl",
    "__abstractmethods__",
}


@dataclass(frozen=True)
class Change:
    """Replace ``find`` by ``replace`` in one file of the kit, ``count`` times (exactly).

    ``within`` (``in = "MemoryStore.place_order"`` in a catalogue) names the function, method
    or class whose source alone is searched: an edit elsewhere in the file never breaks it.
    """

    file: str  # relative to the package folder, e.g. "stores/memory.py"
    find: str
    replace: str
    count: int = 1
    within: str = ""  # a qualified name in ``file``; empty: the whole file


def module_name(file: str) -> str:
    """``"stores/memory.py"`` -> ``"orderkit.stores.memory"``."""
    path = Path(file)
    if path.suffix != ".py" or path.is_absolute() or ".." in path.parts:
        raise CatalogueError(
            f"{file!r}: expected a .py file inside the kit; its files: {', '.join(kit_files())}"
        )
    parts = path.with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join((PACKAGE, *parts))


def kit_files() -> list[str]:
    """The kit's own modules a bug may change (its classroom tools and command line not)."""
    root = Path(importlib.import_module(PACKAGE).__file__ or "").parent
    return sorted(
        path.relative_to(root).as_posix()
        for path in root.rglob("*.py")
        if path.relative_to(root).parts[0] not in ("classroom", "cli", "__main__.py")
    )


def definitions(source: str) -> dict[str, tuple[int, int]]:
    """Every function, method and class of ``source``: qualified name -> (first, last) line.

    The first line is that of its first decorator, so a change may reach those too.
    """
    found: dict[str, tuple[int, int]] = {}

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{node.name}"
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                found.setdefault(name, (first, node.end_lineno or node.lineno))
                visit(node.body, f"{name}.")

    visit(ast.parse(source).body, "")
    return found


def patched_sources(changes: tuple[Change, ...], where: str) -> dict[str, str]:
    """Apply ``changes`` to the kit's source; return {module name: new source}.

    Raises :class:`CatalogueError` naming ``where``, the change and the function when a
    ``find`` text does not occur exactly ``count`` times (with the nearest text there is),
    so a catalogue that no longer fits the code fails loudly instead of testing the correct
    code under a bug's name.
    """
    sources: dict[str, str] = {}
    for number, change in enumerate(changes, start=1):
        here = f"{where}, change {number}"
        name = module_name(change.file)
        text = sources.get(name)
        if text is None:
            text = _original_source(name, here)
        sources[name] = _apply(change, text, here)
    for name, text in sources.items():
        try:
            compile(text, name, "exec")
        except SyntaxError as error:
            raise CatalogueError(f"{where}: {name} no longer compiles: {error}") from None
    return sources


def _apply(change: Change, text: str, where: str) -> str:
    """``text`` with ``change`` made in it (inside ``change.within`` only, if named)."""
    lines = text.splitlines(keepends=True)
    first, last = 1, len(lines)
    scope = change.file
    if change.within:
        known = definitions(text)
        if change.within not in known:
            raise CatalogueError(
                f"{where}: no function or class {change.within!r} in {change.file}; "
                f"there: {', '.join(known)}"
            )
        first, last = known[change.within]
        scope = f"{change.within} ({change.file})"
    before, part, after = lines[: first - 1], "".join(lines[first - 1 : last]), lines[last:]
    found = part.count(change.find) if change.find else 0
    if found != change.count:
        raise CatalogueError(
            f"{where}: the text to find occurs {found} time(s) in {scope}, expected "
            f"{change.count}{_nearest(part, change.find, first) if found == 0 else ''}"
        )
    return "".join(before) + part.replace(change.find, change.replace) + "".join(after)


def _nearest(text: str, find: str, first: int) -> str:
    """ "; nearest (line N): ..." - the lines of ``text`` most like ``find``, to fix it by."""
    wanted = find.strip("\n").splitlines() or [""]
    lines = text.splitlines()
    size = len(wanted)
    best, where = 0.0, 0
    for start in range(max(1, len(lines) - size + 1)):
        window = "\n".join(lines[start : start + size])
        ratio = difflib.SequenceMatcher(None, "\n".join(wanted), window, autojunk=False).ratio()
        if ratio > best:
            best, where = ratio, start
    if best < 0.5:
        return ""
    shown = "\n".join(lines[where : where + size])
    return f"; nearest (line {first + where}, {best:.0%} alike):\n{shown}"


def _original_source(name: str, where: str) -> str:
    try:
        module = importlib.import_module(name)
    except ImportError:
        raise CatalogueError(
            f"{where}: no module {name} in the kit; its files: {', '.join(kit_files())}"
        ) from None
    return Path(module.__file__ or "").read_text(encoding="utf-8")


def _compiled(name: str, source: str) -> types.CodeType:
    """Compile ``source`` for module ``name`` with line numbers of the file on disk."""
    module = sys.modules[name]
    path = module.__file__ or name
    original = Path(path).read_text(encoding="utf-8").splitlines()
    lines = source.splitlines()
    mapping: dict[int, int] = {}
    matcher = difflib.SequenceMatcher(a=original, b=lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for offset, j in enumerate(range(j1, j2)):
            same_size = tag == "equal" or (i2 - i1) == (j2 - j1)
            mapping[j + 1] = i1 + 1 + (offset if same_size else 0)
    tree = ast.parse(source, filename=path)
    for node in ast.walk(tree):
        if isinstance(getattr(node, "lineno", None), int):
            node.lineno = mapping.get(node.lineno, node.lineno)  # type: ignore[attr-defined]
        end = getattr(node, "end_lineno", None)
        if isinstance(end, int):
            node.end_lineno = max(mapping.get(end, end), node.lineno)  # type: ignore[attr-defined]
    return compile(tree, path, "exec", dont_inherit=True)


# -- undo: what a module looked like before grafting --------------------------------------
@dataclass
class _Saved:
    modules: dict[str, dict[str, Any]]
    classes: list[tuple[type, dict[str, Any]]]
    functions: list[tuple[types.FunctionType, tuple[Any, ...]]]


def _function_state(function: types.FunctionType) -> tuple[Any, ...]:
    cells = []
    for cell in function.__closure__ or ():
        try:
            cells.append(cell.cell_contents)
        except ValueError:  # an empty cell
            cells.append(_EMPTY)
    return (function.__code__, function.__defaults__, function.__kwdefaults__, cells)


_EMPTY = object()


def _functions_in(value: Any, seen: set[int]) -> Iterator[types.FunctionType]:
    """Every function reachable from a class attribute: wrappers, properties, closures."""
    if id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, types.FunctionType):
        yield value
        for cell in value.__closure__ or ():
            try:
                inner = cell.cell_contents
            except ValueError:
                continue
            if isinstance(inner, types.FunctionType):
                yield from _functions_in(inner, seen)
    elif isinstance(value, property):
        for part in (value.fget, value.fset, value.fdel):
            yield from _functions_in(part, seen)
    elif isinstance(value, (staticmethod, classmethod)):
        yield from _functions_in(value.__func__, seen)


def _own_classes(module: types.ModuleType) -> list[type]:
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type) and value.__module__ == module.__name__
    ]


def _save(names: list[str]) -> _Saved:
    saved = _Saved({}, [], [])
    seen: set[int] = set()
    for name in names:
        module = sys.modules[name]
        saved.modules[name] = dict(vars(module))
        for value in vars(module).values():
            for function in _functions_in(value, seen):
                saved.functions.append((function, _function_state(function)))
        for cls in _own_classes(module):
            saved.classes.append((cls, dict(vars(cls))))
            for attribute in vars(cls).values():
                for function in _functions_in(attribute, seen):
                    saved.functions.append((function, _function_state(function)))
    return saved


def _restore(saved: _Saved) -> None:
    for function, (code, defaults, kwdefaults, cells) in saved.functions:
        function.__code__ = code
        function.__defaults__ = defaults
        function.__kwdefaults__ = kwdefaults
        for cell, value in zip(function.__closure__ or (), cells, strict=False):
            if value is not _EMPTY:
                cell.cell_contents = value
    for cls, attributes in saved.classes:
        for key in [k for k in vars(cls) if k not in attributes and k not in _SPECIAL]:
            delattr(cls, key)
        for key, value in attributes.items():
            if key not in _SPECIAL and vars(cls).get(key, _EMPTY) is not value:
                setattr(cls, key, value)
    for name, namespace in saved.modules.items():
        module_dict = vars(sys.modules[name])
        module_dict.clear()
        module_dict.update(namespace)


# -- graft: new code into old objects ------------------------------------------------------
def _graft(old: Any, new: Any, classes: Mapping[int, type]) -> bool:
    """Give ``old`` the behaviour of ``new`` in place; False if it cannot be done."""
    if isinstance(old, types.FunctionType) and isinstance(new, types.FunctionType):
        if old.__code__.co_freevars != new.__code__.co_freevars:
            return False
        old.__code__ = new.__code__
        old.__defaults__ = new.__defaults__
        old.__kwdefaults__ = new.__kwdefaults__
        for old_cell, new_cell in zip(old.__closure__ or (), new.__closure__ or (), strict=True):
            try:
                value = new_cell.cell_contents
            except ValueError:
                continue
            if id(value) in classes:  # __class__ of super(): keep the original class
                old_cell.cell_contents = classes[id(value)]
            elif not _graft(_contents(old_cell), value, classes):
                old_cell.cell_contents = value
        return True
    if isinstance(old, property) and isinstance(new, property):
        parts = zip((old.fget, old.fset, old.fdel), (new.fget, new.fset, new.fdel), strict=True)
        return all(
            (a is None and b is None) or (a is not None and _graft(a, b, classes)) for a, b in parts
        )
    if isinstance(old, (staticmethod, classmethod)) and type(old) is type(new):
        return _graft(old.__func__, new.__func__, classes)
    return False


def _contents(cell: types.CellType) -> Any:
    try:
        return cell.cell_contents
    except ValueError:
        return _EMPTY


def _rebind(value: Any, classes: Mapping[int, type]) -> Any:
    """A new attribute moving into an old class: its ``super()`` must name the old class."""
    for function in _functions_in(value, set()):
        for cell in function.__closure__ or ():
            if id(_contents(cell)) in classes:
                cell.cell_contents = classes[id(_contents(cell))]
    return value


def _transplant(old: type, new: type, classes: Mapping[int, type]) -> None:
    for key in [k for k in vars(old) if k not in vars(new) and k not in _SPECIAL]:
        delattr(old, key)
    for key, value in vars(new).items():
        if key in _SPECIAL:
            continue
        current = vars(old).get(key, _EMPTY)
        if current is _EMPTY or not _graft(current, value, classes):
            setattr(old, key, _rebind(value, classes))


def _load(name: str, code: types.CodeType) -> None:
    """Run ``code`` in module ``name``'s namespace, then fold new objects into old ones."""
    module = sys.modules[name]
    before = dict(vars(module))
    exec(code, vars(module))
    namespace = vars(module)
    classes: dict[int, type] = {}
    for key, value in list(namespace.items()):
        old = before.get(key, _EMPTY)
        if isinstance(old, type) and isinstance(value, type) and old is not value:
            classes[id(value)] = old
    for key, value in list(namespace.items()):
        old = before.get(key, _EMPTY)
        if old is _EMPTY or old is value:
            continue
        if id(value) in classes:
            _transplant(old, value, classes)
            namespace[key] = old
        elif _graft(old, value, classes) or _same_value(old, value):
            namespace[key] = old


def _same_value(old: Any, new: Any) -> bool:
    """Equal constants keep the original object, so identities match the other modules'."""
    try:
        return type(old) is type(new) and bool(old == new)
    except Exception:  # a value whose == raises is simply not the same
        return False


Compiled = Mapping[str, types.CodeType]
"""Changed modules, compiled: what :func:`load` runs (compile once, load in many runs)."""


def compiled(sources: Mapping[str, str]) -> dict[str, types.CodeType]:
    """Compile every changed module (a few ms each), with the file's line numbers."""
    return {name: _compiled(name, source) for name, source in sources.items()}


def load(code: Compiled) -> None:
    """Load the changed modules as the kit for good (in a process that ends with the run)."""
    for name in sorted(code):
        _load(name, code[name])


@contextmanager
def loaded(code: Compiled) -> Iterator[None]:
    """Load ``code`` (from :func:`compiled`) as the kit for the block, then undo.

    In a forked child that exits afterwards, the undo is skipped by leaving with
    ``os._exit``; in a single process (no ``fork``, as in the browser) it restores every
    function, class and module namespace exactly as it was.
    """
    saved = _save(sorted(code))
    try:
        load(code)
        yield
    finally:
        _restore(saved)
