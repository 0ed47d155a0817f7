"""Deciding events for a store: the program version in force at an instant, one ledger step,
and re-deriving a member from its ledger (for late events and dry runs).

A step is what both the normal path and a re-derivation do with one ledger row, so a member
re-derived from its ledger is exactly the member the rows would have made in order. When a
program version starts between a member's time and the row's, the old version first
advances the member to just before the switch (its time-driven effects are its own), then the
new version decides the row.

A program with program-wide state (budgets, stock, rankings) is one history across members:
:func:`rederive_all` runs the whole ledger in ``(at, kind, id, member)`` order, threading the
program-wide state from row to row.

Imports: the public names of ``reciprocity`` and ``reciprocity.errors``; no database.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .._fingerprint import event_fingerprint
from ..effects import Effect, TraceEntry
from ..events import Event
from ..program import Program
from ..shared import SharedState
from ..state import MemberState

__all__ = ["Derived", "Everyone", "Row", "Step", "Versions", "diff", "due", "rederive",
           "rederive_all", "step"]

_TICK = timedelta(microseconds=1)


class Versions:
    """The program versions of a store, each with the instant it applies from."""

    def __init__(self, entries: Iterable[tuple[datetime, str, Program]]) -> None:
        self.entries = sorted(entries, key=lambda entry: entry[0])
        self.starts = [entry[0] for entry in self.entries]

    def at(self, when: datetime) -> tuple[str, Program]:
        """The version in force at ``when`` (the first version also covers earlier times)."""
        index = max(bisect_right(self.starts, when) - 1, 0)
        return self.entries[index][1], self.entries[index][2]

    def switches(self, after: datetime | None, upto: datetime) -> list[datetime]:
        """The instants in ``(after, upto]`` where a new version starts."""
        return [start for start in self.starts[1:]
                if (after is None or after < start) and start <= upto]

    def with_version(self, start: datetime, version: str, program: Program) -> Versions:
        """These versions plus another from ``start`` (for a dry run)."""
        return Versions([*self.entries, (start, version, program)])


@dataclass(frozen=True)
class Row:
    """One ledger row: an event, or an ``advance`` of the member to ``at`` (``event=None``)."""

    at: datetime
    event_id: str | None
    event: Event | None
    member_id: str = ""

    @property
    def key(self) -> tuple[datetime, int, str]:
        """Ledger order: ``(at, id)``, an advance before the events at its instant."""
        return (self.at, 0 if self.event is None else 1, self.event_id or "")

    @property
    def global_key(self) -> tuple[datetime, int, str, str]:
        """Ledger order across members: ``(at, kind, id, member)``."""
        return (self.at, 0 if self.event is None else 1, self.event_id or "", self.member_id)


@dataclass
class Step:
    """What one row did: the state after it, its effects with their versions, its trace."""

    state: MemberState
    version: str
    effects: list[tuple[Effect, str]] = field(default_factory=list)
    trace: tuple[TraceEntry, ...] = ()
    shared: SharedState | None = None


def step(versions: Versions, state: MemberState | None, member_id: str, currency: str,
         row: Row, shared: SharedState | None = None) -> Step:
    """Decide one row. Raises what ``Program.apply`` raises (a refusal changes nothing).

    ``shared`` is the program-wide state before the row (``None``: an empty one); the
    step's ``shared`` is the one after it (``None`` for a program without one).
    """
    effects: list[tuple[Effect, str]] = []
    if state is not None:
        for start in versions.switches(state.as_of, row.at):
            old_version, old = versions.at(start - _TICK)
            if state.as_of is not None and state.as_of < start - _TICK:
                moved = old.advance(state, start - _TICK, shared=shared)
                state = moved.state
                shared = moved.shared if moved.shared is not None else shared
                effects += [(effect, old_version) for effect in moved.effects]
    version, program = versions.at(row.at)
    if row.event is None:
        decision = program.advance(state or MemberState.new(member_id, currency=currency),
                                   row.at, shared=shared)
    else:
        decision = program.apply(state, row.event, shared=shared)
    effects += [(effect, version) for effect in decision.effects]
    return Step(decision.state, version, effects, decision.trace,
                decision.shared if decision.shared is not None else shared)


def due(versions: Versions, state: MemberState) -> datetime | None:
    """When ``state`` next has something due: ``Program.next_due`` of the version in force
    at the state's time, or the start of the next version if that comes first (the new
    version may have something due earlier)."""
    when = state.as_of
    _, program = versions.at(when) if when is not None else versions.entries[0][1:]
    found = program.next_due(state)
    for start in versions.starts[1:]:
        if (when is None or when < start) and (found is None or start < found):
            return start
    return found


@dataclass
class Derived:
    """A member re-derived from ledger rows: the final state and every row's step."""

    state: MemberState | None
    steps: list[Step]


def rederive(versions: Versions, member_id: str, currency: str,
             rows: Sequence[Row]) -> Derived:
    """Run ``rows`` (already in ledger order) from an empty member.

    Raises:
        RefusedEvent: a row is refused; ``error.row`` is its position in ``rows``.
    """
    state: MemberState | None = None
    steps: list[Step] = []
    for index, row in enumerate(rows):
        try:
            done = step(versions, state, member_id, currency, row)
        except Exception as exc:
            exc.row = index  # type: ignore[attr-defined]
            raise
        state = done.state
        steps.append(done)
    return Derived(state, steps)


@dataclass
class Everyone:
    """Every member re-derived from the whole ledger (a program with program-wide state)."""

    states: dict[str, MemberState]
    shared: SharedState | None
    steps: list[Step]


def rederive_all(versions: Versions, currency: str, rows: Sequence[Row]) -> Everyone:
    """Run every member's ``rows`` (already in :attr:`Row.global_key` order) from empty
    members and an empty program-wide state.

    Raises:
        RefusedEvent: a row is refused; ``error.row`` is its position in ``rows``.
    """
    states: dict[str, MemberState] = {}
    shared: SharedState | None = None
    steps: list[Step] = []
    for index, row in enumerate(rows):
        try:
            done = step(versions, states.get(row.member_id), row.member_id, currency, row,
                        shared)
        except Exception as exc:
            exc.row = index  # type: ignore[attr-defined]
            raise
        states[row.member_id] = done.state
        shared = done.shared
        steps.append(done)
    return Everyone(states, shared, steps)


def effect_key(effect: Effect) -> str:
    """The identity of an effect when comparing two histories: its whole JSON."""
    return effect.model_dump_json()


def diff(recorded: Sequence[tuple[int, Effect]], derived: Sequence[Effect]
         ) -> tuple[list[tuple[int, Effect]], list[int]]:
    """Compare recorded effects ``(seq, effect)`` with a re-derived list of effects.

    Returns:
        The recorded effects the derived history lacks (to reverse), and the positions in
        ``derived`` of effects the record lacks (to add). Equal effects are matched one to
        one, so a repeated effect counts as often as it occurs.
    """
    pool: dict[str, list[tuple[int, Effect]]] = defaultdict(list)
    for seq, effect in recorded:
        pool[effect_key(effect)].append((seq, effect))
    added: list[int] = []
    for position, effect in enumerate(derived):
        matches = pool.get(effect_key(effect))
        if matches:
            matches.pop(0)
        else:
            added.append(position)
    removed = sorted((item for items in pool.values() for item in items), key=lambda i: i[0])
    return removed, added


def fingerprint(event: Event) -> str:
    """The event's fingerprint, as the member state keeps it (equal events, equal prints)."""
    return event_fingerprint(event)
