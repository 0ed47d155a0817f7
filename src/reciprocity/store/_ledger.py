"""The ledger store: ``Store.apply`` and ``Store.advance`` over a SQL database.

One ``apply`` is one database transaction: the event row, its effect rows and the member's
new state commit together or not at all. The member row is read ``FOR UPDATE`` (PostgreSQL;
SQLite serialises writers with ``BEGIN IMMEDIATE``) and written back by compare-and-set on its
``revision``; a lost race (a unique key taken by another worker, a revision that moved, a
busy database) rolls back and retries with the fresh row, so events of one member serialise
while events of different members proceed in parallel. A program with program-wide state
(budgets, stock, rankings) also locks the program-state row (``_shared``), so its decisions
take turns across members.

Imports: SQLAlchemy; the public names of ``reciprocity``, ``reciprocity.errors``, and the
store's own ``_schema``, ``_models``, ``_derive``, ``_versions``, ``_exports``, ``_advance``
and ``_shared``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, Literal

from pydantic import TypeAdapter
from sqlalchemy import Connection, and_, func, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError

import reciprocity.store._schema as s

from .._bounds import EARLIEST_INSTANT
from .._model import require_in_range
from ..effects import Effect, TraceEntry
from ..errors import EventConflict, LateEvent, RefusedEvent, StoreContention, StoreError
from ..events import Event, parse_event
from ..program import Program
from ..shared import SharedState
from ..state import MemberState
from ._advance import advance, backfill_due
from ._derive import Row, Step, Versions, diff, due, fingerprint, rederive, step
from ._exports import EffectsReport, effects_by_period, liability
from ._models import Applied, Correction, Liability, SwitchImpact
from ._shared import apply_shared, register_shared
from ._versions import add_version, lock_versions, preview

__all__ = ["STEPS", "Store"]

STEPS = ("loaded", "decided", "event-written", "effects-written", "state-written", "committed")
"""The steps of ``Store.apply``, in order; a ``fault`` hook is called after each."""

EFFECTS: TypeAdapter[tuple[Effect, ...]] = TypeAdapter(tuple[Effect, ...])
EFFECT: TypeAdapter[Effect] = TypeAdapter(Effect)
TRACE: TypeAdapter[tuple[TraceEntry, ...]] = TypeAdapter(tuple[TraceEntry, ...])


class Store:
    """A durable ledger of one program's events and effects, with each member's state.

    Args:
        url: a SQLite file path (created if missing) or a SQLAlchemy URL such as
            ``postgresql+psycopg://user@host/db``. The schema is migrated on open.
        program: the program; the first program opened on an empty store applies from the
            earliest instant, later versions are added with :meth:`add_version`.
        late: what to do with an event older than the member's newest applied one:
            ``"rederive"`` (default) re-derives the member from the ledger in ``(at, id)``
            order and records the changed effects as corrections; ``"refuse"`` raises
            :class:`~reciprocity.LateEvent`.
        retries: how many times a lost race is retried before
            :class:`~reciprocity.StoreContention`.
        fault: called with each step name of :data:`STEPS` during ``apply``; for tests that
            crash a worker between steps.

    >>> import tempfile, pathlib
    >>> from datetime import datetime, timezone
    >>> from reciprocity import Money, Purchase, seed_program
    >>> folder = tempfile.mkdtemp()
    >>> store = Store(pathlib.Path(folder) / "ledger.db", seed_program())
    >>> order = Purchase(id="A-17", member_id="m-1", at=datetime(2026, 3, 1, tzinfo=timezone.utc),
    ...                  amount=Money("59.90", "EUR"))
    >>> store.apply(order).effects[0].points, store.apply(order).duplicate
    (1, True)
    >>> store.close()
    """

    def __init__(self, url: str | Path, program: Program, *,
                 late: Literal["rederive", "refuse"] = "rederive", retries: int = 200,
                 fault: Callable[[str], None] | None = None) -> None:
        if not isinstance(program, Program):
            raise StoreError(f"program has type {type(program).__name__}",
                             hint="pass a reciprocity.Program")
        if late not in ("rederive", "refuse"):
            raise StoreError(f"late={late!r}", hint='use "rederive" or "refuse"')
        self.program = program
        self.late = late
        self.retries = retries
        self.fault = fault
        self._engine = s.open_engine(url)
        self._programs: dict[str, Program] = {program.version: program}
        self.shared = program.uses_shared_state
        """Whether the program keeps program-wide state: its decisions take turns."""
        try:
            self._run(self._register)
            self._run(partial(backfill_due, self))
        except BaseException:
            self._engine.dispose()
            raise

    # -- lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._engine.dialect.name

    # -- transactions ---------------------------------------------------------------------
    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        with self._engine.begin() as connection:
            yield connection

    def _run(self, work: Callable[[Connection], Any]) -> Any:
        """Run ``work`` in a transaction, retrying lost races with a growing random pause."""
        for attempt in range(self.retries):
            try:
                with self._transaction() as connection:
                    return work(connection)
            except (s.Retry, IntegrityError, OperationalError) as exc:
                if isinstance(exc, IntegrityError | OperationalError) and not _transient(exc):
                    raise
                time.sleep(random.uniform(0, min(0.001 * 2 ** min(attempt, 6), 0.05)))
        raise StoreContention(f"gave up after {self.retries} attempts: other workers kept "
                              "changing the same member", hint="send the event again; "
                              "or raise Store(retries=...)")

    def _hook(self, name: str) -> None:
        if self.fault is not None:
            self.fault(name)

    # -- program versions -------------------------------------------------------------------
    def _register(self, connection: Connection) -> None:
        program = self.program
        stored = connection.execute(select(s.program_versions.c.program).where(
            s.program_versions.c.version == program.version)).scalar_one_or_none()
        if stored is not None:
            if Program.model_validate_json(stored) != program:
                raise StoreError(
                    f"Program.version={program.version!r} is in the store with other "
                    "content", hint="give a changed program a new version label")
            register_shared(self, connection)
            return
        count = connection.execute(select(func.count()).select_from(s.program_versions)).scalar()
        if count:
            raise StoreError(
                f"Program.version={program.version!r} is not in the store",
                hint="open the store with a version it has, then add this one with "
                "store.add_version(program, effective_from=...)")
        connection.execute(insert(s.program_versions).values(
            version=program.version, effective_from=s.ts(EARLIEST_INSTANT),
            program=program.model_dump_json()))
        register_shared(self, connection)

    @staticmethod
    def _due(versions: Versions, state: MemberState) -> str | None:
        """The member's next due instant as stored text (``None``: nothing due)."""
        when = due(versions, state)
        return None if when is None else s.ts(when)

    def _versions(self, connection: Connection) -> Versions:
        rows = connection.execute(s.VERSION_STARTS).all()
        entries = []
        for version, start in rows:
            program = self._programs.get(version)
            if program is None:
                text = connection.execute(select(s.program_versions.c.program).where(
                    s.program_versions.c.version == version)).scalar_one()
                program = self._programs[version] = Program.model_validate_json(text)
            entries.append((s.from_ts(start), version, program))
        return Versions(entries)

    def add_version(self, program: Program, *, effective_from: datetime) -> None:
        """Make ``program`` the version in force from ``effective_from`` on.

        The instant must be after every event the ledger holds (recorded decisions never
        change); :meth:`preview_version` shows what a switch, even one in the past, would
        change. Adding the same version again with the same instant does nothing.

        Raises:
            StoreError: another currency, program-wide state, a version label in use, or an
                instant not after the newest version's start and the newest event.
        """
        start = require_in_range(effective_from)
        self._run(lambda c: add_version(self, c, program, start))

    def preview_version(self, program: Program, *,
                        effective_from: datetime) -> tuple[SwitchImpact, ...]:
        """A dry run: what ``program`` in force from ``effective_from`` would change for each
        member (balance, tier, effects added and removed, or an event it would refuse),
        re-deriving every member from the ledger. Writes nothing."""
        start = require_in_range(effective_from)
        with self._engine.connect() as c:
            return preview(self, c, program, start)

    # -- apply ------------------------------------------------------------------------------
    def apply(self, event: Event | Mapping[str, Any] | str) -> Applied:
        """Apply one event durably: event, effects and state commit together, or nothing.

        A second delivery of an applied event writes nothing and returns the stored decision
        (``duplicate=True``); another event under an applied id is refused.

        Raises:
            InvalidEvent: the event is malformed.
            RefusedEvent: the member's state cannot take it (nothing is written).
            EventConflict: the member has an applied event under this id with other content.
            LateEvent: the event is late and cannot be placed in history (or ``late="refuse"``).
            StoreContention: other workers kept changing the member through every retry.
        """
        parsed = parse_event(event)
        printed = fingerprint(parsed)
        once = apply_shared if self.shared else Store._apply_once
        result: Applied = self._run(lambda c: once(self, c, parsed, printed))
        self._hook("committed")
        return result

    def _apply_once(self, c: Connection, event: Event, printed: str) -> Applied:
        lock_versions(c)
        versions = self._versions(c)
        member = c.execute(s.MEMBER_FOR_UPDATE, {"member_id": event.member_id}).one_or_none()
        stored = self._duplicate(c, event, printed, member)
        if stored is not None:
            return stored
        state = None if member is None else MemberState.model_validate_json(member.state)
        at = s.ts(event.at)
        late = member is not None and (
            (member.as_of is not None and at < member.as_of)
            or (member.last_at is not None and (at, event.id) < (member.last_at,
                                                                  member.last_id)))
        self._hook("loaded")
        if late:
            assert member is not None
            if self.late == "refuse":
                raise LateEvent(
                    f"{type(event).__name__}.at={event.at.isoformat()} (id {event.id!r}) is "
                    f"before the newest event applied to member {event.member_id!r} "
                    f"({member.last_id!r} at {member.last_at})", event_id=event.id,
                    hint="send events in (at, id) order, or open the store with "
                    'late="rederive"')
            return self._apply_late(c, versions, member, event, printed)
        done = step(versions, state, event.member_id, self.program.currency,
                    Row(event.at, event.id, event))
        self._hook("decided")
        seq = self._write_event(c, event, printed, done, late=False)
        self._hook("event-written")
        self._write_effects(c, seq, event.member_id,
                            [(effect, version, "effect", None) for effect, version in done.effects])
        self._hook("effects-written")
        newest = (at, event.id) if member is None or member.last_at is None else max(
            (at, event.id), (member.last_at, member.last_id))
        self._write_member(c, member, done.state, newest, self._due(versions, done.state))
        self._hook("state-written")
        return Applied(member_id=event.member_id, event_id=event.id,
                       program_version=done.version, state=done.state,
                       effects=tuple(effect for effect, _ in done.effects), trace=done.trace)

    def _duplicate(self, c: Connection, event: Event, printed: str,
                   member: Any) -> Applied | None:
        """The stored decision if the event was applied before; refuses another event under
        an applied id."""
        seen = c.execute(s.EVENT_BY_ID, {"member_id": event.member_id,
                                         "event_id": event.id}).one_or_none()
        if seen is None:
            return None
        if seen.fingerprint != printed:
            raise EventConflict(
                f"{type(event).__name__}.id={event.id!r} was applied to member "
                f"{event.member_id!r} before, as another event (the ledger has it at "
                f"{seen.at} as {seen.kind})", event_id=event.id,
                hint="give a new event an id of its own; send an event again only unchanged")
        return self._stored(c, seen, member)

    def _apply_late(self, c: Connection, versions: Versions, member: Any, event: Event,
                    printed: str) -> Applied:
        rows = self._rows(c, event.member_id)
        mine = Row(event.at, event.id, event)
        rows.append((None, mine))
        rows.sort(key=lambda item: item[1].key)
        position = next(i for i, (_, row) in enumerate(rows) if row is mine)
        try:
            derived = rederive(versions, event.member_id, self.program.currency,
                               [row for _, row in rows])
        except RefusedEvent as exc:
            index = getattr(exc, "row", position)
            if index == position:
                raise
            other = rows[index][1]
            raise LateEvent(
                f"{type(event).__name__} {event.id!r} at {event.at.isoformat()} is late, and "
                f"with it in its place the program refuses the event {other.event_id!r} "
                f"applied before: {exc.message}", event_id=event.id,
                hint="send a compensating event instead (a return, a points adjustment)"
            ) from None
        self._hook("decided")
        own = derived.steps[position]
        everything = [item for done in derived.steps for item in done.effects]
        removed, added = diff(self._live(c, event.member_id), [e for e, _ in everything])
        first_own = sum(len(done.effects) for done in derived.steps[:position])
        own_range = range(first_own, first_own + len(own.effects))
        seq = self._write_event(c, event, printed, own, late=True)
        self._hook("event-written")
        writes: list[tuple[Effect, str, str, int | None]] = []
        corrections = [Correction(kind="reversal", effect=effect) for _, effect in removed]
        own_effects = []
        for old_seq, effect in removed:
            writes.append((effect, own.version, "reversal", old_seq))
        for index in added:
            effect, version = everything[index]
            if index in own_range:
                own_effects.append(effect)
                writes.append((effect, version, "effect", None))
            else:
                corrections.append(Correction(kind="correction", effect=effect))
                writes.append((effect, version, "correction", None))
        self._write_effects(c, seq, event.member_id, writes)
        self._hook("effects-written")
        assert derived.state is not None
        state = derived.state.model_copy(update={"revision": member.revision + 1})
        self._write_member(c, member, state, (member.last_at, member.last_id),
                           self._due(versions, state))
        self._hook("state-written")
        return Applied(member_id=event.member_id, event_id=event.id,
                       program_version=own.version, late=True, state=state,
                       effects=tuple(own_effects), corrections=tuple(corrections),
                       trace=own.trace)

    # -- advance ----------------------------------------------------------------------------
    def advance(self, until: datetime) -> tuple[Applied, ...]:
        """Fire the time-driven effects due up to ``until`` for every member due by then.

        The members come from the indexed ``next_due`` column (no scan of every state); each
        is advanced in its own transaction. A member whose due time brings no effect gets
        only its ``next_due`` moved on (its next event fires the same effects at the same
        times). With program-wide state, members are advanced one at a time in due order,
        each to its due time or just after the ledger's newest row (see ``docs/store.md``).

        Returns:
            One :class:`Applied` (``event_id=None``) per member advance that had effects.
        """
        return advance(self, require_in_range(until))

    # -- writing ----------------------------------------------------------------------------
    def _write_event(self, c: Connection, event: Event, printed: str, done: Step, *,
                     late: bool) -> int:
        result = c.execute(s.INSERT_EVENT, dict(
            member_id=event.member_id, event_id=event.id, kind=event.type, at=s.ts(event.at),
            fingerprint=printed, program_version=done.version, late=int(late),
            body=event.model_dump_json(), trace=TRACE.dump_json(done.trace).decode()))
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def _write_effects(self, c: Connection, seq: int, member_id: str,
                       writes: list[tuple[Effect, str, str, int | None]],
                       source: int | None = None) -> None:
        """Append effect rows recorded by ledger row ``seq``; ``source`` is the row whose
        decision they belong to when it is another (a correction)."""
        if not writes:
            return
        c.execute(s.INSERT_EFFECT, [
            {"event_seq": seq, "member_id": member_id, "at": s.ts(effect.at),
             "type": effect.type, "kind": kind, "reverses": reverses,
             "points": -effect.points_delta if kind == "reversal" else effect.points_delta,
             "program_version": version, "body": effect.model_dump_json(),
             "source_seq": source}
            for effect, version, kind, reverses in writes])

    def _write_member(self, c: Connection, member: Any, state: MemberState,
                      newest: tuple[str | None, str | None], next_due: str | None) -> None:
        as_of = None if state.as_of is None else s.ts(state.as_of)
        if member is None:
            c.execute(s.INSERT_MEMBER, dict(
                member_id=state.member_id, revision=state.revision,
                state=state.model_dump_json(), as_of=as_of, last_at=newest[0],
                last_id=newest[1], next_due=next_due))
            return
        changed = c.execute(s.UPDATE_MEMBER, dict(
            b_member_id=state.member_id, b_revision=member.revision,
            n_revision=max(state.revision, member.revision + 1), n_state=state.model_dump_json(),
            n_as_of=as_of, n_last_at=newest[0], n_last_id=newest[1],
            n_next_due=next_due)).rowcount
        if changed != 1:
            raise s.Retry  # another worker wrote the member since we read it

    # -- reading ----------------------------------------------------------------------------
    def _rows(self, c: Connection, member_id: str) -> list[tuple[int | None, Row]]:
        e = s.events.c
        found = c.execute(select(e.seq, e.at, e.event_id, e.body).where(
            e.member_id == member_id)).all()
        rows = [(seq, Row(s.from_ts(at), event_id,
                          None if body is None else parse_event(body)))
                for seq, at, event_id, body in found]
        rows.sort(key=lambda item: item[1].key)
        return rows

    def _live(self, c: Connection, member_id: str) -> list[tuple[int, Effect]]:
        """The member's effects in force: recorded or corrections, and not reversed."""
        f = s.effects.c
        found = c.execute(select(f.seq, f.kind, f.reverses, f.body).where(
            f.member_id == member_id).order_by(f.seq)).all()
        reversed_ = {reverses for _, kind, reverses, _ in found if kind == "reversal"}
        return [(seq, EFFECT.validate_json(body)) for seq, kind, _, body in found
                if kind != "reversal" and seq not in reversed_]

    def _stored(self, c: Connection, seen: Any, member: Any) -> Applied:
        f = s.effects.c
        bodies = c.execute(select(f.body).where(and_(
            f.event_seq == seen.seq, f.kind == "effect")).order_by(f.seq)).scalars().all()
        note = TraceEntry(rule_id="store", outcome="duplicate",
                          detail=f"event {seen.event_id} was applied before; nothing changed")
        return Applied(
            member_id=seen.member_id, event_id=seen.event_id,
            program_version=seen.program_version, duplicate=True, late=bool(seen.late),
            state=MemberState.model_validate_json(member.state),
            effects=tuple(EFFECT.validate_json(body) for body in bodies),
            trace=(*TRACE.validate_json(seen.trace), note))

    def state(self, member_id: str) -> MemberState | None:
        """The member's current state, or ``None`` for a member the store has not seen."""
        with self._engine.connect() as c:
            text = c.execute(select(s.members.c.state).where(
                s.members.c.member_id == member_id)).scalar_one_or_none()
        return None if text is None else MemberState.model_validate_json(text)

    def shared_state(self) -> SharedState | None:
        """The program-wide state (budgets, stock, rankings); ``None`` for a program
        without one."""
        with self._engine.connect() as c:
            text = c.execute(select(s.program_state.c.state)).scalar_one_or_none()
        return None if text is None or not self.shared else SharedState.model_validate_json(text)

    def states(self) -> dict[str, MemberState]:
        """Every member's current state, by member id."""
        with self._engine.connect() as c:
            found = c.execute(select(s.members.c.member_id, s.members.c.state)).all()
        return {member_id: MemberState.model_validate_json(text) for member_id, text in found}

    def effects(self, member_id: str | None = None) -> list[Effect]:
        """The effects in force (corrections applied), in the order they were recorded."""
        with self._engine.connect() as c:
            ids = [member_id] if member_id is not None else c.execute(
                select(s.members.c.member_id).order_by(s.members.c.member_id)).scalars().all()
            return [effect for one in ids for _, effect in self._live(c, one)]

    # -- exports --------------------------------------------------------------------------
    def liability(self, at: datetime) -> Liability:
        """The points owed to members at ``at`` and their value (see :class:`Liability`)."""
        at = require_in_range(at)
        with self._engine.connect() as c:
            _, program = self._versions(c).at(at)
        return liability(self._engine, at, program)

    def effects_by_period(self, start: datetime, end: datetime, *,
                          period: Literal["day", "month", "year"] = "month") -> EffectsReport:
        """Effects with ``start <= at < end`` by period (in the program's time zone), type
        and kind (effect, correction, reversal): ``.rows``, ``.to_csv()``,
        ``.to_dataframe()``."""
        return effects_by_period(self._engine, require_in_range(start), require_in_range(end),
                                 period, self.program)

    def count(self, kind: Literal["events", "effects", "members"]) -> int:
        """How many rows a table holds (for checks: nothing lost, nothing doubled)."""
        table = {"events": s.events, "effects": s.effects, "members": s.members}[kind]
        with self._engine.connect() as c:
            return int(c.execute(select(func.count()).select_from(table)).scalar_one())


def _transient(exc: IntegrityError | OperationalError) -> bool:
    """Whether a database error is a lost race (retry) rather than a broken database."""
    if isinstance(exc, IntegrityError):
        return True
    text = str(exc.orig).lower()
    return any(word in text for word in (
        "locked", "busy", "deadlock", "could not serialize", "serialization"))

