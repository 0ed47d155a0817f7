"""The store credit section of the terms: currency, oldest first, validity, refusal, and
the periodic reward.

Imports: ``credit.scheme``, ``credit.periodic``, ``money`` and the ``terms`` modules.
"""

from __future__ import annotations

from ..credit.periodic import PeriodicReward
from ..credit.scheme import StoreCredit
from ..money import Rounding
from .document import Item, Section
from .phrases import Ctx

__all__ = ["credit_section"]


def credit_section(x: Ctx, credit: StoreCredit, currency: str) -> Section:
    """What store credit is worth, how it is used, how long it is valid."""
    c = x.c
    years = credit.expires_after_years
    if years is None:
        validity = c.t("credit.forever")
    elif credit.until_end_of is None:
        validity = c.t("credit.valid", n=years)
    else:
        validity = c.t(f"credit.valid.end_of_{credit.until_end_of}", n=years)
    items: tuple[Item, ...] = (Item(c.t("credit.intro", currency=currency)), Item(validity),
                               Item(c.t("credit.refused")))
    if credit.periodic is not None:
        items += (periodic_item(x, credit.periodic),)
    return Section(c.t("heading.credit"), items)


def periodic_item(x: Ctx, reward: PeriodicReward) -> Item:
    """The periodic reward: share, issue day, what is left out, minimum, rounding, returns."""
    c = x.c
    sentences = [_when(x, reward)]
    if reward.exclude_categories:
        sentences.append(c.t("credit.periodic.except_categories",
                             categories=x.categories(reward.exclude_categories)))
    if reward.exclude_discounted:
        sentences.append(c.t("credit.periodic.except_discounted"))
    sentences.append(c.t("credit.periodic.returns"))
    rounding = {Rounding.DOWN: "down", Rounding.FLOOR: "down", Rounding.UP: "up",
                Rounding.CEILING: "up"}.get(reward.rounding, "half")
    sentences.append(c.t(f"credit.periodic.rounded.{rounding}"))
    if reward.minimum is not None and reward.minimum.amount > 0:
        sentences.append(c.t("credit.periodic.minimum", amount=c.money(reward.minimum)))
    return Item(" ".join(sentences))


def _span(x: Ctx, reward: PeriodicReward) -> str:
    """"Each calendar quarter", "Each year from April to March": the period, as a phrase."""
    c = x.c
    start = reward.start_month
    if start == 1:
        return c.t(f"credit.periodic.span.{reward.period}")
    if reward.period == "year":
        return c.t("credit.periodic.span.year.from", first=c.month(start),
                   last=c.month((start + 10) % 12 + 1))
    firsts = sorted((start - 1 + k * reward.months) % 12 + 1
                    for k in range(12 // reward.months))
    return c.t(f"credit.periodic.span.{reward.period}.from",
               months=c.join([c.month(m) for m in firsts]))


def _when(x: Ctx, reward: PeriodicReward) -> str:
    """The first sentence: the period, the share, and when it is paid."""
    c = x.c
    share = c.percent(reward.share)
    if reward.issue_on is not None:
        month, day = int(reward.issue_on[:2]), int(reward.issue_on[3:])
        if reward.start_month == 1:
            return c.t("credit.periodic", share=share, day=c.month_day(month, day))
        return c.t("credit.periodic.on", span=_span(x, reward), share=share,
                   day=c.month_day(month, day))
    if reward.issue_after_days:
        return c.t("credit.periodic.after", n=reward.issue_after_days, span=_span(x, reward),
                   share=share)
    return c.t("credit.periodic.at_end", span=_span(x, reward), share=share)
