"""The kit's packaging: dependencies split by who needs them, kept in step, a typed API.

Who needs what (pyproject.toml): the lessons' kernels need the core dependencies; a learner
adds the `lab` extra (`make lab`, environment.yml); a teacher the `teacher` extra; `make
test` the `dev` extra as well. The browser tests' Chromium comes from tools/ensure_chromium.sh.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, packages_distributions, requires
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

import orderkit

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
EXTRAS: dict[str, list[str]] = PROJECT["optional-dependencies"]
DEV_TOOLS = {"mypy", "ruff", "playwright", "pytest-xdist"}
# Tools lesson 09 runs (in a process of their own): a learner's, in the lab extra.
LESSON_TOOLS = {"mutmut", "pytest-cov"}
TEACHER_ONLY = {"jinja2", "matplotlib", "tqdm"}


def _name(requirement: str) -> str:
    """The distribution name of a requirement such as ``ipywidgets>=8.1``, normalised."""
    match = re.match(r"[A-Za-z0-9._-]+", requirement.strip())
    assert match, f"cannot read a package name from {requirement!r}"
    return re.sub(r"[-_.]+", "-", match.group(0)).lower()


def _names(requirements: Iterable[str]) -> set[str]:
    return {_name(requirement) for requirement in requirements}


CORE = _names(PROJECT["dependencies"])
LEARNER = CORE | _names(EXTRAS["lab"])


def _closure(names: Iterable[str]) -> set[str]:
    """``names`` and every distribution they need, transitively, as installed here."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            needs = requires(name) or []
        except PackageNotFoundError:  # e.g. tomli on Python >= 3.11
            continue
        for line in needs:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(_name(requirement.name))
    return seen


def _modules_of(distributions: set[str]) -> set[str]:
    """Top-level import names that the installed ``distributions`` provide."""
    return {
        module
        for module, owners in packages_distributions().items()
        if any(_name(owner) in distributions for owner in owners)
    }


# -- pyproject.toml, environment.yml, constraints.txt ----------------------------------------


def test_environment_yml_is_the_learners_environment_core_plus_lab() -> None:
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [dep for dep in environment["dependencies"] if isinstance(dep, str)]
    pip_section = next(dep["pip"] for dep in environment["dependencies"] if isinstance(dep, dict))

    conda_names = _names(conda) - {"python", "pip"}

    assert conda_names == LEARNER
    assert "conda-forge" in environment["channels"]
    assert any(line.split()[-1] == "." for line in pip_section), "the kit itself is installed"


def test_environment_yml_asks_for_the_same_python_as_pyproject() -> None:
    environment = yaml.safe_load((ROOT / "environment.yml").read_text())

    assert f"python{PROJECT['requires-python']}" in environment["dependencies"]


def test_a_learners_install_has_no_dev_or_teacher_tools() -> None:
    assert not LEARNER & DEV_TOOLS
    assert not LEARNER & TEACHER_ONLY
    assert _names(EXTRAS["teacher"]) >= TEACHER_ONLY
    assert _names(EXTRAS["dev"]) >= DEV_TOOLS
    assert _names(EXTRAS["lab"]) >= LESSON_TOOLS, "lesson 09 runs them"


def test_every_dependency_is_pinned_in_constraints() -> None:
    pinned = {
        _name(line)
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    wanted = CORE.union(*(_names(extra) for extra in EXTRAS.values()))

    assert wanted - pinned == set()


def _pins() -> dict[str, str]:
    """Each distribution constraints.txt pins, and its version (markers left out)."""
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            requirement = Requirement(line)
            (version,) = [spec.version for spec in requirement.specifier if spec.operator == "=="]
            pins[_name(requirement.name)] = version
    return pins


def test_the_jupyter_pieces_the_kit_relies_on_are_pinned_though_not_asked_for_by_name() -> None:
    assert {"ipython", "ipykernel", "jupyter-client"} <= set(_pins())


def test_every_pin_is_allowed_by_pyproject() -> None:
    pins = _pins()
    requirements = [
        Requirement(line)
        for line in [
            *PROJECT["dependencies"],
            *(line for extra in EXTRAS.values() for line in extra),
        ]
    ]

    refused = {
        requirement.name: pins[_name(requirement.name)]
        for requirement in requirements
        if _name(requirement.name) in pins
        and not requirement.specifier.contains(pins[_name(requirement.name)], prereleases=True)
    }

    assert refused == {}


# -- what the package imports is what it declares ----------------------------------------------


def _third_party_imports(paths: Iterable[Path]) -> set[str]:
    """Top-level names imported anywhere in ``paths`` (in functions too), stdlib left out."""
    found: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"orderkit", "__future__"}


def test_everything_the_package_imports_comes_with_core_lab_or_teacher() -> None:
    declared = CORE | _names(EXTRAS["lab"]) | _names(EXTRAS["teacher"])
    imported = _third_party_imports((ROOT / "orderkit").rglob("*.py"))

    missing = imported - _modules_of(_closure(declared)) - {"tomli"}  # tomli: Python 3.10

    assert imported, "the package imports at least ipywidgets and ipytest"
    assert missing == set(), f"imported but in no dependency list: {sorted(missing)}"


def _lesson_imports() -> set[str]:
    """The orderkit modules that the lessons and exercises import in their cells."""
    pattern = re.compile(r"^\s*(?:from\s+(orderkit[\w.]*)\s+import|import\s+(orderkit[\w.]*))")
    modules = set()
    for path in [*(ROOT / "notebooks").glob("*.ipynb"), *(ROOT / "classroom").rglob("*.ipynb")]:
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                for line in "".join(cell["source"]).splitlines():
                    if match := pattern.match(line):
                        modules.add(match.group(1) or match.group(2))
    return modules


BLOCK_AND_IMPORT = """
import importlib, importlib.abc, json, sys
blocked, modules = json.loads(sys.argv[1]), json.loads(sys.argv[2])

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ModuleNotFoundError(f"{name} is not in a core install", name=name)
        return None

sys.meta_path.insert(0, Block())
for module in modules:
    importlib.import_module(module)
"""


@pytest.mark.slow
def test_what_the_lessons_import_works_with_the_core_dependencies_alone() -> None:
    modules = sorted(_lesson_imports())
    core_modules = _modules_of(_closure(CORE)) | {"orderkit"}
    blocked = sorted(set(packages_distributions()) - core_modules)

    done = subprocess.run(
        [sys.executable, "-c", BLOCK_AND_IMPORT, json.dumps(blocked), json.dumps(modules)],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert {"orderkit", "orderkit.notebook", "orderkit.classroom"} <= set(modules)
    assert {"jinja2", "matplotlib", "nbformat", "jupyterlab"} <= set(blocked)
    assert done.returncode == 0, done.stderr[-3000:]


# -- the Makefile's stamps -----------------------------------------------------------------------


def _make_dry_run(venv: Path, target: str) -> str:
    done = subprocess.run(
        ["make", "-n", "--no-print-directory", f"VENV={venv}", target],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def _stamp(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    later = time.time() + 3600  # newer than pyproject.toml, whoever edits it meanwhile
    os.utime(path, (later, later))


def test_make_lab_installs_only_the_lab_extra(tmp_path: Path) -> None:
    commands = _make_dry_run(tmp_path / "venv", "lab")

    assert '-e ".[lab]"' in commands
    assert "teacher" not in commands
    assert "dev" not in commands
    assert "share/jupyter/lab/settings/overrides.json" in commands


def test_make_test_adds_teacher_and_dev_to_a_learners_venv(tmp_path: Path) -> None:
    _stamp(tmp_path / "venv" / ".installed-lab")

    commands = _make_dry_run(tmp_path / "venv", "unit")

    assert '-e ".[lab,teacher,dev]"' in commands
    assert '-e ".[lab]"' not in commands
    assert commands.index("tools/ensure_chromium.sh") < commands.index("pip install")


def test_make_lab_after_make_test_installs_nothing(tmp_path: Path) -> None:
    _stamp(tmp_path / "venv" / ".installed-lab")
    _stamp(tmp_path / "venv" / ".installed-dev")

    commands = _make_dry_run(tmp_path / "venv", "lab")

    assert "pip install" not in commands
    assert "jupyter lab" in commands


def test_make_teacher_installs_the_teacher_extra_and_starts_nothing(tmp_path: Path) -> None:
    commands = _make_dry_run(tmp_path / "venv", "teacher")

    assert '-e ".[teacher]"' in commands
    assert "[lab" not in commands, "no JupyterLab: make lab adds it"
    assert "jupyter" not in commands


def test_make_test_counts_as_make_teacher_too(tmp_path: Path) -> None:
    _stamp(tmp_path / "venv" / ".installed-lab")

    after_test = _make_dry_run(tmp_path / "venv", "unit")
    for stamp in (".installed-dev", ".installed-teacher"):
        _stamp(tmp_path / "venv" / stamp)
    teacher = _make_dry_run(tmp_path / "venv", "teacher")

    assert f"touch {tmp_path / 'venv' / '.installed-teacher'}" in after_test
    assert "pip install" not in teacher


def test_make_help_names_the_teachers_commands() -> None:
    done = subprocess.run(
        ["make", "--no-print-directory", "help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert "make teacher" in done.stdout
    assert "make lab DIR=path/to/course" in done.stdout


# -- tools/ensure_chromium.sh, with apt-get, apt-cache, id and sudo faked ----------------------

FAKE_APT_GET = """#!/bin/sh
echo "apt-get $*" >> "$FAKE_LOG"
case "$*" in *install*) printf '#!/bin/sh\\necho Chromium 999\\n' > "$FAKE_CHROMIUM"
                        chmod +x "$FAKE_CHROMIUM";; esac
"""


def _ensure_chromium(
    tmp_path: Path, *, uid: int, sudo_works: bool, packages: str, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], str]:
    """Run the script with fake system tools; ``packages`` is what ``apt-cache show`` knows."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fakes = {
        "apt-get": FAKE_APT_GET,
        "apt-cache": f'#!/bin/sh\ncase "$*" in *"{packages}") echo "Package: $3";; '
        "*chromium-browser) echo 'Description: Transitional package - chromium-browser -> "
        'chromium snap\'; [ "$FAKE_UBUNTU" = 1 ];; *) exit 100;; esac\n',
        "id": f"#!/bin/sh\necho {uid}\n",
        "sudo": f"#!/bin/sh\n[ {int(sudo_works)} = 1 ] || exit 1\n"
        '[ "$1" = -n ] && shift; [ "$1" = true ] && exit 0; exec "$@"\n',
    }
    for name, text in fakes.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    log = tmp_path / "log"
    log.touch()
    run_env = {
        "PATH": f"{bin_dir}:/usr/bin:/bin",
        "FAKE_LOG": str(log),
        "FAKE_CHROMIUM": str(tmp_path / "chromium"),
        "ENSURE_CHROMIUM_DEFAULT": str(tmp_path / "chromium"),
        "FAKE_UBUNTU": "1" if packages == "nothing" else "0",
        **(env or {}),
    }
    done = subprocess.run(
        [str(ROOT / "tools" / "ensure_chromium.sh")],
        env=run_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done, log.read_text()


def test_ensure_chromium_installs_it_as_root(tmp_path: Path) -> None:
    done, calls = _ensure_chromium(tmp_path, uid=0, sudo_works=False, packages="chromium")

    assert done.returncode == 0, done.stderr
    assert calls.splitlines() == ["apt-get update -qq", "apt-get install -y -qq chromium"]
    assert "Chromium 999" in done.stdout


def test_ensure_chromium_uses_password_less_sudo(tmp_path: Path) -> None:
    done, calls = _ensure_chromium(tmp_path, uid=1000, sudo_works=True, packages="chromium")

    assert done.returncode == 0, done.stderr
    assert "apt-get install -y -qq chromium" in calls


def test_ensure_chromium_stops_with_the_command_when_it_may_not_install(tmp_path: Path) -> None:
    done, calls = _ensure_chromium(tmp_path, uid=1000, sudo_works=False, packages="chromium")

    assert done.returncode == 1
    assert "sudo apt-get update && sudo apt-get install -y chromium" in done.stderr
    assert calls == ""


def test_ensure_chromium_names_ubuntus_snap_stub(tmp_path: Path) -> None:
    done, calls = _ensure_chromium(tmp_path, uid=0, sudo_works=False, packages="nothing")

    assert done.returncode == 1
    assert "snap" in done.stderr
    assert "apt-get install" not in calls


def test_ensure_chromium_trusts_orderkit_chromium_and_installs_nothing(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-chromium")

    done, calls = _ensure_chromium(
        tmp_path, uid=0, sudo_works=True, packages="chromium", env={"ORDERKIT_CHROMIUM": missing}
    )

    assert done.returncode == 1
    assert "ORDERKIT_CHROMIUM" in done.stderr
    assert calls == ""


# -- the version, written once (pyproject.toml) ------------------------------------------------


def test_the_version_is_the_one_pyproject_gives_this_editable_install() -> None:
    assert orderkit.__version__ == PROJECT["version"]


def test_the_version_is_written_in_pyproject_only() -> None:
    literal = re.compile(r"""["']""" + re.escape(PROJECT["version"]) + r"""["']""")

    written = [
        path for path in (ROOT / "orderkit").rglob("*.py") if literal.search(path.read_text())
    ]

    assert written == []


def test_a_source_tree_never_installed_still_imports(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "orderkit", tmp_path / "orderkit")  # as mutmut's venv imports it

    done = subprocess.run(
        [sys.executable, "-S", "-c", "import orderkit; print(orderkit.__version__)"],
        env={"PYTHONPATH": str(tmp_path), "PATH": os.environ["PATH"]},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert (done.returncode, done.stdout) == (0, "0+unknown\n"), done.stderr


@pytest.mark.slow
def test_a_plain_wheel_install_knows_its_version(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source)
    shutil.copytree(
        ROOT / "orderkit", source / "orderkit", ignore=shutil.ignore_patterns("__pycache__")
    )
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    wheels, site = tmp_path / "wheels", tmp_path / "site"
    subprocess.run(  # with this venv's setuptools (the dev extra): no download
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(wheels), str(source)],
        check=True,
        timeout=300,
    )
    (wheel,) = wheels.glob("orderkit-*.whl")
    subprocess.run(
        [*pip, "install", "--no-deps", "--target", str(site), str(wheel)],
        check=True,
        timeout=300,
    )

    done = subprocess.run(  # -S: no site-packages, so neither this venv's editable install
        [
            sys.executable,
            "-S",
            "-c",
            "import orderkit; print(orderkit.__version__, orderkit.__file__)",
        ],
        env={"PYTHONPATH": str(site), "PATH": os.environ["PATH"]},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    version, path = done.stdout.split()
    assert version == PROJECT["version"]
    assert Path(path).is_relative_to(site)


# -- the public API ----------------------------------------------------------------------------


def test_every_public_name_exists_and_is_listed_once() -> None:
    assert len(orderkit.__all__) == len(set(orderkit.__all__))
    for name in orderkit.__all__:
        assert hasattr(orderkit, name), name


def test_the_package_is_marked_as_typed() -> None:
    assert (Path(orderkit.__file__).parent / "py.typed").is_file()


def test_make_mutations_tests_and_files_are_there() -> None:
    """`make mutation` runs mutmut with these; a renamed test file would stop it late."""
    mutmut = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    paths = [arg.partition("=")[2] or arg for arg in mutmut["pytest_add_cli_args_test_selection"]]

    assert [path for path in paths if not (ROOT / path).exists()] == []
    assert [path for path in mutmut["also_copy"] if not (ROOT / path).exists()] == []
    assert all(list(ROOT.glob(pattern)) for pattern in mutmut["only_mutate"])
