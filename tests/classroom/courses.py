"""Bugs of a teacher's own, as a course's catalogue files hold them (for the course tests)."""

from __future__ import annotations

ORDERS_REVERSED = """
[[chaff]]
name = "orders-reversed"
title = "list_orders gives the newest order first"
level = "integration"
hint = "Place two orders: in which order are they listed?"
[[chaff.change]]
file = "stores/memory.py"
in = "MemoryStore.list_orders"
find = "order.copy() for order in self._orders if"
replace = "order.copy() for order in reversed(self._orders) if"
"""
QUANTITY_ONE = """
[[chaff]]
name = "quantity-one"
title = "An order records a quantity of 1"
level = "integration"
hint = "Look at the quantity of a listed order."
[[chaff.change]]
file = "stores/memory.py"
in = "MemoryStore.place_order"
find = '"quantity": quantity,'
replace = '"quantity": 1,'
"""
