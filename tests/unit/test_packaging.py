"""The kit's packaging: one dependency list in two files, a typed public API."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

import orderkit

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]


def _name(requirement: str) -> str:
    """The distribution name of a requirement such as ``ipywidgets>=8.1``, normalised."""
    match = re.match(r"[A-Za-z0-9._-]+", requirement.strip())
    assert match, f"cannot read a package name from {requirement!r}"
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


def test_environment_yml_names_the_same_packages_as_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [dep for dep in environment["dependencies"] if isinstance(dep, str)]
    pip_section = next(dep["pip"] for dep in environment["dependencies"] if isinstance(dep, dict))

    conda_names = {_name(dep) for dep in conda} - {"python", "pip"}

    assert conda_names == {_name(dep) for dep in project["dependencies"]}
    assert "conda-forge" in environment["channels"]
    assert any(line.split()[-1] == "." for line in pip_section), "the kit itself is installed"


def test_environment_yml_asks_for_the_same_python_as_pyproject() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())

    assert f"python{project['requires-python']}" in environment["dependencies"]


def test_every_public_name_exists_and_is_listed_once() -> None:
    assert len(orderkit.__all__) == len(set(orderkit.__all__))
    for name in orderkit.__all__:
        assert hasattr(orderkit, name), name


def test_the_package_is_marked_as_typed() -> None:
    assert (Path(orderkit.__file__).parent / "py.typed").is_file()
