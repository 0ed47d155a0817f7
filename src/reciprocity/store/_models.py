"""What a ledger store returns: the outcome of one stored event, a correction, a member's
share of a version switch, the points liability at a date.

Imports: pydantic and the public names of ``reciprocity``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from ..effects import Effect, TraceEntry
from ..money import Money
from ..state import MemberState

__all__ = ["Applied", "Correction", "Liability", "SwitchImpact"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Correction(_Frozen):
    """A change to an effect decided before, recorded when a late event re-derived a member.

    ``kind="reversal"`` cancels ``effect`` (an effect recorded before: its points count
    negated from now on); ``kind="correction"`` is an effect that the re-derived history has
    and the recorded one had not.
    """

    kind: Literal["reversal", "correction"]
    effect: Effect


class Applied(_Frozen):
    """The outcome of :meth:`Store.apply <reciprocity.store.Store.apply>` (and of one member's
    ``advance``): the decision as the ledger recorded it.

    Attributes:
        member_id: the member.
        event_id: the event's id (``None`` for an ``advance``).
        program_version: the program version that made the decision.
        duplicate: ``True`` when the event had been applied before: ``effects`` and
            ``trace`` are then the ones stored with it, and nothing was written.
        late: ``True`` when the event was older than the member's newest one and the member
            was re-derived from the ledger; ``corrections`` says what changed.
        state: the member's state after the event (for a duplicate: the current state).
        effects: the effects of this event.
        corrections: effects of other events reversed or added by the re-derivation (with
            program-wide state, they may concern other members too).
        trace: the engine's trace of the decision.
    """

    member_id: str
    event_id: str | None
    program_version: str
    duplicate: bool = False
    late: bool = False
    state: MemberState
    effects: tuple[Effect, ...] = ()
    corrections: tuple[Correction, ...] = ()
    trace: tuple[TraceEntry, ...] = ()

    @property
    def points_delta(self) -> int:
        """Change of the member's available balance by this event's effects and the
        member's corrections (with program-wide state, a late event may also correct other
        members' effects; each names its member)."""
        return sum(effect.points_delta for effect in self.effects) + sum(
            c.effect.points_delta * (-1 if c.kind == "reversal" else 1)
            for c in self.corrections if c.effect.member_id == self.member_id)


class Liability(_Frozen):
    """The points the members could redeem at an instant, and what they are worth.

    Attributes:
        at: the instant.
        points: the sum of the available-balance changes of every effect up to ``at``, as the
            ledger knows it now (corrections included): points owed to members.
        members: members with a non-zero balance at ``at``.
        value: ``points`` times the point value of the program version in force at ``at``
            (:meth:`reciprocity.Program.point_value`).
    """

    at: datetime
    points: int
    members: int
    value: Money


class SwitchImpact(_Frozen):
    """What switching to another program version would change for one member (a dry run).

    Attributes:
        member_id: the member.
        balance_before: the available balance as recorded.
        balance_after: the balance had the new version applied from its instant.
        tier_before: the tier as recorded (``None``: no tier).
        tier_after: the tier under the new version.
        effects_removed: recorded effects the new version would not produce.
        effects_added: effects the new version would produce that are not recorded.
        refused: why the new version would refuse an event of the member, if it would.
    """

    member_id: str
    balance_before: int
    balance_after: int
    tier_before: str | None = None
    tier_after: str | None = None
    effects_removed: int = 0
    effects_added: int = 0
    refused: str | None = None

    @property
    def changed(self) -> bool:
        """Whether anything would differ for this member."""
        return bool(self.effects_added or self.effects_removed or self.refused
                    or self.balance_before != self.balance_after
                    or self.tier_before != self.tier_after)
