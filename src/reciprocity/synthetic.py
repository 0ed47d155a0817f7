"""A seeded synthetic shop: realistic-looking members and a year of orders, made in-package.

Same arguments, same shop, on every machine: everything is drawn from one ``random.Random(seed)``.
The demo and the benchmark use it; real data lives outside the package.

>>> shop = synthetic_shop(members=20, seed=1)
>>> shop.events == synthetic_shop(members=20, seed=1).events
True
>>> sorted({e.type for e in shop.events})
['purchase', 'redemption', 'return', 'signup']

Imports: ``events`` and ``money``.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from .events import Event, PurchaseColumns, Redemption, Return, SignUp
from .events import Purchase as PurchaseEvent
from .money import Money

__all__ = ["SyntheticShop", "synthetic_purchases", "synthetic_shop"]

_CENT = Decimal("0.01")


def _amount(rng: random.Random) -> Decimal:
    """An order amount: log-normal around 45 (a third of orders over 50), in cents."""
    cents = max(99, int(math.exp(rng.gauss(3.75, 0.65)) * 100))
    return Decimal(cents) * _CENT


@dataclass(frozen=True)
class SyntheticShop:
    """A generated shop: its parameters and its events in time order."""

    members: int
    seed: int
    start: date
    days: int
    currency: str
    events: tuple[Event, ...]


def synthetic_shop(
    *, members: int = 3000, days: int = 365, seed: int = 2026, start: date = date(2025, 1, 1),
    timezone: str = "Europe/Berlin", currency: str = "EUR", return_rate: float = 0.08,
    reward_id: str = "voucher-10", reward_points: int = 10, threshold: str = "50.00",
) -> SyntheticShop:
    """Generate a shop: sign-ups, purchases, returns and voucher redemptions.

    Each member signs up on a random day and orders at a personal rate (a few orders a year
    for most, dozens for a few). About ``return_rate`` of orders are returned within three
    weeks, in full or in part. Members who by their own count have ``reward_points``
    purchases over ``threshold`` ask for the reward; some of those requests are refused by a
    program when returns took points back, as in real life.
    """
    rng = random.Random(seed)
    zone = ZoneInfo(timezone)
    origin = datetime(start.year, start.month, start.day, tzinfo=zone)
    limit = Decimal(threshold)
    events: list[Event] = []
    for index in range(members):
        mid = f"M{index:05d}"
        joined = origin + timedelta(seconds=rng.randrange(days * 86400 // 2))
        events.append(SignUp(id=f"S-{mid}", member_id=mid, at=joined,
                             consents=("email",) if rng.random() < 0.6 else ()))
        rate = rng.gammavariate(1.2, 6.0) / 365  # orders per day
        clock = joined
        earned = 0
        order = 0
        end = origin + timedelta(days=days)
        while True:
            clock += timedelta(seconds=int(rng.expovariate(max(rate, 1e-4)) * 86400) + 60)
            if clock >= end:
                break
            order += 1
            oid = f"O-{mid}-{order}"
            amount = _amount(rng)
            events.append(PurchaseEvent(id=oid, member_id=mid, at=clock,
                                        amount=Money(amount, currency),
                                        channel="web" if rng.random() < 0.7 else "store"))
            earned += amount > limit
            if rng.random() < return_rate:
                back = clock + timedelta(days=rng.randint(2, 21), minutes=rng.randint(0, 600))
                if back < end:
                    partial = rng.random() < 0.4
                    refund = (amount * Decimal(rng.randint(10, 60)) / 100).quantize(_CENT)
                    events.append(Return(
                        id=f"R-{mid}-{order}", member_id=mid, at=back, purchase_id=oid,
                        amount=Money(refund, currency) if partial and refund > 0 else None))
            if earned >= reward_points and rng.random() < 0.5:
                earned -= reward_points
                events.append(Redemption(id=f"V-{mid}-{order}", member_id=mid,
                                         at=clock + timedelta(minutes=5), reward_id=reward_id))
    events.sort(key=lambda e: (e.at, e.id))
    return SyntheticShop(members=members, seed=seed, start=start, days=days,
                         currency=currency, events=tuple(events))


def synthetic_purchases(
    n: int, *, members: int = 20_000, seed: int = 2026, start: date = date(2025, 1, 1),
    days: int = 365, timezone: str = "Europe/Berlin", currency: str = "EUR",
) -> PurchaseColumns:
    """``n`` purchases of ``members`` members in time order, as validated columns (fast).

    >>> cols = synthetic_purchases(1000, members=50, seed=3)
    >>> len(cols), cols.currency
    (1000, 'EUR')
    """
    rng = random.Random(seed)
    zone = ZoneInfo(timezone)
    # Count seconds from the start in UTC: in the zone's wall clock the times would step
    # back an hour when summer time ends, and the columns would not be in time order.
    origin = datetime(start.year, start.month, start.day, tzinfo=zone).astimezone(UTC)
    step = days * 86400 / max(n, 1)
    # A few members buy much more often than most: weights from a Pareto distribution.
    weights = [rng.paretovariate(1.5) for _ in range(members)]
    who = rng.choices(range(members), weights=weights, k=n)
    ids = [f"P{i:08d}" for i in range(n)]
    member_ids = [f"M{j:05d}" for j in who]
    at = [origin + timedelta(seconds=int(i * step)) for i in range(n)]
    amounts = [_amount(rng) for _ in range(n)]
    return PurchaseColumns(ids=ids, member_ids=member_ids, at=at, amounts=amounts,
                           currency=currency)
