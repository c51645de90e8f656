"""One honest suite of unit tests, written in every style a pytest user writes.

Each style is a list of notebook cells. All of them test the same behaviour, so all of them
must get the same verdict: every unit bug caught, every test valid.
"""

from __future__ import annotations

IMPORTS = "import pytest\nfrom orderkit.classroom import check\nfrom orderkit import InsufficientStock, InvalidQuantity, InventoryService, OrderService"

FUNCTIONS = [
    IMPORTS,
    """
def test_order_takes_its_quantity_of_that_item():
    inventory = InventoryService({1: 10, 2: 5})
    OrderService(inventory).create_order(1, 2)
    assert inventory.snapshot() == {1: 8, 2: 5}

def test_short_order_raises_and_changes_nothing():
    inventory = InventoryService({1: 10, 2: 5})
    with pytest.raises(InsufficientStock):
        OrderService(inventory).create_order(2, 6)
    assert inventory.check_stock(2) == 5

def test_ordering_exactly_what_is_left():
    inventory = InventoryService({1: 10, 2: 5})
    OrderService(inventory).create_order(2, 5)
    assert inventory.check_stock(2) == 0

def test_unknown_item_has_stock_zero():
    assert InventoryService({1: 10}).check_stock(99) == 0

def test_restock_adds():
    inventory = InventoryService({1: 10, 2: 5})
    assert inventory.restock(2, 3) == 8

def test_negative_quantity_is_refused():
    inventory = InventoryService({1: 10, 2: 5})
    with pytest.raises(InvalidQuantity):
        inventory.decrement_stock(1, -3)
    assert inventory.check_stock(1) == 10

def test_negative_level_is_refused():
    inventory = InventoryService({1: 10, 2: 5})
    with pytest.raises(InvalidQuantity):
        inventory.set_stock(1, -1)
""",
]

CLASSES = [
    IMPORTS,
    """
class TestOrders:
    def make(self):
        return InventoryService({1: 10, 2: 5})

    def test_order_takes_its_quantity_of_that_item(self):
        inventory = self.make()
        OrderService(inventory).create_order(1, 2)
        assert inventory.snapshot() == {1: 8, 2: 5}

    def test_short_order_raises_and_changes_nothing(self):
        inventory = self.make()
        with pytest.raises(InsufficientStock):
            OrderService(inventory).create_order(2, 6)
        assert inventory.check_stock(2) == 5

    def test_ordering_exactly_what_is_left(self):
        inventory = self.make()
        OrderService(inventory).create_order(2, 5)
        assert inventory.check_stock(2) == 0


class TestInventory:
    def test_unknown_item_has_stock_zero(self):
        assert InventoryService({1: 10}).check_stock(99) == 0

    def test_restock_adds(self):
        assert InventoryService({1: 10, 2: 5}).restock(2, 3) == 8

    def test_negative_quantity_is_refused(self):
        inventory = InventoryService({1: 10, 2: 5})
        with pytest.raises(InvalidQuantity):
            inventory.decrement_stock(1, -3)
        assert inventory.check_stock(1) == 10

    def test_negative_level_is_refused(self):
        with pytest.raises(InvalidQuantity):
            InventoryService({1: 10, 2: 5}).set_stock(1, -1)
""",
]

UNITTEST = [
    "import unittest\nfrom orderkit.classroom import check\nfrom orderkit import InsufficientStock, InvalidQuantity, InventoryService, OrderService",
    """
class InventoryTests(unittest.TestCase):
    def setUp(self):
        self.inventory = InventoryService({1: 10, 2: 5})
        self.orders = OrderService(self.inventory)

    def tearDown(self):
        self.inventory.store.close()

    def test_order_takes_its_quantity_of_that_item(self):
        self.orders.create_order(1, 2)
        self.assertEqual(self.inventory.snapshot(), {1: 8, 2: 5})

    def test_short_order_raises_and_changes_nothing(self):
        with self.assertRaises(InsufficientStock):
            self.orders.create_order(2, 6)
        self.assertEqual(self.inventory.check_stock(2), 5)

    def test_ordering_exactly_what_is_left(self):
        self.orders.create_order(2, 5)
        self.assertEqual(self.inventory.check_stock(2), 0)

    def test_unknown_item_has_stock_zero(self):
        self.assertEqual(self.inventory.check_stock(99), 0)

    def test_restock_adds(self):
        self.assertEqual(self.inventory.restock(2, 3), 8)

    def test_negative_quantity_is_refused(self):
        with self.assertRaises(InvalidQuantity):
            self.inventory.decrement_stock(1, -3)
        self.assertEqual(self.inventory.check_stock(1), 10)

    def test_negative_level_is_refused(self):
        with self.assertRaises(InvalidQuantity):
            self.inventory.set_stock(1, -1)
""",
]

FIXTURES = [
    "import pytest\nimport orderkit\nfrom orderkit.classroom import check",
    """
@pytest.fixture
def classes():
    return orderkit.InventoryService, orderkit.OrderService

@pytest.fixture
def inventory(classes):
    return classes[0]({1: 10, 2: 5})

@pytest.fixture
def orders(inventory, classes):
    return classes[1](inventory)
""",
    """
def test_order_takes_its_quantity_of_that_item(orders, inventory):
    orders.create_order(1, 2)
    assert inventory.snapshot() == {1: 8, 2: 5}

def test_short_order_raises_and_changes_nothing(orders, inventory):
    with pytest.raises(orderkit.InsufficientStock):
        orders.create_order(2, 6)
    assert inventory.check_stock(2) == 5

def test_ordering_exactly_what_is_left(orders, inventory):
    orders.create_order(2, 5)
    assert inventory.check_stock(2) == 0

def test_unknown_item_has_stock_zero(inventory):
    assert inventory.check_stock(99) == 0

def test_restock_adds(inventory):
    assert inventory.restock(2, 3) == 8

def test_negative_quantity_is_refused(inventory):
    with pytest.raises(orderkit.InvalidQuantity):
        inventory.decrement_stock(1, -3)
    assert inventory.check_stock(1) == 10

def test_negative_level_is_refused(inventory):
    with pytest.raises(orderkit.InvalidQuantity):
        inventory.set_stock(1, -1)
""",
]

# parametrize, hypothesis, `import orderkit as ok`, imports inside tests, a helper defined
# in an earlier cell, one test per cell (with %%ipytest, which removes earlier tests).
MIXED = [
    "%xmode Minimal\nfrom orderkit.notebook import setup_ipytest\nsetup_ipytest()\nimport pytest\nfrom orderkit.classroom import check",
    """
def fresh():
    import orderkit as ok
    return ok.InventoryService({1: 10, 2: 5})
""",
    """%%ipytest
def test_order_takes_its_quantity_of_that_item():
    from orderkit import OrderService
    inventory = fresh()
    OrderService(inventory).create_order(1, 2)
    assert inventory.snapshot() == {1: 8, 2: 5}
""",
    """%%ipytest
def test_short_order_raises_and_changes_nothing():
    import orderkit
    inventory = fresh()
    with pytest.raises(orderkit.errors.InsufficientStock):
        orderkit.orders.OrderService(inventory).create_order(2, 6)
    assert inventory.check_stock(2) == 5
""",
    """
from hypothesis import given, strategies as st

@given(st.integers(min_value=1, max_value=5))
def test_ordering_up_to_what_is_left(quantity):
    import orderkit.inventory
    inventory = orderkit.inventory.InventoryService({2: 5})
    orderkit.OrderService(inventory).create_order(2, quantity)
    assert inventory.check_stock(2) == 5 - quantity
""",
    """
@pytest.mark.parametrize(("item", "expected"), [(1, 10), (99, 0)])
def test_stock_of(item, expected):
    assert fresh().check_stock(item) == expected

def test_restock_adds():
    assert fresh().restock(2, 3) == 8

@pytest.mark.parametrize("quantity", [-3, 0])
def test_bad_quantity_is_refused(quantity):
    from orderkit import InvalidQuantity
    inventory = fresh()
    with pytest.raises(InvalidQuantity):
        inventory.decrement_stock(1, quantity)
    assert inventory.check_stock(1) == 10

def test_negative_level_is_refused():
    from orderkit.errors import InvalidQuantity
    with pytest.raises(InvalidQuantity):
        fresh().set_stock(1, -1)

def test_a_database_keeps_its_stock(tmp_path):
    from orderkit import InventoryService, SqliteStore
    with SqliteStore(tmp_path / "shop.db") as store:
        InventoryService(store=store).decrement_stock(1, 3)
    with SqliteStore(tmp_path / "shop.db") as store:
        assert InventoryService(store=store).check_stock(1) == 7
""",
]

SUBTESTS = [
    "import unittest\nfrom orderkit.classroom import check\nfrom orderkit import InsufficientStock, InvalidQuantity, InventoryService, OrderService",
    """
class InventoryTests(unittest.TestCase):
    def test_orders_take_their_quantity(self):
        for item, quantity, left in [(1, 2, {1: 8, 2: 5}), (2, 5, {1: 10, 2: 0})]:
            with self.subTest(item=item, quantity=quantity):
                inventory = InventoryService({1: 10, 2: 5})
                OrderService(inventory).create_order(item, quantity)
                self.assertEqual(inventory.snapshot(), left)

    def test_refusals_change_nothing(self):
        for action in ("order", "decrement", "set"):
            with self.subTest(action=action):
                inventory = InventoryService({1: 10, 2: 5})
                if action == "order":
                    with self.assertRaises(InsufficientStock):
                        OrderService(inventory).create_order(2, 6)
                elif action == "decrement":
                    with self.assertRaises(InvalidQuantity):
                        inventory.decrement_stock(1, -3)
                else:
                    with self.assertRaises(InvalidQuantity):
                        inventory.set_stock(1, -1)
                self.assertEqual(inventory.snapshot(), {1: 10, 2: 5})

    def test_reads_and_restocks(self):
        inventory = InventoryService({1: 10, 2: 5})
        with self.subTest("unknown item"):
            self.assertEqual(inventory.check_stock(99), 0)
        with self.subTest("restock"):
            self.assertEqual(inventory.restock(2, 3), 8)
""",
]

PYTEST_SUBTESTS = [
    IMPORTS,
    """
def test_orders_take_their_quantity(subtests):
    for item, quantity, left in [(1, 2, {1: 8, 2: 5}), (2, 5, {1: 10, 2: 0})]:
        with subtests.test(item=item, quantity=quantity):
            inventory = InventoryService({1: 10, 2: 5})
            OrderService(inventory).create_order(item, quantity)
            assert inventory.snapshot() == left

def test_refusals_change_nothing(subtests):
    inventory = InventoryService({1: 10, 2: 5})
    with subtests.test("short order"):
        with pytest.raises(InsufficientStock):
            OrderService(inventory).create_order(2, 6)
    with subtests.test("negative quantity"):
        with pytest.raises(InvalidQuantity):
            inventory.decrement_stock(1, -3)
    with subtests.test("negative level"):
        with pytest.raises(InvalidQuantity):
            inventory.set_stock(1, -1)
    assert inventory.snapshot() == {1: 10, 2: 5}

def test_reads_and_restocks(subtests):
    inventory = InventoryService({1: 10, 2: 5})
    with subtests.test("unknown item"):
        assert inventory.check_stock(99) == 0
    with subtests.test("restock"):
        assert inventory.restock(2, 3) == 8
""",
]

THREADS = [
    IMPORTS + "\nimport threading",
    """
def in_a_thread(check):
    worker = threading.Thread(target=check)
    worker.start()
    worker.join()

def test_order_takes_its_quantity_of_that_item():
    inventory = InventoryService({1: 10, 2: 5})
    OrderService(inventory).create_order(1, 2)
    def check():
        assert inventory.snapshot() == {1: 8, 2: 5}
    in_a_thread(check)

def test_short_order_raises_and_changes_nothing():
    def check():
        inventory = InventoryService({1: 10, 2: 5})
        with pytest.raises(InsufficientStock):
            OrderService(inventory).create_order(2, 6)
        assert inventory.check_stock(2) == 5
    in_a_thread(check)

def test_ordering_exactly_what_is_left():
    inventory = InventoryService({1: 10, 2: 5})
    in_a_thread(lambda: OrderService(inventory).create_order(2, 5))
    assert inventory.check_stock(2) == 0

def test_reads_restocks_and_refusals():
    def check():
        inventory = InventoryService({1: 10, 2: 5})
        assert inventory.check_stock(99) == 0
        assert inventory.restock(2, 3) == 8
        with pytest.raises(InvalidQuantity):
            inventory.decrement_stock(1, -3)
        with pytest.raises(InvalidQuantity):
            inventory.set_stock(1, -1)
        assert inventory.check_stock(1) == 10
    in_a_thread(check)
""",
]

XFAIL = [
    IMPORTS,
    FUNCTIONS[1].replace(
        "\ndef test_", "\n@pytest.mark.xfail(reason='graded as if unmarked')\ndef test_"
    ),
]

STYLES = {
    "functions": FUNCTIONS,
    "classes": CLASSES,
    "unittest": UNITTEST,
    "fixtures": FIXTURES,
    "mixed": MIXED,
    "subtests": SUBTESTS,
    "pytest-subtests": PYTEST_SUBTESTS,
    "threads": THREADS,
    "xfail": XFAIL,
}
UNIT_BUGS = {
    "off-by-one",
    "takes-stock-when-short",
    "swapped-arguments",
    "quantity-ignored",
    "negative-quantity",
    "unknown-item-keyerror",
    "none-for-unknown",
    "wrong-exception",
    "restock-replaces",
    "negative-stock",
}
