"""Customer-readable reasons of goodwill effects, and their lazy builders.

The goodwill stage logs ``(builder, *args)``; the builders here make the
``GoodwillGranted``, ``GoodwillPending`` and ``GoodwillDeclined`` models, with their reasons,
only when someone reads the effects.

Imports: the core, the goodwill declarations and ``hot``; ``stage`` only for typing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .._engine import text
from .._reason import Msg, Named, fields, local_day
from ..effects import GoodwillDeclined, GoodwillGranted, GoodwillPending
from ..facts import Labels
from ..money import Money
from .hot import (
    _HOUR,
    G_BY,
    G_CID,
    G_CODE,
    G_EXPIRES,
    G_GIFT,
    G_GRANTED,
    G_KIND,
    G_ORDER,
    G_POINTS,
    G_RULE,
    G_VALUE,
    Q_AT,
    Q_CATEGORY,
    Q_CID,
    Q_GIFT,
    Q_KIND,
    Q_ORDER,
    Q_POINTS,
    Q_RULE,
    Q_VALUE,
    Q_WHY,
)
from .policy import CATEGORY_WORDS

if TYPE_CHECKING:
    from .stage import CompiledGoodwill

__all__ = ["about_message", "and_words", "category_words", "factor_note", "hours", "limit_words",
           "notes_message", "period_words", "worth"]


def hours(delay: timedelta) -> Msg:
    """A duration in hours (one decimal when it is not whole), as a part of a reason."""
    n = delay / _HOUR
    count: int | Decimal = int(n) if n == int(n) else Decimal(f"{n:.1f}")
    return Msg("reason.goodwill.hours", {"n": count})


def about_message(cid: str, order_id: str | None, category: str,
                  labels: Mapping[str, Labels]) -> Msg:
    """Which complaint, as a part of a reason: ``C-1 about order A-1 (late delivery)``;
    ``labels``: the policy's ``category_labels``."""
    said = category_words(category, labels)
    if order_id is None:
        return Msg("reason.goodwill.about", {"complaint": cid, "category": said})
    return Msg("reason.goodwill.about.order",
               {"complaint": cid, "order": order_id, "category": said})


def category_words(category: str, labels: Mapping[str, Labels]) -> Msg | Named | str:
    """A complaint category in the locale: its labels in ``labels`` (the policy's
    ``category_labels``: "Flugverspätung" in German), else the catalogue's words for a
    built-in one, else its English words ("flight delayed")."""
    declared = labels.get(category)
    if declared:
        return Named(CATEGORY_WORDS[category], tuple(sorted(declared.items())))
    return Msg(f"complaint.{category}", {}) if category in _BUILT_IN else CATEGORY_WORDS[category]


_BUILT_IN = frozenset(("late_delivery", "missing_item", "partial_delivery", "damaged",
                       "not_as_described", "quality", "service", "other"))


def worth(kind: str, value: Money, points: int | None) -> Msg | Money:
    """What an offer is worth: its points, or its money value."""
    if kind == "points":
        return Msg("reason.goodwill.worth.points", {"n": points or 0})
    return value


def period_words(per: str, key: str = "reason.goodwill.period") -> Msg:
    """``this year`` / ``in all`` (``key`` ``reason.goodwill.budget_of``: ``this year's``)."""
    return Msg(f"{key}.{per}", {})


def limit_words(count: int | None, amount: Money | None, per: str) -> Msg:
    """A cap or budget as declared: ``at most 2 times per year``."""
    what: list[Msg] = []
    if count is not None:
        what.append(Msg("limit.count", {"n": count}))
    if amount is not None:
        what.append(Msg("limit.amount", {"amount": amount}))
    return Msg("limit.per", {"what": tuple(what), "period": Msg(f"per.{per}", {})})


def factor_note(key: str, factor: Decimal, **args: Any) -> Msg:
    """A step that multiplies the value: ``x1.5 for Gold members``."""
    return Msg(key, {"factor": factor, **args})


def and_words(names: tuple[str, ...]) -> Msg | str:
    """Shop words as a list in the locale: ``passenger id and flight``."""
    if len(names) == 1:
        return names[0]
    return Msg("reason.goodwill.and", {"head": names[:-1], "last": names[-1]})


def notes_message(notes: tuple[Msg | str, ...]) -> Msg | str:
    """Notes joined with semicolons: ``x1.5 ...; at most 50.00 EUR by this rule``."""
    joined = notes[-1]
    for note in reversed(notes[:-1]):
        joined = Msg("reason.goodwill.notes", {"first": note, "rest": joined})
    return joined


def _what(stage: CompiledGoodwill, kind: str, value: Decimal, points: int | None,
          gift: str | None, expires: datetime | None) -> Msg:
    money = Money(value, stage.currency)
    if kind == "points":
        return Msg("reason.goodwill.what.points", {"n": points or 0, "value": money})
    if kind == "voucher":
        if expires is not None:
            return Msg("reason.goodwill.what.voucher.until",
                       {"value": money, "date": local_day(expires, stage.zone)})
        return Msg("reason.goodwill.what.voucher", {"value": money})
    if kind == "gift":
        return Msg("reason.goodwill.what.gift", {"gift": gift or "", "value": money})
    if kind == "credit":
        return Msg("reason.goodwill.what.credit", {"value": money})
    return Msg("reason.goodwill.what.refund", {"value": money})


def _granted_reason(stage: CompiledGoodwill, grant: tuple[Any, ...], category: str,
                    notes: tuple[Msg | str, ...], approval_required: bool) -> Msg:
    args: dict[str, Any] = {
        "about": about_message(grant[G_CID], grant[G_ORDER], category,
                               stage.policy.category_labels),
        "what": _what(stage, grant[G_KIND], grant[G_VALUE], grant[G_POINTS], grant[G_GIFT],
                      grant[G_EXPIRES])}
    key = "reason.goodwill.granted"
    if notes:
        key += ".notes"
        args["notes"] = notes_message(notes)
    if approval_required:
        key += ".confirmed"
    return _in_unit(stage, grant[G_KIND], Msg(key, args))


def _in_unit(stage: CompiledGoodwill, kind: str, msg: Msg) -> Msg:
    """A reason of points said, with its notes, in the point scheme's unit when it has one."""
    unit = getattr(stage.points, "unit", None)
    return msg if unit is None or kind != "points" else Msg(msg.key, {**msg.args,
                                                                       "unit": unit})


def _pending_reason(stage: CompiledGoodwill, pending: tuple[Any, ...]) -> Msg:
    what = _what(stage, pending[Q_KIND], pending[Q_VALUE], pending[Q_POINTS], pending[Q_GIFT],
                 None)
    about = about_message(pending[Q_CID], pending[Q_ORDER], pending[Q_CATEGORY],
                          stage.policy.category_labels)
    return _in_unit(stage, pending[Q_KIND], Msg("reason.goodwill.pending", {
        "about": about, "what": what, "why": pending[Q_WHY]}))


def _declined_reason(cid: str, order_id: str | None, category: str, outcome: str,
                     why: Msg | str, labels: Mapping[str, Labels]) -> Msg:
    key = "reason.goodwill.referred" if outcome == "refer_to_service" else \
        "reason.goodwill.declined"
    return Msg(key, {"about": about_message(cid, order_id, category, labels), "why": why})


def _build_granted(stage: CompiledGoodwill, mid: str, eid: str, grant: tuple[Any, ...],
                   category: str, notes: tuple[Msg | str, ...],
                   approval_required: bool) -> GoodwillGranted:
    return GoodwillGranted.model_construct(
        rule_id=grant[G_RULE], **fields(_granted_reason(stage, grant, category, notes,
                                                        approval_required)),
        member_id=mid, event_id=eid, at=grant[G_GRANTED], complaint_id=grant[G_CID],
        order_id=grant[G_ORDER], kind=grant[G_KIND], value=Money(grant[G_VALUE], stage.currency),
        points=grant[G_POINTS], approval_required=approval_required, approved_by=grant[G_BY],
        code=grant[G_CODE], gift=grant[G_GIFT], expires_at=grant[G_EXPIRES],
    )


def _build_pending(stage: CompiledGoodwill, mid: str, pending: tuple[Any, ...]) -> GoodwillPending:
    return GoodwillPending.model_construct(
        rule_id=pending[Q_RULE], **fields(_pending_reason(stage, pending)), member_id=mid,
        event_id=pending[Q_CID], at=pending[Q_AT], complaint_id=pending[Q_CID],
        order_id=pending[Q_ORDER], kind=pending[Q_KIND],
        value=Money(pending[Q_VALUE], stage.currency), points=pending[Q_POINTS],
        approval_required=True, why=text(pending[Q_WHY]),
    )


def _build_declined(mid: str, eid: str, at: datetime, rule_id: str | None, cid: str,
                    order_id: str | None, category: str, outcome: Any,
                    why: Msg | str, labels: Mapping[str, Labels]) -> GoodwillDeclined:
    return GoodwillDeclined.model_construct(
        rule_id=rule_id or "goodwill",
        **fields(_declined_reason(cid, order_id, category, outcome, why, labels)),
        member_id=mid, event_id=eid, at=at, complaint_id=cid, order_id=order_id,
        outcome=outcome,
    )

