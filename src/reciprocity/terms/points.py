"""The point scheme's terms: how points are earned, when they arrive, expire, and what they buy.

Imports: the points declarations, ``money``, ``terms.phrases`` and ``terms.document``.
"""

from __future__ import annotations

from datetime import date, timedelta

from ..conditions import Always
from ..money import Rounding
from ..points.rules import (
    CampaignMultiplier,
    CategoryMultiplier,
    PointsForEvent,
    PointsPerAmount,
    PointsPerPurchase,
    TierMultiplier,
    _EarnBase,
)
from ..points.scheme import (
    CalendarCutoff,
    EndOfMonthAfter,
    EndOfQuarterAfter,
    FixedLifetime,
    Inactivity,
    PointsAsCurrency,
    PointScheme,
    Reward,
    Validity,
)
from .document import Item, Section
from .phrases import Ctx

__all__ = ["point_sections"]


def point_sections(x: Ctx, scheme: PointScheme, gives_points: bool = False,
                   exempt_tiers: tuple[str, ...] = ()) -> list[Section]:
    """The earning, expiry and reward sections of a scheme (empty parts are left out; the
    expiry is stated when points can be had at all: ``gives_points`` for other families).
    ``exempt_tiers``: the ids of the tiers whose points do not expire
    (``TierBenefits.points_expire=False``), said after the expiry rule."""
    sections = []
    earning = [_earn(x, rule) for rule in scheme.earn] + [_event(x, r) for r in scheme.events]
    if earning:
        earning += _after_order(x, scheme)
        sections.append(Section(x.c.t("heading.earn"), tuple(earning)))
    if earning or scheme.rewards or scheme.expiry is not None or gives_points:
        expiry = _expiry(x, scheme)
        if exempt_tiers:
            expiry += (Item(x.c.t("expiry.by_tier", tiers=x.tiers(exempt_tiers))),)
        sections.append(Section(x.c.t("heading.expiry"), expiry))
    if scheme.rewards:
        rewards = [_reward(x, item) for item in scheme.rewards]
        if scheme.min_balance:
            rewards.append(Item(x.c.t("redeem.min_balance", n=scheme.min_balance)))
        rewards.append(Item(x.c.t(f"redeem.order.{scheme.redemption_order}")))
        sections.append(Section(x.c.t("heading.rewards"), tuple(rewards)))
    return sections


# -- earning ----------------------------------------------------------------------------------

def _earn(x: Ctx, rule: PointsPerPurchase | PointsPerAmount) -> Item:
    c = x.c
    if isinstance(rule, PointsPerPurchase):
        if rule.min_amount is None:
            sentence = c.t("earn.per_purchase", n=rule.points)
        else:
            key = "earn.per_purchase.from" if rule.inclusive else "earn.per_purchase.over"
            sentence = c.t(key, n=rule.points, amount=c.money(rule.min_amount))
        sentences = [sentence]
    else:
        sentences = [c.t("earn.per_amount", n=rule.points, per=c.money(rule.per))]
        remainder = {Rounding.DOWN: "down", Rounding.FLOOR: "down", Rounding.UP: "up",
                     Rounding.CEILING: "up"}.get(rule.rounding, "half")
        sentences.append(c.t(f"earn.remainder.{remainder}", per=c.money(rule.per)))
        if rule.include_categories:
            sentences.append(c.t("earn.only_categories",
                                 categories=x.categories(rule.include_categories)))
        if rule.exclude_categories:
            sentences.append(c.t("earn.except_categories",
                                 categories=x.categories(rule.exclude_categories)))
        if rule.exclude_skus:
            sentences.append(c.t("earn.except_skus", skus=x.names(rule.exclude_skus)))
    return Item(" ".join(sentences + _qualifiers(x, rule)))


def _event(x: Ctx, rule: PointsForEvent) -> Item:
    c = x.c
    if rule.on == "signup":
        sentence = c.t("earn.signup", n=rule.points)
    elif rule.on == "profile_completed":
        sentence = c.t("earn.profile", n=rule.points, fields=x.names(rule.required_fields))
    elif rule.max_points is not None:  # the event names its points, within bounds
        sentence = " ".join((
            c.t("earn.custom.named", n=rule.max_points, name=x.event(rule.name or ""),
                low=c.number(rule.min_points)),
            c.t("earn.custom.named.refused")))
    else:
        sentence = c.t("earn.custom", n=rule.points, name=x.event(rule.name or ""))
    return Item(" ".join([sentence, *_qualifiers(x, rule)]))


def _qualifiers(x: Ctx, rule: _EarnBase) -> list[str]:
    """Multipliers, conditions and caps of an earning rule, one sentence each."""
    c = x.c
    out = []
    for multiplier in rule.multipliers:
        if isinstance(multiplier, TierMultiplier):
            out.append(c.t("earn.multiplier.tier"))
        elif isinstance(multiplier, CampaignMultiplier):
            out.append(x.applies(multiplier.when, "earn.multiplier.campaign",
                                 name=c.quote(multiplier.name),
                                 factor=x.factor(multiplier.factor)))
        elif isinstance(multiplier, CategoryMultiplier):
            out.append(c.t("earn.multiplier.category", factor=x.factor(multiplier.factor),
                           categories=x.categories(multiplier.categories, "or")))
    if len(rule.multipliers) > 1:
        out.append(c.t(f"earn.stacking.{rule.stacking}"))
    if rule.when is not None and not isinstance(rule.when, Always):
        out.append(x.applies(rule.when))
    for cap in rule.caps:
        period = x.period(cap.per)
        out.append(c.t("earn.cap", n=cap.points, period=period))
    return out


def _after_order(x: Ctx, scheme: PointScheme) -> list[Item]:
    c = x.c
    items = []
    if scheme.pending_days and scheme.release_on:
        items.append(Item(c.t("pending.days_or_event", n=scheme.pending_days,
                              event=x.event(scheme.release_on))))
    elif scheme.pending_days:
        items.append(Item(c.t("pending.days", n=scheme.pending_days)))
    elif scheme.release_on:
        items.append(Item(c.t("pending.event", event=x.event(scheme.release_on))))
    if scheme.earn:  # points that buy nothing are never spent: no word on spent ones
        items.append(Item(" ".join([c.t("returns.clawback")] + (
            [c.t(f"returns.{scheme.clawback}")] if scheme.redeemable else []))))
    return items


# -- expiry ------------------------------------------------------------------------------------

def _expiry(x: Ctx, scheme: PointScheme) -> tuple[Item, ...]:
    c = x.c
    rule = scheme.expiry
    if rule is None:
        return (Item(c.t("expiry.never")),)
    if isinstance(rule, FixedLifetime):
        text = c.t("expiry.lifetime", duration=x.duration(rule.months, rule.days))
    elif isinstance(rule, EndOfMonthAfter):
        text = (c.t("expiry.end_of_month") if rule.months == 0
                else c.t("expiry.end_of_month_after", n=rule.months))
    elif isinstance(rule, EndOfQuarterAfter):
        text = (c.t("expiry.end_of_quarter") if rule.months == 0
                else c.t("expiry.end_of_quarter_after", n=rule.months))
    elif isinstance(rule, CalendarCutoff):
        start = date(2001, rule.month, rule.day) + timedelta(days=1)
        text = c.t("expiry.cutoff", n=rule.years, cutoff=c.month_day(rule.month, rule.day),
                   start=c.month_day(start.month, start.day))
    elif isinstance(rule, Inactivity):
        text = c.t("expiry.inactivity", n=rule.months)
    else:  # pragma: no cover - the union is closed
        raise KeyError(f"no phrase for expiry {type(rule).__name__}")
    return (Item(text),)


# -- rewards -----------------------------------------------------------------------------------

def _validity(x: Ctx, validity: Validity) -> str:
    key = "voucher.valid_next_month" if validity.start == "next_month" else "voucher.valid_for"
    return x.c.t(key, duration=x.duration(validity.months, validity.days))


def _reward(x: Ctx, item: Reward | PointsAsCurrency) -> Item:
    c = x.c
    if isinstance(item, Reward):
        # A reward without a money value (a free drink) is named instead of valued.
        sentences = [c.t("reward.item", n=item.points, item=c.quote(item.name))
                     if item.value is None else
                     c.t("reward.voucher", n=item.points, value=c.money(item.value))]
        if item.valid_days is not None:
            sentences.append(c.t("voucher.valid_for",
                                 duration=c.t("unit.days", n=item.valid_days)))
        elif item.validity is not None:
            sentences.append(_validity(x, item.validity))
        if item.auto_issue:
            sentences.append(c.t("reward.auto_issue", n=item.points))
    else:
        sentences = [c.t("reward.pay", value=c.money(item.point_value)),
                     c.t("reward.pay_min", n=item.min_points)]
        if item.step > 1:
            sentences.append(c.t("reward.pay_step", n=item.step))
        if item.validity is not None:
            sentences.append(_validity(x, item.validity))
    return Item(" ".join(sentences), label=item.name)
