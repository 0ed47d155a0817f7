"""The invariants of a saved member state, checked in one linear pass on every load.

Imports: ``errors`` only; ``state`` for typing.
"""

from __future__ import annotations

from operator import itemgetter, lt
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._records import RecordRow
    from .state import MemberState, PointBalance, PointLot

__all__ = ["REBUILD", "checked_state", "state_problem"]

_RETURNED, _LINES = itemgetter(3), itemgetter(6)  # _records.R_*
_ZERO_TEXT = "0"  # what a record in its JSON form has returned when nothing was

REBUILD = ("restore the document the program wrote, or rebuild the state by replaying the "
           "member's events (Program.replay)")
"""The fix of every broken saved state: a state is only ever written by the engine."""


def _sorted_problem(values: tuple[str, ...], field: str) -> str | None:
    if all(map(lt, values, values[1:])):
        return None
    for index in range(1, len(values)):
        if not values[index - 1] < values[index]:
            how = "repeats" if values[index - 1] == values[index] else "sorts before"
            return (f"MemberState.{field}[{index}]={values[index]!r} {how} "
                    f"[{index - 1}]={values[index - 1]!r}: the ids must be sorted and unique "
                    "(lookups bisect, so an unsorted list lets a re-delivered event apply twice)")
    return None  # pragma: no cover - all() said otherwise


def state_problem(state: MemberState) -> tuple[str, str] | None:
    """The first broken invariant of ``state`` as ``(message, fix)``, or ``None``.

    Linear in the state's size, with no model built: it runs on every load.
    """
    return checked_state(state)[0]


def checked_state(state: MemberState) -> tuple[tuple[str, str] | None, dict[str, Any] | None]:
    """:func:`state_problem`, and, when there is none, the state's purchase records by id
    in the state's order: the dict its purchase-id check builds anyway, which the express
    purchase reads (``MemberState`` keeps it as a loaded state's form)."""
    d = state.__dict__  # the fields (read past attribute lookup: this runs on every load)
    ids = d["applied_event_ids"]
    problem = _sorted_problem(ids, "applied_event_ids")
    if problem is not None:
        return (problem, "sort them (with their fingerprints) and drop repeats; "
                + REBUILD), None
    fingerprints = d["applied_event_fingerprints"]
    if len(fingerprints) != len(ids):
        return (f"MemberState.applied_event_fingerprints has {len(fingerprints)} entries but "
                f"applied_event_ids has {len(ids)}: each applied id needs its "
                "event's fingerprint", REBUILD), None
    times = d["applied_event_times"]
    if times and len(times) != len(ids):
        return (f"MemberState.applied_event_times has {len(times)} entries but "
                f"applied_event_ids has {len(ids)}: give each applied id its event's time, "
                "or none at all", REBUILD), None
    problem = _lots_problem(state, "MemberState")
    balances = d["balances"]
    if balances:  # Program.balances: each alike
        for name, part in balances.items():
            problem = problem or _lots_problem(part, f"MemberState.balances[{name!r}]")
    if problem is not None:
        return (problem, REBUILD), None
    records = d["purchases"]
    raw = records.raw  # the records in their JSON form, if kept so: texts (_records)
    purchases = records.rows if raw is None else raw  # id, at, amount, ... (_records.R_*)
    folded_orders = d["folded"]
    folded = 0 if folded_orders is None else folded_orders.count
    if d["purchase_count"] < len(purchases) + folded:
        return (f"MemberState.purchase_count={state.purchase_count} is below the "
                f"{len(purchases)} purchases the state remembers and the {folded} it folded",
                REBUILD), None
    if folded_orders is not None and folded_orders.returned > folded_orders.amount:
        return (f"MemberState.folded.returned={folded_orders.returned} is above its "
                f"amount={folded_orders.amount}", REBUILD), None
    by_id = {record[0]: record for record in purchases}
    if len(by_id) != len(purchases) or (
            any((record[3] and record[3] > record[2]) or record[6] for record in purchases)
            if raw is None else  # texts: any return or line looked at in the rows
            list(map(_RETURNED, purchases)).count(_ZERO_TEXT) != len(purchases)
            or any(map(_LINES, purchases))):
        # a dict and one scan: most states have neither
        problem = _purchases_problem(records.rows)
        if problem is not None:
            return (problem, REBUILD), None
    return _rest_problem(state), by_id


def _rest_problem(state: MemberState) -> tuple[str, str] | None:
    """The invariants after the purchases': vouchers, goodwill, tier, gifts and credit."""
    d = state.__dict__
    currency = d["currency"]
    for index, voucher in enumerate(d["vouchers"]):
        if voucher.value is not None and voucher.value.currency != currency:
            return (f"MemberState.vouchers[{index}].value is in {voucher.value.currency} but the "
                    f"state is in {currency}: a program issues vouchers in its own currency",
                    REBUILD)
        start, end = voucher.valid_from, voucher.expires_at
        if start is not None and end is not None and start >= end:
            return (f"MemberState.vouchers[{index}].valid_from={start.isoformat()} is not "
                    f"before its expires_at={end.isoformat()}", REBUILD)
    goodwill = d["goodwill"]
    if goodwill is not None:
        values = [("grants", index, grant.value)
                  for index, grant in enumerate(goodwill.grants)]
        values += [("pending", index, waiting.value)
                   for index, waiting in enumerate(goodwill.pending)]
        for field, index, value in values:
            if value.currency != currency:
                return (f"MemberState.goodwill.{field}[{index}].value is in "
                        f"{value.currency} but the state is in {currency}", REBUILD)
    tier = d["tier"]
    tier_problem = None if tier is None or not tier.folded else _tier_problem(state)
    if tier_problem is not None:
        return tier_problem
    gifts = d["gifts"]
    if gifts is not None:
        for index, grant in enumerate(gifts.grants):
            if grant.value.currency != currency:
                return (f"MemberState.gifts.grants[{index}].value is in {grant.value.currency} "
                        f"but the state is in {currency}", REBUILD)
    return None if d["credit"] is None else _credit_problem(state)


def _purchases_problem(purchases: tuple[RecordRow, ...]) -> str | None:
    """Purchases (rows): unique ids, none returned beyond its amount, no line beyond its
    quantity."""
    purchase_ids: set[str] = set()
    for index, (pid, _, amount, returned, _, _, lines, _) in enumerate(purchases):
        where = f"MemberState.purchases[{index}]"
        if pid in purchase_ids:
            return (f"{where}.id={pid!r} is the id of an earlier purchase: purchase ids "
                    "are unique")
        purchase_ids.add(pid)
        if returned > amount:
            return (f"{where}.returned={returned} is above its amount={amount}: "
                    "no more can be returned than was bought")
        for number, (_, _, quantity, _, line_returned) in enumerate(lines):
            if line_returned > quantity:
                return (f"{where}.lines[{number}].returned={line_returned} is above its "
                        f"quantity={quantity}")
    return None


def _tier_problem(state: MemberState) -> tuple[str, str] | None:
    """The tier's folded periods: once each, oldest first, within the folded orders."""
    if state.tier is None or not state.tier.folded:
        return None
    folded = state.folded
    if folded is None:
        return ("MemberState.tier.folded holds qualifying totals but MemberState.folded is "
                "null: totals come only from folded orders", REBUILD)
    last = None
    orders = 0
    for index, period in enumerate(state.tier.folded):
        where = f"MemberState.tier.folded[{index}]"
        if last is not None and period.period <= last:
            return (f"{where}.period={period.period} is not after the period before it "
                    f"({last}): one entry per period, oldest first", REBUILD)
        last = period.period
        if period.through > folded.through:
            return (f"{where}.through={period.through.isoformat()} is after the newest "
                    f"folded order (MemberState.folded.through={folded.through.isoformat()})",
                    REBUILD)
        orders += period.orders
    if orders > folded.count:
        return (f"MemberState.tier.folded counts {orders} orders, more than the "
                f"{folded.count} of MemberState.folded", REBUILD)
    return None


def _lots_problem(state: MemberState | PointBalance, prefix: str) -> str | None:
    """A balance's lots: unique ids, none above its points, and points conserved."""
    d = state.__dict__
    lots = d["lots"]
    available = d["pooled_points"]
    pending = 0
    if lots:
        if len({lot.id for lot in lots}) != len(lots) or any(
                lot.remaining > lot.points for lot in lots):  # a set and a scan, as purchases
            return _each_lot_problem(lots, prefix)
        # pending: released at available_at, or by a release event
        pending = sum([lot.remaining for lot in lots if lot.status == "pending"])
        available += sum([lot.remaining for lot in lots]) - pending
    accounted = (available + pending + d["points_redeemed"] + d["points_expired"]
                 + d["points_revoked"])
    if d["points_earned"] != accounted:
        return (f"{prefix}.points_earned={state.points_earned} but the lots and totals "
                f"account for {accounted} (available {available} + pending {pending} + "
                f"redeemed {state.points_redeemed} + expired {state.points_expired} + revoked "
                f"{state.points_revoked}): points are conserved")
    return None


def _each_lot_problem(lots: tuple[PointLot, ...], prefix: str) -> str | None:
    """The first repeated lot id or lot above its points, named."""
    lot_ids: set[str] = set()
    for index, lot in enumerate(lots):
        where = f"{prefix}.lots[{index}]"
        if lot.id in lot_ids:
            return f"{where}.id={lot.id!r} is the id of an earlier lot: lot ids are unique"
        lot_ids.add(lot.id)
        if lot.remaining > lot.points:
            return (f"{where}.remaining={lot.remaining} is above the lot's points={lot.points}: "
                    "a lot never holds more than it was created with")
    return None  # pragma: no cover - the scan said otherwise


def _credit_problem(state: MemberState) -> tuple[str, str] | None:
    """Store credit: no lot holds more than it was issued with, and what was issued is what
    was spent, expired and is left (conservation)."""
    credit = state.credit
    assert credit is not None
    for index, lot in enumerate(credit.lots):
        if lot.remaining > lot.amount:
            return (f"MemberState.credit.lots[{index}].remaining={lot.remaining} is more than "
                    f"its amount={lot.amount}", REBUILD)
    left = credit.balance
    if credit.issued != credit.spent + credit.expired + left:
        return (f"MemberState.credit: issued={credit.issued} is not spent={credit.spent} + "
                f"expired={credit.expired} + balance={left}", REBUILD)
    return _periods_problem(state)


def _periods_problem(state: MemberState) -> tuple[str, str] | None:
    """The periodic reward: open periods after the last settled one, each once; every order
    in an open period, with what is left of it no more than it was."""
    credit = state.credit
    assert credit is not None
    periods = [p.period for p in credit.periods]  # "YYYY-MM": they sort as they come
    closed = credit.closed_through
    if periods != sorted(set(periods)) or (closed is not None and periods
                                           and periods[0] <= closed):
        return (f"MemberState.credit.periods: periods {periods} are not each once, in order "
                f"and after closed_through={closed}", REBUILD)
    for index, order in enumerate(credit.orders):
        if order.period not in periods or not order.left <= order.eligible <= order.amount:
            return (f"MemberState.credit.orders[{index}] (period {order.period}, amount "
                    f"{order.amount}, eligible {order.eligible}, left {order.left}) is not in "
                    "an open period or has left <= eligible <= amount broken", REBUILD)
    return None
