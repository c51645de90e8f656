"""The stock panel: change stock and place orders by hand (ipywidgets 8).

The panel observes the services, so a change made in code shows up in the panel, and a
change made in the panel goes through the services (and their checks) like any other call.
Callbacks are named methods, so tests drive the panel without a browser: set a slider's
``.value``, call ``place.click()``, read ``message.value`` and ``order_log.value``.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets

from orderkit.domain import ItemId, Order
from orderkit.errors import OrderkitError
from orderkit.orders import OrderService

_OK = "color: #1a7f37"
_ERROR = "color: #cf222e; font-weight: bold"


class StockPanel(widgets.VBox):
    """One slider per item, an order form, a message line and an order log.

    All bound to ``orders`` and its inventory. ``max_stock`` is where sliders end (a slider
    grows if stock is set higher in code).
    """

    def __init__(self, orders: OrderService, *, max_stock: int = 20) -> None:
        self._unsubscribe: list[Any] = []
        self.orders = orders
        self.inventory = orders.inventory
        self.max_stock = max_stock
        self.sliders: dict[ItemId, widgets.IntSlider] = {}
        self._updating = False  # True while the panel mirrors a change it did not make

        self.sliders_box = widgets.VBox()
        self.item = widgets.Dropdown(description="Item")
        self.quantity = widgets.BoundedIntText(value=1, min=1, max=10**9, description="Quantity")
        self.place = widgets.Button(description="Place order", button_style="primary")
        self.message = widgets.HTML()
        self.order_log = widgets.HTML()
        self.place.on_click(self._on_place)
        for item_id, level in self.inventory.snapshot().items():
            self._add_slider(item_id, level)
        self._offer_items()
        self._show_log(self.orders.list_orders())

        self._unsubscribe = [
            self.inventory.subscribe(self._on_stock_changed),
            self.orders.subscribe(self._on_order_created),
        ]
        super().__init__(
            [
                widgets.HTML("<b>Stock</b>"),
                self.sliders_box,
                widgets.HTML("<b>Order</b>"),
                widgets.HBox([self.item, self.quantity, self.place]),
                self.message,
                widgets.HTML("<b>Order log</b>"),
                self.order_log,
            ]
        )

    def __repr__(self) -> str:
        stock = ", ".join(f"{item!r}: {s.value}" for item, s in self.sliders.items())
        return f"StockPanel(stock={{{stock}}}, orders={len(self.orders.list_orders())})"

    def close(self) -> None:
        """Stop observing the services and close every widget."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        super().close()

    # -- building ----------------------------------------------------------------------
    def _add_slider(self, item_id: ItemId, level: int) -> None:
        slider = widgets.IntSlider(
            value=level,
            min=0,
            max=max(self.max_stock, level),
            description=f"Item {item_id}",
            continuous_update=False,
        )
        slider.observe(self._on_slider_moved, names="value")
        self.sliders[item_id] = slider
        self.sliders_box.children = [*self.sliders_box.children, slider]
        self._offer_items()

    def _offer_items(self) -> None:
        """List every item in the form, keeping the chosen one (else the first) selected.

        A Dropdown given new options keeps ``value=None`` on a fresh widget and jumps back
        to the first option otherwise, so the choice is restored by hand: the form never
        offers "no item" (``create_order(None, ...)`` would be refused).
        """
        chosen = self.item.value
        self.item.options = [(str(item), item) for item in self.sliders]
        if chosen in self.sliders:
            self.item.value = chosen
        elif self.sliders:
            self.item.value = next(iter(self.sliders))
        self.place.disabled = not self.sliders  # nothing to order yet

    # -- from the panel to the services -----------------------------------------------
    def _on_slider_moved(self, change: dict[str, Any]) -> None:
        if self._updating:
            return
        item_id = next(item for item, s in self.sliders.items() if s is change["owner"])
        self.inventory.set_stock(item_id, change["new"])
        self._say(f"Item {item_id!r} stock set to {change['new']}.", _OK)

    def _on_place(self, _button: widgets.Button | None = None) -> None:
        """Place an order with the form's item and quantity; report the outcome."""
        item_id, quantity = self.item.value, self.quantity.value
        try:
            order = self.orders.create_order(item_id, quantity)
        except OrderkitError as error:
            self._say(str(error), _ERROR)
            return
        self._say(f"Order {order['order_id']} placed: {quantity} of item {item_id!r}.", _OK)

    # -- from the services to the panel -----------------------------------------------
    def _on_stock_changed(self, item_id: ItemId, level: int) -> None:
        if item_id not in self.sliders:
            self._add_slider(item_id, level)
            return
        slider = self.sliders[item_id]
        self._updating = True
        try:
            slider.max = max(slider.max, level)
            slider.value = level
        finally:
            self._updating = False

    def _on_order_created(self, _order: Order) -> None:
        self._show_log(self.orders.list_orders())

    # -- output ------------------------------------------------------------------------
    def _say(self, text: str, style: str) -> None:
        self.message.value = f'<span style="{style}">{html.escape(text)}</span>'

    def _show_log(self, orders: list[Order]) -> None:
        if not orders:
            self.order_log.value = "<i>No orders yet.</i>"
            return
        rows = "".join(
            f"<tr><td>{o['order_id']}</td><td>{html.escape(repr(o['item_id']))}</td>"
            f"<td>{o['quantity']}</td></tr>"
            for o in orders
        )
        self.order_log.value = (
            "<table><tr><th>order</th><th>item</th><th>quantity</th></tr>" + rows + "</table>"
        )
