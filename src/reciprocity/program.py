"""The program: a named, versioned, immutable set of policies, and the engine that applies it.

``Program.apply(state, event)`` runs the stages below, in this fixed order, and returns a
:class:`~reciprocity.Decision` with the new state, the effects and a trace:

1. time housekeeping: release pending points and expire lots due up to the event's ``at``;
2. point schemes: earn on purchases, claw back on returns, redeem rewards;
3. member profile: sign-up time, birthday and consents from ``SignUp``/``ProfileUpdate``.

The engine is pure: no clock (time comes from events or :meth:`Program.advance`), no I/O,
no global state. An event whose id the state has seen is a no-op with a note in the trace.

>>> from datetime import datetime
>>> from zoneinfo import ZoneInfo
>>> from reciprocity import Money, Purchase, seed_program
>>> program = seed_program()
>>> at = datetime(2026, 3, 1, 12, tzinfo=ZoneInfo("Europe/Berlin"))
>>> d = program.apply(None, Purchase(id="A-17", member_id="m-1", at=at,
...                                  amount=Money("50.01", "EUR")))
>>> d.state.available_points, d.effects[0].reason
(1, '1 point for order A-17 over 50.00 EUR')
>>> program.apply(d.state, Purchase(id="A-17", member_id="m-1", at=at,
...                                 amount=Money("50.01", "EUR"))).trace[0].outcome
'duplicate'
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, PrivateAttr, field_validator

from ._engine import Log, Member, Row, Trace, freeze, thaw
from ._model import Frozen, NonEmptyStr, require_aware
from .conditions import CompileContext
from .effects import Decision, Effect, TraceEntry
from .errors import (
    CurrencyMismatch, InvalidEvent, InvalidProgram, MissingDependency, ReciprocityError,
)
from .events import (
    PROFILE, PURCHASE, REDEMPTION, RETURN, SIGNUP, Event, ProfileUpdate, Purchase,
    PurchaseColumns, SignUp, _in_order, parse_event,
)
from .money import Money, validate_currency
from .policies.points import CompiledPoints, Handler, PointScheme, check_purchase_currency
from .state import MemberState

__all__ = ["Program", "Replay", "ReplaySummary", "program_json_schema"]


class Program(Frozen):
    """A loyalty program: policies plus the currency and time zone they work in.

    Args:
        name: the program's name, shown to customers.
        version: your version label; saved with the program.
        currency: ISO 4217 code of every amount the program handles.
        timezone: IANA zone for calendar rules (expiry dates, birthday months).
        points: the point scheme.
    """

    _error_class: ClassVar[type[ReciprocityError]] = InvalidProgram

    name: NonEmptyStr
    version: str = "1"
    description: str = ""
    currency: str = "EUR"
    timezone: str = "UTC"
    points: PointScheme = Field(default_factory=PointScheme)

    _engine: _Engine = PrivateAttr()

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return validate_currency(value, field="currency")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not an IANA time zone; use a name such as 'Europe/Berlin'"
            ) from None
        return value

    def model_post_init(self, context: object, /) -> None:
        self._engine = _Engine(self)

    # -- describing ---------------------------------------------------------------------
    def explain(self) -> str:
        """The whole program in plain words, as it could be shown to customers.

        >>> from reciprocity import seed_program
        >>> print(seed_program().explain())
        Seed program (version 1), amounts in EUR, calendar in Europe/Berlin
        Earning:
        - 1 point for every order over 50.00 EUR
        Rewards:
        - 10 points buy a 10 EUR fuel voucher worth 10.00 EUR
        Points never expire.
        """
        lines = [f"{self.name} (version {self.version}), amounts in {self.currency}, "
                 f"calendar in {self.timezone}"]
        if self.description:
            lines.append(self.description)
        if self.points.earn:
            lines.append("Earning:")
            lines += [f"- {rule.describe()}" for rule in self.points.earn]
        if self.points.pending_days:
            lines.append(f"Points become available {self.points.pending_days} days after the "
                         "order (the return window).")
        if self.points.rewards:
            lines.append("Rewards:")
            lines += [f"- {reward.describe()}" for reward in self.points.rewards]
        expiry = self.points.expiry
        lines.append("Points never expire." if expiry is None
                     else f"Points expire {expiry.describe()} after they are earned.")
        return "\n".join(lines)

    def point_value(self) -> Money:
        """What one point is worth at the catalogue's best rate (for liability figures).

        >>> from reciprocity import seed_program
        >>> seed_program().point_value()
        Money('1', 'EUR')
        """
        best = Decimal(0)
        for reward in self.points.rewards:
            best = max(best, reward.value.amount / reward.points)
        return Money(best, self.currency)

    # -- the engine ---------------------------------------------------------------------
    def _state_for(self, state: MemberState | None, event: Event) -> MemberState:
        if state is None:
            return MemberState.new(event.member_id, currency=self.currency)
        if not isinstance(state, MemberState):
            raise InvalidEvent(
                f"state has type {type(state).__name__}",
                hint="pass a MemberState (MemberState.model_validate_json(saved)) or None",
            )
        if state.member_id != event.member_id:
            raise InvalidEvent(
                f"{type(event).__name__}.member_id={event.member_id!r} but the state is of "
                f"member {state.member_id!r}", hint="pass that member's own state",
            )
        if state.currency != self.currency:
            raise InvalidEvent(
                f"MemberState.currency={state.currency!r} but the program uses {self.currency}",
                hint="use a state made by a program with the same currency",
            )
        return state

    def _check(self, event: Event) -> None:
        """Edge checks that need the program (currency); done before anything changes."""
        if isinstance(event, Purchase):
            check_purchase_currency(event, self.currency)

    def apply(self, state: MemberState | None, event: Event | Mapping[str, Any] | str) -> Decision:
        """Apply one event to one member's state; the input state is never changed.

        Args:
            state: the member's current state, or ``None`` for a member not seen before.
            event: an event model, or a dict / JSON document that validates as one.

        Returns:
            The new state, the effects (each with rule id and reason) and the trace.

        Raises:
            InvalidEvent: the event is malformed or in another currency.
            RefusedEvent: the state cannot take it (too few points, unknown purchase...).
        """
        event = parse_event(event)
        state = self._state_for(state, event)
        if state.has_applied(event.id):
            note = TraceEntry(rule_id="program", outcome="duplicate",
                              detail=f"event {event.id} was applied before; nothing changed")
            return Decision(state=state, effects=(), trace=(note,))
        self._check(event)
        m = thaw(state)
        log: Log = []
        trace: list[tuple[str, str, str]] = []
        if state.as_of is not None and event.at < state.as_of:
            trace.append(("program", "note", f"late event: at {event.at.isoformat()} is "
                          f"before the state's time {state.as_of.isoformat()}"))
        self._engine.step(m, event._row(), log, trace)
        return _decision(m, log, trace)

    def advance(self, state: MemberState, until: datetime) -> Decision:
        """Fire the time-driven effects due up to ``until`` (expiry, pending release).

        Time never runs backwards: ``until`` before the state's time changes nothing.
        """
        require_aware(until)
        if not isinstance(state, MemberState):
            raise InvalidEvent(f"state has type {type(state).__name__}",
                               hint="pass a MemberState")
        if state.as_of is not None and until <= state.as_of:
            note = ("program", "note", f"state is already at {state.as_of.isoformat()}")
            return _decision(thaw(state), [], [note])
        m = thaw(state)
        log: Log = []
        trace: list[tuple[str, str, str]] = []
        self._engine.points.housekeeping(m, until, log, trace)
        m.as_of = until
        return _decision(m, log, trace)

    def replay(
        self,
        events: Iterable[Event | Mapping[str, Any]] | PurchaseColumns,
        states: Mapping[str, MemberState] | None = None,
        *,
        until: datetime | None = None,
        errors: str = "raise",
    ) -> Replay:
        """Apply a stream of events of many members, sorted by ``(at, id)``.

        Args:
            events: event models or dicts (validated here, once), or :class:`PurchaseColumns`
                (the fast, already-validated form).
            states: the members' states before the stream; others start empty.
            until: after the last event, advance every member to this time.
            errors: ``"raise"`` stops at the first refused event; ``"skip"`` leaves it out,
                records it in :attr:`Replay.rejected` and goes on.

        Returns:
            A :class:`Replay`. Iterating it yields a :class:`~reciprocity.Decision` per event
            (each with its state, so it builds one per event); reading ``states``,
            ``effects()`` or ``summary()`` runs one fast pass that builds nothing per event.
        """
        if errors not in ("raise", "skip"):
            raise InvalidEvent(f"errors={errors!r}", hint='use "raise" or "skip"')
        if until is not None:
            require_aware(until)
        return Replay(self, _rows(self, events), dict(states or {}), until, errors == "skip")

    # -- loading and saving ---------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path) -> Program:
        """Read a program from a ``.json``, ``.toml`` or ``.yaml``/``.yml`` file."""
        path = Path(path)
        suffix = path.suffix.lower()
        text = path.read_text(encoding="utf-8")
        if suffix == ".json":
            return cls.model_validate_json(text)
        if suffix == ".toml":
            import tomllib

            return cls.model_validate(tomllib.loads(text))
        if suffix in (".yaml", ".yml"):
            try:
                import yaml
            except ImportError:
                raise MissingDependency(
                    "reading YAML needs PyYAML", hint="pip install 'reciprocity[yaml]'"
                ) from None
            return cls.model_validate(yaml.safe_load(text))
        raise InvalidProgram(f"path={str(path)!r} has suffix {suffix!r}",
                             hint="use .json, .toml, .yaml or .yml")

    def save(self, path: str | Path) -> None:
        """Write the program as JSON or YAML (by suffix); :meth:`load` reads it back."""
        path = Path(path)
        data = self.model_dump(mode="json")
        if path.suffix.lower() in (".yaml", ".yml"):
            try:
                import yaml
            except ImportError:
                raise MissingDependency(
                    "writing YAML needs PyYAML", hint="pip install 'reciprocity[yaml]'"
                ) from None
            path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        elif path.suffix.lower() == ".json":
            path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        else:
            raise InvalidProgram(f"path={str(path)!r} has suffix {path.suffix!r}",
                                 hint="save as .json or .yaml (TOML cannot hold null values)")


class _Engine:
    """The program's declared policy compiled to plain functions, built once per program."""

    __slots__ = ("dispatch", "points", "step")

    def __init__(self, program: Program) -> None:
        ctx = CompileContext(program.currency, program.timezone)
        self.points = points = CompiledPoints(program.points, ctx)
        on_purchase = points.on_purchase
        housekeeping = points.housekeeping
        on_return = points.on_return
        redeem = points.redeem

        def profile(m: Member, row: Row, log: Log, trace: Trace) -> None:
            event = row[5]
            if isinstance(event, SignUp):
                if m.joined_at is None or row[3] < m.joined_at:
                    m.joined_at = row[3]
                if event.birthday is not None:
                    m.birthday = event.birthday
                m.consents.update(event.consents)
            elif isinstance(event, ProfileUpdate):
                if event.birthday is not None:
                    m.birthday = event.birthday
                m.consents.update(event.consents_granted)
                m.consents.difference_update(event.consents_revoked)

        def other(m: Member, row: Row, log: Log, trace: Trace) -> None:
            if trace is not None:
                trace.append(("program", "note", f"no policy reacts to {row[5].type} events"))

        handlers = {
            PURCHASE: on_purchase,
            RETURN: lambda m, row, log, trace: on_return(m, row[5], log, trace),
            REDEMPTION: lambda m, row, log, trace: redeem(m, row[5], log, trace),
            SIGNUP: profile,
            PROFILE: profile,
        }
        def wrap(handler: Handler) -> Handler:
            def step(m: Member, row: Row, log: Log, trace: Trace) -> None:
                at = row[3]
                due = m.next_due
                if due is not None and due <= at:
                    housekeeping(m, at, log, trace)
                handler(m, row, log, trace)
                m.applied.add(row[1])
                as_of = m.as_of
                if as_of is None or at > as_of:
                    m.as_of = at

            return step

        # The purchase handler does the step's bookkeeping itself (it is the hot path).
        dispatch = [on_purchase] + [wrap(handlers.get(kind, other)) for kind in range(1, 7)]
        self.dispatch = dispatch

        def step(m: Member, row: Row, log: Log, trace: Trace) -> None:
            """Apply one row to a hot member. Raises before changing anything if it must."""
            dispatch[row[0]](m, row, log, trace)

        self.step = step


def program_json_schema() -> dict[str, Any]:
    """The JSON Schema of a program document, for editors and validation in other languages.

    >>> program_json_schema()["title"]
    'Program'
    """
    return Program.model_json_schema()


def _materialize(log: Log) -> tuple[Effect, ...]:
    return tuple(entry[0](*entry[1:]) for entry in log)


def _decision(m: Member, log: Log, trace: list[tuple[str, str, str]]) -> Decision:
    entries = tuple(TraceEntry.model_construct(rule_id=r, outcome=o, detail=d)
                    for r, o, d in trace)
    return Decision.model_construct(state=freeze(m), effects=_materialize(log), trace=entries)


def _rows(program: Program, events: Iterable[Any] | PurchaseColumns) -> Iterable[Row]:
    """Validate once at the edge and sort by (at, id) unless already sorted."""
    if isinstance(events, PurchaseColumns):
        if events.currency != program.currency:
            raise CurrencyMismatch(
                f"PurchaseColumns.currency={events.currency!r} but the program uses "
                f"{program.currency}", hint=f"send amounts in {program.currency}",
            )
        if events.in_order:
            return events._rows()
        return sorted(events._rows(), key=_row_key)
    rows: list[Row] = []
    ats: list[datetime] = []
    ids: list[str] = []
    for position, item in enumerate(events):
        try:
            event = parse_event(item)
            program._check(event)
        except InvalidEvent as exc:
            raise type(exc)(f"event #{position}: {exc.message}", hint=exc.hint) from None
        rows.append(event._row())
        ats.append(event.at)
        ids.append(event.id)
    if not _in_order(ats, ids):
        rows.sort(key=_row_key)
    return rows


def _row_key(row: Row) -> tuple[datetime, str]:
    return (row[3], row[1])


class ReplaySummary(Frozen):
    """Totals of a replay, for a quick look or a comparison of two programs."""

    members: int
    events: int
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


class Replay:
    """The result of :meth:`Program.replay`. Single use: the stream is consumed once.

    Iterate it for one :class:`~reciprocity.Decision` per event; or read :attr:`states`,
    :meth:`effects` or :meth:`summary`, which run one fast pass.
    """

    def __init__(self, program: Program, rows: Iterable[Row], states: dict[str, MemberState],
                 until: datetime | None, skip: bool) -> None:
        self.program = program
        self._rows = rows
        self._start = states
        self._until = until
        self._skip = skip
        self._members: dict[str, Member] | None = None
        self._log: Log = []
        self._states: dict[str, MemberState] | None = None
        self.applied = 0
        """Events applied."""
        self.duplicates = 0
        """Events left out because their id was applied before."""
        self.rejected: list[tuple[str, ReciprocityError]] = []
        """``(event id, error)`` of events refused with ``errors="skip"``."""

    def _member(self, members: dict[str, Member], mid: str) -> Member:
        start = self._start.get(mid)
        m = thaw(start) if start is not None else Member(mid, self.program.currency)
        members[mid] = m
        return m

    def _consume(self) -> None:
        if self._members is not None:
            return
        members: dict[str, Member] = {}
        log = self._log
        dispatch = self.program._engine.dispatch
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
                    duplicates += 1
                    continue
                if skip:
                    # Handlers refuse before they change or log anything; effects already
                    # logged are time housekeeping that is due whatever happens to this event.
                    try:
                        dispatch[row[0]](m, row, log, None)
                    except ReciprocityError as exc:
                        self.rejected.append((row[1], exc))
                        continue
                else:
                    dispatch[row[0]](m, row, log, None)
                applied += 1
        finally:
            if collecting:
                gc.enable()
        self.applied = applied
        self.duplicates = duplicates
        self._finish(members)

    def _finish(self, members: dict[str, Member]) -> None:
        for mid in self._start:
            if mid not in members:
                self._member(members, mid)
        if self._until is not None:
            housekeeping = self.program._engine.points.housekeeping
            for m in members.values():
                if m.as_of is None or self._until > m.as_of:
                    housekeeping(m, self._until, self._log, None)
                    m.as_of = self._until
        self._members = members
        self._rows = ()

    def __iter__(self) -> Iterator[Decision]:
        if self._members is not None:
            raise RuntimeError("this Replay was consumed already; call program.replay() again")
        members: dict[str, Member] = {}
        step = self.program._engine.step
        for row in self._rows:
            m = members.get(row[2]) or self._member(members, row[2])
            log: Log = []
            trace: list[tuple[str, str, str]] = []
            if row[1] in m.applied:
                self.duplicates += 1
                trace.append(("program", "duplicate",
                              f"event {row[1]} was applied before; nothing changed"))
            else:
                try:
                    step(m, row, log, trace)
                except ReciprocityError as exc:
                    if not self._skip:
                        raise
                    self.rejected.append((row[1], exc))
                    trace.append(("program", "refused", str(exc)))
                else:
                    self.applied += 1
            self._log.extend(log)
            yield _decision(m, log, trace)
        self._finish(members)

    @property
    def states(self) -> dict[str, MemberState]:
        """Every member's final state, by member id."""
        self._consume()
        assert self._members is not None
        if self._states is None:
            self._states = {mid: freeze(m) for mid, m in self._members.items()}
        return self._states

    def effects(self) -> Iterator[Effect]:
        """Every effect, in the order the engine produced them."""
        self._consume()
        for entry in self._log:
            yield entry[0](*entry[1:])

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
        value = sum((v.value.amount for v in vouchers), Decimal(0))
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
        )

