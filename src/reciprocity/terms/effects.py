"""Effects in the customer's language, from their data (never from their English ``reason``).

Imports: ``effects``, ``terms.phrases`` and the gifts declarations (for a gift's phrase).
"""

from __future__ import annotations

from ..effects import (
    GiftGranted,
    GiftRevoked,
    GoodwillDeclined,
    GoodwillGranted,
    GoodwillPending,
    MessageSuggested,
    PointsEarned,
    PointsExpired,
    PointsRedeemed,
    PointsReleased,
    PointsRevoked,
    TierChanged,
    TierGraceStarted,
    VoucherCancelled,
    VoucherIssued,
    _EffectBase,
)
from ..gifts.gift import Gift
from .phrases import Ctx

__all__ = ["render_effect"]


def render_effect(x: Ctx, effect: _EffectBase, rewards: dict[str, str] | None = None) -> str:
    """One effect as a short sentence in the catalogue's locale.

    ``rewards`` maps reward ids to names (for redemptions).
    """
    c = x.c
    text = _text(x, effect, rewards or {})
    if effect.event_id is not None and not isinstance(effect, GoodwillGranted | GoodwillPending
                                                        | GoodwillDeclined):
        text = c.t("effect.with_event", text=text, event=effect.event_id)
    return text


def _text(x: Ctx, e: _EffectBase, rewards: dict[str, str]) -> str:
    c = x.c
    if isinstance(e, PointsEarned):
        if e.status == "pending" and e.available_at is not None:
            text = c.t("effect.earned.pending", n=e.points,
                       date=c.date(e.available_at, x.zone))
        else:
            text = c.t("effect.earned", n=e.points)
        if e.expires_at is not None:
            text = c.t("effect.valid_until", text=text, date=x.last_day(e.expires_at))
        return text
    if isinstance(e, PointsReleased):
        return c.t("effect.released", n=e.points)
    if isinstance(e, PointsRedeemed):
        return c.t("effect.redeemed", n=e.points,
                   reward=c.quote(rewards.get(e.reward_id, e.reward_id)))
    if isinstance(e, PointsRevoked):
        text = c.t("effect.revoked", n=e.points)
        if e.debt_added:
            text = c.t("effect.revoked.debt", text=text, n=e.debt_added)
        return text
    if isinstance(e, PointsExpired):
        return c.t("effect.expired", n=e.points)
    if isinstance(e, VoucherIssued):
        return c.t("effect.voucher", code=c.quote(e.voucher.code),
                   value=(c.quote(e.voucher.reward_id) if e.voucher.value is None
                          else c.money(e.voucher.value)))
    if isinstance(e, VoucherCancelled):
        return c.t("effect.voucher.cancelled", code=c.quote(e.voucher.code), n=e.points)
    if isinstance(e, GoodwillGranted):
        what = (c.t("req.points", n=e.points) if e.points is not None
                else c.money(e.value))
        return c.t("effect.goodwill", complaint=e.complaint_id, what=what)
    if isinstance(e, GoodwillPending):
        return c.t("effect.goodwill.pending", complaint=e.complaint_id)
    if isinstance(e, GoodwillDeclined):
        return c.t(f"effect.goodwill.{e.outcome}", complaint=e.complaint_id)
    if isinstance(e, GiftGranted):
        gift = Gift(id=e.gift_id, name=e.name, kind=e.kind, value=e.value)
        text = c.t("effect.gift", gift=x.gift(gift))
        if e.valid_until is not None:
            text = c.t("effect.valid_until", text=text, date=x.last_day(e.valid_until))
        return text
    if isinstance(e, GiftRevoked):
        if e.charged_back:
            return c.t("effect.gift.charged_back", name=c.quote(e.name),
                       value=c.money(e.value))
        return c.t("effect.gift.revoked", name=c.quote(e.name))
    if isinstance(e, MessageSuggested):
        return c.t("effect.message", channel=c.quote(e.channel))
    if isinstance(e, TierChanged):
        if e.to_tier is None:
            return c.t("effect.tier.ended", tier=x.tiers((e.from_tier or "",)))
        return c.t(f"effect.tier.{e.change}", tier=x.tiers((e.to_tier,)))
    if isinstance(e, TierGraceStarted):
        return c.t("effect.tier.grace", tier=x.tiers((e.tier_id,)),
                   date=x.last_day(e.grace_until))
    raise KeyError(f"no phrase for effect {type(e).__name__}")
