"""Replaying a stream of many members' events through a program.

Events are validated once, at the edge, and sorted by ``(at, id)``. Then one pass applies
them with the same compiled step functions ``Program.apply`` uses, on hot member slots, and
builds nothing per event. Frozen states and effect models are built when someone asks.

For a program without program-wide state, each member's time-driven effects (expiry, a
birthday gift) fire when that member's next event arrives, or at ``until``, with the time
they were due. For a program with program-wide state (budgets, stock, rankings), they fire in
global time order across members, because another member's gift may use up a budget: each
firing is ``Program.advance(state, Program.next_due(state))``, as a backend's scheduler does,
so the replay's states equal ``apply`` and ``advance`` called one by one.

Imports: the core (``_engine``, ``_model``, ``_replay_rows``, ``effects``, ``errors``, ``money``,
``shared``, ``state``); ``program`` and ``_pipeline`` only for typing.
"""

from __future__ import annotations

import gc
import heapq
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

from pydantic import Field

from ._engine import Log, Member, Row, TraceLine
from ._model import Frozen
from ._replay_pass import LOG_SPAN, consume_ordered
from ._replay_rows import conflict, event_rows, row_conflict
from ._trusted import built
from .effects import Decision, Effect, TraceEntry
from .errors import ReciprocityError
from .events import PurchaseColumns
from .money import Money
from .points.balances import BalanceTotals, balance_totals
from .shared import Shared, SharedState
from .state import MemberState

if TYPE_CHECKING:
    from ._pipeline import Pipeline
    from .program import Program

__all__ = ["Replay", "ReplaySummary", "conflict", "event_rows", "row_conflict"]

def materialize(log: Log) -> tuple[Effect, ...]:
    """Build the effect models of a log."""
    return tuple([entry[0](*entry[1:]) for entry in log])


def decision(pipeline: Pipeline, m: Member, log: Log, trace: list[TraceLine],
             shared: Shared | None, last: bool = False) -> Decision:
    """A Decision from a hot member, its effect log and trace (``last``: nothing changes
    ``m`` afterwards, see ``Pipeline.freeze``)."""
    # Every field given: built as construct would build them, without its defaults pass.
    entries = tuple([built(TraceEntry, {"rule_id": r, "outcome": o, "detail": d})
                     for r, o, d in trace])
    return built(Decision, {
        "state": pipeline.freeze(m, last), "effects": materialize(log), "trace": entries,
        "shared": None if shared is None else shared.freeze(),
    })


def caught_up(m: Member, due: datetime) -> None:
    """After firing ``m``'s effects due at ``due`` (program-wide state): the member's time
    moves there and its revision counts one change, as ``Program.advance(state, due)``."""
    if m.as_of is None or due > m.as_of:
        m.as_of = due
        m.revision += 1


class ReplaySummary(Frozen):
    """Totals of a replay, for a quick look or a comparison of two programs."""

    members: int
    events: int
    """Events applied (duplicates and refused events not counted)."""
    duplicates: int
    rejected: int
    purchases: int
    points_earned: int
    points_redeemed: int
    points_expired: int
    points_revoked: int
    points_available: int
    points_pending: int
    points_debt: int
    vouchers_issued: int
    voucher_value: Money
    liability: Money
    """Outstanding points (available + pending - debt) at the catalogue's best rate."""
    balances: dict[str, BalanceTotals] = Field(default_factory=dict)
    """Totals of each of ``Program.balances``, by name (not in the ``points_*`` above)."""


class Replay:
    """The result of :meth:`~reciprocity.Program.replay`. Single use: the stream is read once.

    Iterate it for one :class:`~reciprocity.Decision` per event (each with its state; with
    program-wide state also one per member's due time reached between events, as
    ``advance`` returns it); or read :attr:`states`, :attr:`shared`, :meth:`effects`,
    :meth:`summary` or the counts, which run one fast pass that builds nothing per event.

    Effects are kept only when someone asks for them: with ``keep_effects=True``, or when
    :meth:`effects` starts the pass. Otherwise the pass drops them as it goes (its memory grows
    with members, not events), and a later :meth:`effects` replays the same input again to
    produce them. ``rows_again`` makes the input's rows once more for that; without it, rows
    given as a list or tuple are read again, and any other iterable keeps every effect.
    """

    def __init__(self, program: Program, rows: Iterable[Row], states: dict[str, MemberState],
                 shared: SharedState | None, until: datetime | None, skip: bool, *,
                 keep_effects: bool = False,
                 rows_again: Callable[[], Iterable[Row]] | None = None) -> None:
        self.program = program
        self._pipeline: Pipeline = program._pipeline
        self._rows = rows
        if rows_again is None and isinstance(rows, (list, tuple)):
            rows_again = rows.__iter__
        self._again = rows_again
        self._keep = keep_effects or rows_again is None
        """Whether a pass keeps its effects in ``_log`` (else ``effects()`` replays again)."""
        self._kept = False
        self._shared_start = shared
        self._start = states
        self._until = until
        self._skip = skip
        self._members: dict[str, Member] | None = None
        self._log: Log = []
        self._states: dict[str, MemberState] | None = None
        self._shared: Shared | None = None
        if self._pipeline.uses_shared:
            self._shared = (Shared(program.currency) if shared is None
                            else Shared.thaw(shared))
        self._applied = 0
        self._duplicates = 0
        self._rejected: list[tuple[str, ReciprocityError]] = []
        self._started = False

    @classmethod
    def of(cls, program: Program, events: Iterable[Any] | PurchaseColumns,
           states: Mapping[str, MemberState] | None, shared: SharedState | None,
           until: datetime | None, skip: bool, keep_effects: bool) -> Replay:
        """What ``Program.replay`` returns (its arguments checked): columns are read again
        for a later ``effects()``, events are validated once and their rows kept for it."""
        columns = isinstance(events, PurchaseColumns)
        again = partial(event_rows, program, events) if columns else None
        return cls(program, event_rows(program, events), dict(states or {}), shared, until,
                   skip, keep_effects=keep_effects, rows_again=again)

    def _counted(self) -> None:
        """Run the replay before a count is read, unless a pass or iteration has begun."""
        if not self._started:
            self._consume()

    @property
    def applied(self) -> int:
        """Events applied (so far, while the replay is being iterated)."""
        self._counted()
        return self._applied

    @property
    def duplicates(self) -> int:
        """Events left out because their id was applied before."""
        self._counted()
        return self._duplicates

    @property
    def rejected(self) -> list[tuple[str, ReciprocityError]]:
        """``(event id, error)`` of events refused with ``errors="skip"``."""
        self._counted()
        return self._rejected

    def _member(self, members: dict[str, Member], mid: str) -> Member:
        start = self._start.get(mid)
        pipeline = self._pipeline
        if start is None:
            m = pipeline.new_member(mid, self.program.currency)
        else:
            m = pipeline.thaw(start)
        m.shared = self._shared
        members[mid] = m
        return m

    def _consume(self) -> None:
        if self._members is not None:
            return
        self._started = True
        if self._shared is not None:
            self._consume_ordered()
            return
        members: dict[str, Member] = {}
        log = self._log
        keep = self._keep
        dispatch = self._pipeline.dispatch
        get = members.get
        skip = self._skip
        applied = duplicates = 0
        # Millions of small acyclic containers make the cyclic collector scan over and over
        # for nothing; pause it for the pass (it is restored even on error).
        collecting = gc.isenabled()
        gc.disable()
        try:
            for row in self._rows:
                m = get(row[2]) or self._member(members, row[2])
                if row[1] in m.applied:
                    if self._repeated(m, row, None):
                        duplicates += 1
                    continue
                if skip:
                    self._step_or_refuse(members, m, row, log, None)
                else:
                    dispatch[row[0]](m, row, log, None)
                    applied += 1
                if not keep and len(log) > LOG_SPAN:
                    log.clear()
        finally:
            if collecting:
                gc.enable()
        self._applied += applied
        self._duplicates = duplicates
        self._finish(members)

    def _consume_ordered(self) -> None:
        """The fast pass of a program with program-wide state (see ``_replay_pass``)."""
        consume_ordered(self)

    def _repeated(self, m: Member, row: Row,
                  trace: list[TraceLine] | None) -> bool:
        """For a row whose id ``m`` applied before: ``True`` if it is the same event (a
        duplicate); else refuse it as ``apply`` would (raise, or record it with "skip")."""
        error = row_conflict(m, row)
        if error is None:
            return True
        if not self._skip:
            raise error
        self._rejected.append((row[1], error))
        if trace is not None:
            trace.append(("program", "refused", str(error)))
        return False

    def _step_or_refuse(self, members: dict[str, Member], m: Member, row: Row, log: Log,
                        trace: list[TraceLine] | None) -> Member:
        """Apply a row; on refusal, restore the member as it was. Returns the member.

        Stages refuse before they change anything, but the time housekeeping that runs first
        may have; ``apply`` discards it with the refused event, so the replay does the same,
        from a copy taken before the step (only when housekeeping is due).
        """
        pipeline = self._pipeline
        due = m.next_due
        snapshot = None
        if due is not None and due <= row[3]:
            snapshot = pipeline.freeze(m)
        mark = len(log)
        try:
            pipeline.step(m, row, log, trace)
        except ReciprocityError as exc:
            if not self._skip:
                raise
            # kept without its traceback: its frames hold the pass's members and log, a
            # cycle through this list that only the cyclic collector could free
            self._rejected.append((row[1], exc.with_traceback(None)))
            if snapshot is not None:
                del log[mark:]
                restored = pipeline.thaw(snapshot)
                restored.shared = m.shared
                members[row[2]] = m = restored
            if trace is not None:
                trace.append(("program", "refused", str(exc)))
        else:
            self._applied += 1
        return m

    def _ordered(self, *, trace: bool) -> Iterator[Decision]:
        """Apply rows one by one; with shared state, fire due effects in global time order."""
        members: dict[str, Member] = {}
        pipeline = self._pipeline
        shared = self._shared
        heap: list[tuple[datetime, str]] = []
        if shared is not None:
            for mid in self._start:
                m = self._member(members, mid)
                if m.next_due is not None:
                    heap.append((m.next_due, mid))
            heapq.heapify(heap)

        def fire_until(when: datetime) -> Iterator[Decision]:
            """Members' due effects up to ``when``, earliest first; each firing is what
            ``Program.advance(state, due)`` does, and yields the decision it would return."""
            while heap and heap[0][0] <= when:
                due, mid = heapq.heappop(heap)
                m = members[mid]
                if m.next_due is None or m.next_due != due:
                    continue  # stale entry
                log: Log = []
                notes: list[TraceLine] = []
                pipeline.due(m, due, log, notes if trace else None)
                caught_up(m, due)
                if self._keep:
                    self._log.extend(log)
                if m.next_due is not None:
                    heapq.heappush(heap, (m.next_due, mid))
                if trace:
                    yield decision(pipeline, m, log, notes, shared)

        for row in self._rows:
            m = members.get(row[2]) or self._member(members, row[2])
            if shared is not None:
                yield from fire_until(row[3])
            log: Log = []
            notes: list[TraceLine] = []
            before = m.next_due
            if row[1] in m.applied:
                if self._repeated(m, row, notes):
                    self._duplicates += 1
                    notes.append(("program", "duplicate",
                                  f"event {row[1]} was applied before; nothing changed"))
            else:
                m = self._step_or_refuse(members, m, row, log, notes if trace else None)
            if self._keep:
                self._log.extend(log)
            if shared is not None:
                pipeline.reschedule(m)
            if shared is not None and m.next_due is not None and m.next_due != before:
                heapq.heappush(heap, (m.next_due, row[2]))
            if trace:
                yield decision(pipeline, m, log, notes, shared)
        if shared is not None and self._until is not None:
            yield from fire_until(self._until)
        self._finish(members)

    def _finish(self, members: dict[str, Member]) -> None:
        for mid in self._start:
            if mid not in members:
                self._member(members, mid)
        if self._until is not None:
            for m in members.values():
                if m.as_of is None or self._until > m.as_of:
                    self._pipeline.due(m, self._until, self._log, None)
                    m.as_of = self._until
                    m.revision += 1  # as Program.advance counts it
        if self._keep:
            self._kept = True
        else:
            self._log.clear()
        self._members = members
        self._rows = ()

    def __iter__(self) -> Iterator[Decision]:
        if self._started:
            raise RuntimeError("this Replay was consumed already; call program.replay() again")
        self._started = True
        return self._ordered(trace=True)

    @property
    def states(self) -> dict[str, MemberState]:
        """Every member's final state, by member id."""
        self._consume()
        assert self._members is not None
        if self._states is None:
            freeze = self._pipeline.freeze
            # Hundreds of thousands of acyclic models (records, lines, lots): the cyclic
            # collector would scan them over and over for nothing, as during the pass.
            collecting = gc.isenabled()
            gc.disable()
            try:
                self._states = {mid: freeze(m) for mid, m in self._members.items()}
            finally:
                if collecting:
                    gc.enable()
        return self._states

    @property
    def shared(self) -> SharedState | None:
        """The final program-wide state, or ``None`` if the program has none."""
        self._consume()
        return None if self._shared is None else self._shared.freeze()

    def effects(self) -> Iterator[Effect]:
        """Every effect, in the order the engine produced them.

        Read first (or with ``keep_effects=True``), the pass keeps them as it goes. Read after
        a pass that did not keep them (``states``, ``summary()``, the counts, an iteration),
        the same input is replayed once more from the same starting states to produce them:
        the same effects, at the cost of a second pass.
        """
        for entry in self.effect_log():
            yield entry[0](*entry[1:])

    def effect_log(self) -> Log:
        """The effects as logged, ``(builder, *args)`` (the model is ``builder(*args)``), in
        :meth:`effects`' order, run as it runs; the replay's own list: do not change it."""
        if not self._started:
            self._keep = True
        self._consume()
        if not self._kept:
            assert self._again is not None  # without it, every pass keeps its effects
            again = Replay(self.program, self._again(), self._start, self._shared_start,
                           self._until, self._skip, keep_effects=True)
            again._consume()
            self._log, self._kept = again._log, True
        return self._log

    def summary(self) -> ReplaySummary:
        """Totals over all members.

        >>> from reciprocity import seed_program
        >>> seed_program().replay([]).summary().members
        0
        """
        self._consume()
        assert self._members is not None
        members = self._members.values()
        currency = self.program.currency
        vouchers = [v for m in members for v in m.vouchers]
        outstanding = sum(m.available + m.pending - m.debt for m in members)
        value = sum((v.value.amount for v in vouchers if v.value is not None), Decimal(0))
        return ReplaySummary(
            members=len(self._members),
            events=self.applied,
            duplicates=self.duplicates,
            rejected=len(self.rejected),
            purchases=sum(m.purchase_count for m in members),
            points_earned=sum(m.earned for m in members),
            points_redeemed=sum(m.redeemed for m in members),
            points_expired=sum(m.expired for m in members),
            points_revoked=sum(m.revoked for m in members),
            points_available=sum(m.available for m in members),
            points_pending=sum(m.pending for m in members),
            points_debt=sum(m.debt for m in members),
            vouchers_issued=len(vouchers),
            voucher_value=Money(value, currency).quantize(),
            liability=(self.program.point_value() * outstanding).quantize(),
            balances=balance_totals(self.program.balances, currency, members),
        )
