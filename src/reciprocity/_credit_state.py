"""A member's store credit in the saved state: lots spent oldest first, and the totals.

Imports: ``_model`` and ``_state_base``.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from ._model import Instant, NonEmptyStr
from ._state_base import Amount, _StateModel

__all__ = ["CreditBalance", "CreditLot", "PeriodOrder", "PeriodSpend"]


class CreditLot(_StateModel):
    """Store credit issued by one event (its ``id``); spent oldest first."""

    id: NonEmptyStr
    issued_at: Instant
    amount: Amount
    remaining: Amount
    """Credit of it not yet spent or expired."""
    expires_at: Instant | None = None


class PeriodSpend(_StateModel):
    """A member's eligible spend in one year not yet issued (``StoreCredit.periodic``)."""

    year: int = Field(ge=1, le=9998)
    eligible: Amount


class PeriodOrder(_StateModel):
    """A purchase counted in a year not yet issued, so a return can take its share off."""

    id: NonEmptyStr
    year: int = Field(ge=1, le=9998)
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
    """Eligible spend of the years whose periodic reward is not issued yet, oldest first."""
    orders: tuple[PeriodOrder, ...] = ()
    """Purchases of those years, for returns."""
    closed_through: int | None = None
    """The last year whose periodic reward was issued (or found below the minimum)."""

    @property
    def balance(self) -> Decimal:
        """Credit the member can spend now."""
        return sum((lot.remaining for lot in self.lots), Decimal(0))
