"""Effects: every change a program makes, each naming its rule and a customer-readable reason.

Nothing changes a balance without an effect, so a member's balance always equals the sum of
their effects (see ``tests/test_program.py``).

>>> from datetime import datetime, timezone
>>> e = PointsEarned(rule_id="seed", reason="1 point for order A-17 over 50.00 EUR",
...                  member_id="m-1", event_id="A-17", lot_id="A-17/seed", points=1,
...                  at=datetime(2026, 3, 1, tzinfo=timezone.utc))
>>> e.points_delta
1
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from ._model import Frozen, Instant, NonEmptyStr
from .shared import SharedState
from .state import MemberState, Voucher

__all__ = [
    "Decision",
    "Effect",
    "PointsEarned",
    "PointsExpired",
    "PointsRedeemed",
    "PointsReleased",
    "PointsRevoked",
    "TraceEntry",
    "VoucherIssued",
]


class _EffectBase(Frozen):
    rule_id: NonEmptyStr
    """The rule that produced the effect."""
    reason: str
    """Why, in words a customer can read."""
    member_id: NonEmptyStr
    event_id: str | None = None
    """The event that caused it; ``None`` for time-driven effects (expiry, release)."""
    at: Instant

    @property
    def points_delta(self) -> int:
        """Change of the available balance caused by this effect."""
        return 0


class PointsEarned(_EffectBase):
    """Points credited to a new lot (pending or available)."""

    type: Literal["points_earned"] = "points_earned"
    points: int
    lot_id: str | None = None
    """The lot that holds the points; ``None`` when the scheme pools points."""
    status: Literal["pending", "available"] = "available"
    available_at: Instant | None = None
    expires_at: Instant | None = None

    @property
    def points_delta(self) -> int:
        return self.points if self.status == "available" else 0


class PointsReleased(_EffectBase):
    """Pending points became available (the return window closed)."""

    type: Literal["points_released"] = "points_released"
    points: int
    lot_id: NonEmptyStr

    @property
    def points_delta(self) -> int:
        return self.points


class PointsRedeemed(_EffectBase):
    """Points spent on a reward."""

    type: Literal["points_redeemed"] = "points_redeemed"
    points: int
    reward_id: NonEmptyStr

    @property
    def points_delta(self) -> int:
        return -self.points


class PointsRevoked(_EffectBase):
    """Points taken back (a return) or withheld to repay debt.

    ``points`` left the balance now (available or pending, per ``from_pending``);
    ``debt_added`` is what could not be taken and is owed from future earnings.
    """

    type: Literal["points_revoked"] = "points_revoked"
    points: int
    from_pending: int = 0
    debt_added: int = 0
    purchase_id: str | None = None

    @property
    def points_delta(self) -> int:
        return -(self.points - self.from_pending)


class PointsExpired(_EffectBase):
    """Points of a lot expired unused."""

    type: Literal["points_expired"] = "points_expired"
    points: int
    lot_id: NonEmptyStr

    @property
    def points_delta(self) -> int:
        return -self.points


class VoucherIssued(_EffectBase):
    """A voucher, with its value and validity, issued for a redemption."""

    type: Literal["voucher_issued"] = "voucher_issued"
    voucher: Voucher


Effect = Annotated[
    PointsEarned | PointsReleased | PointsRedeemed | PointsRevoked | PointsExpired
    | VoucherIssued,
    Field(discriminator="type"),
]
"""Any effect; the ``type`` field picks the class."""


class TraceEntry(Frozen):
    """One line of a decision's explanation: what a rule did with the event and why."""

    rule_id: str
    outcome: Literal["applied", "skipped", "duplicate", "refused", "note"]
    detail: str


class Decision(Frozen):
    """What :meth:`~reciprocity.Program.apply` decided: the new state, effects and trace.

    ``shared`` is the new program-wide state for programs that have one (budgets, stock,
    rankings), else ``None``. Persist ``state`` and ``shared`` together.
    """

    state: MemberState
    effects: tuple[Effect, ...] = ()
    trace: tuple[TraceEntry, ...] = ()
    shared: SharedState | None = None

    def explain(self) -> str:
        """The trace and effects as readable lines."""
        lines = [f"{t.rule_id}: {t.outcome}: {t.detail}" for t in self.trace]
        lines += [f"-> {e.reason}" for e in self.effects]
        return "\n".join(lines)
