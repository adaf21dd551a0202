"""A function that uses the payments-common layer.

Lambda unpacks the layer into /opt and puts /opt/python on sys.path, so
payments_common imports here as if it were installed with the function.
"""

from decimal import Decimal

from payments_common import Money


def handler(event, context):
    total = Money(Decimal("1.10"), "EUR") + Money(Decimal("2"), "EUR")
    return {"total": str(total.amount), "currency": total.currency}
