from decimal import Decimal

from payments_common import Money


def test_add():
    assert Money(Decimal("1.10"), "EUR") + Money(Decimal("2"), "EUR") == Money(Decimal("3.10"), "EUR")
