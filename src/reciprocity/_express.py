"""The express purchase: the seed shape's purchase applied straight to a kept state.

A program whose only stage is a point scheme of the seed shape (one plain threshold rule,
pooled points, no auto-issued rewards, no inactivity expiry; ``CompiledPoints.seed_rule``)
decides a purchase from a handful of a state's fields. The new state is the old state's
field dict with the fields a purchase changes replaced, every other field (and every kept
purchase record) shared, without thawing a :class:`~reciprocity._engine.Member` or freezing
one back. A state this pipeline froze in this process has its records and applied ids at
hand (its kept hot form names the pipeline, see ``_frozen.keep_hot``); for a state read from
JSON they are made as a thaw makes them (records cold), and the new state keeps its hot form.
A state whose records are kept in their JSON form (``Records.raw``, texts: a load of what
the library wrote) is decided on those rows (:meth:`Express._on_json_form`): the newest and
the folding ones' times and amounts read from their texts, the new record written in that
form too (and its row kept, ``Records.of_json``), so the new state dumps without a Python
call per record, and the applied ids, fingerprints and times made from the state's tuples
without the dicts of a hot form; it keeps no hot form (a thaw reads its rows).

It takes only the common case and returns ``None`` for every other, which then goes the
general way (``Pipeline.thaw``, ``step``, ``replay.decision``): a late event, a state with lots
or debt, an order that does not earn, an order under an id whose record is kept, an order
that sorts before the newest kept one, a state another program froze, a state read from
JSON with a field the general way's freeze would write otherwise (unsorted consents, say).
What it does is what the general way does, step for step: the seed purchase
(``points.stage``), folding and forgetting (``_history.settle``) and the freeze
(``_frozen.freeze_fields``); ``tests/test_express.py`` compares the two on random streams,
decision by decision, byte for byte.

Imports: the core (``_engine``, ``_frozen``, ``_fingerprint``, ``_reason``, ``_stage``,
``_trusted``, ``effects``, ``state``) and ``points.returns`` (a purchase's line records).
"""

from __future__ import annotations

from bisect import bisect_left
from itertools import compress, pairwise
from typing import TYPE_CHECKING, Any

from ._engine import P_AMOUNT, P_AT, P_RETURNED, Row, _frozen_record
from ._fingerprint import row_fingerprint
from ._frozen import applied_times, hot_form, keep_hot_form
from ._reason import LazyText
from ._records import (
    R_AMOUNT,
    R_AT,
    R_ID,
    R_RETURNED,
    Records,
    amount_of_text,
    instant_of_text,
    json_row_of,
)
from ._stage import Stage
from ._trusted import built
from .effects import Decision, TraceEntry
from .points.returns import line_record
from .state import FoldedOrders, MemberState, loaded_rows

if TYPE_CHECKING:
    from ._pipeline import Pipeline
    from .points.stage import CompiledPoints

__all__ = ["Express"]

_ZERO = amount_of_text("0")  # the shared zero: written "0" without a call (json_row_of)
_STATE_NAMES = set(MemberState.model_fields)


def _record_at(record: Any) -> Any:
    """A kept record's time: a hot list's, or a cold row's (see ``Member.cold``)."""
    return record[P_AT] if type(record) is list else record[R_AT]


def _purchased(d: dict[str, Any], as_of: Any, points: int, amount: Any) -> dict[str, Any]:
    """A state's fields with those every express purchase changes replaced (the freeze's):
    one more revision, order and ``points`` pooled and earned, ``amount`` spent."""
    fields = d.copy()
    fields["revision"] = d["revision"] + 1
    fields["as_of"] = as_of
    fields["pooled_points"] = d["pooled_points"] + points
    fields["points_earned"] = d["points_earned"] + points
    fields["purchase_count"] = d["purchase_count"] + 1
    fields["spend"] = d["spend"] + amount
    return fields


def _forget_before(times: dict[str, Any], applied: dict[str, str], cutoff: Any) -> bool:
    """Drop from ``times`` (applied ids by time, in time order) and ``applied`` every id
    applied before ``cutoff``, as ``_history.settle`` forgets them; whether any went."""
    gone = []
    for old, when in times.items():
        if when >= cutoff:
            break
        gone.append(old)
    for old in gone:
        del times[old]
        del applied[old]
    return bool(gone)


def _folded(folded: FoldedOrders | None, orders: list[tuple[Any, Any, Any]]) -> FoldedOrders:
    """``folded`` with ``orders`` (each ``(time, amount, returned)``) folded into it."""
    count, total, returned, through = (
        (0, 0, 0, None) if folded is None else
        (folded.count, folded.amount, folded.returned, folded.through))
    for when, value, back in orders:
        count += 1
        total += value
        returned += back
        if through is None or when > through:
            through = when
    return built(FoldedOrders, {"count": count, "amount": total, "returned": returned,
                                "through": through})


class Express:
    """The express purchase of one pipeline (see the module's docstring)."""

    __slots__ = ("currency", "horizon", "pipeline", "points", "rule", "window")

    def __init__(self, pipeline: Pipeline, points: CompiledPoints, currency: str) -> None:
        assert points.seed_rule is not None
        self.pipeline = pipeline
        self.points = points
        self.rule = points.seed_rule
        self.currency = currency
        self.window = pipeline.window
        self.horizon = pipeline.horizon

    @staticmethod
    def possible(pipeline: Pipeline) -> bool:
        """Whether ``pipeline`` is of the shape the express purchase takes."""
        points = pipeline.points
        kind = type(points)
        return (pipeline.stages == (points,) and points.seed_rule is not None
                and not pipeline.uses_shared and not pipeline.facts
                and kind.fold_orders is Stage.fold_orders  # folding tells no stage
                and kind.forget_folded is Stage.forget_folded)

    def _loaded(self, d: dict[str, Any], state: MemberState) -> tuple[Any, ...] | None:
        """What a thaw of a state without a kept hot form makes of its records, applied ids
        and their times (``_frozen.thaw``: records cold), as a hot form without an owner; or
        ``None`` (see :meth:`_loaded_records`)."""
        purchases = self._loaded_records(d, state)
        if purchases is None:
            return None
        applied = dict(zip(d["applied_event_ids"], d["applied_event_fingerprints"],
                           strict=True))
        times = None if self.horizon is None else applied_times(state)
        return purchases, applied, times, bool(purchases), None

    def _loaded_records(self, d: dict[str, Any], state: MemberState) -> dict[str, Any] | None:
        """The records by id of a state without a kept hot form, as a thaw makes them; or
        ``None`` if the state has a field that the general way's freeze would write
        otherwise (unsorted or repeated ids or consents, another family's part). The records
        by id of a validated load are the ones its invariants pass made
        (``state.loaded_rows``); of records kept in their JSON form, those rows."""
        if (d["tier"] is not None or d["gifts"] is not None or d["goodwill"] is not None
                or d["credit"] is not None or d["balances"] is not None
                or d["earn_counters"]):
            return None
        records = d["purchases"]
        kept = records.rows if records.raw is None else records.raw
        purchases = loaded_rows(state)
        if purchases is None:  # not validated (a trusted load): checked here
            for names in (d["consents"], d["profile_fields"], d["applied_event_ids"]):
                if len(names) > 1 and any(a >= b for a, b in pairwise(names)):
                    return None  # the freeze would sort them, or drop a repeated id
            purchases = {record[R_ID]: record for record in kept}
            if len(purchases) != len(kept):
                return None
        else:  # the invariants pass made it: ids sorted and unique, records' ids unique
            for names in (d["consents"], d["profile_fields"]):
                if len(names) > 1 and any(a >= b for a, b in pairwise(names)):
                    return None  # the freeze would sort them
        return purchases

    def __call__(self, state: MemberState, row: Row, index: int) -> Decision | None:
        """The decision on ``state`` of the purchase of ``row`` (in the program's currency, whose
        id ``state`` has not applied, ``index`` its place among the sorted applied ids), or
        ``None`` when the general way must take it."""
        d = state.__dict__
        _, eid, mid, at, amount, event = row
        as_of = d["as_of"]
        if as_of is None or at > as_of:
            as_of = at  # the member's time after the step
        elif at < as_of:
            return None  # late: a note in the trace, and the freeze may sort
        rule_id, points, limit, inclusive, rule = self.rule
        assert amount is not None  # a purchase's row
        if limit is not None and (amount < limit if inclusive else amount <= limit):
            return None  # the skipped line of the trace is the general way's
        if d["lots"] or d["debt"]:
            return None
        records = d["purchases"]
        hot = hot_form(state)
        if hot is None:  # a state read from JSON: made hot as a thaw would, if it may be
            if records.raw is not None:  # records kept as read from JSON (texts)
                return self._on_json_form(state, row, as_of)
            hot = self._loaded(d, state)
            if hot is None:
                return None
        elif hot[4] is not self.pipeline:
            return None  # frozen by another program: its fields may be another's
        purchases, applied, times, cold, owner = hot
        loaded = owner is None
        if eid in purchases:
            return None  # refused by the history checks
        kept = records.rows
        if kept:
            newest = kept[-1]
            newest_at = _record_at(newest)
            if newest_at > at or (newest_at == at and newest[R_ID] > eid):
                return None  # the freeze sorts it into place
        horizon, window = self.horizon, self.window

        # The step: the order's record and its points (points.stage's seed purchase).
        record: list[Any] = [at, amount, _ZERO, {rule_id: points},  # P_* order
                             None, None if not event.lines else line_record(event), False]
        said = LazyText(rule.reason(points, eid))
        fingerprint = row_fingerprint(row, self.currency)

        # Forget ids past the horizon and fold orders past the window (_history.settle).
        new_applied = applied.copy()
        new_times = None
        forgot = False
        if horizon is not None:
            assert times is not None  # kept with a horizon (thaw_applied_times)
            new_times = times.copy()
            new_times[eid] = at
            forgot = _forget_before(new_times, new_applied, as_of - horizon)
        new_applied[eid] = fingerprint
        new_purchases = purchases.copy()  # the new hot form's records
        folded = d["folded"]
        start = 0
        if window is not None:
            cutoff = as_of - window
            for old_record in purchases.values():
                if _record_at(old_record) >= cutoff:
                    break
                start += 1
            if start:  # each a hot list, or a cold row
                folded = _folded(folded, [
                    (old[P_AT], old[P_AMOUNT], old[P_RETURNED]) if type(old) is list
                    else (old[R_AT], old[R_AMOUNT], old[R_RETURNED])
                    for old in map(new_purchases.pop, list(purchases)[:start])])
        new_purchases[eid] = record

        # The freeze: the state's own fields, those a purchase changed replaced.
        if forgot or loaded:
            ids = tuple(sorted(new_applied))
            fingerprints = tuple(map(new_applied.__getitem__, ids))
            at_times = () if new_times is None else tuple(map(new_times.__getitem__, ids))
        else:
            ids = d["applied_event_ids"]
            ids = (*ids[:index], eid, *ids[index:])
            fps = d["applied_event_fingerprints"]
            fingerprints = (*fps[:index], fingerprint, *fps[index:])
            old_times = d["applied_event_times"]
            at_times = (() if new_times is None
                        else (*old_times[:index], at, *old_times[index:]))
        fields = _purchased(d, as_of, points, amount)
        fields["purchases"] = Records((*kept[start:], _frozen_record(eid, record)))
        fields["folded"] = folded
        fields["applied_event_ids"] = ids
        fields["applied_event_fingerprints"] = fingerprints
        fields["applied_event_times"] = at_times
        new = built(MemberState, fields, _STATE_NAMES)
        keep_hot_form(new, (new_purchases, new_applied, new_times, cold, self.pipeline))
        return self._decision(new, mid, eid, at, said)

    def _on_json_form(self, state: MemberState, row: Row, as_of: Any) -> Decision | None:
        """:meth:`__call__` of a state without a kept hot form whose records are kept in
        their JSON form (``Records.raw``), ``as_of`` the member's time after the step: the
        same steps on the texts, the applied ids made from the state's tuples
        (:meth:`_applied_after`); the new state keeps no hot form."""
        d = state.__dict__
        _, eid, mid, at, amount, event = row
        rule_id, points, _, _, rule = self.rule
        assert amount is not None  # a purchase's row
        purchases = self._loaded_records(d, state)
        if purchases is None or eid in purchases:
            return None  # refused by the history checks (an id kept), or see _loaded_records
        records = d["purchases"]
        kept = records.raw
        if kept:
            newest = kept[-1]
            newest_at = instant_of_text(newest[R_AT])
            if newest_at > at or (newest_at == at and newest[R_ID] > eid):
                return None  # the freeze sorts it into place
        window = self.window

        # The step: the order's record and its points (points.stage's seed purchase).
        record: list[Any] = [at, amount, _ZERO, {rule_id: points},  # P_* order
                             None, None if not event.lines else line_record(event), False]
        said = LazyText(rule.reason(points, eid))
        fingerprint = row_fingerprint(row, self.currency)

        # Forget ids past the horizon and fold orders past the window (_history.settle).
        ids, fingerprints, at_times = (self._applied_after(d, eid, fingerprint, at, as_of)
                                       or self._applied_by_dicts(state, eid, fingerprint, at,
                                                                 as_of))
        folded = d["folded"]
        start = 0
        if window is not None:
            cutoff = as_of - window
            for old_record in kept:
                if instant_of_text(old_record[R_AT]) >= cutoff:
                    break
                start += 1
            if start:
                folded = _folded(folded, [
                    (instant_of_text(old[R_AT]), amount_of_text(old[R_AMOUNT]),
                     amount_of_text(old[R_RETURNED])) for old in kept[:start]])

        # The freeze: the state's own fields, those a purchase changed replaced; the new
        # record written as the dump writes it, its row kept beside.
        fields = _purchased(d, as_of, points, amount)
        new_row = _frozen_record(eid, record)
        known = records.known_rows()  # the rows of the newest kept records
        left = len(kept) - start
        fields["purchases"] = Records.of_json((*kept[start:], json_row_of(new_row)),
                                              (*known[max(0, len(known) - left):], new_row))
        fields["folded"] = folded
        fields["applied_event_ids"] = ids
        fields["applied_event_fingerprints"] = fingerprints
        fields["applied_event_times"] = at_times
        return self._decision(built(MemberState, fields, _STATE_NAMES), mid, eid, at, said)

    def _decision(self, new: MemberState, mid: str, eid: str, at: Any,
                  said: LazyText) -> Decision:
        """The decision of the purchase ``eid``: the new state, the points pooled (the seed
        rule's), and its trace line."""
        rule_id, points = self.rule[0], self.rule[1]
        return built(Decision, {
            "state": new,
            "effects": (self.points._pooled(mid, rule_id, eid, at, points, said),),
            "trace": (built(TraceEntry, {"rule_id": rule_id, "outcome": "applied",
                                         "detail": said}),),
            "shared": None,
        })

    def _applied_after(self, d: dict[str, Any], eid: str, fingerprint: str, at: Any,
                       as_of: Any) -> tuple[tuple[Any, ...], ...] | None:
        """The applied ids, fingerprints and times of the new state (``eid`` applied at ``at``,
        the ids past the horizon forgotten), made from the tuples of a state whose ids are
        sorted and unique (``_loaded_records`` made sure): what the freeze of a thaw's dicts
        writes (``_history.settle`` forgets every id whose time is before the cutoff), without
        the dicts. ``None`` unless the state has one fingerprint and, with a horizon, one
        time per id (:meth:`_applied_by_dicts` then)."""
        ids = d["applied_event_ids"]
        fps = d["applied_event_fingerprints"]
        if len(fps) != len(ids):
            return None
        horizon = self.horizon
        if horizon is None:
            times: tuple[Any, ...] = ()
        else:
            times = d["applied_event_times"]
            if len(times) != len(ids):
                return None
            cutoff = as_of - horizon
            kept = [when >= cutoff for when in times]
            if not all(kept):
                ids = tuple(compress(ids, kept))
                fps = tuple(compress(fps, kept))
                times = tuple(compress(times, kept))
        index = bisect_left(ids, eid)
        return ((*ids[:index], eid, *ids[index:]), (*fps[:index], fingerprint, *fps[index:]),
                () if horizon is None else (*times[:index], at, *times[index:]))

    def _applied_by_dicts(self, state: MemberState, eid: str, fingerprint: str, at: Any,
                          as_of: Any) -> tuple[tuple[Any, ...], ...]:
        """:meth:`_applied_after` the way a thaw's dicts make it, for a state without one
        fingerprint or time per id (``_frozen.applied_times``: the state's time for each)."""
        d = state.__dict__
        applied = dict(zip(d["applied_event_ids"], d["applied_event_fingerprints"],
                           strict=True))
        applied[eid] = fingerprint
        if self.horizon is None:
            ids = tuple(sorted(applied))
            return ids, tuple(map(applied.__getitem__, ids)), ()
        times = applied_times(state)
        times[eid] = at
        _forget_before(times, applied, as_of - self.horizon)
        ids = tuple(sorted(applied))
        return ids, tuple(map(applied.__getitem__, ids)), tuple(map(times.__getitem__, ids))
