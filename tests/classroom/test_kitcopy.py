"""A clean run's copy of the kit: names and order tell nothing about the implementation."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from pathlib import Path

from orderkit.classroom import load
from orderkit.classroom.batch import kitcopy
from orderkit.classroom.bugs.catalogue import Catalogue

# A teacher's bug that adds an import, a module-level helper and a method.
ADDS_NAMES = '''
[[chaff]]
name = "adds-names"
title = "restock ignores the quantity"
hint = "restock more than once"
[[chaff.change]]
file = "inventory.py"
find = "class InventoryService"
replace = """import fractions


def _unused_helper():
    return 1


class InventoryService"""
[[chaff.change]]
file = "inventory.py"
find = "    def restock("
replace = """    def _extra(self):
        return None

    def restock("""
'''

LOOK = """
import json, sys
sys.path.insert(0, ".")
import orderkit.inventory as module
print(json.dumps([list(vars(module)), list(vars(module.InventoryService))]))
"""


def _names(catalogue: Catalogue, name: str, folder: Path) -> list[list[str]]:
    kit = folder / name
    files = kitcopy.kit_files(
        catalogue.named(name), secrets.SystemRandom(), kit, catalogue.implementations
    )
    kitcopy.write(files, kit)
    done = subprocess.run(
        [sys.executable, "-I", "-c", LOOK], cwd=kit, capture_output=True, text=True, check=True
    )
    found: list[list[str]] = json.loads(done.stdout)
    return found


def test_every_implementation_binds_the_same_names_in_modules_and_classes(tmp_path: Path) -> None:
    bugs = tmp_path / "bugs.toml"
    bugs.write_text(ADDS_NAMES, encoding="utf-8")
    catalogue = load([bugs])

    reference = _names(catalogue, "reference", tmp_path)
    buggy = _names(catalogue, "adds-names", tmp_path)

    assert {"fractions", "_unused_helper"} <= set(reference[0])
    assert "_extra" in reference[1]
    assert set(reference[0]) == set(buggy[0])
    assert set(reference[1]) == set(buggy[1])


def test_the_order_of_a_modules_names_changes_from_run_to_run(tmp_path: Path) -> None:
    catalogue = load()
    orders = {tuple(_names(catalogue, "reference", tmp_path / str(n))[0]) for n in range(4)}

    assert len(orders) > 1
