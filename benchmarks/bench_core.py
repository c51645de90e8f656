"""create_order throughput on MemoryStore and SqliteStore (a WAL file), in orders per second.

Targets on a 2-core machine: >= 200k orders/s in memory, >= 10k orders/s on SQLite. Each
figure is the best of several rounds, because the machines are shared and noisy; a plain
dict update in the same run is printed as a baseline, so the ratio says what the services,
validation and locking cost on top of the cheapest possible "order".

Run: ``python benchmarks/bench_core.py`` (or ``make bench``). ``--json`` prints one JSON
object for tools that collect figures.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from orderkit import InventoryService, MemoryStore, OrderService, SqliteStore, StockStore

TARGETS = {"memory": 200_000.0, "sqlite": 10_000.0}


def _rate(run: Callable[[int], None], orders: int, rounds: int) -> float:
    """Best orders/s over ``rounds`` runs of ``orders`` orders each."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        run(orders)
        best = min(best, time.perf_counter() - start)
    return orders / best


def _service_run(make_store: Callable[[], StockStore]) -> Callable[[int], None]:
    def run(count: int) -> None:
        with make_store() as store:
            order_service = OrderService(InventoryService({1: count}, store=store))
            create = order_service.create_order
            for _ in range(count):
                create(1, 1)

    return run


def _baseline_run(count: int) -> None:
    stock = {1: count}
    placed = []
    for order_id in range(1, count + 1):
        stock[1] -= 1
        placed.append((order_id, 1, 1))


def measure(orders: int, rounds: int) -> dict[str, float]:
    """Return orders/s for the baseline and both stores."""
    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(10**6))

        def fresh_sqlite() -> SqliteStore:
            return SqliteStore(Path(tmp) / f"bench-{next(counter)}.db")

        return {
            "baseline": _rate(_baseline_run, orders, rounds),
            "memory": _rate(_service_run(MemoryStore), orders, rounds),
            "sqlite": _rate(_service_run(fresh_sqlite), orders // 10, rounds),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000, help="orders per memory round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()

    rates = measure(args.orders, args.rounds)
    if args.json:
        print(json.dumps({"orders_per_s": rates, "targets": TARGETS}))
        return
    print(f"{'store':<10}{'orders/s':>14}{'vs dict':>10}{'target':>12}  met")
    for name, rate in rates.items():
        target = TARGETS.get(name)
        ratio = rate / rates["baseline"]
        met = "-" if target is None else ("yes" if rate >= target else "NO")
        shown = "-" if target is None else f"{target:,.0f}"
        print(f"{name:<10}{rate:>14,.0f}{ratio:>10.3f}{shown:>12}  {met}")


if __name__ == "__main__":
    main()
