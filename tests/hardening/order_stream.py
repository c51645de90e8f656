"""Stream orders into one SQLite file and acknowledge each committed order on stdout.

Run as ``python order_stream.py DB_PATH INITIAL``: the crash-safety test starts this in a
child process and SIGKILLs it at random points. A line ``order_id quantity`` is written
(and flushed) only after ``create_order`` returned, that is after its transaction
committed, so every line the parent reads names an order the database must keep.
The stream stops by itself when the stock runs out.
"""

from __future__ import annotations

import sys
from itertools import cycle

from orderkit import InsufficientStock, InventoryService, OrderService, SqliteStore

ITEM = "LAMP"
QUANTITIES = (1, 2, 3)  # varied, so a lost or doubled order shows in the stock sum


def stream(path: str, initial: int) -> None:
    """Order until the stock runs out, acknowledging each order after its commit."""
    with SqliteStore(path) as store:
        orders = OrderService(InventoryService({ITEM: initial}, store=store))
        for quantity in cycle(QUANTITIES):
            try:
                order = orders.create_order(ITEM, quantity)
            except InsufficientStock:
                return
            sys.stdout.write(f"{order['order_id']} {order['quantity']}\n")
            sys.stdout.flush()


if __name__ == "__main__":
    stream(sys.argv[1], int(sys.argv[2]))
