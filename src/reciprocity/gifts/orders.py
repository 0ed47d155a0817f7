"""The gift stage's order-driven rules compiled into closures: what every purchase runs.

First order, every n-th order, order over a threshold, the category sample and the
thank-you are the rules a replay meets on nearly every order, so each is compiled once into
a closure that holds what its declaration fixes (the gift, its phrase, the threshold, the
occurrence key) and leaves an order that cannot qualify after one cheap test. Reasons are logged as
``(builder, *args)`` and written when the effect is built (see ``CompiledGifts.grant``).
The closures keep the stage's step signature ``(c, m, h, row, log, trace)``.

Imports: the core, the gifts declarations and ``hot``; ``stage`` only for typing.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING

from .._engine import Log, Member, Row, Trace
from .._reason import Msg, english
from .._reason import ordinal as ordinal_msg
from ..limits import Period
from ..money import Money
from .gift import ordinal
from .hot import Compiled, Hot, period_key
from .order_rules import CategoryGift, FirstOrderGift, NthOrderGift, OrderOverGift
from .scheme import ThankYouGift

if TYPE_CHECKING:
    from .stage import CompiledGifts

__all__ = ["Step", "order_step"]

Step = Callable[[Compiled, Member, Hot, Row, Log, Trace], None]

_ZERO = Decimal(0)


def _first_reason(eid: str, phrase: Msg) -> Msg:
    return Msg("reason.gift.first", {"order": eid, "gift": phrase})


def _nth_reason(count: int, eid: str, phrase: Msg) -> Msg:
    return Msg("reason.gift.nth", {"nth": ordinal_msg(count), "order": eid, "gift": phrase})


def _over_reason(eid: str, rule: OrderOverGift, phrase: Msg) -> Msg:
    return Msg("reason.gift.at_least" if rule.inclusive else "reason.gift.over",
               {"order": eid, "amount": rule.amount, "gift": phrase})


def _sample_reason(eid: str, category: str, phrase: Msg) -> Msg:
    return Msg("reason.gift.sample", {"order": eid, "category": category, "gift": phrase})


def so_far(stage: CompiledGifts, rule: ThankYouGift, key: str, orders: int,
           spend: Decimal) -> Msg:
    """``3 orders and 120.00 EUR in 2026``: what a thank-you rule counted."""
    args = {"n": orders, "spend": Money(spend, stage.currency)}
    if rule.per is Period.LIFETIME:
        return Msg("reason.gift.so_far", args)
    return Msg("reason.gift.so_far.in", {**args, "period": key})


def _thanks_reason(stage: CompiledGifts, rule: ThankYouGift, key: str, orders: int,
                   spend: Decimal, value: Decimal) -> Msg:
    return Msg("reason.gift.thanks", {
        "so_far": so_far(stage, rule, key, orders, spend),
        "gift": rule.gift.message(Money(value, stage.currency))})


def order_step(stage: CompiledGifts, c: Compiled) -> Step | None:
    """The compiled step of an order-driven rule, or ``None`` for another kind of rule."""
    rule = c.rule
    if isinstance(rule, FirstOrderGift):
        return _first_order(stage, c, rule)
    if isinstance(rule, NthOrderGift):
        return _nth_order(stage, c, rule)
    if isinstance(rule, OrderOverGift):
        return _order_over(stage, c, rule)
    if isinstance(rule, CategoryGift):
        return _category(stage, c, rule)
    if isinstance(rule, ThankYouGift):
        return _thank_you(stage, c, rule)
    return None


def _open(c: Compiled) -> bool:
    """Whether the rule has no eligibility test (consents, tiers, condition) to run."""
    return not c.consents and not c.tiers and c.pred is None


def _first_order(stage: CompiledGifts, c: Compiled, rule: FirstOrderGift) -> Step:
    rid, gift, phrase = rule.id, rule.gift, c.phrase
    done = (rid, "first")
    blocked = None if _open(c) else stage.blocked
    grant = stage.grant

    def step(_: Compiled, m: Member, h: Hot, row: Row, log: Log, trace: Trace) -> None:
        eid = row[1]
        if m.purchase_count != 1 or done in h.occurrences:
            if trace is not None:
                trace.append((rid, "skipped", f"order {eid} is not the member's first order"))
            return
        if blocked is not None:
            why = blocked(c, m, row)
            if why is not None:
                if trace is not None:
                    trace.append((rid, "skipped", why))
                return
        grant(c, m, h, gift, row[3], "first", eid, (_first_reason, eid, phrase), log, trace)

    return step


def _nth_order(stage: CompiledGifts, c: Compiled, rule: NthOrderGift) -> Step:
    rid, gift, phrase, every = rule.id, rule.gift, c.phrase, rule.every
    blocked = None if _open(c) else stage.blocked
    grant = stage.grant

    def step(_: Compiled, m: Member, h: Hot, row: Row, log: Log, trace: Trace) -> None:
        eid = row[1]
        count = m.purchase_count
        occurrence = "" if count % every else f"order-{count}"
        if not occurrence or (rid, occurrence) in h.occurrences:
            if trace is not None:
                trace.append((rid, "skipped", f"order {eid} is the member's {ordinal(count)}; "
                              f"the gift comes with every {ordinal(every)} order"))
            return
        if blocked is not None:
            why = blocked(c, m, row)
            if why is not None:
                if trace is not None:
                    trace.append((rid, "skipped", why))
                return
        grant(c, m, h, gift, row[3], occurrence, eid, (_nth_reason, count, eid, phrase), log,
              trace)

    return step


def _order_over(stage: CompiledGifts, c: Compiled, rule: OrderOverGift) -> Step:
    rid, gift, phrase, threshold = rule.id, rule.gift, c.phrase, c.threshold
    limit, inclusive = rule.amount.amount, rule.inclusive
    blocked = None if _open(c) else stage.blocked
    grant = stage.grant

    def step(_: Compiled, m: Member, h: Hot, row: Row, log: Log, trace: Trace) -> None:
        eid = row[1]
        amount: Decimal = row[4]  # type: ignore[assignment]
        if amount < limit if inclusive else amount <= limit:  # not rule.still_qualifies
            if trace is not None:
                trace.append((rid, "skipped", f"order {eid} is {stage.show(amount)}, not "
                              f"{threshold}"))
            return
        if blocked is not None:
            why = blocked(c, m, row)
            if why is not None:
                if trace is not None:
                    trace.append((rid, "skipped", why))
                return
        grant(c, m, h, gift, row[3], eid, eid, (_over_reason, eid, rule, phrase), log,
              trace)

    return step


def _category(stage: CompiledGifts, c: Compiled, rule: CategoryGift) -> Step:
    rid, samples = rule.id, rule.samples
    rank = {s.category: n for n, s in enumerate(samples)}
    phrases = {s.category: s.gift.message() for s in samples}
    nothing = "has nothing of " + ", ".join(s.category for s in samples)
    blocked = None if _open(c) else stage.blocked
    grant = stage.grant

    def step(_: Compiled, m: Member, h: Hot, row: Row, log: Log, trace: Trace) -> None:
        eid = row[1]
        event = row[5]
        lines = () if event is None else event.lines
        matching = []
        if lines:
            present = {line.category for line in lines}
            matching = [s for s in samples if s.category in present]
        if not matching:
            if trace is not None:
                trace.append((rid, "skipped", f"order {eid} {nothing}"))
            return
        if blocked is not None:
            why = blocked(c, m, row)
            if why is not None:
                if trace is not None:
                    trace.append((rid, "skipped", why))
                return
        spend = stage._categories(m, h)
        best = max(matching, key=lambda s: (spend.get(s.category, _ZERO), -rank[s.category]))
        grant(c, m, h, best.gift, row[3], eid, eid,
              (_sample_reason, eid, best.category, phrases[best.category]), log, trace)

    return step


def _thank_you(stage: CompiledGifts, c: Compiled, rule: ThankYouGift) -> Step:
    rid, per, gift = rule.id, rule.per, rule.gift
    needs_orders = rule.orders
    needs_spend = None if rule.spend is None else rule.spend.amount
    any_of = rule.match == "any"
    labels: dict[tuple[int, ...], str] = {}
    """Period label (``Period.key``) by period key: the label follows from the key."""
    zone = stage.zone
    blocked = None if _open(c) else stage.blocked
    grant = stage.grant

    def step(_: Compiled, m: Member, h: Hot, row: Row, log: Log, trace: Trace) -> None:
        at = row[3]
        now = h.current.get(per)  # the purchase handler's figures for this order
        if now is None:  # the state was just derived (with this order)
            cut = period_key(per, stage.local(at))
            orders, spend = h.counters.get((per, cut), (0, _ZERO))
        else:
            cut, (orders, spend) = now
        done = orders >= needs_orders if needs_orders is not None else not any_of
        if needs_spend is not None:
            enough = spend >= needs_spend
            done = (done or enough) if any_of else (done and enough)
        if not done and trace is None:
            return
        key = labels.get(cut)
        if key is None:
            key = labels[cut] = per.key(stage.local(at), zone)
        if (rid, key) in h.occurrences:
            return
        if not done:
            assert trace is not None
            counted = so_far(stage, rule, key, orders, spend)
            trace.append((rid, "skipped", f"{english(counted.key, counted.args)}; the "
                          f"thank-you needs {rule.needs_text()}"))
            return
        if blocked is not None:
            why = blocked(c, m, row)
            if why is not None:
                if trace is not None:
                    trace.append((rid, "skipped", why))
                return
        value = gift.value.amount
        if rule.percent_of_spend is not None:
            share = rule.rounding.apply(spend * rule.percent_of_spend / 100, stage.quantum)
            value = min(max(share, _ZERO), value)
        grant(c, m, h, gift, at, key, row[1],
              (_thanks_reason, stage, rule, key, orders, spend, value), log, trace, value=value)

    return step
