"""Between frozen states and hot members: thawing a :class:`~reciprocity.MemberState` into a
:class:`~reciprocity._engine.Member` and freezing one back, and the applied event ids kept
between the two.

Thawing shares what it can: a state made by ``apply`` keeps its hot records (see the
copy-on-write note in ``_engine``), and freezing reuses every frozen record (a row, see
``_records``) no step changed.

Imports: ``_engine`` (the hot member and its records), ``_fingerprint``, ``_trusted`` and
``state``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import islice
from operator import itemgetter
from typing import Any

from ._engine import (
    P_AMOUNT,
    P_AT,
    P_CLOSED,
    P_EARNED,
    P_LINES,
    P_RETURNED,
    P_REVOKED,
    Member,
    _frozen_record,
)
from ._fingerprint import row_fingerprint
from ._frozen_lots import frozen_lots, thaw_kept_lots, thaw_lots
from ._records import R_AT, R_ID, RecordRow, Records
from ._trusted import built
from .state import FoldedOrders, MemberState, PointLot
from .state import _keep_hot as _keep_state_hot

__all__ = ["HotForm", "applied_fingerprints", "applied_times", "forget_applied",
           "freeze_fields", "hot_form", "keep_hot", "keep_hot_form", "own_record", "thaw",
           "thaw_applied_times", "warm", "warm_front"]


def thaw(state: MemberState, cold: bool = False, times: bool = False) -> Member:
    """A mutable copy of a frozen state.

    ``cold``: the step to come reads no kept purchase record one by one but those
    :func:`warm_front` makes hot for it (``Pipeline.thaw`` knows which steps), so a record
    without a hot form yet (a state read from JSON) may stay its frozen row in
    ``m.purchases`` (``m.cold``): a thaw then costs nothing per kept order. ``times``: the
    program tracks applied ids' times (:func:`thaw_applied_times` follows).
    """
    d = state.__dict__
    m = Member(d["member_id"], d["currency"])
    m.as_of = d["as_of"]
    m.joined_at = d["joined_at"]
    m.birthday = d["birthday"]
    m.consents = set(d["consents"])
    m.profile_fields = set(d["profile_fields"])
    try:
        hot = _state_hot_of(state)
    except AttributeError:
        hot = None
    frozen_lots = d["lots"]
    if frozen_lots:
        kept = hot.lots if type(hot) is HotForm else None
        if kept is not None and kept[0] is frozen_lots:
            thaw_kept_lots(m, kept[1], frozen_lots, hot.lot_models)
        else:
            thaw_lots(m, frozen_lots)
    pooled = m.pooled = d["pooled_points"]
    m.available += pooled
    m.debt = d["debt"]
    m.earned = d["points_earned"]
    m.redeemed = d["points_redeemed"]
    m.expired = d["points_expired"]
    m.revoked = d["points_revoked"]
    m.purchase_count = d["purchase_count"]
    m.spend = d["spend"]
    records = m.base = d["purchases"].rows  # the frozen rows: ``m.frozen`` gets them if base goes
    m.frozen = {}
    if hot is not None:  # kept by the apply that made the state: copies of its dicts
        m.purchases = hot[0].copy()
        m.applied = hot[1].copy()
        if times and hot[2] is not None:  # the applied ids' times, for thaw_applied_times
            m.applied_at = hot[2].copy()
        if hot[3]:  # some records kept cold
            m.cold = True
            if not cold:
                warm(m)
    else:
        if records:
            if cold:
                m.purchases = {p[R_ID]: p for p in records}  # cold: the rows themselves
                m.cold = True
            else:
                m.purchases = _thawed_records(records)
        m.applied = dict(zip(d["applied_event_ids"], d["applied_event_fingerprints"],
                             strict=True))
    m.vouchers = list(d["vouchers"])
    folded = d["folded"]
    if folded is not None:
        m.folded = [folded.count, folded.amount, folded.returned, folded.through]
    m.revision = d["revision"]
    return m


def _thawed_records(records: tuple[RecordRow, ...]) -> dict[str, list[Any]]:
    """The hot records of a state's frozen rows, by id."""
    return {p[R_ID]: _thawed_record(p) for p in records}


def _warmed(p: Any) -> list[Any]:
    """The hot form of a frozen record's row, made now."""
    return _thawed_record(p)


def warm(m: Member) -> None:
    """Make every record of ``m.purchases`` hot (see ``Member.cold``)."""
    if m.cold:
        purchases = m.purchases
        for pid, record in purchases.items():
            if type(record) is not list:
                purchases[pid] = _warmed(record)
        m.cold = False


def warm_front(m: Member, eid: str, at: datetime, window: timedelta | None) -> None:
    """Of a cold member (``m.cold``) about to take a purchase (``eid`` at ``at``), make hot
    every record the step reads one by one: the order under that id if the state keeps one
    (the history checks name it), and the orders folding may read: from the oldest up to
    and including the first one inside ``window`` before the member's time after the step,
    in the order folding reads them (``_history.fold``)."""
    purchases = m.purchases
    record = purchases.get(eid)
    if record is not None and type(record) is not list:
        purchases[eid] = _warmed(record)
    if window is not None and purchases:
        as_of = m.as_of
        cutoff = (at if as_of is None or at > as_of else as_of) - window
        for pid, record in purchases.items():
            if type(record) is not list:
                record = purchases[pid] = _warmed(record)
            if record[P_AT] >= cutoff:
                break


def _thawed_record(p: RecordRow) -> list[Any]:
    """The hot form of a frozen record's row (``_records.R_*`` order), made now."""
    _, at, amount, returned, earned, revoked, lines, closed = p
    return [  # a purchase record in P_* order, its lines (LR_* rows) in LN_* order
        at, amount, returned, dict(earned) if earned else None,
        dict(revoked) if revoked else None,
        {sku: [price, category, quantity, back]
         for sku, category, quantity, price, back in lines} if lines else None, closed]


def own_record(m: Member, pid: str) -> list[Any]:
    """``m``'s record of purchase ``pid``, made its own to change: a copy (lines too) put in
    the shared one's place, which stays as the frozen records that hold it say. The frozen
    record is dropped from ``m.frozen``: the next freeze builds it anew."""
    record = m.purchases[pid]
    if type(record) is not list:  # a cold record (see ``Member.cold``)
        record = _warmed(record)
    earned, revoked, lines = record[P_EARNED], record[P_REVOKED], record[P_LINES]
    copy = [record[P_AT], record[P_AMOUNT], record[P_RETURNED],
            None if earned is None else dict(earned), None if revoked is None else dict(revoked),
            None if lines is None else {sku: list(line) for sku, line in lines.items()},
            record[P_CLOSED]]
    m.purchases[pid] = copy
    _drop_base(m)  # a record of it changes: the next freeze looks at every record
    if m.frozen is not None:
        m.frozen.pop(pid, None)
    return copy


def _drop_base(m: Member, records: tuple[RecordRow, ...] | None = None) -> None:
    """Stop freezing from ``m.base``: its records (or ``records``) that ``m`` still holds
    go into ``m.frozen``, where a freeze that looks at every record finds them."""
    records = m.base if records is None else records
    m.base = None
    if records:
        frozen = m.frozen
        if frozen is None:
            frozen = m.frozen = {}
        purchases = m.purchases
        for record in records:
            pid = record[R_ID]
            if pid in purchases:
                frozen.setdefault(pid, record)


_at = itemgetter(1)
_state_hot_of = MemberState.__dict__["_hot"].__get__
"""The hot form kept on a state by :func:`keep_hot` (``None`` after a JSON load;
``AttributeError`` if none was ever set)."""


class HotForm(tuple):  # type: ignore[type-arg]
    """The hot form :func:`keep_hot` keeps on a state: the tuple ``(purchases, applied, times,
    cold, owner)``, and beside it ``lots``, ``(the state's lots, the hot lots they were
    frozen from)`` or ``None``, ``lot_models``, the state's lot models by id while ``lots``
    is kept (shared by the next thaw, never changed), and ``stages``, each stage's own kept
    form by stage index (see ``Pipeline.freeze``), or ``None``."""

    lots: tuple[tuple[PointLot, ...], list[list[Any]]] | None
    lot_models: dict[str, PointLot] | None
    stages: dict[int, Any] | None


def keep_hot(state: MemberState, m: Member, owner: object = None,
             stages: bool = False) -> HotForm | None:
    """Keep on ``state``, just frozen from ``m``, what a thaw of it builds from its records
    and applied ids: ``m``'s very dicts, so only for a member no one changes any more (the
    one of an ``apply`` or ``advance``, not a replay's). A thaw copies them.

    ``stages``: the caller keeps stages' parts too (``Pipeline.freeze``), so the form is a
    :class:`HotForm` (returned; ``None`` when a plain tuple or nothing was kept).

    Kept only while they are what a thaw of the state's fields makes: the records in the
    state's order (not after a late order, which the freeze sorted into place), and every
    applied id with its fingerprint and, if tracked, its time, oldest first. The caller
    makes sure of the last: no event applied since the thaw was before the thawed state's
    time (a thaw's times are oldest first, forgetting drops the oldest, and every step adds
    the newest), so :func:`forget_applied` goes through them as after a thaw.
    """
    if m.base is not state.purchases.rows:  # the freeze sorted a late order: not in order
        return None
    times = m.applied_at
    if times is not None and len(times) != len(m.applied):
        return None
    lots = state.__dict__["lots"]
    if not stages and not lots:  # nothing to keep beside: the plain tuple
        _keep_state_hot(state, (m.purchases, m.applied, times, m.cold, owner))
        return None
    hot = HotForm((m.purchases, m.applied, times, m.cold, owner))
    # the lots ``freeze_fields`` froze from (in their order), but a balance's (points.balances)
    hot.lots = (lots, m.lots) if lots and m.balances is None else None
    # the state's lot models by id, as ``freeze_fields`` (``frozen_lots``) left them
    hot.lot_models = m.lot_models if hot.lots is not None else None
    hot.stages = None
    _keep_state_hot(state, hot)
    return hot


def hot_form(state: MemberState) -> tuple[Any, ...] | None:
    """The hot form kept on ``state`` (:func:`keep_hot`), ``(purchases, applied, times, cold,
    owner)`` (the pipeline that froze it), or ``None``; never to be changed (copy first)."""
    try:
        hot: tuple[Any, ...] | None = _state_hot_of(state)
    except AttributeError:
        return None
    return hot


def keep_hot_form(state: MemberState, hot: tuple[Any, ...]) -> None:
    """Keep ``hot`` on ``state``, just built: what :func:`keep_hot` keeps, made without a
    hot member (``_express``)."""
    _keep_state_hot(state, hot)


def thaw_applied_times(m: Member, state: MemberState) -> None:
    """Track applied events' times (programs with an event horizon): from the state, or,
    for a state written without them, the state's time (so they are forgotten no sooner).
    A thaw of a state that kept its hot form (:func:`keep_hot`) has copied them already."""
    if m.applied_at is None:
        m.applied_at = applied_times(state)


def applied_times(state: MemberState) -> dict[str, datetime]:
    """The applied ids of ``state`` with their times, oldest first (see
    :func:`thaw_applied_times`)."""
    times = state.applied_event_times
    if times:
        ids = state.applied_event_ids
        if list(times) == sorted(times):  # the ids are sorted: already by (time, id)
            return dict(zip(ids, times, strict=True))
        # by (time, id): the ids are sorted and the sort is stable
        return dict(sorted(zip(ids, times, strict=True), key=_at))
    when = state.as_of
    return {} if when is None else dict.fromkeys(state.applied_event_ids, when)


def forget_applied(m: Member, cutoff: datetime) -> None:
    """Forget applied ids of events before ``cutoff`` (oldest first; a late event that sits
    behind a newer one is forgotten when the ones before it are: later, never sooner)."""
    times = m.applied_at
    if not times:
        return
    applied = m.applied
    gone = []
    for eid, at in times.items():
        if at >= cutoff:
            break
        gone.append(eid)
    for eid in gone:
        del times[eid]
        if type(applied.pop(eid)) is not str:
            m.revision += 1  # an event applied since the thaw, not yet counted


def applied_fingerprints(m: Member) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The applied ids, sorted, and their fingerprints; fingerprints the events applied
    since the thaw (once: they are kept) and counts each in ``m.revision``."""
    applied = m.applied
    ids = tuple(sorted(applied))
    # Rows are the newest entries: a thaw puts fingerprints first, steps add rows after them
    # and this turns every row into its fingerprint in place, so they end at the first one.
    for eid, value in reversed(applied.items()):
        if type(value) is str:
            break
        applied[eid] = row_fingerprint(value, m.currency)
        m.revision += 1
    return ids, tuple(map(applied.__getitem__, ids))


def _as_frozen(pid: str, record: Any) -> RecordRow:
    """The frozen row of a record of ``m.purchases``: made from a hot one, or the cold
    one itself (see ``Member.cold``)."""
    return _frozen_record(pid, record) if type(record) is list else record


def _frozen_records(m: Member) -> tuple[RecordRow, ...]:
    """The frozen purchase records of ``m``, oldest first, reusing every one no step changed.

    While ``m.base`` (the records of the state ``m`` was thawed from or last frozen to, in
    the hot dict's order) is intact, ``m.purchases`` is that tuple less the orders folded
    from its front, then the orders added since: the new tuple is the base's rest and the
    new records, and only these are looked at. Otherwise (a return changed a record, or the
    last freeze had to sort a late order into place) every record is looked at.
    """
    frozen = m.frozen
    if frozen is None:
        frozen = m.frozen = {}
    purchases = m.purchases
    base = m.base
    records: list[RecordRow] = []
    last: tuple[datetime, str] | None = None
    added: Iterable[tuple[str, list[Any]]] = purchases.items()
    if base is not None:
        kept = len(base)
        if purchases:  # how many orders folded from the base's front
            first = next(iter(purchases))
            start = 0
            while start < kept and base[start][R_ID] != first:
                start += 1
        else:
            start = kept
        new = len(purchases) - (kept - start)  # the last ``new`` entries, newest last
        if new == 1:  # one order added (the usual apply): the loop below, for one record
            pid, rec = next(reversed(purchases.items()))
            record = frozen.get(pid)
            if record is None:
                record = frozen[pid] = _as_frozen(pid, rec)
            rest = base[start:]
            result = (*rest, record)
            if rest:  # in (at, id) order after the newest kept one?
                kept_last, at = rest[-1], record[R_AT]
                ordered = kept_last[R_AT] < at or (kept_last[R_AT] == at
                                                   and kept_last[R_ID] <= pid)
            if not rest or ordered:
                m.base = result
                return result
            _drop_base(m, result)
            return tuple(sorted(result, key=_row_key))
        if start < kept:
            newest = base[-1]
            last = (newest[R_AT], newest[R_ID])
        added = () if not new else reversed(list(islice(reversed(purchases.items()), new)))
        base = base[start:]
    ordered = True
    for pid, rec in added:
        record = frozen.get(pid)
        if record is None:
            record = frozen[pid] = _as_frozen(pid, rec)
        key = (record[R_AT], pid)
        if last is not None and key < last:
            ordered = False
        last = key
        records.append(record)
    if base is None:
        result = tuple(records)
    elif records:
        result = base + tuple(records)
    else:
        result = base
    if ordered:  # in the hot dict's order: the base of the next freeze
        m.base = result
    else:  # a late order sits behind newer ones in the hot dict
        _drop_base(m, result)
        result = tuple(sorted(result, key=_row_key))
    return result


def _row_key(row: RecordRow) -> tuple[datetime, str]:
    return (row[R_AT], row[R_ID])


def freeze_fields(m: Member) -> dict[str, Any]:
    """Every field of ``m``'s frozen state, in declared order: the core's, and defaults
    where each stage adds its own."""
    lots = frozen_lots(m) if m.lots else ()
    purchases = Records(_frozen_records(m))
    ids, fingerprints = applied_fingerprints(m)
    folded = m.folded
    times = m.applied_at
    consents, profile = m.consents, m.profile_fields
    return {  # every field in declared order (test_frozen_fields_are_in_declared_order)
        "member_id": m.member_id, "currency": m.currency, "revision": m.revision,
        "as_of": m.as_of, "joined_at": m.joined_at, "birthday": m.birthday,
        "consents": tuple(sorted(consents)) if len(consents) > 1 else tuple(consents),
        "profile_fields": tuple(sorted(profile)) if len(profile) > 1 else tuple(profile),
        "lots": lots, "pooled_points": m.pooled, "debt": m.debt,
        "earn_counters": {}, "last_activity_at": None,  # the point scheme's (its freeze)
        "points_earned": m.earned, "points_redeemed": m.redeemed,
        "points_expired": m.expired, "points_revoked": m.revoked,
        "purchase_count": m.purchase_count, "spend": m.spend, "purchases": purchases,
        "folded": None if folded is None else built(FoldedOrders, {
            "count": folded[0], "amount": folded[1], "returned": folded[2],
            "through": folded[3]}),
        "vouchers": tuple(m.vouchers),
        "applied_event_ids": ids, "applied_event_fingerprints": fingerprints,
        "applied_event_times": () if times is None else tuple(map(times.__getitem__, ids)),
        "goodwill": None, "gifts": None, "tier": None, "credit": None,  # the families'
        "balances": None,
    }
