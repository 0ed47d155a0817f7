"""A member's store credit in the saved state: lots spent oldest first, and the totals.

Imports: ``_model`` and ``_state_base``.
"""

from __future__ import annotations

from decimal import Decimal

from ._model import Instant, NonEmptyStr
from ._state_base import Amount, _StateModel

__all__ = ["CreditBalance", "CreditLot"]


class CreditLot(_StateModel):
    """Store credit issued by one event (its ``id``); spent oldest first."""

    id: NonEmptyStr
    issued_at: Instant
    amount: Amount
    remaining: Amount
    """Credit of it not yet spent or expired."""
    expires_at: Instant | None = None


class CreditBalance(_StateModel):
    """A member's store credit: ``issued == spent + expired + balance``, never negative."""

    lots: tuple[CreditLot, ...] = ()
    """Lots with credit left, oldest first."""
    issued: Amount = Decimal(0)
    spent: Amount = Decimal(0)
    expired: Amount = Decimal(0)

    @property
    def balance(self) -> Decimal:
        """Credit the member can spend now."""
        return sum((lot.remaining for lot in self.lots), Decimal(0))
