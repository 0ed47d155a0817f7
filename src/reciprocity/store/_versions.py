"""Program versions in a store: adding one from an instant, and a dry run of a switch.

A version applies to every event at or after its ``effective_from``; the ledger records the
version that made each decision (on the event row and on each effect row). A version may only
start after every event and advance the ledger holds, so no recorded decision changes: to see
what a switch *would* change, including a switch in the past, run :func:`preview`.

On PostgreSQL, adding a version takes an exclusive advisory lock that every ``apply`` and
``advance`` takes shared, so no event is decided by a version list that is being changed.

Imports: SQLAlchemy; the public names of ``reciprocity``, the store's ``_schema``,
``_derive`` and ``_models``.

With program-wide state, the dry run re-derives every member together, in ledger order.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Connection, func, insert, or_, select, text, update

import reciprocity.store._schema as s

from ..effects import Effect
from ..errors import RefusedEvent, StoreError
from ..events import parse_event
from ..program import Program
from ..state import MemberState
from ._derive import Row, Versions, diff, rederive, rederive_all
from ._models import SwitchImpact

if TYPE_CHECKING:
    from ._ledger import Store

__all__ = ["VERSIONS_LOCK", "add_version", "lock_versions", "preview"]

VERSIONS_LOCK = 0x7265_6369_7076  # PostgreSQL advisory lock: shared to decide, exclusive to add


def lock_versions(c: Connection, *, exclusive: bool = False) -> None:
    """Take the versions lock for this transaction (PostgreSQL; SQLite serialises writers)."""
    if c.dialect.name == "postgresql":
        how = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
        c.execute(text(f"SELECT {how}(:id)"), {"id": VERSIONS_LOCK})


def _check(store: Store, program: Program) -> None:
    if not isinstance(program, Program):
        raise StoreError(f"program has type {type(program).__name__}",
                         hint="pass a reciprocity.Program")
    if program.currency != store.program.currency:
        raise StoreError(f"Program.currency={program.currency!r} but the store's program "
                         f"uses {store.program.currency}",
                         hint="a store keeps one currency; open another store")
    if program.uses_shared_state != store.shared:
        has = "keeps" if program.uses_shared_state else "keeps no"
        raise StoreError(f"program {program.name!r} {has} program-wide state (budgets, stock, "
                         "rankings) and the store's program does the opposite",
                         hint="open another store for a program that changes this")


def add_version(store: Store, c: Connection, program: Program, start: datetime) -> None:
    """Record ``program`` as the version in force from ``start`` (see the module)."""
    _check(store, program)
    lock_versions(c, exclusive=True)
    v = s.program_versions.c
    stored = c.execute(select(v.effective_from, v.program).where(
        v.version == program.version)).one_or_none()
    if stored is not None:
        if stored.effective_from == s.ts(start) and \
                Program.model_validate_json(stored.program) == program:
            return  # added before: nothing to do
        raise StoreError(f"Program.version={program.version!r} is in the store already",
                         hint="give the new program a version label of its own")
    latest = c.execute(select(func.max(v.effective_from))).scalar()
    if latest is not None and s.ts(start) <= latest:
        raise StoreError(f"effective_from={start.isoformat()} is not after the newest "
                         f"version's start ({latest})", hint="give a later instant")
    newest = c.execute(select(func.max(s.events.c.at))).scalar()
    if newest is not None and s.ts(start) <= newest:
        raise StoreError(
            f"effective_from={start.isoformat()} is not after the newest event in the ledger "
            f"({newest}): recorded decisions would change",
            hint="start the version later; see what a switch in the past would change with "
            "store.preview_version(program, effective_from=...)")
    c.execute(insert(s.program_versions).values(
        version=program.version, effective_from=s.ts(start), program=program.model_dump_json()))
    # The new version may have something due earlier than the old one said: every member is
    # due at the switch at the latest (advance then stores the new version's due time).
    m = s.members.c
    c.execute(update(s.members).where(or_(m.next_due.is_(None), m.next_due > s.ts(start)))
              .values(next_due=s.ts(start)))


def _tier(state: MemberState | None) -> str | None:
    return None if state is None or state.tier is None else state.tier.tier_id


def preview(store: Store, c: Connection, program: Program, start: datetime
            ) -> tuple[SwitchImpact, ...]:
    """What recording ``program`` from ``start`` would change for each member; writes
    nothing. Members for whom nothing changes are included (``changed`` is ``False``)."""
    _check(store, program)
    versions: Versions = store._versions(c).with_version(
        start, f"{program.version} (preview)", program)
    ids = c.execute(select(s.members.c.member_id, s.members.c.state)
                    .order_by(s.members.c.member_id)).all()
    everyone = _everyone(store, c, versions) if store.shared else None
    impacts = []
    for member_id, saved in ids:
        before = MemberState.model_validate_json(saved)
        recorded = store._live(c, member_id)
        common = dict(member_id=member_id, balance_before=before.available_points,
                      tier_before=_tier(before))
        if everyone is not None:
            outcome = everyone if isinstance(everyone, str) else (
                everyone[0].get(member_id), everyone[1].get(member_id, []))
        else:
            outcome = _one(store, c, versions, member_id)
        if isinstance(outcome, str):
            impacts.append(SwitchImpact(**common, balance_after=before.available_points,
                                        tier_after=_tier(before), refused=outcome))
            continue
        after, effects = outcome
        removed, added = diff(recorded, effects)
        impacts.append(SwitchImpact(
            **common, balance_after=0 if after is None else after.available_points,
            tier_after=_tier(after), effects_removed=len(removed), effects_added=len(added)))
    return tuple(impacts)


Outcome = tuple[MemberState | None, list[Effect]]


def _one(store: Store, c: Connection, versions: Versions, member_id: str) -> Outcome | str:
    """One member re-derived from its ledger rows, or why an event would be refused."""
    rows = [row for _, row in store._rows(c, member_id)]
    try:
        derived = rederive(versions, member_id, store.program.currency, rows)
    except RefusedEvent as exc:
        return f"event {rows[getattr(exc, 'row', 0)].event_id!r}: {exc.message}"
    return derived.state, [e for step in derived.steps for e, _ in step.effects]


def _everyone(store: Store, c: Connection, versions: Versions
              ) -> tuple[dict[str, MemberState], dict[str, list[Effect]]] | str:
    """Every member re-derived together (a program with program-wide state), or why an
    event would be refused (then no member's outcome is known)."""
    e = s.events.c
    rows = sorted((Row(s.from_ts(at), event_id, None if body is None else parse_event(body),
                       member) for member, at, event_id, body in
                   c.execute(select(e.member_id, e.at, e.event_id, e.body)).all()),
                  key=lambda row: row.global_key)
    try:
        everyone = rederive_all(versions, store.program.currency, rows)
    except RefusedEvent as exc:
        bad = rows[getattr(exc, "row", 0)]
        return f"event {bad.event_id!r} of member {bad.member_id!r}: {exc.message}"
    effects: dict[str, list[Effect]] = defaultdict(list)
    for row, step in zip(rows, everyone.steps, strict=True):
        effects[row.member_id] += [effect for effect, _ in step.effects]
    return everyone.states, effects
