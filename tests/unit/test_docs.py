"""The docs hold together: every relative link resolves, the bug tables equal the catalogue.

Links: every Markdown file of the repository (README, CONTRIBUTING, docs/, notebooks/) and
the markdown cells of every lesson and instructor notebook, parsed with mistune (the
Markdown parser nbconvert uses, so JupyterLab's own dependencies bring it). A relative link
must name a file that exists; a ``#anchor`` into a Markdown file must name one of its
headings, as GitHub makes anchors from headings. Web and mail links are not followed.

Bug tables: docs/teacher/bugs.md holds the catalogue's tables between marker comments;
they must equal a fresh render from ``bugs.toml`` (``.venv/bin/python tools/bug_tables.py``
rewrites them).
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, cast
from urllib.parse import unquote, urlsplit

import mistune
import pytest

from orderkit.classroom import load

ROOT = Path(__file__).resolve().parents[2]
# Folders that are not the kit's docs: tool caches and venvs (hidden), build output, a
# teacher's course folders kept in the checkout (.gitignore), and test data (fixtures
# copied from elsewhere, kept as they came).
SKIPPED = {"build", "dist", "mutants", "node_modules", "test-results"}
SKIPPED |= {"release", "submissions", "grades", "course"}
TEST_DATA = ROOT / "tests" / "data"
# Instructor notebooks are released into notebooks/ (make release), and their links are
# written for the student version there (for example to CONTRACT.md beside it).
RELEASED_INTO = {ROOT / "classroom" / "source": ROOT / "notebooks"}

_parse = mistune.create_markdown(renderer=None, plugins=["table", "strikethrough"])
_HTML_LINK = re.compile(r"""\b(?:href|src)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


def _markdown_files() -> list[Path]:
    found = []
    for folder, subfolders, files in os.walk(ROOT):
        here = Path(folder)
        subfolders[:] = [
            name
            for name in subfolders
            if not name.startswith(".") and name not in SKIPPED and here / name != TEST_DATA
        ]
        found += [here / name for name in files if name.endswith(".md")]
    return sorted(found)


def _notebooks() -> list[Path]:
    return sorted(
        [*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("classroom/source/*.ipynb")],
    )


def _tokens(text: str) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], _parse(text))


def _walk(tokens: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for token in tokens:
        yield token
        yield from _walk(token.get("children", []))


def links(text: str) -> list[str]:
    """Every link and image target in Markdown ``text``, raw HTML ``href``/``src`` too."""
    found = []
    for token in _walk(_tokens(text)):
        if token["type"] in ("link", "image"):
            found.append(token["attrs"]["url"])
        elif token["type"] in ("inline_html", "block_html"):
            found += _HTML_LINK.findall(token.get("raw", ""))
    return found


def _plain(tokens: list[dict[str, Any]]) -> str:
    return "".join(
        t.get("raw", "") if "raw" in t else _plain(t.get("children", [])) for t in tokens
    )


def anchors(text: str) -> set[str]:
    """The anchors GitHub gives the headings of Markdown ``text`` (a repeat gets -1, -2...)."""
    seen: dict[str, int] = {}
    found = set()
    for token in _walk(_tokens(text)):
        if token["type"] != "heading":
            continue
        slug = re.sub(r"[^\w\- ]", "", _plain(token["children"]).strip().lower()).replace(" ", "-")
        found.add(slug if slug not in seen else f"{slug}-{seen[slug]}")
        seen[slug] = seen.get(slug, 0) + 1
    return found


def _has_anchor(target: Path, fragment: str) -> bool:
    return target.is_file() and unquote(fragment) in anchors(target.read_text(encoding="utf-8"))


def broken(text: str, folder: Path, here: Path) -> list[str]:
    """The relative links of ``text`` (read from ``here``, resolved in ``folder``) that do
    not resolve, each with why."""
    problems = []
    for url in links(text):
        parts = urlsplit(url)
        if parts.scheme or parts.netloc:  # http(s), mailto, attachment: not followed
            continue
        target = (folder / unquote(parts.path)).resolve() if parts.path else here
        if not target.exists():
            problems.append(f"{url}: no such file {os.path.relpath(target, ROOT)}")
        elif parts.fragment and target.suffix == ".md" and not _has_anchor(target, parts.fragment):
            problems.append(f"{url}: no heading with anchor #{parts.fragment}")
    return problems


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", _markdown_files(), ids=_id)
def test_every_relative_link_in_a_markdown_file_resolves(path: Path) -> None:
    text = path.read_text(encoding="utf-8")

    problems = broken(text, path.parent, path)

    assert not problems, f"{_id(path)}: broken links:\n" + "\n".join(problems)


@pytest.mark.parametrize("path", _notebooks(), ids=_id)
def test_every_relative_link_in_a_notebook_markdown_cell_resolves(path: Path) -> None:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    folder = RELEASED_INTO.get(path.parent, path.parent)

    problems = [
        f"cell {number}: {problem}"
        for number, cell in enumerate(cells, start=1)
        if cell["cell_type"] == "markdown"
        for problem in broken("".join(cell["source"]), folder, path)
    ]

    assert not problems, f"{_id(path)}: broken links:\n" + "\n".join(problems)


def test_the_link_check_covers_every_audience() -> None:
    checked = {_id(p) for p in _markdown_files()}

    assert {"README.md", "CONTRIBUTING.md", "notebooks/CONTRACT.md"} <= checked
    assert {"docs/teacher/README.md", "docs/teacher/bugs.md", "docs/dev/architecture.md"} <= checked
    assert {"notebooks/00-how-to-use-this-kit.ipynb"} <= {_id(p) for p in _notebooks()}


def test_the_link_check_finds_a_missing_file_and_a_missing_heading(tmp_path: Path) -> None:
    (tmp_path / "guide.md").write_text("# Set-up\n\n## Step 1: release it\n", encoding="utf-8")
    text = (
        "[ok](guide.md) [ok](guide.md#set-up) [ok](guide.md#step-1-release-it) [ok](#top)\n"
        "[web](https://example.org/x.md) [mail](mailto:a@example.org)\n\n"
        "# Top\n\n"
        "| a | [gone](missing.md) |\n|---|---|\n\n"
        '<a href="gone.ipynb">x</a> [bad](guide.md#step-2) [bad](#nowhere)\n'
    )
    (tmp_path / "page.md").write_text(text, encoding="utf-8")

    problems = broken(text, tmp_path, tmp_path / "page.md")

    assert [p.split(":")[0] for p in problems] == [
        "missing.md",
        "gone.ipynb",
        "guide.md#step-2",
        "#nowhere",
    ]


@functools.cache
def _bug_tables() -> ModuleType:
    """tools/bug_tables.py, loaded from its path: the same whatever name tools/ imports as."""
    spec = importlib.util.spec_from_file_location("bug_tables", ROOT / "tools" / "bug_tables.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_bug_tables_equal_the_catalogue() -> None:
    tables = _bug_tables()
    page = tables.PAGE.read_text(encoding="utf-8")

    fresh = tables.render(page, load())

    assert fresh == page, f"{_id(tables.PAGE)} is stale: run {tables.COMMAND}"


def test_a_stale_bug_table_is_noticed() -> None:
    tables = _bug_tables()
    page = tables.PAGE.read_text(encoding="utf-8")
    stale = page.replace("| `off-by-one` |", "| `off-by-two` |")

    fresh = tables.render(stale, load())

    assert stale != page
    assert fresh == page


def test_a_lost_marker_is_a_clear_error() -> None:
    tables = _bug_tables()
    page = tables.PAGE.read_text(encoding="utf-8")
    lost = page.replace("<!-- END bug_tables.py chaffs -->", "")

    with pytest.raises(tables.StaleTables, match=r"bug_tables\.py chaffs"):
        tables.render(lost, load())


def test_the_readme_quick_start_is_exactly_two_commands() -> None:
    tokens = _tokens((ROOT / "README.md").read_text(encoding="utf-8"))
    start = next(
        n
        for n, t in enumerate(tokens)
        if t["type"] == "heading" and _plain(t["children"]) == "Quick start"
    )
    block = next(t for t in tokens[start:] if t["type"] == "block_code")

    commands = [line.split("#")[0].strip() for line in block["raw"].splitlines()]

    assert [c for c in commands if c] == ["make lab", "make test"]
