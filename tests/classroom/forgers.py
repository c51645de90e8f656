"""Notebooks a motivated student writes to score without testing behaviour (at most 25 lines).

Each cheat tries to tell a buggy implementation from a correct one by something other than
what the kit's functions do, and fails its tests when it thinks it sees a bug. Graded by
``orderkit grade``, every one of them must catch nothing. One family per entry, as the
grading-integrity issue lists them.
"""

from __future__ import annotations

HEAD = """
import gc, hashlib, inspect, os, sys
import pytest
import orderkit
from orderkit import InventoryService, OrderService
from orderkit.classroom import check
"""

# Names of the kit's own bugs, as the student read them in their copy of bugs.toml.
BUG_WORDS = "('chaff', 'misconception', 'quantity-ignored', 'off-by-one', 'takes-stock-when-short')"

CHEATS: dict[str, list[str]] = {
    "frames": [
        HEAD,
        f"""
def test_the_grader_is_on_the_stack():
    frame, seen = sys._getframe(), []
    while frame is not None:
        seen.append(repr(frame.f_locals)[:20000])
        frame = frame.f_back
    assert not any(word in text for text in seen for word in {BUG_WORDS})
""",
    ],
    "inspect-stack": [
        HEAD,
        f"""
def test_the_plan_is_in_some_frame():
    text = " ".join(repr(f.frame.f_locals)[:20000] for f in inspect.stack())
    assert not any(word in text for word in {BUG_WORDS})
""",
    ],
    "gc-objects": [
        HEAD,
        f"""
def test_the_catalogue_is_in_memory():
    text = " ".join(repr(o)[:200] for o in gc.get_objects() if isinstance(o, (dict, tuple)))
    assert not any(word in text for word in {BUG_WORDS})

def test_one_class_of_each_name():
    names = [o.__name__ for o in gc.get_objects() if isinstance(o, type)]
    assert names.count("InventoryService") == 1
""",
    ],
    "pytest-objects": [
        HEAD,
        f"""
def test_the_grader_plugin_says(request):
    plugins = request.config.pluginmanager.list_name_plugin()
    text = " ".join(repr(vars(p))[:20000] for _, p in plugins if hasattr(p, "__dict__"))
    assert not any(word in text for word in {BUG_WORDS})
""",
    ],
    "pinned-bytecode": [
        HEAD,
        """
PINNED = {PINNED!r}

def test_the_code_is_the_code_i_know():
    code = InventoryService.decrement_stock.__code__
    assert hashlib.sha256(code.co_code + repr(code.co_consts).encode()).hexdigest() == PINNED
""",
    ],
    "fresh-compile": [
        HEAD,
        """
import orderkit.inventory

def test_the_loaded_code_is_the_file_on_disk():
    path = inspect.getsourcefile(orderkit.inventory)
    fresh = compile(open(path).read(), path, "exec")
    names = [c.co_name for c in fresh.co_consts if hasattr(c, "co_name")]
    assert "InventoryService" in names
    assert InventoryService.decrement_stock.__code__.co_filename == path
""",
    ],
    "dis-names": [
        HEAD,
        """
import dis

def test_the_bytecode_has_the_comparison_i_expect():
    ops = [i.argrepr for i in dis.get_instructions(InventoryService.decrement_stock)]
    assert "<" in ops or ">" in ops
""",
    ],
    "bugs-toml": [
        HEAD,
        """
import orderkit.classroom, tomllib
from pathlib import Path

def test_no_bug_of_the_catalogue_is_loaded():
    catalogue = Path(orderkit.classroom.__file__).with_name("bugs.toml")
    bugs = tomllib.loads(catalogue.read_text())
    source = Path(orderkit.inventory.__file__).read_text()
    for chaff in bugs["chaff"]:
        for change in chaff.get("change", []):
            assert change["replace"] not in source
""",
    ],
    "installed-package": [
        HEAD,
        """
import importlib.metadata
from pathlib import Path

def test_the_installed_kit_matches_the_loaded_one():
    files = importlib.metadata.files("orderkit")
    inventory = next(f for f in files if str(f).endswith("orderkit/inventory.py"))
    text = Path(inventory.locate()).read_text()
    assert "def decrement_stock" in text
""",
    ],
    "new-classes": [
        HEAD,
        """
BEFORE = sum(1 for o in gc.get_objects() if isinstance(o, type))

def test_no_class_appeared_since_the_cells_ran():
    import orderkit.inventory, orderkit.orders
    after = sum(1 for o in gc.get_objects() if isinstance(o, type))
    assert after - BEFORE < 5
""",
    ],
    "shared-counter": [
        HEAD,
        """
import multiprocessing
RUNS = multiprocessing.Value("i", 0)
COUNTER = "/tmp/orderkit-cheat-runs"

def test_first_run_is_the_reference():
    with RUNS.get_lock():
        RUNS.value += 1
    with open(COUNTER, "a") as handle:
        handle.write("x")
    assert RUNS.value == 1 and open(COUNTER).read() == "x"
""",
    ],
    "home-counter": [
        HEAD,
        """
from pathlib import Path
COUNTER = Path.home() / ".orderkit-cheat"

def test_first_run_is_the_reference():
    try:
        runs = int(COUNTER.read_text()) + 1 if COUNTER.exists() else 1
        COUNTER.write_text(str(runs))
    except OSError:
        runs = 1
    assert runs == 1
""",
    ],
    "pids": [
        HEAD,
        """
PID = os.getpid()

def test_the_reference_has_the_lowest_pid():
    assert PID < 3 or PID % 7 != 0
    assert os.getppid() in (0, 1)
""",
    ],
    "audit-hook": [
        HEAD,
        f"""
EVENTS = []
sys.addaudithook(lambda event, args: EVENTS.append((event, repr(args)[:300])))

def test_nothing_odd_was_loaded():
    import orderkit.stores.memory, importlib
    importlib.reload(orderkit.stores.memory)
    text = " ".join(a for _, a in EVENTS)
    assert not any(word in text for word in {BUG_WORDS})
""",
    ],
    "trace-hook": [
        HEAD,
        """
CALLS = []
def tracer(frame, event, arg):
    CALLS.append(frame.f_code.co_consts)
sys.setprofile(tracer)

def test_the_kit_calls_what_i_expect():
    InventoryService({1: 10}).decrement_stock(1, 2)
    assert CALLS
""",
    ],
    "pytest-plugins": [
        HEAD,
        """
os.environ["PYTEST_ADDOPTS"] = "-p no:randomly"
pytest_plugins = []

def pytest_runtest_call(item):
    pass

def test_the_kit_module_file_is_the_usual():
    import orderkit.inventory
    assert os.path.basename(orderkit.inventory.__file__) == "inventory.py"
""",
    ],
    "patch-the-kit": [
        HEAD,
        """
OrderService.cheat = lambda self: "patched"
KEEP = InventoryService.decrement_stock

def test_the_patch_survived_the_bug_loading():
    assert OrderService.cheat(None) == "patched"
    assert InventoryService.decrement_stock is KEEP
""",
    ],
    "patch-the-runner": [
        HEAD,
        """
import json
runner = sys.modules.get("orderkit.classroom.runtime.runner")
if runner is not None:
    send = runner._Out.send
    def forged(self, **event):
        if "ran" in event:
            event["outcome"] = "passed"
        send(self, **event)
    runner._Out.send = forged

def test_always_green():
    assert InventoryService({1: 10}).decrement_stock(1, 2) == 8
""",
    ],
    "result-descriptor": [
        HEAD,
        """
def test_writes_a_result_of_its_own():
    for fd in range(3, 20):
        try:
            os.write(fd, b'{"ran": 0, "outcome": "failed", "message": "x", "asserted": true}\\n')
        except OSError:
            pass
""",
    ],
    "malformed-result": [
        HEAD,
        """
def test_breaks_the_parent():
    for fd in range(3, 20):
        try:
            os.write(fd, b"\\xff{not json" * 100 + b"\\n")
        except OSError:
            pass
""",
    ],
    "kill-the-grader": [
        HEAD,
        """
import signal

def test_kill_everything():
    for pid in (os.getppid(), -1, 0):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
""",
    ],
    "source-read": [
        HEAD,
        """
import orderkit.inventory

def test_the_source_says_correct():
    with open(orderkit.inventory.__file__, "rb") as handle:
        data = handle.read()
    assert hashlib.sha256(data).hexdigest() != "0" * 64
""",
    ],
    "module-names": [
        HEAD,
        """
import orderkit.inventory, orderkit.stores.memory

def test_no_name_a_bug_would_import():
    assert not hasattr(orderkit.inventory, "InsufficientStock")
    assert not hasattr(orderkit.stores.memory, "time")
""",
    ],
    "globals-order": [
        HEAD,
        """
import orderkit.inventory
ORDER = {ORDER!r}

def test_the_module_is_laid_out_as_i_know_it():
    assert [n for n in vars(orderkit.inventory) if not n.startswith("__")] == ORDER
""",
    ],
    "traceback-lines": [
        HEAD,
        """
LINE = {LINE!r}

def test_the_refusal_comes_from_the_usual_line():
    inventory = InventoryService({"tea": 1})
    with pytest.raises(ValueError) as info:
        inventory.decrement_stock("tea", 5)
    tb = info.value.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    assert tb.tb_lineno == LINE
""",
    ],
}
"""Each cheat, a notebook's cells; graded by ``orderkit grade`` each must catch nothing."""

HOG = [
    HEAD,
    """
import multiprocessing, time

def spin():
    while True:
        pass

def test_hogs_the_machine():
    for _ in range(300):
        try:
            multiprocessing.Process(target=spin, daemon=True).start()
        except OSError:
            break
    time.sleep(2)
    assert InventoryService({1: 10}).check_stock(1) == 10
""",
]
"""A neighbour that starts hundreds of busy processes: it must not change another's row."""
