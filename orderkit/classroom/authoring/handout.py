"""A course folder released as a student folder: ready to hand out, nothing to keep back in it.

``orderkit release my-course --out student/`` writes, at the same relative places as in the
course (so every relative link and path of a notebook still works):

* the student version of every instructor notebook in ``source/`` (see :mod:`.release`);
* every file those notebooks link to (Markdown links and images) or name in their code
  (``open("CONTRACT.md")``, ``check(bugs=["../bugs.toml"])``), when it is a file of the
  course folder that may be handed out;
* the public catalogues and a public ``course.toml`` (no private catalogue, no roster, no
  private bug named), so that ``check("store-contract")`` works for the student.

Never shipped: an instructor notebook, a private catalogue or anything under its folder, the
roster, a file outside the course folder. Each reference a notebook makes to something it
will not ship is a warning naming the notebook and the reference, so the teacher knows the
student's link will be dead before a student finds out.
"""

from __future__ import annotations

import ast
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

import nbformat

from orderkit.classroom.authoring.errors import ReleaseError
from orderkit.classroom.authoring.release import Released, release, student_version
from orderkit.classroom.bugs.course import FILE, Course
from orderkit.classroom.grading.notebooks import exercises_of

MANIFEST = ".orderkit-release"  # what the last release wrote here: removed before the next
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HTML = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_SUFFIXES = "md|txt|toml|csv|json|ya?ml|ipynb|py|db|sqlite|html?|png|jpe?g|gif|svg|pdf|xlsx"
_PATHLIKE = re.compile(rf"^\.\.?/\S*$|^[\w.-]+(?:/[\w.-]+)*\.(?:{_SUFFIXES})$", re.IGNORECASE)


@dataclass
class Handout:
    """What releasing a course wrote, and what it refused to."""

    out: Path
    notebooks: list[Released] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)  # copied, relative to the course
    warnings: list[str] = field(default_factory=list)


def release_course(folder: Path, out: Path) -> Handout:
    """Release the course in ``folder`` (holding ``course.toml``) into the student folder ``out``.

    Everything is planned and checked before anything is written; a previous release in
    ``out`` is replaced (the files it wrote are removed first), any other non-empty ``out``
    is refused.
    """
    course = Course.read(folder)
    root = course.root
    out = Path(out)
    if out.resolve() == root or _is_source(out, root):
        raise ReleaseError(f"{out}: --out must not be the course folder or its source/")
    sources = sorted((root / "source").glob("*.ipynb"))
    if not sources:
        raise ReleaseError(f"{root / 'source'}: no instructor notebook (*.ipynb) to release")
    private = [p.resolve() for p in course.private]
    for bugs in course.bugs:
        if root not in bugs.resolve().parents:
            raise ReleaseError(f"{FILE}: public catalogue {bugs} is outside the course folder")
        if bugs.resolve() in private:
            raise ReleaseError(f"{FILE}: {bugs.name} is listed as both public and private")
    everything = course.catalogue(private=True)
    public = everything.public()
    handout = Handout(out)
    wanted: dict[Path, str] = {b.resolve(): "the course's public catalogue" for b in course.bugs}
    refused = {*private, *(p.parent for p in private if p.parent != root)}
    if course.roster is not None:
        refused.add(course.roster.resolve())
    for source in sources:
        try:
            instructor = nbformat.read(source, as_version=4)
        except Exception as error:  # nbformat raises several unrelated types
            raise ReleaseError(f"{source}: not a readable notebook ({error})") from None
        notebook, _, _ = student_version(instructor, source.name)  # refused here, before writing
        for exercise_id in exercises_of(notebook):
            if exercise_id not in public.exercises:
                where = "a private catalogue" if exercise_id in everything.exercises else "no file"
                handout.warnings.append(
                    f"{_rel(source, root)}: exercise {exercise_id!r} is declared in {where}: "
                    f"the student's check({exercise_id!r}) will fail"
                )
        for reference, linked in references(notebook):
            path = (source.parent / reference).resolve()
            why = _refusal(path, root, refused, set(sources))
            if why == _MISSING and not linked and "/" not in reference:
                continue  # a bare name in code ("orders.db"): a file the code makes, likely
            if why:
                handout.warnings.append(f"{_rel(source, root)}: not shipped: {reference} ({why})")
            elif path.suffix != ".ipynb":  # a notebook of source/ is released, never copied
                wanted.setdefault(path, reference)
    _clear(out)
    handout.notebooks = release(sources, out / "source")
    for path in sorted(wanted):
        target = out / path.relative_to(root)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        handout.files.append(path.relative_to(root))
    hidden = [i.name for i in everything.implementations if i.private]
    (out / FILE).write_text(course.public_toml(hidden), encoding="utf-8")
    written = [n.target.relative_to(out) for n in handout.notebooks] + [*handout.files]
    (out / MANIFEST).write_text(
        "\n".join(p.as_posix() for p in [*written, Path(FILE)]) + "\n", encoding="utf-8"
    )
    return handout


def references(notebook: nbformat.NotebookNode) -> list[tuple[str, bool]]:
    """The relative files a notebook names, in order: (path, whether it is a link).

    Links are Markdown links and images and HTML ``src``/``href``; in code, the string
    constants that look like paths (a known file suffix, or ``./``, ``../``).
    """
    found: list[tuple[str, bool]] = []
    for cell in notebook.cells:
        text = str(cell.get("source", ""))
        if cell.get("cell_type") == "markdown":
            found += [(m.group(1), True) for m in _LINK.finditer(text)]
            found += [(m.group(1), True) for m in _HTML.finditer(text)]
        elif cell.get("cell_type") == "code":
            found += [(s, False) for s in _strings(text)]
    kept: dict[str, bool] = {}
    for reference, linked in found:
        parsed = urlparse(reference)
        if parsed.scheme or parsed.netloc or not parsed.path or reference.startswith("#"):
            continue  # a web address or an anchor in the same notebook
        path = unquote(parsed.path)
        if not Path(path).is_absolute():
            kept[path] = kept.get(path, False) or linked
    return list(kept.items())


def _strings(source: str) -> list[str]:
    """String constants in code that look like relative file paths (``"../bugs.toml"``)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # a magic, a half-written line: nothing to read
        return []
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and "\n" not in node.value
        and _PATHLIKE.match(node.value)
    ]


_MISSING = "no such file in the course"


def _refusal(path: Path, root: Path, refused: set[Path], notebooks: set[Path]) -> str:
    """Why the file at ``path`` (resolved) is not shipped, or "" to ship it."""
    if root not in path.parents:
        return "outside the course folder"
    if not path.exists():
        return _MISSING
    if path.is_dir():
        return "a folder: name its files"
    if path in refused or any(r in path.parents for r in refused):
        return "private: the roster or a private catalogue"
    if path.name == FILE and path.parent == root:
        return "the teacher's course file (a public one is written instead)"
    if path.suffix == ".ipynb" and path not in notebooks:
        return "a notebook outside source/ may hold solutions"
    return ""


def _clear(out: Path) -> None:
    """Remove what the previous release wrote to ``out``; refuse a folder it did not write."""
    manifest = out / MANIFEST
    if manifest.is_file():
        for line in manifest.read_text(encoding="utf-8").splitlines():
            path = out / line
            if line and path.is_file() and out.resolve() in path.resolve().parents:
                path.unlink()
        manifest.unlink()
    elif out.exists() and any(out.iterdir()):
        raise ReleaseError(
            f"{out}: not empty and not a student folder orderkit released: choose a new folder"
        )


def _is_source(out: Path, root: Path) -> bool:
    source = (root / "source").resolve()
    return out.resolve() == source or source in out.resolve().parents


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()
