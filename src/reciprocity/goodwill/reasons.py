"""Customer-readable reasons of goodwill effects, and their lazy builders.

The goodwill stage logs ``(builder, *args)``; the builders here make the
``GoodwillGranted``, ``GoodwillPending`` and ``GoodwillDeclined`` models, with their reasons,
only when someone reads the effects.

Imports: the core, the goodwill declarations and ``hot``; ``stage`` only for typing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .._reason import Msg
from ..effects import GoodwillDeclined, GoodwillGranted, GoodwillPending
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
    _plural,
)
from .policy import CATEGORY_WORDS

if TYPE_CHECKING:
    from .stage import CompiledGoodwill

__all__ = ["about_message"]


def _hours(delay: timedelta) -> str:
    hours = delay / _HOUR
    if hours == int(hours):
        return _plural(int(hours), "hour")
    return f"{hours:.1f} hours"


def _about(cid: str, order_id: str | None, category: str) -> str:
    words = CATEGORY_WORDS[category]
    if order_id is None:
        return f" {cid} ({words})"
    return f" {cid} about order {order_id} ({words})"


def about_message(cid: str, order_id: str | None, category: str) -> Msg:
    """Which complaint, as a part of a reason: ``C-1 about order A-1 (late delivery)``."""
    words: Msg | str = (Msg(f"complaint.{category}", {}) if category in _BUILT_IN
                        else CATEGORY_WORDS[category])
    if order_id is None:
        return Msg("reason.goodwill.about", {"complaint": cid, "category": words})
    return Msg("reason.goodwill.about.order",
               {"complaint": cid, "order": order_id, "category": words})


_BUILT_IN = frozenset(("late_delivery", "missing_item", "partial_delivery", "damaged",
                       "not_as_described", "quality", "service", "other"))


def _what(stage: CompiledGoodwill, kind: str, value: Decimal, points: int | None,
          gift: str | None, expires: datetime | None) -> str:
    money = Money(value, stage.currency)
    if kind == "points":
        return f"{_plural(points or 0)} (worth {money})"
    if kind == "voucher":
        text = f"a {money} voucher"
        if expires is not None:
            text += f", valid until {expires.astimezone(stage.zone).strftime('%Y-%m-%d')}"
        return text
    if kind == "gift":
        return f"a small gift: {gift} (worth {money})"
    if kind == "credit":
        return f"a {money} credit"
    return f"a refund of {money}"


def _granted_reason(stage: CompiledGoodwill, grant: tuple[Any, ...], category: str,
                    notes: tuple[str, ...], approval_required: bool) -> str:
    text = (f"Goodwill for your complaint{_about(grant[G_CID], grant[G_ORDER], category)}: "
            + _what(stage, grant[G_KIND], grant[G_VALUE], grant[G_POINTS], grant[G_GIFT],
                    grant[G_EXPIRES]))
    if notes:
        text += f" ({'; '.join(notes)})"
    if approval_required:
        text += ", confirmed by our team"
    return text


def _pending_reason(stage: CompiledGoodwill, pending: tuple[Any, ...]) -> str:
    what = _what(stage, pending[Q_KIND], pending[Q_VALUE], pending[Q_POINTS], pending[Q_GIFT],
                 None)
    about = _about(pending[Q_CID], pending[Q_ORDER], pending[Q_CATEGORY])
    return (f"Goodwill for your complaint{about}: {what}, to be confirmed by our team "
            f"({pending[Q_WHY]})")


def _declined_reason(cid: str, order_id: str | None, category: str, outcome: str,
                     why: str) -> str:
    about = _about(cid, order_id, category)
    if outcome == "refer_to_service":
        return f"Your complaint{about} goes to our service team: {why}"
    return f"No goodwill for your complaint{about}: {why}"


def _build_granted(stage: CompiledGoodwill, mid: str, eid: str, grant: tuple[Any, ...],
                   category: str, notes: tuple[str, ...],
                   approval_required: bool) -> GoodwillGranted:
    return GoodwillGranted.model_construct(
        rule_id=grant[G_RULE], reason=_granted_reason(stage, grant, category, notes,
                                                      approval_required),
        member_id=mid, event_id=eid, at=grant[G_GRANTED], complaint_id=grant[G_CID],
        order_id=grant[G_ORDER], kind=grant[G_KIND], value=Money(grant[G_VALUE], stage.currency),
        points=grant[G_POINTS], approval_required=approval_required, approved_by=grant[G_BY],
        code=grant[G_CODE], gift=grant[G_GIFT], expires_at=grant[G_EXPIRES],
    )


def _build_pending(stage: CompiledGoodwill, mid: str, pending: tuple[Any, ...]) -> GoodwillPending:
    return GoodwillPending.model_construct(
        rule_id=pending[Q_RULE], reason=_pending_reason(stage, pending), member_id=mid,
        event_id=pending[Q_CID], at=pending[Q_AT], complaint_id=pending[Q_CID],
        order_id=pending[Q_ORDER], kind=pending[Q_KIND],
        value=Money(pending[Q_VALUE], stage.currency), points=pending[Q_POINTS],
        approval_required=True, why=pending[Q_WHY],
    )


def _build_declined(mid: str, eid: str, at: datetime, rule_id: str | None, cid: str,
                    order_id: str | None, category: str, outcome: Any,
                    why: str) -> GoodwillDeclined:
    return GoodwillDeclined.model_construct(
        rule_id=rule_id or "goodwill",
        reason=_declined_reason(cid, order_id, category, outcome, why),
        member_id=mid, event_id=eid, at=at, complaint_id=cid, order_id=order_id,
        outcome=outcome,
    )

