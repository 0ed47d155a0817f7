"""``Store.advance``: the time-driven effects of the due members, found by their ``next_due``.

Every write of a member stores its next due instant (``Program.next_due`` of the version in
force, or the next version's start if earlier) in the indexed ``next_due`` column, so
``advance(until)`` selects ``next_due <= until`` and visits only those members. A member whose
due time brings no effect gets only its ``next_due`` moved on: its state is left as it was
(its next event fires the same effects at the same times), and nothing goes to the ledger.

A program with program-wide state is one history across members (``_shared``): members are
advanced one at a time, earliest ``next_due`` first, each in a transaction that locks the
program-state row; each goes to its due time, or, if the ledger already holds a newer row,
to just after that row, so the ledger's order stays the order in which decisions were made.

Imports: SQLAlchemy, pydantic; the public names of ``reciprocity``, the store's ``_schema``,
``_derive``, ``_models``, ``_shared`` and ``_versions``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter
from sqlalchemy import Connection, bindparam, select

import reciprocity.store._schema as s

from ..effects import TraceEntry
from ..shared import SharedState
from ..state import MemberState
from ._derive import Row, step
from ._models import Applied
from ._shared import Key, newest, write_program_state, write_snapshot
from ._versions import lock_versions

if TYPE_CHECKING:
    from ._ledger import Store

__all__ = ["DUE", "advance", "backfill_due"]

DUE = select(s.members.c.member_id).where(s.members.c.next_due <= bindparam("mark"))
"""The members due by ``mark``: a range search of the ``next_due`` index."""

_TICK = timedelta(microseconds=1)
_TRACES: TypeAdapter[tuple[TraceEntry, ...]] = TypeAdapter(tuple[TraceEntry, ...])


def advance(store: Store, until: datetime) -> tuple[Applied, ...]:
    """Advance every member due by ``until`` (see the module)."""
    mark = s.ts(until)
    if store.shared:
        done: list[Applied] = []
        while True:
            found, applied = store._run(partial(_next_shared, store, mark=mark))
            if not found:
                return tuple(done)
            if applied is not None:
                done.append(applied)
    with store._engine.connect() as c:
        ids = sorted(c.execute(DUE, {"mark": mark}).scalars().all())
    results = (store._run(partial(_member, store, member_id=member_id, mark=mark, to=until))
               for member_id in ids)
    return tuple(result for result in results if result is not None)


def backfill_due(store: Store, c: Connection) -> None:
    """Compute ``next_due`` for the rows the migration marked ``UNKNOWN_DUE``."""
    m = s.members.c
    found = c.execute(select(m.member_id, m.revision, m.state).where(
        m.next_due == s.UNKNOWN_DUE)).all()
    if not found:
        return
    versions = store._versions(c)
    c.execute(s.UPDATE_DUE, [
        {"b_member_id": member_id, "b_revision": revision,
         "n_next_due": store._due(versions, MemberState.model_validate_json(state))}
        for member_id, revision, state in found])


def _next_shared(store: Store, c: Connection, *, mark: str) -> tuple[bool, Applied | None]:
    """Advance the member due first; ``(False, None)`` when no member is due by ``mark``."""
    lock_versions(c)
    ps = c.execute(s.PROGRAM_STATE_FOR_UPDATE).one()
    m = s.members.c
    first = c.execute(select(m.member_id, m.next_due).where(m.next_due <= mark)
                      .order_by(m.next_due, m.member_id).limit(1)).one_or_none()
    if first is None:
        return False, None
    last = newest(ps)
    to = first.next_due if first.next_due != s.UNKNOWN_DUE else mark
    if last is not None:
        to = max(to, last[0])
        if (to, 0, "", first.member_id) <= last:
            to = s.ts(s.from_ts(last[0]) + _TICK)
    return True, _member(store, c, member_id=first.member_id, mark=mark, to=s.from_ts(to),
                         ps=ps)


def _member(store: Store, c: Connection, *, member_id: str, mark: str, to: datetime,
            ps: Any = None) -> Applied | None:
    """Advance one member to ``to`` if it is due by ``mark``; ``ps`` is the locked
    program-state row of a program with program-wide state."""
    if ps is None:
        lock_versions(c)
    member = c.execute(s.MEMBER_FOR_UPDATE, {"member_id": member_id}).one()
    if member.next_due is None or member.next_due > mark:
        return None  # another worker advanced it meanwhile
    versions = store._versions(c)
    state = MemberState.model_validate_json(member.state)
    shared = None if ps is None else SharedState.model_validate_json(ps.state)
    if state.as_of is not None and state.as_of >= to:
        done = None
    else:
        done = step(versions, state, member_id, store.program.currency,
                    Row(to, None, None, member_id), shared)
    if done is None or (not done.effects and (ps is None or done.shared == shared)):
        moved = state if done is None else done.state
        if c.execute(s.UPDATE_DUE, {"b_member_id": member_id, "b_revision": member.revision,
                                    "n_next_due": _later(store._due(versions, moved), mark)}
                     ).rowcount != 1:
            raise s.Retry
        return None
    at = s.ts(to)
    seq = c.execute(s.INSERT_EVENT, dict(
        member_id=member_id, event_id=None, kind="advance", at=at, fingerprint=None,
        program_version=done.version, late=0, body=None,
        trace=_trace(done.trace))).inserted_primary_key
    assert seq is not None
    store._write_effects(c, int(seq[0]), member_id,
                         [(effect, version, "effect", None) for effect, version in done.effects])
    store._write_member(c, member, done.state, (member.last_at, member.last_id),
                        store._due(versions, done.state))
    if ps is not None:
        key: Key = (at, 0, "", member_id)
        write_snapshot(c, int(seq[0]), done.state, done.shared, store.program.currency)
        write_program_state(c, ps, done.shared, key, store.program.currency)
    return Applied(member_id=member_id, event_id=None, program_version=done.version,
                   state=done.state, effects=tuple(e for e, _ in done.effects),
                   trace=done.trace)


def _later(due: str | None, mark: str) -> str | None:
    """A due time for a member that had nothing at ``mark``: never at or before it (so one
    ``advance`` never visits a member twice for nothing)."""
    if due is not None and due <= mark:
        return s.ts(s.from_ts(mark) + _TICK)
    return due


def _trace(trace: tuple[TraceEntry, ...]) -> str:
    return _TRACES.dump_json(trace).decode()
