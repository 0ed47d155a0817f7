"""The seed program: the simplest real loyalty program, used in the docs, demo and benchmark."""

from __future__ import annotations

from .money import Money
from .policies.points import PointScheme, PointsPerPurchase, Reward
from .program import Program

__all__ = ["seed_program"]


def seed_program(*, auto_issue: bool = False) -> Program:
    """"Every purchase over 50 EUR earns one point. For 10 points you get a 10 EUR fuel voucher."

    Args:
        auto_issue: issue the voucher as soon as 10 points are collected, instead of on a
            :class:`~reciprocity.Redemption` event.

    >>> seed_program().points.earn[0].describe()
    '1 point for every order over 50.00 EUR'
    """
    return Program(
        name="Seed program",
        currency="EUR",
        timezone="Europe/Berlin",
        points=PointScheme(
            earn=(PointsPerPurchase(id="over-50", points=1, min_amount=Money("50.00", "EUR")),),
            rewards=(
                Reward(id="voucher-10", name="10 EUR fuel voucher", points=10,
                       value=Money("10.00", "EUR"), auto_issue=auto_issue),
            ),
        ),
    )
