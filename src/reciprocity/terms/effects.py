"""Effects in the customer's language, from their data (never from their English ``reason``).

Imports: ``effects`` only for typing, ``_reason`` (to render a reason with its conditions said
in the locale), ``terms.phrases`` and the gifts declarations (for a gift's phrase).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._reason import Msg, render
from ..gifts.gift import CHANNELS, Gift
from .phrases import Ctx

if TYPE_CHECKING:
    from ..effects import _EffectBase
    from .catalog import Catalogue

__all__ = ["render_effect"]



def channel_words(c: Catalogue, channel: str) -> str:
    """A message channel in the locale's words ("E-Mail"), or, for a channel the catalogue
    has no words for, its name quoted as shop data."""
    return c.t(f"channel.{channel}") if channel in CHANNELS else c.quote(channel)

def render_effect(x: Ctx, effect: _EffectBase, rewards: dict[str, str] | None = None) -> str:
    """One effect in the catalogue's locale: its reason (:meth:`Effect.render`), or, for an
    effect stored before reasons were data, a short sentence from its fields.

    ``rewards`` maps reward ids to names (for redemptions).
    """
    c = x.c
    if effect.reason_key is not None and x.conditions and c.locale != "en":
        return render(effect.reason_key, _conditions(x, effect.reason_args or {}), c.locale)
    if effect.reason_key is not None or c.locale == "en":
        return effect.render(c.locale)
    text = _text(x.for_balance(getattr(effect, "balance", None)), effect, rewards or {})
    if effect.event_id is not None and not getattr(effect, "type", "").startswith("goodwill_"):
        text = c.t("effect.with_event", text=text, event=effect.event_id)
    return text


def _conditions(x: Ctx, args: dict[str, Any]) -> dict[str, Any]:
    """``args`` with each goodwill reduction's condition (a reason holds its English words,
    ``reason.goodwill.when``) said in the locale with the program's fact labels."""
    return {name: _condition(x, value) for name, value in args.items()}


def _condition(x: Ctx, value: Any) -> Any:
    if type(value) is tuple:  # a list of values (not a Msg or a MonthDay)
        return tuple(_condition(x, item) for item in value)
    if not isinstance(value, Msg):
        return value
    if value.key == "reason.goodwill.when":
        words = value.args.get("condition")
        if isinstance(words, str) and words in x.conditions:
            return x.conditions[words]  # "wenn „Fahrkarte“ „return“ ist"
    return Msg(value.key, _conditions(x, value.args))


def _text(x: Ctx, effect: _EffectBase, rewards: dict[str, str]) -> str:
    # Dispatched on the ``type`` tag: ``effects`` imports this module (for effects stored
    # before reasons were data), so it cannot import ``effects`` back.
    c = x.c
    e: Any = effect
    kind = e.type
    if kind == "points_earned":
        if e.status == "pending" and e.available_at is not None:
            text = c.t("effect.earned.pending", n=e.points,
                       date=c.date(e.available_at, x.zone))
        else:
            text = c.t("effect.earned", n=e.points)
        if e.expires_at is not None:
            text = c.t("effect.valid_until", text=text, date=x.last_day(e.expires_at))
        return text
    if kind == "points_released":
        return c.t("effect.released", n=e.points)
    if kind == "points_redeemed":
        return c.t("effect.redeemed", n=e.points,
                   reward=c.quote(rewards.get(e.reward_id, e.reward_id)))
    if kind == "points_revoked":
        text = c.t("effect.revoked", n=e.points)
        if e.debt_added:
            text = c.t("effect.revoked.debt", text=text, n=e.debt_added)
        return text
    if kind == "points_expired":
        return c.t("effect.expired", n=e.points)
    if kind == "voucher_issued":
        return c.t("effect.voucher", code=c.quote(e.voucher.code),
                   value=(c.quote(e.voucher.reward_id) if e.voucher.value is None
                          else c.money(e.voucher.value)))
    if kind == "voucher_cancelled":
        return c.t("effect.voucher.cancelled", code=c.quote(e.voucher.code), n=e.points)
    if kind == "goodwill_granted":
        what = (c.t("req.points", n=e.points) if e.points is not None
                else c.money(e.value))
        return c.t("effect.goodwill", complaint=e.complaint_id, what=what)
    if kind == "goodwill_pending":
        return c.t("effect.goodwill.pending", complaint=e.complaint_id)
    if kind == "goodwill_declined":
        return c.t(f"effect.goodwill.{e.outcome}", complaint=e.complaint_id)
    if kind == "gift_granted":
        gift = Gift(id=e.gift_id, name=e.name, kind=e.kind, value=e.value)
        text = c.t("effect.gift", gift=x.gift(gift))
        if e.valid_until is not None:
            text = c.t("effect.valid_until", text=text, date=x.last_day(e.valid_until))
        return text
    if kind == "gift_revoked":
        if e.charged_back:
            return c.t("effect.gift.charged_back", name=c.quote(e.name),
                       value=c.money(e.value))
        return c.t("effect.gift.revoked", name=c.quote(e.name))
    if kind == "message_suggested":
        return c.t("effect.message", channel=channel_words(c, e.channel))
    if kind == "tier_changed":
        if e.to_tier is None:
            return c.t("effect.tier.ended", tier=x.tiers((e.from_tier or "",)))
        return c.t(f"effect.tier.{e.change}", tier=x.tiers((e.to_tier,)))
    if kind == "tier_grace_started":
        return c.t("effect.tier.grace", tier=x.tiers((e.tier_id,)),
                   date=x.last_day(e.grace_until))
    raise KeyError(f"no phrase for effect {type(e).__name__}")
