"""The terms of the tier ladder, the gift scheme and the goodwill policy.

Imports: the tiers, gifts and goodwill declarations, ``terms.phrases`` and ``terms.document``.
"""

from __future__ import annotations

from ..conditions import Always
from ..gifts.gift import _OrderRule, _Rule
from ..gifts.order_rules import (
    CategoryGift,
    ClaimGift,
    FirstOrderGift,
    NthOrderGift,
    OrderOverGift,
    SurpriseGift,
)
from ..gifts.scheme import (
    AnniversaryGift,
    BirthdayGift,
    DriftRule,
    GiftScheme,
    SeasonalGift,
    ThankYouGift,
    TierGift,
    WelcomeGift,
)
from ..goodwill.policy import GoodwillPolicy, GoodwillRule
from ..limits import Period
from ..tiers.ladder import (
    CalendarYear,
    Lifetime,
    MembershipYear,
    MonthsFromQualifying,
    NoExpiry,
    RestOfPeriodAndNext,
    RollingMonths,
    TierLadder,
    UntilEndOfMonth,
)
from ..tiers.requirements import MinOrders, MinPoints, MinSpend, RequireAll, RequireAny
from .document import Item, Section
from .effects import channel_words
from .facts import category, fact_name, reductions
from .phrases import Ctx

__all__ = ["gift_section", "goodwill_section", "tier_section"]


# -- tiers -------------------------------------------------------------------------------------

def _met_by_all(req: object) -> bool:
    """Whether every member meets ``req`` whatever they do: 0 points, 0 orders, 0.00 spend."""
    if isinstance(req, MinPoints):
        return req.points == 0
    if isinstance(req, MinOrders):
        return req.count == 0
    if isinstance(req, MinSpend):
        return req.amount.amount == 0
    if isinstance(req, RequireAll):
        return all(_met_by_all(inner) for inner in req.requirements)
    if isinstance(req, RequireAny):
        return any(_met_by_all(inner) for inner in req.requirements)
    return False


def tier_section(x: Ctx, ladder: TierLadder) -> Section:
    """How members reach, keep and lose each tier, and what it brings."""
    c = x.c
    period = ladder.period
    if isinstance(period, RollingMonths):
        intro = c.t("tiers.period.rolling", n=period.months)
    else:
        intro = c.t(f"tiers.period.{period.type}")
    items = [Item(intro + " " + c.t("tiers.upgrade"))]
    for tier in ladder.tiers:
        if _met_by_all(tier.requires):  # "Requirement: 0 Stars" says nothing a customer needs
            text = c.t("tiers.tier.open", benefits=x.benefits(tier.benefits))
        else:
            text = c.t("tiers.tier", requirement=x.requirement(tier.requires),
                       benefits=x.benefits(tier.benefits))
        items.append(Item(text, label=tier.display_name))
    spend = []
    if ladder.include_categories:
        spend.append(c.t("tiers.spend.only_categories",
                         categories=x.categories(ladder.include_categories)))
    if ladder.exclude_categories:
        spend.append(c.t("tiers.spend.except_categories",
                         categories=x.categories(ladder.exclude_categories)))
    if ladder.exclude_skus:
        spend.append(c.t("tiers.spend.except_skus", skus=x.names(ladder.exclude_skus)))
    if spend:
        items.append(Item(" ".join(spend)))
    validity = ladder.validity
    if isinstance(validity, RestOfPeriodAndNext):
        year = "membership" if isinstance(period, MembershipYear) else "calendar"
        items.append(Item(c.t(f"tiers.validity.rest_and_next.{year}")))
    elif isinstance(validity, UntilEndOfMonth):
        which = "next" if validity.years == 1 else "after_next"
        items.append(Item(c.t(f"tiers.validity.month_end.{which}",
                              month=c.month(validity.month))))
    elif isinstance(validity, MonthsFromQualifying):
        items.append(Item(c.t("tiers.validity.months", n=validity.months)))
    else:
        items.append(Item(c.t("tiers.validity.none")))
    if not isinstance(validity, NoExpiry):
        down = ladder.downgrade
        sentences = [c.t(f"tiers.downgrade.{down.to}")]
        if down.grace_months or down.grace_days:
            sentences.append(c.t("tiers.grace",
                                 duration=x.duration(down.grace_months, down.grace_days)))
        if down.floor is not None:
            sentences.append(c.t("tiers.floor", tier=x.tiers((down.floor,))))
        items.append(Item(" ".join(sentences)))
    items.append(Item(c.t("tiers.on_return" if ladder.downgrade.on_return
                          else "tiers.no_return")))
    assert isinstance(period, CalendarYear | MembershipYear | RollingMonths | Lifetime)
    return Section(c.t("heading.tiers"), tuple(items))


# -- gifts -------------------------------------------------------------------------------------

def gift_section(x: Ctx, scheme: GiftScheme) -> Section | None:
    """Every gift rule: what it gives, when, to whom and within what limits."""
    if not scheme.rules:
        return None
    stocked = {s.id for s in scheme.stock}
    items = [Item(" ".join([_trigger(x, rule), *_rule_limits(x, rule, stocked)]))
             for rule in scheme.rules]
    return Section(x.c.t("heading.gifts"), tuple(items))


def _trigger(x: Ctx, rule: _Rule) -> str:
    c = x.c
    if isinstance(rule, FirstOrderGift):
        return c.t("gift.first_order", gift=x.gift(rule.gift))
    if isinstance(rule, NthOrderGift):
        return c.t("gift.nth_order", nth=c.ordinal(rule.every), gift=x.gift(rule.gift))
    if isinstance(rule, OrderOverGift):
        key = "gift.order_from" if rule.inclusive else "gift.order_over"
        return c.t(key, amount=c.money(rule.amount), gift=x.gift(rule.gift))
    if isinstance(rule, CategoryGift):
        parts = [c.t("gift.category", category=x.categories((s.category,)), gift=x.gift(s.gift))
                 for s in rule.samples]
        return " ".join([*parts, c.t("gift.category.favourite")])
    if isinstance(rule, SurpriseGift):
        chance = c.percent(rule.probability * 100)
        if rule.min_amount is None:
            return c.t("gift.surprise", chance=chance, gift=x.gift(rule.gift))
        return c.t("gift.surprise.over", chance=chance, amount=c.money(rule.min_amount),
                   gift=x.gift(rule.gift))
    if isinstance(rule, WelcomeGift):
        text = c.t("gift.welcome", gift=x.gift(rule.gift))
        if rule.within_days is not None:
            text += " " + c.t("gift.welcome.within", n=rule.within_days)
        return text
    if isinstance(rule, BirthdayGift):
        sentences = [c.t(f"gift.birthday.{rule.window}", gift=x.gift(rule.gift))]
        if rule.min_order is not None:
            sentences.append(c.t("gift.birthday.min_order", amount=c.money(rule.min_order)))
        if rule.ignore_changed_days is not None:
            sentences.append(c.t("gift.birthday.on_file", n=rule.ignore_changed_days))
        return " ".join(sentences)
    if isinstance(rule, AnniversaryGift):
        if not rule.years:
            return c.t("gift.anniversary", gift=x.gift(rule.gift))
        return c.t("gift.anniversary.years", gift=x.gift(rule.gift),
                   years=c.join([c.ordinal(year) for year in rule.years]))
    if isinstance(rule, TierGift):
        return c.t("gift.tier", tiers=x.tiers(rule.reached), gift=x.gift(rule.gift))
    if isinstance(rule, SeasonalGift):
        return _seasonal(x, rule)
    if isinstance(rule, ThankYouGift):
        return _thank_you(x, rule)
    if isinstance(rule, DriftRule):
        return _drift(x, rule)
    if isinstance(rule, ClaimGift):
        return c.t("gift.claim", name=x.event(rule.on), gift=x.gift(rule.gift))
    raise KeyError(f"no phrase for gift rule {type(rule).__name__}")


def _seasonal(x: Ctx, rule: SeasonalGift) -> str:
    c = x.c
    start, end = c.month_day(*rule.start_day), c.month_day(*rule.end_day)
    if rule.years:
        text = c.t("gift.seasonal.years", n=len(rule.years), start=start, end=end,
                   years=c.join([str(year) for year in rule.years]), gift=x.gift(rule.gift))
    else:
        text = c.t("gift.seasonal", start=start, end=end, gift=x.gift(rule.gift))
    if rule.top_percent is not None:
        text += " " + c.t("gift.seasonal.top", percent=c.percent(rule.top_percent))
    return text


def _thank_you(x: Ctx, rule: ThankYouGift) -> str:
    c = x.c
    needs = []
    if rule.orders is not None:
        needs.append(c.t("gift.thank_you.orders", n=rule.orders))
    if rule.spend is not None:
        needs.append(c.t("gift.thank_you.spend", amount=c.money(rule.spend)))
    period = c.t(f"gift.thank_you.period.{rule.per.value}")
    needs_text = c.join(needs, "or" if rule.match == "any" else "and")
    if rule.percent_of_spend is None:
        gift = x.gift(rule.gift)
    else:
        gift = c.t("gift.thank_you.share", percent=c.percent(rule.percent_of_spend),
                   max=c.money(rule.gift.value), name=c.quote(rule.gift.name))
    text = c.t("gift.thank_you", needs=needs_text, period=period, gift=gift)
    if rule.per is not Period.LIFETIME:
        text += " " + c.t("gift.thank_you.once", period=x.period(rule.per))
    return text


def _drift(x: Ctx, rule: DriftRule) -> str:
    c = x.c
    if rule.lookback_days is None:
        regular = c.t("gift.drift.regular_ever", n=rule.min_orders)
    else:
        regular = c.t("gift.drift.regular", n=rule.min_orders,
                      days=c.t("unit.days_dative", n=rule.lookback_days))
    text = c.t("gift.drift", n=rule.quiet_days, regular=regular,
               channel=channel_words(c, rule.message.channel))
    if rule.gift is not None:
        text += " " + c.t("gift.drift.gift", gift=x.gift(rule.gift))
    return text


def _rule_limits(x: Ctx, rule: _Rule, stocked: set[str]) -> list[str]:
    c = x.c
    out = []
    if rule.tiers:
        out.append(c.t("only_tiers", tiers=x.tiers(rule.tiers)))
    if rule.consents:
        out.append(c.t("needs_consent", consents=x.names(rule.consents)))
    if rule.when is not None and not isinstance(rule.when, Always):
        out.append(x.applies(rule.when))
    if rule.cap is not None:
        out.append(c.t("limit.sentence", limit=x.limit(rule.cap)))
    if rule.cooldown_days is not None:
        out.append(c.t("gift.cooldown", n=rule.cooldown_days))
    valid = {g.valid_days for g in rule.gifts() if g.valid_days is not None}
    out += [c.t("gift.valid", n=days) for days in sorted(valid)]
    if rule.budget is not None:
        out.append(c.t("gift.budget"))
    if any(g.stock in stocked for g in rule.gifts()):
        out.append(c.t("gift.stock"))
    if isinstance(rule, _OrderRule):
        out.append(c.t(f"gift.on_return.{rule.on_return}"))
    return out


# -- goodwill ----------------------------------------------------------------------------------

def goodwill_section(x: Ctx, policy: GoodwillPolicy) -> Section:
    """How complaints are compensated, within what limits, and who decides."""
    c = x.c
    items = [Item(c.t("goodwill.intro"))]
    items += [_goodwill_rule(x, rule) for rule in policy.rules]
    if any(rule.past_return_window is not None for rule in policy.rules):
        items.append(Item(c.t("goodwill.return_window", n=policy.return_window_days)))
    if policy.response_time is not None:
        rt = policy.response_time
        steps = [c.t("goodwill.step.late" if s.late_by_hours == 0 else "goodwill.step.hours",
                     factor=x.factor(s.factor), n=s.late_by_hours) for s in rt.steps]
        items.append(Item(c.t("goodwill.response", n=rt.promised_hours, steps=c.join(steps))))
    if policy.diminishing is not None and policy.diminishing.factors[-1] != 1:
        items.append(Item(_diminishing(x, policy)))
    bounds = []
    if policy.max_per_complaint is not None:
        bounds.append(c.t("goodwill.max", amount=c.money(policy.max_per_complaint)))
    bounds += [c.t("goodwill.cap", limit=x.limit(cap)) for cap in policy.caps]
    if policy.budget is not None:
        bounds.append(c.t("goodwill.budget", limit=x.limit(policy.budget)))
    if not policy.may_exceed_order_value:
        bounds.append(c.t("goodwill.order_value"))
    if policy.approval_above is not None:
        bounds.append(c.t("goodwill.approval_above", amount=c.money(policy.approval_above)))
    items += [Item(text) for text in bounds]
    items.append(Item(" ".join([c.t(f"goodwill.unknown.{policy.on_unknown_order}"),
                                c.t(f"goodwill.returned.{policy.on_returned_order}"),
                                _duplicate(x, policy)])))
    return Section(c.t("heading.goodwill"), tuple(items))


def _duplicate(x: Ctx, policy: GoodwillPolicy) -> str:
    """What a second complaint gets: about the same order and issue, or with the same
    values of the declared ``duplicate_key`` facts."""
    if not policy.duplicate_key:
        return x.c.t(f"goodwill.duplicate.{policy.on_duplicate}")
    facts = x.c.join([fact_name(x, f) for f in policy.duplicate_key])
    return x.c.t(f"goodwill.duplicate_key.{policy.on_duplicate}", facts=facts)


def _goodwill_rule(x: Ctx, rule: GoodwillRule) -> Item:
    c = x.c
    label = (c.join([category(x, cat) for cat in rule.categories], "or")
             if rule.categories else c.t("complaint.any"))
    conditions = []
    if rule.min_severity > 1:
        conditions.append(c.t("goodwill.if.severity", severity=c.number(rule.min_severity)))
    if rule.min_order_value is not None:
        conditions.append(c.t("goodwill.if.order_value", amount=c.money(rule.min_order_value)))
    if rule.tiers:
        conditions.append(c.t("goodwill.if.tiers", tiers=x.tiers(rule.tiers)))
    if rule.past_return_window is not None:
        conditions.append(c.t("goodwill.if.kulanz", n=rule.past_return_window))
    if rule.late_response is not None:
        conditions.append(c.t(f"goodwill.if.late.{str(rule.late_response).lower()}"))
    if rule.when is not None:
        conditions.append(x.condition(rule.when))
    if conditions:
        label = c.t("goodwill.label", label=label, conditions=", ".join(conditions))
    label = label[:1].upper() + label[1:]  # an English category starts the line
    sentences = [c.t("goodwill.rule", compensation=x.compensation(rule.compensation))]
    reduced = reductions(x, rule.compensation)
    if reduced is not None:
        sentences.append(reduced)
    if rule.by_severity is not None:
        sentences.append(c.t("goodwill.by_severity", factors=c.join(
            [x.factor(f) for f in rule.by_severity])))
    if rule.approval:
        sentences.append(c.t("goodwill.approval"))
    return Item(" ".join(sentences), label=label)


def _diminishing(x: Ctx, policy: GoodwillPolicy) -> str:
    c = x.c
    assert policy.diminishing is not None
    factors = policy.diminishing.factors
    tail = len(factors) - 1
    while tail > 0 and factors[tail - 1] == factors[-1]:
        tail -= 1
    steps = []
    for index, factor in enumerate(factors[: tail + 1]):
        if factor != 1:
            key = "goodwill.diminishing.from" if index == tail else "goodwill.diminishing.nth"
            steps.append(c.t(key, nth=c.ordinal(index + 1), factor=x.factor(factor)))
    return c.t("goodwill.diminishing", n=policy.diminishing.window_days,
               steps=c.join(steps))
