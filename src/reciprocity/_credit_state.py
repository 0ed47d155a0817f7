"""A member's store credit in the saved state: lots spent oldest first, and the totals.

Imports: ``_model`` and ``_state_base``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import StringConstraints

from ._model import Instant, NonEmptyStr
from ._state_base import Amount, _StateModel

__all__ = ["CreditBalance", "CreditLot", "PeriodKey", "PeriodOrder", "PeriodSpend"]


class CreditLot(_StateModel):
    """Store credit issued by one event (its ``id``); spent oldest first."""

    id: NonEmptyStr
    issued_at: Instant
    amount: Amount
    remaining: Amount
    """Credit of it not yet spent or expired."""
    expires_at: Instant | None = None


PeriodKey = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]
"""A period of a periodic reward, named by its first month: ``"2026-04"``."""


class PeriodSpend(_StateModel):
    """A member's eligible spend in one period not yet issued (``StoreCredit.periodic``)."""

    period: PeriodKey
    """The period's first month, ``"YYYY-MM"`` (``"2026-01"`` for the calendar year 2026)."""
    eligible: Amount


class PeriodOrder(_StateModel):
    """A purchase counted in a period not yet issued, so a return can take its share off."""

    id: NonEmptyStr
    period: PeriodKey
    amount: Amount
    """The purchase's amount."""
    eligible: Amount
    """What of it was eligible when bought."""
    left: Amount
    """What of it is still eligible (returns taken off)."""
    excluded: tuple[str, ...] = ()
    """SKUs of the purchase's lines that were left out."""


class CreditBalance(_StateModel):
    """A member's store credit: ``issued == spent + expired + balance``, never negative."""

    lots: tuple[CreditLot, ...] = ()
    """Lots with credit left, oldest first."""
    issued: Amount = Decimal(0)
    spent: Amount = Decimal(0)
    expired: Amount = Decimal(0)
    periods: tuple[PeriodSpend, ...] = ()
    """Eligible spend of the periods whose periodic reward is not issued yet, oldest first."""
    orders: tuple[PeriodOrder, ...] = ()
    """Purchases of those periods, for returns."""
    closed_through: PeriodKey | None = None
    """The first month of the last period whose periodic reward was issued (or found below
    the minimum)."""

    @property
    def balance(self) -> Decimal:
        """Credit the member can spend now."""
        return sum((lot.remaining for lot in self.lots), Decimal(0))
