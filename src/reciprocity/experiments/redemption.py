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
the program like any other. The simulation runs period by period: it replays a period,
advances every member to its end, reads their states, and adds the redemptions to the next
period.

Imports: ``_model``, ``errors``, ``events``, ``points.scheme`` (rewards), ``program`` (typing),
``replay``, ``state``, ``effects``, ``experiments.periods``, ``experiments.progress``.
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
from ..replay import ReplaySummary
from ..state import MemberState
from .periods import Periods
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
            best = max(affordable, key=lambda r: (r.value.amount, -r.points, r.id))
            chosen.append(best)
            balance -= best.points
        return chosen

    def steps(self, events: Any, periods: Periods, until: datetime | None) -> int:
        """How many periods a run goes through (for a progress bar)."""
        first, last = _span(events, until)
        return 0 if first is None or last is None else len(periods.span(first, last))

    def run(self, program: Program, events: Any, start: Mapping[str, MemberState],
            until: datetime | None, errors: str, periods: Periods,
            bar: Progress) -> RedemptionRun:
        """Replay ``events`` period by period, adding the redemptions the model draws."""
        rewards = [r for r in (program.points.rewards if program.points else ())
                   if isinstance(r, Reward)]
        if not rewards:
            raise InvalidProgram(
                f"program {program.name!r} has no reward with a fixed number of points to "
                "redeem", hint="add a Reward to points.rewards, or simulate without a "
                "redemption model")
        items = events.to_events() if isinstance(events, PurchaseColumns) else list(events)
        items.sort(key=lambda e: (e.at, e.id))
        first, last = _span(items, until)
        labels = [] if first is None or last is None else periods.span(first, last)
        states: dict[str, MemberState] = dict(start)
        effects: list[Effect] = []
        rejected: list[tuple[str, ReciprocityError]] = []
        applied: list[Any] = []
        carried: list[Redemption] = []
        counts = [0, 0]
        summary: ReplaySummary | None = None
        position = 0
        for index, label in enumerate(labels):
            end = periods.end(label)
            final = index == len(labels) - 1
            chunk: list[Any] = list(carried)
            while position < len(items) and (final or items[position].at < end):
                chunk.append(items[position])
                position += 1
            stop = until if final else end
            replay = program.replay(chunk, states, until=stop, errors=errors)
            summary = replay.summary()
            effects.extend(replay.effects())
            rejected.extend(replay.rejected)
            applied.extend(chunk)
            counts[0] += replay.applied
            counts[1] += replay.duplicates
            bar.step(f"period {label}")
            if final:
                break
            states = replay.states
            carried = []
            for mid in sorted(states):
                state = states[mid]
                for turn, reward in enumerate(self.choose(rewards, state.balance, mid, label)):
                    carried.append(Redemption(id=f"sim-{label}-{turn}-{mid}", member_id=mid,
                                              at=end, reward_id=reward.id))
        if summary is None:
            summary = program.replay([], start, until=until).summary()
        summary = summary.model_copy(update={"events": counts[0], "duplicates": counts[1],
                                             "rejected": len(rejected)})
        return RedemptionRun(summary=summary, effects=effects, rejected=rejected,
                             events=applied)


@dataclass(frozen=True, slots=True)
class RedemptionRun:
    """What a run with a redemption model produced."""

    summary: ReplaySummary
    effects: list[Effect]
    rejected: list[tuple[str, ReciprocityError]]
    events: list[Any]
    """Every event applied or refused, the generated redemptions included."""


def _span(events: Any, until: datetime | None) -> tuple[datetime | None, datetime | None]:
    times = list(events.at) if isinstance(events, PurchaseColumns) else [e.at for e in events]
    if until is not None:
        times.append(until)
    if not times:
        return None, None
    return min(times), max(times)


