"""A member's state: immutable, JSON round-trip exact, produced only by a program.

A shop persists ``state.model_dump_json()`` after each decision and passes the loaded state to
the next :meth:`~reciprocity.Program.apply`. A new state comes only from ``apply``,
``advance`` or ``replay``; there is no setter.

>>> state = MemberState.new("m-1", currency="EUR")
>>> state.available_points, state.applied_event_ids
(0, ())
>>> MemberState.model_validate_json(state.model_dump_json()) == state
True
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field

from ._model import Frozen, Instant, NonEmptyStr
from .money import Money, validate_currency

__all__ = ["MemberState", "PointLot", "PurchaseRecord", "Voucher"]


class PointLot(Frozen):
    """Points earned together, by one rule for one event; spent oldest first."""

    id: NonEmptyStr
    """``<event id>/<rule id>``: unique and stable."""
    rule_id: NonEmptyStr
    source_event_id: NonEmptyStr
    earned_at: Instant
    points: int = Field(ge=0)
    """Points the lot was created with."""
    remaining: int = Field(ge=0)
    """Points of it not yet redeemed, expired or revoked."""
    status: Literal["pending", "available"] = "available"
    available_at: Instant | None = None
    """When a pending lot becomes available."""
    expires_at: Instant | None = None


class PurchaseRecord(Frozen):
    """What the state remembers of a purchase, so a later return is handled exactly."""

    id: NonEmptyStr
    at: Instant
    amount: Decimal
    returned: Decimal = Decimal(0)
    """Amount returned so far."""
    earned: tuple[tuple[str, int], ...] = ()
    """Points earned, per rule id, as stored at earning time (never recomputed)."""
    revoked: tuple[tuple[str, int], ...] = ()
    """Points taken back so far, per rule id."""


class Voucher(Frozen):
    """A voucher issued for points."""

    code: NonEmptyStr
    reward_id: NonEmptyStr
    value: Money
    issued_at: Instant
    expires_at: Instant | None = None
    source_event_id: NonEmptyStr


class MemberState(Frozen):
    """Everything a program knows about one member.

    The totals obey ``points_earned == available + pending + redeemed + expired + revoked``
    (debt is owed points not yet taken: it is repaid from future earnings).
    """

    member_id: NonEmptyStr
    currency: str
    as_of: Instant | None = None
    """The latest time the state has seen, from an event or ``advance``."""
    joined_at: Instant | None = None
    birthday: date | None = None
    consents: tuple[str, ...] = ()
    lots: tuple[PointLot, ...] = ()
    """Point lots with points left, oldest first."""
    pooled_points: int = Field(default=0, ge=0)
    """Available points held in one pool, without a lot. A scheme with neither expiry nor
    pending points has no use for lots (its points are all alike), so it keeps them here."""
    debt: int = Field(default=0, ge=0)
    """Points owed after a return took back points that were already spent."""
    points_earned: int = 0
    points_redeemed: int = 0
    points_expired: int = 0
    points_revoked: int = 0
    purchase_count: int = 0
    spend: Decimal = Decimal(0)
    """Net spend: purchases minus returns."""
    purchases: tuple[PurchaseRecord, ...] = ()
    vouchers: tuple[Voucher, ...] = ()
    applied_event_ids: tuple[str, ...] = ()
    """Ids of every event applied, sorted; re-applying one of them is a no-op."""

    def model_post_init(self, context: object, /) -> None:
        validate_currency(self.currency, field="MemberState.currency")

    @classmethod
    def new(cls, member_id: str, *, currency: str) -> MemberState:
        """An empty state for a member a program has not seen yet."""
        return cls(member_id=member_id, currency=currency)

    @property
    def available_points(self) -> int:
        """Points the member can redeem now."""
        return self.pooled_points + sum(
            lot.remaining for lot in self.lots if lot.status == "available"
        )

    @property
    def pending_points(self) -> int:
        """Points earned but not yet available (inside the return window)."""
        return sum(lot.remaining for lot in self.lots if lot.status == "pending")

    @property
    def next_expiry(self) -> datetime | None:
        """When the next lot expires, if any lot has an expiry."""
        dates = [lot.expires_at for lot in self.lots if lot.expires_at is not None]
        return min(dates) if dates else None

    def has_applied(self, event_id: str) -> bool:
        """Whether ``event_id`` was applied to this state already."""
        from bisect import bisect_left

        ids = self.applied_event_ids
        index = bisect_left(ids, event_id)
        return index < len(ids) and ids[index] == event_id
