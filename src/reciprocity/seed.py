"""The seed program: the simplest real loyalty program, used in the docs, demo and benchmark.

Imports: ``money``, the points declarations and ``program``.
"""

from __future__ import annotations

from .money import Money
from .points.rules import PointsPerPurchase
from .points.scheme import PointScheme, Reward
from .program import Program

__all__ = ["seed_program"]


def seed_program(*, auto_issue: bool = False, currency: str = "EUR",
                 timezone: str = "Europe/Berlin") -> Program:
    """"Every purchase over 50 EUR earns one point. For 10 points you get a 10 EUR fuel voucher."

    Args:
        auto_issue: issue the voucher as soon as 10 points are collected, instead of on a
            :class:`~reciprocity.Redemption` event.
        currency: the same program in another currency: "over 50.00 GBP", "a 10 GBP
            voucher". The figures stay as they are; nothing is converted.
        timezone: the program's time zone.

    >>> seed_program().points.earn[0].describe()
    '1 point for every order over 50.00 EUR'
    >>> seed_program(currency="GBP", timezone="Europe/London").points.rewards[0].describe()
    '10 points buy a 10 GBP fuel voucher worth 10.00 GBP'
    """
    return Program(
        name="Seed program",
        currency=currency,
        timezone=timezone,
        points=PointScheme(
            earn=(PointsPerPurchase(id="over-50", points=1, min_amount=Money("50.00", currency)),),
            rewards=(
                Reward(id="voucher-10", name=f"10 {currency} fuel voucher", points=10,
                       value=Money("10.00", currency), auto_issue=auto_issue),
            ),
        ),
    )
