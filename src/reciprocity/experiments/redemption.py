"""A declared, seeded redemption-and-breakage model: redemptions that real histories lack.

Order histories hold no redemptions, so a program's cost would only ever show as liability.
:class:`RedemptionModel` generates them during a simulation, by a rule that is data (it is
saved with the results and shown in their summary) and seeded (the same seed gives the same
redemptions, whatever the order of the members):

- each member is, once and for all, a *never-redeemer* with probability ``breakage``: their
  points are never redeemed (they expire or stay outstanding);
- at the end of each period, every other member whose balance affords a reward redeems the
  best one they can afford (the highest value; the fewest points on a tie) with probability
  ``probability``, up to ``max_per_period`` times while the balance allows.

Each redemption is a :class:`~reciprocity.Redemption` event at the period's end, applied by
the program like any other. The draws of a period depend on the balances at its end, which
depend on the draws before: :meth:`RedemptionModel.run` replays the whole history again with
the redemptions drawn from the pass before, until a pass draws what it replayed (two or three
passes; each is one plain replay, so nothing per member is frozen in between).

Imports: ``_model``, ``errors``, ``events``, ``money``, ``points.scheme`` (rewards),
``program`` (typing), ``replay``, ``state``, ``effects``, ``experiments.periods``,
``experiments.prepared``, ``experiments.progress``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from .._model import Frozen
from ..effects import Effect
from ..errors import InvalidProgram, ReciprocityError
from ..events import PurchaseColumns, Redemption
from ..points.scheme import Reward
from ..replay import Replay, ReplaySummary
from ..state import MemberState
from .periods import Periods
from .prepared import Prepared
from .progress import Progress

if TYPE_CHECKING:
    from ..program import Program

__all__ = ["RedemptionModel", "RedemptionRun"]


class RedemptionModel(Frozen):
    """Members redeem the best reward their balance affords, at period ends, by chance.

    >>> model = RedemptionModel(probability=Decimal("0.5"), breakage=Decimal("0.2"), seed=7)
    >>> model.describe()
    'best reward at each period end with p=0.5, 20% of members never redeem, seed 7'
    >>> 0 <= model.draw("member-1", "2026-03") < 1
    True
    """

    type: Literal["best-reward"] = "best-reward"
    probability: Decimal = Field(default=Decimal("0.5"), ge=0, le=1)
    """Chance that a member who can afford a reward redeems it at a period's end."""
    breakage: Decimal = Field(default=Decimal("0.2"), ge=0, le=1)
    """Share of members who never redeem."""
    max_per_period: int = Field(default=1, ge=1, le=100)
    """Redemptions per member and period at most."""
    seed: int = 0

    def describe(self) -> str:
        """The model in words, as simulation summaries show it."""
        return (f"best reward at each period end with p={self.probability}, "
                f"{(self.breakage * 100).normalize():f}% of members never redeem, seed {self.seed}")

    def draw(self, *keys: str) -> float:
        """A number in [0, 1) fixed by the seed and the keys (not by call order)."""
        digest = hashlib.sha256("\x1f".join((str(self.seed), *keys)).encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2.0**64

    def redeems(self, member_id: str) -> bool:
        """Whether the member ever redeems (``False`` for the ``breakage`` share)."""
        return self.draw("breakage", member_id) >= float(self.breakage)

    def choose(self, rewards: Sequence[Reward], balance: int, member_id: str,
               period: str) -> list[Reward]:
        """The rewards the member redeems at the end of ``period`` with ``balance`` points."""
        if not self.redeems(member_id):
            return []
        chosen: list[Reward] = []
        for turn in range(self.max_per_period):
            affordable = [r for r in rewards if r.points <= balance]
            if not affordable or self.draw(member_id, period, str(turn)) >= float(
                    self.probability):
                break
            best = max(affordable, key=lambda r: (
                r.value.amount if r.value is not None else Decimal(0), -r.points, r.id))
            chosen.append(best)
            balance -= best.points
        return chosen

    def steps(self, events: Any, periods: Periods, until: datetime | None) -> int:
        """How many passes a run usually takes (for a progress bar; see :meth:`run`)."""
        return 3

    def run(self, program: Program, events: Any, start: Mapping[str, MemberState],
            until: datetime | None, errors: str, periods: Periods,
            bar: Progress) -> RedemptionRun:
        """Replay ``events`` with the redemptions the model draws, until they are stable.

        The first pass replays the events alone; each next pass replays them with the
        redemptions drawn from the balances of the pass before, at each period's end. A
        period's draws depend only on what happened before its end, so the passes settle,
        period by period; the run stops at the first pass that draws what it replayed.
        Members are advanced to ``until``, or to the end of the last period. ``events`` may
        be :class:`~reciprocity.experiments.prepared.Prepared` (then ``start`` is its own):
        every pass replays its rows, validated and sorted once.
        """
        rewards = [r for r in (program.points.rewards if program.points else ())
                   if isinstance(r, Reward)]
        if not rewards:
            raise InvalidProgram(
                f"program {program.name!r} has no reward with a fixed number of points to "
                "redeem", hint="add a Reward to points.rewards, or simulate without a "
                "redemption model")
        prepared = events if isinstance(events, Prepared) else Prepared(events, start)
        start = prepared.start
        items = prepared.events
        first, last = _span(items, until)
        labels = [] if first is None or last is None else periods.span(first, last)
        stop = until if until is not None or not labels else periods.end(labels[-1])
        ends = [(periods.end(label), label) for label in labels[:-1]]
        drawn: list[Redemption] = []
        for attempt in range(len(labels) + 2):
            # errors="skip" makes the engine copy a member's state before each event that
            # housekeeping precedes (to restore it on a refusal): costly on long histories.
            # A pass runs without it, and again with it only if something was refused.
            try:
                replay = prepared.replay(program, until=stop, extra=drawn,
                                         keep_effects=True)
                summary = replay.summary()
            except ReciprocityError:
                replay = prepared.replay(program, until=stop, errors="skip", extra=drawn,
                                         keep_effects=True)
                summary = replay.summary()
                ours = {r.id for r in drawn}
                theirs = [error for eid, error in replay.rejected if eid not in ours]
                if theirs and errors == "raise":
                    raise theirs[0] from None
            effects = list(replay.effects())
            bar.step(f"pass {attempt + 1}")
            again = self._draw(effects, start, rewards, ends)
            if [r.id for r in again] == [r.id for r in drawn]:
                break
            drawn = again
        ours = {r.id for r in drawn}
        rejected = [(eid, error) for eid, error in replay.rejected if eid not in ours]
        if rejected and errors == "raise":
            raise rejected[0][1]
        refused = len(replay.rejected) - len(rejected)
        summary = summary.model_copy(update={"rejected": len(rejected),
                                             "events": summary.events})
        return RedemptionRun(summary=summary, effects=effects, rejected=rejected,
                             events=[*items, *drawn], refused_redemptions=refused,
                             replay=replay)

    def _draw(self, effects: list[Effect], start: Mapping[str, MemberState],
              rewards: list[Reward], ends: list[tuple[datetime, str]]) -> list[Redemption]:
        """The redemptions drawn at each period end from the balances the effects give."""
        balance = {mid: state.balance for mid, state in start.items()}
        cheapest = min(r.points for r in rewards)
        ordered = sorted(effects, key=lambda e: e.at)  # stable: the log's order on ties
        drawn: list[Redemption] = []
        index, count = 0, len(ordered)
        for end, label in ends:
            while index < count and ordered[index].at <= end:
                effect = ordered[index]
                index += 1
                if effect.event_id is None or not effect.event_id.startswith("sim-"):
                    _move(balance, effect)  # the pass's own redemptions: drawn again below
            for mid in sorted(balance):
                if balance[mid] < cheapest:
                    continue
                for turn, reward in enumerate(self.choose(rewards, balance[mid], mid, label)):
                    drawn.append(Redemption(id=f"sim-{label}-{turn}-{reward.id}-{mid}",
                                            member_id=mid, at=end, reward_id=reward.id))
                    balance[mid] -= reward.points
        return drawn


def _move(balance: dict[str, int], effect: Effect) -> None:
    """Apply an effect to a member's balance (available points minus debt)."""
    e: Any = effect
    if getattr(e, "balance", None) is not None:
        return  # points of another of Program.balances: the model redeems the program's own
    change = effect.points_delta
    if e.type == "points_revoked":
        change -= -e.points if e.rule_id == "clawback" else e.debt_added
    if change or effect.member_id not in balance:
        balance[effect.member_id] = balance.get(effect.member_id, 0) + change


@dataclass(frozen=True, slots=True)
class RedemptionRun:
    """What a run with a redemption model produced."""

    summary: ReplaySummary
    effects: list[Effect]
    rejected: list[tuple[str, ReciprocityError]]
    events: list[Any]
    """Every event applied or refused, the generated redemptions included."""
    refused_redemptions: int = 0
    """Drawn redemptions the program refused (none once the passes settle)."""
    replay: Replay | None = None
    """The last pass: its members' final states are the run's."""


def _span(events: Any, until: datetime | None) -> tuple[datetime | None, datetime | None]:
    times = list(events.at) if isinstance(events, PurchaseColumns) else [e.at for e in events]
    if until is not None:
        times.append(until)
    if not times:
        return None, None
    return min(times), max(times)


