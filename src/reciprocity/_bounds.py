"""The supported range of every input: instants, amounts, points, ids and horizons.

Inputs outside these bounds are refused at the edge (event and program validation) with a
typed error that names the field, the value and the bound, so nothing downstream can
overflow a ``datetime`` or a ``Decimal`` context. The bounds are chosen so that every horizon
a program can declare, added to any supported instant, stays far inside ``datetime``'s range.

>>> EARLIEST_INSTANT.year, LATEST_INSTANT.year, MAX_AMOUNT, MAX_POINTS
(1900, 2999, Decimal('1000000000000'), 1000000000000)

Imports: nothing from the package (every layer may import it).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

__all__ = [
    "EARLIEST_INSTANT",
    "LATEST_INSTANT",
    "MAX_AMOUNT",
    "MAX_FACTOR",
    "MAX_HORIZON_DAYS",
    "MAX_HORIZON_MONTHS",
    "MAX_ID_LENGTH",
    "MAX_POINTS",
    "MAX_QUANTITY",
    "PRICE_EXTRA_PLACES",
]

EARLIEST_INSTANT = datetime(1900, 1, 1, tzinfo=UTC)
"""The earliest instant an event, a condition window or ``advance`` may name (inclusive)."""
LATEST_INSTANT = datetime(2999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
"""The latest instant an event, a condition window or ``advance`` may name (inclusive)."""
MAX_AMOUNT = Decimal(10**12)
"""The largest absolute amount of money, in major units (1,000,000,000,000.00 EUR)."""
PRICE_EXTRA_PLACES = 3
"""How many decimal places finer than the currency's minor unit a line's unit price (and a
purchase amount that is the exact sum of its lines) may be: fuel is priced 1.799 EUR a litre.
Every other amount is in whole minor units."""
MAX_POINTS = 10**12
"""The most points one rule, reward, compensation or event may name."""
MAX_QUANTITY = 1_000_000
"""The most units one order line, returned line or redemption may name."""
MAX_ID_LENGTH = 256
"""The longest id (event, member, purchase, reward, SKU) in characters."""
MAX_HORIZON_DAYS = 36_600
"""The longest span in days a program may declare (expiry, validity, windows, cooldowns)."""
MAX_HORIZON_MONTHS = 1_200
"""The longest span in months (or 100 years) a program may declare."""
MAX_FACTOR = Decimal(1000)
"""The largest multiplier or factor a program may declare."""
