"""Programs with program-wide state (budgets, stock, rankings) in a store: one history.

Such a program's decisions depend on each other across members (two workers must not both
spend the last basket), so every decision locks the one ``reciprocity_program_state`` row
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's write lock, taken by ``BEGIN IMMEDIATE``)
and writes it back by compare-and-set on its ``revision``, in the same transaction as the
event, its effects and the member. Its decisions take turns; the rest (validation, reading a
duplicate's stored decision) does not wait.

The row also keeps the newest ledger row across members, in ``(at, kind, id, member)`` order.
An event before it is *late* for the whole program (with concurrent workers, often by a few
milliseconds): the store takes the program-wide state and each concerned member's state just
before the event from ``reciprocity_snapshots`` (kept for every row), re-runs the event and
the rows after it, and records what changed, row by row and for any member, as reversals and
corrections (``source_seq`` names the row a correction belongs to); ``late="refuse"`` refuses
it. Its cost grows with the rows after the event, not with the ledger. So the ledger always
holds exactly what applying its events once, in order, gives, whatever order the workers
received them in.

Imports: SQLAlchemy; the public names of ``reciprocity``, ``reciprocity.errors``, the store's
``_schema``, ``_derive``, ``_models`` and ``_versions``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter
from sqlalchemy import Connection, func, insert, or_, select, update

import reciprocity.store._schema as s

from ..effects import Effect
from ..errors import LateEvent, RefusedEvent, StoreError
from ..events import Event, parse_event
from ..shared import SharedState
from ..state import MemberState
from ._derive import Row, Versions, diff, step
from ._models import Applied, Correction
from ._versions import lock_versions

if TYPE_CHECKING:
    from ._ledger import Store

__all__ = ["Key", "apply_shared", "newest", "register_shared", "write_program_state",
           "write_snapshot"]

Key = tuple[str, int, str, str]
"""A ledger row's place across members: ``(at as text, 0 advance / 1 event, id, member)``."""

_EFFECT: TypeAdapter[Effect] = TypeAdapter(Effect)
_CHUNK = 1000  # ledger rows per IN (...) list: SQLite caps a statement's parameters


def register_shared(store: Store, c: Connection) -> None:
    """Create the program-state row of a program with program-wide state, once."""
    if not store.shared:
        return
    if c.execute(select(s.program_state.c.id)).first() is None:
        c.execute(insert(s.program_state).values(
            id=1, revision=0, state=SharedState.new(store.program.currency).model_dump_json()))


def newest(ps: Any) -> Key | None:
    """The newest ledger row across members, from the program-state row."""
    if ps.last_at is None:
        return None
    return (ps.last_at, int(ps.last_kind), ps.last_id or "", ps.last_member or "")


def write_program_state(c: Connection, ps: Any, shared: SharedState | None, key: Key | None,
                        currency: str) -> None:
    """Write the program-wide state back by compare-and-set on its revision."""
    text = (shared or SharedState.new(currency)).model_dump_json()
    changed = c.execute(s.UPDATE_PROGRAM_STATE, dict(
        b_revision=ps.revision, n_revision=ps.revision + 1, n_state=text,
        n_last_at=None if key is None else key[0], n_last_kind=None if key is None else key[1],
        n_last_id=None if key is None else key[2],
        n_last_member=None if key is None else key[3])).rowcount
    if changed != 1:
        raise s.Retry  # cannot happen while the row is locked; retried all the same


def apply_shared(store: Store, c: Connection, event: Event, printed: str) -> Applied:
    """``Store.apply`` for a program with program-wide state (see the module)."""
    lock_versions(c)
    versions = store._versions(c)
    ps = c.execute(s.PROGRAM_STATE_FOR_UPDATE).one()
    member = c.execute(s.MEMBER_FOR_UPDATE, {"member_id": event.member_id}).one_or_none()
    stored = store._duplicate(c, event, printed, member)
    if stored is not None:
        return stored
    key: Key = (s.ts(event.at), 1, event.id, event.member_id)
    last = newest(ps)
    store._hook("loaded")
    if last is not None and key < last:
        if store.late == "refuse":
            raise LateEvent(
                f"{type(event).__name__}.at={event.at.isoformat()} (id {event.id!r}) is "
                f"before the newest event the program applied ({last[2]!r} of member "
                f"{last[3]!r} at {last[0]})", event_id=event.id,
                hint="send events in (at, id) order, or open the store with "
                'late="rederive"')
        return _apply_late(store, c, versions, ps, member, event, printed)
    state = None if member is None else MemberState.model_validate_json(member.state)
    done = step(versions, state, event.member_id, store.program.currency,
                Row(event.at, event.id, event, event.member_id),
                SharedState.model_validate_json(ps.state))
    store._hook("decided")
    seq = store._write_event(c, event, printed, done, late=False)
    store._hook("event-written")
    store._write_effects(c, seq, event.member_id,
                         [(effect, version, "effect", None) for effect, version in done.effects])
    store._hook("effects-written")
    store._write_member(c, member, done.state, (key[0], event.id),
                        store._due(versions, done.state))
    write_snapshot(c, seq, done.state, done.shared, store.program.currency)
    write_program_state(c, ps, done.shared, key, store.program.currency)
    store._hook("state-written")
    return Applied(member_id=event.member_id, event_id=event.id,
                   program_version=done.version, state=done.state,
                   effects=tuple(effect for effect, _ in done.effects), trace=done.trace)


def write_snapshot(c: Connection, seq: int, state: MemberState, shared: SharedState | None,
                   currency: str) -> None:
    """Keep the member's state and the program-wide state after ledger row ``seq``."""
    c.execute(insert(s.snapshots).values(
        event_seq=seq, member_id=state.member_id, state=state.model_dump_json(),
        shared=(shared or SharedState.new(currency)).model_dump_json()))


def _key(r: Any) -> Key:
    return (r.at, 0 if r.event_id is None else 1, r.event_id or "", r.member_id)


def _last_before(c: Connection, key: Key, member: str | None = None) -> int | None:
    """The ledger row just before ``key`` (of ``member``, or of anyone): its ``seq``."""
    e = s.events.c
    where = [] if member is None else [e.member_id == member]
    columns = select(e.seq, e.member_id, e.at, e.event_id)
    below = select(func.max(e.at)).where(*where, e.at < key[0]).scalar_subquery()
    found = [*c.execute(columns.where(*where, e.at == key[0])).all(),
             *c.execute(columns.where(*where, e.at == below)).all()]
    before = [(_key(r), r.seq) for r in found if _key(r) < key]
    return max(before)[1] if before else None


def _snapshot(c: Connection, seq: int | None) -> tuple[MemberState | None, SharedState | None]:
    if seq is None:
        return None, None
    found = c.execute(select(s.snapshots.c.state, s.snapshots.c.shared).where(
        s.snapshots.c.event_seq == seq)).one_or_none()
    if found is None:
        raise StoreError(f"the ledger row {seq} has no snapshot in reciprocity_snapshots",
                         hint="restore the table from a backup of the store")
    return (MemberState.model_validate_json(found.state),
            SharedState.model_validate_json(found.shared))


def _live_by_row(c: Connection, seqs: list[int]) -> dict[int, list[tuple[int, Effect]]]:
    """The effects in force of the decisions of ledger rows ``seqs``, by row."""
    f = s.effects.c
    unique = {r.seq: r for part in range(0, len(seqs), _CHUNK) for r in c.execute(
        select(f.seq, f.event_seq, f.source_seq, f.kind, f.reverses, f.body).where(or_(
            f.event_seq.in_(seqs[part:part + _CHUNK]),
            f.source_seq.in_(seqs[part:part + _CHUNK])))).all()}  # a row may match twice
    found = [unique[seq] for seq in sorted(unique)]
    reversed_ = {r.reverses for r in found if r.kind == "reversal"}
    live: dict[int, list[tuple[int, Effect]]] = defaultdict(list)
    for r in found:
        if r.kind != "reversal" and r.seq not in reversed_:
            live[r.source_seq or r.event_seq].append((r.seq, _EFFECT.validate_json(r.body)))
    return live


def _apply_late(store: Store, c: Connection, versions: Versions, ps: Any, member: Any,
                event: Event, printed: str) -> Applied:
    """Re-run the ledger rows after the late event, from the snapshots just before it, and
    record what changed for any member (see the module)."""
    currency = store.program.currency
    key: Key = (s.ts(event.at), 1, event.id, event.member_id)
    e = s.events.c
    after = sorted(((r.seq, Row(s.from_ts(r.at), r.event_id,
                                None if r.body is None else parse_event(r.body), r.member_id))
                    for r in c.execute(select(e.seq, e.member_id, e.at, e.event_id, e.body)
                                       .where(e.at >= key[0])).all() if _key(r) > key),
                   key=lambda item: item[1].global_key)
    _, shared = _snapshot(c, _last_before(c, key))
    states = {m: _snapshot(c, _last_before(c, key, m))[0]
              for m in {row.member_id for _, row in after} | {event.member_id}}
    rows = [Row(event.at, event.id, event, event.member_id)] + [row for _, row in after]
    steps = []
    for index, row in enumerate(rows):
        try:
            done = step(versions, states[row.member_id], row.member_id, currency, row, shared)
        except RefusedEvent as exc:
            if index == 0:
                raise
            raise LateEvent(
                f"{type(event).__name__} {event.id!r} at {event.at.isoformat()} is late, and "
                f"with it in its place the program refuses the event {row.event_id!r} of "
                f"member {row.member_id!r} applied before: {exc.message}", event_id=event.id,
                hint="send a compensating event instead (a return, a points adjustment)"
            ) from None
        states[row.member_id], shared = done.state, done.shared
        steps.append(done)
    store._hook("decided")
    own = steps[0]
    seq = store._write_event(c, event, printed, own, late=True)
    store._hook("event-written")
    store._write_effects(c, seq, event.member_id,
                         [(effect, version, "effect", None) for effect, version in own.effects])
    live = _live_by_row(c, [old for old, _ in after])
    corrections: list[Correction] = []
    for (old, row), done in zip(after, steps[1:], strict=True):
        removed, added = diff(live.get(old, []), [effect for effect, _ in done.effects])
        writes: list[tuple[Effect, str, str, int | None]] = [
            (effect, own.version, "reversal", effect_seq) for effect_seq, effect in removed]
        writes += [(*done.effects[i], "correction", None) for i in added]
        corrections += [Correction(kind="reversal", effect=effect) for _, effect in removed]
        corrections += [Correction(kind="correction", effect=done.effects[i][0]) for i in added]
        store._write_effects(c, seq, row.member_id, writes, source=old)
    store._hook("effects-written")
    write_snapshot(c, seq, own.state, steps[0].shared, currency)
    for (old, _), done in zip(after, steps[1:], strict=True):
        c.execute(update(s.snapshots).where(s.snapshots.c.event_seq == old).values(
            state=done.state.model_dump_json(),
            shared=(done.shared or SharedState.new(currency)).model_dump_json()))
    m = s.members.c
    stored = {r.member_id: r for r in c.execute(s.members.select().where(
        m.member_id.in_(sorted(states)))).all()}
    for member_id in sorted(states):
        old_row, state = stored.get(member_id), states[member_id]
        assert state is not None
        if old_row is not None:
            state = states[member_id] = state.model_copy(
                update={"revision": old_row.revision + 1})
        newest_own = (old_row.last_at, old_row.last_id) if old_row is not None else (None, None)
        if member_id == event.member_id:
            newest_own = max(((key[0], event.id), *([newest_own] if newest_own[0] else [])))
        store._write_member(c, old_row, state, newest_own, store._due(versions, state))
    write_program_state(c, ps, shared, newest(ps), currency)
    store._hook("state-written")
    final = states[event.member_id]
    assert final is not None
    return Applied(member_id=event.member_id, event_id=event.id,
                   program_version=own.version, late=True, state=final,
                   effects=tuple(effect for effect, _ in own.effects),
                   corrections=tuple(corrections), trace=own.trace)
