"""A process killed mid-stream (SIGKILL) loses no committed order and corrupts nothing.

A child process (``order_stream.py``) streams orders into one SQLite file and writes each
order id to its stdout after the order committed. The parent kills it at random points,
restarts the stream on the same file, and repeats; then it checks the file.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path
from typing import IO

import pytest

import orderkit
from orderkit import InventoryService, OrderService, SqliteStore
from tests.hardening import order_stream

SEED = 20261114  # change it to explore other kill points; failures print it
ROUNDS = 8
INITIAL = 10_000_000  # far more than six short streams can sell, so every stream is killed
FIRST_ACK_TIMEOUT = 30.0
STREAM_SCRIPT = Path(order_stream.__file__)


class _Stream:
    """One child process streaming orders, and a thread collecting its acknowledgements."""

    def __init__(self, db_path: Path) -> None:
        # The child must import the same orderkit as this test (under mutmut: the mutant).
        package_root = str(Path(orderkit.__file__).resolve().parents[1])
        pythonpath = [package_root, *filter(None, [os.environ.get("PYTHONPATH")])]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(pythonpath))
        self.process = subprocess.Popen(
            [sys.executable, str(STREAM_SCRIPT), str(db_path), str(INITIAL)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.process.stdout is not None
        self.lines: list[str] = []
        self.first_ack = threading.Event()
        self._reader = threading.Thread(target=self._read, args=(self.process.stdout,))
        self._reader.start()

    def _read(self, stdout: IO[str]) -> None:
        for line in stdout:
            self.lines.append(line)
            self.first_ack.set()

    def kill(self) -> tuple[list[tuple[int, int]], str]:
        """SIGKILL the child; return every complete acknowledgement and its stderr."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self._reader.join()
        assert self.process.stderr is not None
        stderr = self.process.stderr.read()
        self.process.stdout.close()  # type: ignore[union-attr]
        self.process.stderr.close()
        # A line cut short by the kill was never fully acknowledged: ignore it.
        acks = [tuple(map(int, line.split())) for line in self.lines if line.endswith("\n")]
        return [(order_id, quantity) for order_id, quantity in acks], stderr


def _stream_and_kill(db_path: Path, rng: random.Random, round_no: int) -> list[tuple[int, int]]:
    stream = _Stream(db_path)
    if round_no == 0:
        # Kill during start-up too: opening, creating the schema, seeding.
        time.sleep(rng.uniform(0.0, 0.2))
    else:
        started = stream.first_ack.wait(FIRST_ACK_TIMEOUT)
        if not started:
            _, stderr = stream.kill()
            pytest.fail(f"round {round_no}: the restarted stream never acknowledged\n{stderr}")
        time.sleep(rng.uniform(0.0, 0.1))
    acks, stderr = stream.kill()

    assert stream.process.returncode == -signal.SIGKILL, f"round {round_no} ended early\n{stderr}"
    return acks


@pytest.mark.slow
def test_killed_order_streams_keep_every_acknowledged_order(db_path: Path) -> None:
    rng = random.Random(SEED)
    acknowledged: dict[int, int] = {}

    for round_no in range(ROUNDS):
        for order_id, quantity in _stream_and_kill(db_path, rng, round_no):
            assert order_id not in acknowledged, f"order id {order_id} given twice (seed {SEED})"
            acknowledged[order_id] = quantity

    assert len(acknowledged) > ROUNDS, "the kills came too early to test anything"
    with closing(sqlite3.connect(db_path)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    with SqliteStore(db_path) as store:
        inventory = InventoryService(store=store)
        recorded = {order["order_id"]: order["quantity"] for order in store.list_orders()}
        left = inventory.check_stock(order_stream.ITEM)
        missing = {i: q for i, q in acknowledged.items() if recorded.get(i) != q}
        assert missing == {}, f"acknowledged orders lost or changed (seed {SEED})"
        # Only an order committed just before a kill can lack its acknowledgement.
        assert len(recorded) - len(acknowledged) <= ROUNDS
        assert list(recorded) == list(range(1, len(recorded) + 1))
        assert left >= 0
        assert sum(recorded.values()) + left == INITIAL
        # The file still takes orders after all those kills.
        assert OrderService(inventory).create_order(order_stream.ITEM, 1)["order_id"] == (
            len(recorded) + 1
        )
