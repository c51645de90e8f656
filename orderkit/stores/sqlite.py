"""A store in one SQLite file (standard-library :mod:`sqlite3`), shared by processes.

Design choices, each on purpose:

* **WAL journal, ``synchronous=NORMAL``.** Readers never block the writer, and a commit
  costs no fsync of its own. A process killed at any point (even SIGKILL) keeps every
  committed order; only an operating-system crash or power loss can drop the last few
  commits. ``synchronous=FULL`` would close that gap at about a sixth of the speed.
* **``BEGIN IMMEDIATE`` for every write.** The write lock is taken before anything is read,
  so the conditional decrement and the order insert of :meth:`place_order` are one
  transaction: a crash leaves both or neither, and no other process can slip in between.
* **A busy timeout.** A writer that finds the database locked waits up to ``timeout``
  seconds, then raises :class:`~orderkit.errors.StoreBusy` (never a bare
  ``sqlite3.OperationalError``).
* **One connection per store, behind a lock**, so one store can be shared by threads. Open
  a store in each process; a connection must not cross ``fork``.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from orderkit.domain import MAX_QUANTITY, ItemId, Order
from orderkit.errors import (
    InsufficientStock,
    InvalidQuantity,
    OrderAlreadyCancelled,
    StoreBusy,
    StoreClosed,
    StoreError,
    UnknownItem,
    UnknownOrder,
)
from orderkit.stores.base import StockStore

# A cancellation is a row of its own table, so a database written before cancelling existed
# gains it on the next open (IF NOT EXISTS) and its orders keep their shape.
# item_id has no declared type on purpose: SQLite then keeps 1 and "1" apart, as a dict does.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS stock (
    item_id PRIMARY KEY NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity >= 0)
);
CREATE TABLE IF NOT EXISTS orders (
    order_id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity > 0)
);
CREATE TABLE IF NOT EXISTS cancelled (
    order_id INTEGER PRIMARY KEY REFERENCES orders (order_id)
);
"""

# JupyterLite keeps a notebook's folder (/drive) in the browser's storage, which SQLite's
# file locking cannot use: every write there fails with "disk I/O error".
BROWSER_DRIVE = "/drive/"
IN_THE_BROWSERS_STORAGE = (
    ": in the browser (JupyterLite), the notebook's folder is the browser's storage, where "
    "SQLite cannot write; open the database in a folder under /tmp, such as pytest's tmp_path"
)


def in_the_browsers_storage(
    path: str, exc: sqlite3.Error, platform: str = sys.platform, cwd: str | None = None
) -> bool:
    """Whether ``exc`` is SQLite failing on a file in JupyterLite's browser storage."""
    if platform != "emscripten" or "disk I/O error" not in str(exc) or path == ":memory:":
        return False
    folder = os.getcwd() if cwd is None else cwd
    return os.path.join(folder, path).startswith(BROWSER_DRIVE)


class SqliteStore(StockStore):
    """Stock and orders in a SQLite database file (or ``":memory:"``)."""

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 30.0) -> None:
        self.path = os.fspath(path)
        self.timeout = timeout
        self._lock = threading.Lock()
        try:
            self._conn: sqlite3.Connection | None = sqlite3.connect(
                self.path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise StoreError(f"Cannot open database {self.path!r}: {exc}") from exc
        try:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            with self._write() as conn:
                for statement in _SCHEMA.split(";"):  # IF NOT EXISTS: reopening keeps data
                    if statement.strip():
                        conn.execute(statement)
        except sqlite3.OperationalError as exc:
            self._conn.close()
            busy = self._busy_or_error(exc)
            if isinstance(busy, StoreBusy):  # another process holds the file: say so
                raise busy from exc
            raise StoreError(f"Cannot use database {self.path!r}: {exc}") from exc
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise StoreError(f"Cannot use database {self.path!r}: {exc}") from exc
        except StoreError:
            self._conn.close()
            raise

    def __repr__(self) -> str:
        return f"SqliteStore({self.path!r})"

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreClosed(repr(self))
        return self._conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """Run the block as one ``BEGIN IMMEDIATE`` transaction; roll back on any error."""
        with self._lock:
            conn = self._connection()
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise self._busy_or_error(exc) from exc
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.OperationalError):
                    raise self._busy_or_error(exc) from exc
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(f"Database {self.path!r} failed: {exc}") from exc
                raise

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._connection()
            try:
                yield conn
            except sqlite3.OperationalError as exc:
                raise self._busy_or_error(exc) from exc
            except sqlite3.Error as exc:
                raise StoreError(f"Database {self.path!r} failed: {exc}") from exc

    def _busy_or_error(self, exc: sqlite3.OperationalError) -> StoreError:
        if "locked" in str(exc):  # SQLITE_BUSY and SQLITE_LOCKED both read "... is locked"
            return StoreBusy(self.path, self.timeout)
        why = IN_THE_BROWSERS_STORAGE if in_the_browsers_storage(self.path, exc) else ""
        return StoreError(f"Database {self.path!r} failed: {exc}{why}")

    def get_stock(self, item_id: ItemId) -> int | None:
        with self._read() as conn:
            row = conn.execute("SELECT quantity FROM stock WHERE item_id = ?", (item_id,))
            found = row.fetchone()
        return None if found is None else int(found[0])

    def snapshot(self) -> dict[ItemId, int]:
        with self._read() as conn:
            rows = conn.execute("SELECT item_id, quantity FROM stock ORDER BY rowid").fetchall()
        return {item_id: int(quantity) for item_id, quantity in rows}

    def seed(self, stock: Mapping[ItemId, int]) -> bool:
        with self._write() as conn:
            if conn.execute("SELECT EXISTS (SELECT 1 FROM stock)").fetchone()[0]:
                return False
            conn.executemany("INSERT INTO stock (item_id, quantity) VALUES (?, ?)", stock.items())
            return True

    def set_stock(self, item_id: ItemId, quantity: int) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO stock (item_id, quantity) VALUES (?, ?) "
                "ON CONFLICT (item_id) DO UPDATE SET quantity = excluded.quantity",
                (item_id, quantity),
            )

    def add_stock(self, item_id: ItemId, quantity: int) -> int:
        with self._write() as conn:
            return self._add(conn, item_id, quantity)

    @staticmethod
    def _add(conn: sqlite3.Connection, item_id: ItemId, quantity: int) -> int:
        """Add to an item's stock in one statement; refuse a level past the maximum."""
        row = conn.execute(
            "INSERT INTO stock (item_id, quantity) VALUES (?, ?) "
            "ON CONFLICT (item_id) DO UPDATE SET quantity = quantity + excluded.quantity "
            "WHERE quantity <= ? - excluded.quantity RETURNING quantity",
            (item_id, quantity, MAX_QUANTITY),
        ).fetchall()
        if not row:
            raise InvalidQuantity(quantity, f"stock would pass {MAX_QUANTITY}")
        return int(row[0][0])

    def take_stock(self, item_id: ItemId, quantity: int) -> int:
        with self._write() as conn:
            return self._take(conn, item_id, quantity, unknown_is_zero=False)

    def place_order(self, item_id: ItemId, quantity: int) -> Order:
        with self._write() as conn:
            self._take(conn, item_id, quantity, unknown_is_zero=True)
            cursor = conn.execute(
                "INSERT INTO orders (item_id, quantity) VALUES (?, ?)", (item_id, quantity)
            )
            order_id = cursor.lastrowid
        assert order_id is not None  # an INSERT into a rowid table always sets it
        return {"order_id": order_id, "item_id": item_id, "quantity": quantity}

    @staticmethod
    def _take(
        conn: sqlite3.Connection, item_id: ItemId, quantity: int, *, unknown_is_zero: bool
    ) -> int:
        """The atomic conditional decrement: one UPDATE that only matches enough stock."""
        row = conn.execute(
            "UPDATE stock SET quantity = quantity - ? "
            "WHERE item_id = ? AND quantity >= ? RETURNING quantity",
            (quantity, item_id, quantity),
        ).fetchall()
        if row:
            return int(row[0][0])
        found = conn.execute("SELECT quantity FROM stock WHERE item_id = ?", (item_id,))
        current = found.fetchone()
        if current is None and not unknown_is_zero:
            raise UnknownItem(item_id)
        raise InsufficientStock(item_id, quantity, 0 if current is None else int(current[0]))

    def cancel_order(self, order_id: int) -> Order:
        with self._write() as conn:  # one transaction: the stock back and the mark, or neither
            found = conn.execute(
                "SELECT item_id, quantity, order_id IN (SELECT order_id FROM cancelled) "
                "FROM orders WHERE order_id = ?",
                (order_id,),
            ).fetchone()
            if found is None:
                raise UnknownOrder(order_id)
            item_id, quantity, cancelled = found
            if cancelled:
                raise OrderAlreadyCancelled(order_id)
            self._add(conn, item_id, int(quantity))
            conn.execute("INSERT INTO cancelled (order_id) VALUES (?)", (order_id,))
        return {"order_id": order_id, "item_id": item_id, "quantity": int(quantity)}

    def list_orders(self) -> list[Order]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT order_id, item_id, quantity FROM orders "
                "WHERE order_id NOT IN (SELECT order_id FROM cancelled) ORDER BY order_id"
            ).fetchall()
        return [
            {"order_id": int(order_id), "item_id": item_id, "quantity": int(quantity)}
            for order_id, item_id, quantity in rows
        ]

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
