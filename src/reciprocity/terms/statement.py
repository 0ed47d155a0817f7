"""A member's statement: points by lot with expiry, pending points, tier progress, vouchers,
gifts within reach and recent effects, in the customer's language: :func:`member_statement`.

The state is first advanced to ``at`` on a copy (expiry and pending release up to that time
show, as :meth:`~reciprocity.Program.advance` would fire them); the state passed in is not
changed.

Imports: the core (``_model``, ``effects``, ``state``, ``shared``), the reports of the tiers
and gifts families, and the ``terms`` modules; ``program`` only for typing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from .._model import require_aware
from ..effects import _EffectBase
from ..errors import InvalidEvent
from ..facts import label_in
from ..gifts.eligibility import GiftNeed, gift_eligibility
from ..gifts.gift import Gift
from ..money import Money
from ..points.scheme import Inactivity, PointScheme
from ..shared import SharedState
from ..state import MemberState, PointBalance
from ..tiers.check import tier_progress
from ..tiers.ladder import MetricGap, TierProgress
from .document import Document, Item, Section, check_format
from .effects import render_effect
from .phrases import Ctx
from .render import balance_heading, context

if TYPE_CHECKING:
    from ..program import Program

__all__ = ["Statement", "member_statement"]


@dataclass(frozen=True)
class Statement:
    """A member's statement: render it with :meth:`to_text` or :meth:`to_markdown`, or send
    :meth:`to_dict` to a web page (the figures as data, and the same sentences)."""

    document: Document
    data: dict[str, Any]

    def render(self, format: str = "text") -> str:
        """The statement as ``"text"`` or ``"markdown"``."""
        return self.document.render(check_format(format))

    def to_text(self) -> str:
        """The statement as plain text."""
        return self.document.render("text")

    def to_markdown(self) -> str:
        """The statement as Markdown."""
        return self.document.render("markdown")

    def to_dict(self) -> dict[str, Any]:
        """Figures (JSON-ready) and the rendered sections, for a web page."""
        return {**self.data, "document": self.document.to_dict()}

    def __str__(self) -> str:
        return self.to_text()


def member_statement(program: Program, state: MemberState, at: datetime, locale: str = "en",
                     *, effects: Iterable[_EffectBase] = (),
                     shared: SharedState | None = None) -> Statement:
    """The statement of ``state`` under ``program`` at ``at`` (see
    :meth:`reciprocity.Program.statement`)."""
    if not isinstance(state, MemberState):
        raise InvalidEvent(f"state has type {type(state).__name__}",
                           hint="pass the member's MemberState")
    at = require_aware(at)
    x = context(program, locale)
    c = x.c
    recent = list(effects)
    if state.as_of is None or at > state.as_of:
        advanced = program.advance(state, at, shared=shared)
        state, recent = advanced.state, recent + list(advanced.effects)
    own = x.for_balance(None)
    heading = own.c.t("heading.points")
    if label_in(program.points.labels, locale) is not None:  # the own points' label
        heading = balance_heading(c, heading, program.points, "", locale)
    sections = [_points(own, program.points, state, heading)]
    data: dict[str, Any] = {
        "member_id": state.member_id, "at": at.astimezone(x.zone).isoformat(), "locale": locale,
        "currency": program.currency, "points": _figures(state),
    }
    for name, scheme in program.balances.items():  # each of Program.balances, by name
        part = (state.balances or {}).get(name) or PointBalance()
        in_unit = x.for_balance(name)
        heading = balance_heading(c, in_unit.c.t("heading.points"), scheme, name, locale)
        sections.append(_points(in_unit, scheme, part, heading))
        data.setdefault("balances", {})[name] = _figures(part)
    if program.tiers is not None:
        progress = tier_progress(program, state, at)
        sections.append(_tier(x, progress))
        data["tier"] = progress.model_dump(mode="json")
    vouchers = [v for v in state.vouchers if v.expires_at is None or v.expires_at > at]
    if vouchers:
        names = {r.id: r.name for scheme in (program.points, *program.balances.values())
                 for r in scheme.rewards}
        items = []
        for v in vouchers:
            reward = c.quote(names.get(v.reward_id, v.reward_id))
            text = (c.t("statement.voucher.reward", reward=reward) if v.value is None
                    else c.t("statement.voucher", value=c.money(v.value), reward=reward))
            text += " " + (c.t("statement.valid_until", date=x.last_day(v.expires_at))
                           if v.expires_at is not None else c.t("statement.valid_always"))
            items.append(Item(text, label=v.code))
        sections.append(Section(c.t("heading.vouchers"), tuple(items)))
        data["vouchers"] = [v.model_dump(mode="json") for v in vouchers]
    if program.gifts is not None:
        options = gift_eligibility(program, state, at, shared=shared)
        if options:
            sections.append(Section(c.t("heading.gifts_open"), tuple(
                _gift_option(x, o.gift, o.needs, o.available_from) for o in options)))
        data["gifts"] = [o.model_dump(mode="json") for o in options]
    rewards = {r.id: r.name for r in program.points.rewards}
    if recent:
        sections.append(Section(c.t("heading.recent"), tuple(
            Item(render_effect(x, e, rewards), label=c.date(e.at, x.zone)) for e in recent)))
    data["effects"] = [{"type": getattr(e, "type", ""), "at": e.at.isoformat(),
                        "rule_id": e.rule_id, "reason": e.reason,
                        "text": render_effect(x, e, rewards)} for e in recent]
    title = c.t("statement.title", member=state.member_id, date=c.date(at, x.zone))
    return Statement(Document(title, tuple(sections)), data)


def _figures(part: MemberState | PointBalance) -> dict[str, Any]:
    return {"available": part.available_points, "pending": part.pending_points,
            "debt": part.debt,
            "lots": [lot.model_dump(mode="json") for lot in part.lots if lot.remaining]}


def _points(x: Ctx, scheme: PointScheme, state: MemberState | PointBalance,
            heading: str) -> Section:
    c = x.c
    items = [Item(c.t("statement.available", n=state.available_points))]
    if state.debt:
        items.append(Item(c.t("statement.debt", n=state.debt)))
    for lot in sorted(state.lots, key=lambda lot: (lot.status, lot.earned_at)):
        if not lot.remaining:
            continue
        earned = c.date(lot.earned_at, x.zone)
        if lot.status == "pending":
            text = (c.t("statement.lot.pending", n=lot.remaining, earned=earned,
                        date=c.date(lot.available_at, x.zone))
                    if lot.available_at is not None
                    else c.t("statement.lot.pending_event", n=lot.remaining, earned=earned))
        elif lot.expires_at is not None:
            text = c.t("statement.lot", n=lot.remaining, earned=earned,
                       date=x.last_day(lot.expires_at))
        else:
            text = c.t("statement.lot.no_expiry", n=lot.remaining, earned=earned)
        items.append(Item(text))
    expiry = scheme.expiry
    if (isinstance(expiry, Inactivity) and state.last_activity_at is not None
            and state.available_points):
        due = expiry.due(state.last_activity_at, x.zone)
        items.append(Item(c.t("statement.inactivity", date=x.last_day(due))))
    return Section(heading, tuple(items))


def _gaps(x: Ctx, alternatives: tuple[tuple[MetricGap, ...], ...]) -> str:
    c = x.c

    def gap(g: MetricGap) -> str:
        if not isinstance(g.missing, int):
            return c.money(g.missing)
        if g.metric == "orders":
            return c.t("req.orders", n=g.missing)
        if g.unit in x.progress_units:  # the balance's own unit
            return c.with_unit(x.progress_units[g.unit]).t("req.points", n=g.missing)
        if g.unit == "points":
            return c.t("req.points", n=g.missing)
        return c.t("req.points_labelled", points=c.number(g.missing),
                   label=c.quote(x.unit_labels.get(g.unit, g.unit)))

    return c.join([c.join([gap(g) for g in alt]) for alt in alternatives], "or")


def _tier(x: Ctx, p: TierProgress) -> Section:
    c = x.c
    items = []
    if p.tier_id is None:
        items.append(Item(c.t("statement.tier.none")))
    else:
        text = c.t("statement.tier", tier=x.tiers((p.tier_id,)))
        text += " " + (c.t("statement.valid_until", date=x.last_day(p.valid_until))
                       if p.valid_until is not None else c.t("statement.tier.for_good"))
        if p.grace_until is not None:
            text += " " + c.t("statement.tier.grace", date=x.last_day(p.grace_until))
        items.append(Item(text))
    if p.next_tier_id is not None and p.missing:
        tier, gaps = x.tiers((p.next_tier_id,)), _gaps(x, p.missing)
        items.append(Item(c.t("statement.tier.next_by", gaps=gaps, tier=tier,
                              date=x.last_day(p.by)) if p.by is not None
                          else c.t("statement.tier.next", gaps=gaps, tier=tier)))
    if p.tier_id is not None and p.keep_missing:
        tier, gaps = x.tiers((p.tier_id,)), _gaps(x, p.keep_missing)
        items.append(Item(c.t("statement.tier.keep_by", gaps=gaps, tier=tier,
                              date=x.last_day(p.keep_by)) if p.keep_by is not None
                          else c.t("statement.tier.keep", gaps=gaps, tier=tier)))
    if p.metrics:
        items.append(Item(c.t("statement.tier.metrics", values=_values(x, p, False))))
        if any(value.previous for value in p.metrics):  # a last period that counted
            items.append(Item(c.t("statement.tier.metrics.previous",
                                  values=_values(x, p, True))))
    return Section(c.t("heading.tier"), tuple(items))


def _values(x: Ctx, p: TierProgress, previous: bool) -> str:
    """Every qualification metric, now or in the last period, as a list in words."""
    c = x.c
    out = []
    for value in p.metrics:
        v = value.previous if previous else value.current
        if isinstance(v, Money):
            out.append(c.t("req.spend", amount=c.money(v)))
            continue
        count = v or 0
        if value.metric == "orders":
            out.append(c.t("req.orders", n=count))
        elif value.unit in x.progress_units:  # the balance's own unit
            out.append(c.with_unit(x.progress_units[value.unit]).t("req.points", n=count))
        elif value.unit == "points":
            out.append(c.t("req.points", n=count))
        else:
            out.append(c.t("req.points_labelled", points=c.number(count),
                           label=c.quote(x.unit_labels.get(value.unit, value.unit))))
    return c.join(out)


def _gift_option(x: Ctx, gift: Gift, needs: tuple[GiftNeed, ...],
                 available_from: datetime | None) -> Item:
    c = x.c
    text = x.gift(gift)
    if needs:
        text = c.t("statement.gift.missing", gift=text,
                   missing=c.join([need_text(x, need) for need in needs]))
    elif available_from is not None:
        text = c.t("statement.gift.from", gift=text, date=c.date(available_from, x.zone))
    else:
        text = c.t("statement.gift.ready", gift=text)
    return Item(text)


def need_text(x: Ctx, need: GiftNeed) -> str:
    """One thing a member still needs for a gift, in the catalogue's locale."""
    c = x.c
    key, v = need.key, cast(dict[str, Any], need.values)  # the values are known per key
    if key == "orders_more":
        text = c.t("need.orders_more", n=v["n"])
    elif key == "order_over":
        text = c.t("need.order_from" if v["inclusive"] else "need.order_over",
                   amount=c.money(v["amount"]))
    elif key == "order_with":
        text = c.t("need.order_with", category=x.categories((v["category"],)))
    elif key == "birthday_order":
        text = c.t(f"need.birthday_order.{v['window']}", amount=c.money(v["amount"]))
    elif key == "tier":
        text = c.t("need.tier", tiers=x.tiers(tuple(v["tiers"])))
    elif key == "consent":
        text = c.t("need.consent", consent=c.quote(v["consent"]))
    elif key == "condition":
        assert need.condition is not None
        return c.t("need.condition", condition=x.condition(need.condition))
    elif key == "wait":
        text = c.t("need.wait", date=c.date(v["until"], x.zone))
    elif key == "budget":
        text = (c.t("need.budget") if v["renews"] is None
                else c.t("need.budget.renews", date=c.date(v["renews"], x.zone)))
    elif key == "top_spend":
        share, year = c.percent(v["percent"]), str(v["year"])
        text = (c.t("need.top_spend", percent=share, year=year) if v["spend"] is None
                else c.t("need.top_spend.more", amount=c.money(v["spend"]), percent=share,
                         year=year))
    elif key == "thank_you":
        parts = ([c.t("need.orders_more", n=v["orders"])] if v["orders"] else []) + (
            [c.t("need.spend_more", amount=c.money(v["spend"]))] if v["spend"] else [])
        when = ("need.when.all" if v["when"] == "all"
                else f"need.when.{v['when']}.{v['per']}")
        text = c.t("need.thank_you", parts=c.join(parts, "or" if v["match"] == "any"
                                                   else "and"), when=c.t(when))
    else:  # first_order, sign_up, birthday, stock: no values
        text = c.t(f"need.{key}")
    if need.condition is not None:
        text = c.t("need.where", text=text, condition=x.condition(need.condition))
    return text
