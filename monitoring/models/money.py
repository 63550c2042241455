"""Money: exact decimals to the micro-dollar the API reports, never floats."""

from __future__ import annotations

from decimal import Decimal

from django.db import models

#: Every amount column: up to a million dollars, to the micro-dollar.
MAX_DIGITS, DECIMAL_PLACES = 12, 6
MICRO = Decimal("0.000001")


def money_field(**kwargs) -> models.DecimalField:
    """A column (or an aggregate's output field) holding an amount in dollars."""
    return models.DecimalField(max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, **kwargs)


def usd(value) -> Decimal:
    """A database sum as exact dollars to the micro-dollar (NULL, a sum of nothing, is 0).

    SQLite sums decimals as floating point; rounding to the column's six places undoes that.
    """
    return Decimal(value or 0).quantize(MICRO)
