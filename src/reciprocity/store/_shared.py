"""Programs with program-wide state (budgets, stock, rankings) in a store: one history.

Such a program's decisions depend on each other across members (two workers must not both
spend the last basket), so every decision locks the one ``reciprocity_program_state`` row
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's write lock, taken by ``BEGIN IMMEDIATE``)
and writes it back by compare-and-set on its ``revision``, in the same transaction as the
event, its effects and the member. Its decisions take turns; the rest (validation, reading a
duplicate's stored decision) does not wait.

The row also keeps the newest ledger row across members, in ``(at, kind, id, member)`` order.
An event before it is *late* for the whole program: the store re-derives every member and the
program-wide state from the ledger in that order, with the event in its place, and records
what changed, for any member, as reversals and corrections (``late="refuse"`` refuses it).
So the ledger always holds exactly what applying its events once, in order, gives, whatever
order the workers received them in.

Imports: SQLAlchemy; the public names of ``reciprocity``, ``reciprocity.errors``, the store's
``_schema``, ``_derive``, ``_models`` and ``_versions``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter
from sqlalchemy import Connection, insert, select

import reciprocity.store._schema as s

from ..effects import Effect
from ..errors import LateEvent, RefusedEvent
from ..events import Event, parse_event
from ..shared import SharedState
from ..state import MemberState
from ._derive import Row, Versions, diff, rederive_all, step
from ._models import Applied, Correction
from ._versions import lock_versions

if TYPE_CHECKING:
    from ._ledger import Store

__all__ = ["Key", "apply_shared", "newest", "register_shared", "write_program_state"]

Key = tuple[str, int, str, str]
"""A ledger row's place across members: ``(at as text, 0 advance / 1 event, id, member)``."""

_EFFECT: TypeAdapter[Effect] = TypeAdapter(Effect)


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
        return _apply_late(store, c, versions, ps, event, printed)
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
    write_program_state(c, ps, done.shared, key, store.program.currency)
    store._hook("state-written")
    return Applied(member_id=event.member_id, event_id=event.id,
                   program_version=done.version, state=done.state,
                   effects=tuple(effect for effect, _ in done.effects), trace=done.trace)


def _ledger_rows(c: Connection) -> list[Row]:
    e = s.events.c
    return [Row(s.from_ts(at), event_id, None if body is None else parse_event(body), member)
            for member, at, event_id, body in c.execute(
                select(e.member_id, e.at, e.event_id, e.body)).all()]


def _live_all(c: Connection) -> dict[str, list[tuple[int, Effect]]]:
    """Every member's effects in force (recorded or corrections, and not reversed)."""
    f = s.effects.c
    found = c.execute(select(f.seq, f.member_id, f.kind, f.reverses, f.body)
                      .order_by(f.seq)).all()
    reversed_ = {reverses for _, _, kind, reverses, _ in found if kind == "reversal"}
    live: dict[str, list[tuple[int, Effect]]] = defaultdict(list)
    for seq, member_id, kind, _, body in found:
        if kind != "reversal" and seq not in reversed_:
            live[member_id].append((seq, _EFFECT.validate_json(body)))
    return live


def _apply_late(store: Store, c: Connection, versions: Versions, ps: Any, event: Event,
                printed: str) -> Applied:
    """Re-derive the whole program with the late event in its place; record what changed."""
    rows = _ledger_rows(c)
    mine = Row(event.at, event.id, event, event.member_id)
    rows.append(mine)
    rows.sort(key=lambda row: row.global_key)
    position = next(i for i, row in enumerate(rows) if row is mine)
    try:
        everyone = rederive_all(versions, store.program.currency, rows)
    except RefusedEvent as exc:
        index = getattr(exc, "row", position)
        if index == position:
            raise
        other = rows[index]
        raise LateEvent(
            f"{type(event).__name__} {event.id!r} at {event.at.isoformat()} is late, and "
            f"with it in its place the program refuses the event {other.event_id!r} of member "
            f"{other.member_id!r} applied before: {exc.message}", event_id=event.id,
            hint="send a compensating event instead (a return, a points adjustment)"
        ) from None
    store._hook("decided")
    own = everyone.steps[position]
    derived: dict[str, list[tuple[Effect, str, int]]] = defaultdict(list)
    latest: dict[str, tuple[str, str]] = {}
    for index, (row, done) in enumerate(zip(rows, everyone.steps, strict=True)):
        derived[row.member_id] += [(effect, version, index) for effect, version in done.effects]
        if row.event_id is not None:
            latest[row.member_id] = max(latest.get(row.member_id, ("", "")),
                                        (s.ts(row.at), row.event_id))
    live = _live_all(c)
    seq = store._write_event(c, event, printed, own, late=True)
    store._hook("event-written")
    own_effects: list[Effect] = []
    corrections: list[Correction] = []
    for member_id in sorted(set(derived) | set(live)):
        theirs = derived.get(member_id, [])
        removed, added = diff(live.get(member_id, []), [effect for effect, _, _ in theirs])
        writes: list[tuple[Effect, str, str, int | None]] = [
            (effect, own.version, "reversal", old_seq) for old_seq, effect in removed]
        corrections += [Correction(kind="reversal", effect=effect) for _, effect in removed]
        for index in added:
            effect, version, at_row = theirs[index]
            if at_row == position:
                own_effects.append(effect)
                writes.append((effect, version, "effect", None))
            else:
                corrections.append(Correction(kind="correction", effect=effect))
                writes.append((effect, version, "correction", None))
        store._write_effects(c, seq, member_id, writes)
    store._hook("effects-written")
    stored = {row.member_id: row for row in c.execute(s.members.select()).all()}
    for member_id, state in sorted(everyone.states.items()):
        old = stored.get(member_id)
        if old is not None:
            before = MemberState.model_validate_json(old.state)
            if member_id != event.member_id and before.model_copy(
                    update={"revision": 0}) == state.model_copy(update={"revision": 0}):
                continue
            state = state.model_copy(update={"revision": old.revision + 1})
        newest_own = latest.get(member_id, (None, None))
        store._write_member(c, old, state, newest_own, store._due(versions, state))
    write_program_state(c, ps, everyone.shared, newest(ps), store.program.currency)
    store._hook("state-written")
    final = everyone.states[event.member_id]
    stored_state = stored.get(event.member_id)
    if stored_state is not None:
        final = final.model_copy(update={"revision": stored_state.revision + 1})
    return Applied(member_id=event.member_id, event_id=event.id,
                   program_version=own.version, late=True, state=final,
                   effects=tuple(own_effects), corrections=tuple(corrections),
                   trace=own.trace)
