"""Which gifts can a member still get, and what is missing for each? (Transparency.)

The report runs on a copy of the member's state advanced to the asked time (date-driven
gifts due by then are counted as given), so it never changes anything. It reuses the
compiled rules, so it says exactly what the engine would do.

Imports: the core, the gifts declarations and compiled helpers, and ``gifts.stage`` (it reads
the compiled scheme); ``program`` only for typing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

from dateutil.relativedelta import relativedelta
from pydantic import Field

from .._engine import Member, Row
from .._model import Frozen, Instant, NonEmptyStr, require_aware
from ..conditions import Condition
from ..errors import InvalidEvent
from ..limits import Period
from ..money import Money
from ..shared import Shared, SharedState
from ..state import MemberState
from .calendar import birthday_window
from .gift import Gift, _OrderRule, percent
from .hot import TIME, Compiled, Hot, days, fmt_date, period_key
from .order_rules import CategoryGift, ClaimGift, FirstOrderGift, NthOrderGift, OrderOverGift
from .scheme import AnniversaryGift, BirthdayGift, SeasonalGift, ThankYouGift, TierGift, WelcomeGift
from .stage import CompiledGifts

if TYPE_CHECKING:
    from ..names import ProgramWords
    from ..program import Program

__all__ = ["GiftNeed", "GiftOption", "gift_eligibility"]

_ZERO = Decimal(0)


NeedValue = bool | int | Money | Instant | Decimal | str | tuple[str, ...] | None
"""What a :class:`GiftNeed` value can be."""


class GiftNeed(Frozen):
    """One thing a member still needs for a gift, as data: a ``key`` and its ``values``.

    ``text`` is the need in English (an entry of :attr:`GiftOption.missing`); the key and
    values let a statement say it in another language. Keys: ``first_order``,
    ``orders_more`` (``n``), ``order_over`` (``amount``, ``inclusive``), ``order_with``
    (``category``), ``sign_up``, ``birthday``, ``birthday_order`` (``amount``, ``window``),
    ``tier`` (``tiers``), ``consent`` (``consent``), ``condition``, ``wait`` (``until``),
    ``budget`` (``renews``), ``stock``, ``claim``, ``top_spend`` (``percent``, ``year``, ``spend``),
    ``thank_you`` (``orders``, ``spend``, ``match``, ``when``, ``per``). ``condition`` is a
    further condition the need comes with (an order rule's ``when``).
    """

    key: NonEmptyStr
    text: NonEmptyStr
    values: dict[str, NeedValue] = Field(default_factory=dict)
    condition: Condition | None = None


def _need(key: str, text: str, condition: Condition | None = None, **values: Any) -> GiftNeed:
    return GiftNeed.model_construct(key=key, text=text, values=values, condition=condition)


class GiftOption(Frozen):
    """A gift a member can still get, and what is missing for it, in plain words.

    Returned by :func:`~reciprocity.gift_eligibility`. ``missing`` is empty when nothing is
    missing: the gift comes at ``available_from`` (a date-driven gift) or with the next
    event that triggers it.
    """

    rule_id: NonEmptyStr
    gift: Gift
    description: str
    """The rule in plain words."""
    missing: tuple[str, ...] = ()
    """What the member still needs: ``"2 more orders"``, ``"consent to email"``."""
    needs: tuple[GiftNeed, ...] = ()
    """The same as data, one :class:`GiftNeed` per entry of ``missing``."""
    available_from: Instant | None = None
    """When a date-driven gift comes next (birthday, anniversary, season)."""

    @property
    def ready(self) -> bool:
        """Whether nothing is missing."""
        return not self.missing


def gift_eligibility(program: Program, state: MemberState | None, at: datetime, *,
                     shared: SharedState | None = None) -> tuple[GiftOption, ...]:
    """The gifts a member can still get under ``program``, and what is missing for each.

    Each :class:`~reciprocity.GiftOption` names the rule and the gift (with its value),
    describes the rule, and lists what is missing in plain words ("2 more orders",
    "consent to email", "reach tier Gold", in the terms' words: tier names, the labels of
    categories and facts); date-driven gifts say when they come next
    (``available_from``). Gifts the member can no longer get (a first-order gift after the
    first order, a welcome gift already given, a lifetime cap reached) are left out, and so
    are surprises and win-back gifts. The answer is "as of ``at``": the state is advanced
    to ``at`` on a copy first; rankings are read from ``shared`` as it is.

    Args:
        program: the program.
        state: the member's state, or ``None`` for someone the program has not seen.
        at: the time to answer for (aware).
        shared: the program-wide state, for budgets, stock and rankings.

    >>> from datetime import datetime
    >>> from zoneinfo import ZoneInfo
    >>> from reciprocity import (Gift, GiftScheme, Money, NthOrderGift, Program,
    ...                          Purchase, WelcomeGift)
    >>> ebook = Gift(id="ebook", name="tea e-book", kind="e-book", value=Money("4.99", "EUR"))
    >>> box = Gift(id="box", name="sample box", kind="sample", value=Money("6.00", "EUR"))
    >>> program = Program(name="Tea club", timezone="Europe/Berlin", gifts=GiftScheme(rules=(
    ...     WelcomeGift(id="welcome", gift=ebook, consents=("email",)),
    ...     NthOrderGift(id="every-3rd", every=3, gift=box))))
    >>> at = datetime(2026, 3, 1, 12, tzinfo=ZoneInfo("Europe/Berlin"))
    >>> state = program.apply(None, Purchase(id="A-1", member_id="m-1", at=at,
    ...                                      amount=Money("20.00", "EUR"))).state
    >>> for option in gift_eligibility(program, state, at):
    ...     print(f"{option.gift.name}: {', '.join(option.missing)}")
    tea e-book: sign up, consent to email
    sample box: 2 more orders
    """
    require_aware(at)
    pipeline = program._pipeline
    stage = next((s for s in pipeline.stages if isinstance(s, CompiledGifts)), None)
    if stage is None:
        return ()
    if state is None:
        m = pipeline.new_member("-", program.currency)
    elif not isinstance(state, MemberState) or state.currency != program.currency:
        raise InvalidEvent(f"state is not a MemberState in {program.currency}",
                           hint="pass the member's state from this program, or None")
    else:
        m = pipeline.thaw(state)
    if pipeline.uses_shared:
        m.shared = Shared(program.currency) if shared is None else Shared.thaw(shared)
    if m.as_of is None or at > m.as_of:
        pipeline.due(m, at, [], None)
    h, _ = stage._hot(m, at)
    r = _Report(stage, program._words(), program._tier_names())
    return tuple(option for c in stage.rules.values() if type(c.rule)._listed
                 for option in _options(r, c, m, h, at))


class _Report(NamedTuple):
    """What the report reads: the compiled gift stage, and the program's words for its
    conditions and line categories and its tiers' names (``Program._words``,
    ``Program._tier_names``), so the report says them as the terms do."""

    stage: CompiledGifts
    words: ProgramWords
    names: dict[str, str] | None


def _row(m: Member, at: datetime) -> Row:
    return (TIME, "", m.member_id, at, None, None)


def _common(r: _Report, c: Compiled, m: Member, when: datetime) -> list[GiftNeed]:
    """Consents, tier and condition the member lacks for the rule at ``when``."""
    rule = c.rule
    missing = [_need("consent", f"consent to {consent}", consent=consent)
               for consent in c.consents if consent not in m.consents]
    if c.tiers and m.tier_id not in c.tiers:
        names = r.names or {}
        missing.append(_need("tier", "reach tier " + " or ".join(names.get(t, t)
                                                                  for t in rule.tiers),
                             tiers=tuple(rule.tiers)))
    if (rule.when is not None and not isinstance(rule, _OrderRule | ClaimGift)
            and c.pred is not None
            and not c.pred(m, _row(m, when))):
        missing.append(_need("condition", rule.when.describe_with(r.words), rule.when))
    return missing


def _limits(r: _Report, c: Compiled, m: Member, h: Hot, gift: Gift,
            when: datetime) -> list[GiftNeed] | None:
    """What the limits say about one more grant at ``when``; ``None``: never again."""
    rule = c.rule
    zone = r.stage.zone
    worth = gift.value.amount
    kept = h.kept(rule.id)
    if rule.cap is not None and rule.cap.refusal_for(
            ((g.at, g.value) for g in kept), when, zone, worth) is not None:
        end = rule.cap.per.bounds(when, zone)[1]
        if end is None:
            return None
        return [_need("wait", f"wait until {fmt_date(end, zone)} ({rule.cap.describe()})",
                      until=end)]
    if rule.cooldown_days is not None and kept:
        last = max(g.at for g in kept)
        again = (last.astimezone(zone) + relativedelta(days=rule.cooldown_days)).astimezone(UTC)
        if when < again:
            return [_need("wait", f"wait until {fmt_date(again, zone)} (at most once every "
                          f"{days(rule.cooldown_days)})", until=again)]
    shared = m.shared
    if (c.budget is not None and shared is not None
            and c.budget.refusal_in(shared, when, zone, worth) is not None):
        end = c.budget.per.bounds(when, zone)[1]
        text = f"the {c.budget.id} budget to have room"
        text += "" if end is None else f" (it renews on {fmt_date(end, zone)})"
        return [_need("budget", text, renews=end)]
    if (gift.stock is not None and shared is not None
            and shared.stock_used.get(gift.stock, 0) >= r.stage.stock_units[gift.stock]):
        return [_need("stock", f"{gift.name} back in stock")]
    return []


def _option(r: _Report, c: Compiled, m: Member, h: Hot, gift: Gift,
            needs: list[GiftNeed], when: datetime, available_from: datetime | None
            ) -> list[GiftOption]:
    limits = _limits(r, c, m, h, gift, when)
    if limits is None:
        return []
    missing = needs + _common(r, c, m, when) + limits
    return [GiftOption.model_construct(
        rule_id=c.rule.id, gift=gift, description=c.rule.describe(r.names, r.words),
        missing=tuple(need.text for need in missing), needs=tuple(missing),
        available_from=available_from)]


def _order_need(r: _Report, rule: _OrderRule, key: str, text: str, **values: Any) -> GiftNeed:
    if rule.when is not None:
        text = f"{text} where {rule.when.describe_with(r.words)}"
    return _need(key, text, rule.when, **values)


def _options(r: _Report, c: Compiled, m: Member, h: Hot,
             at: datetime) -> list[GiftOption]:
    rule = c.rule
    rid = rule.id
    occurred = h.occurrences
    zone = r.stage.zone
    if isinstance(rule, FirstOrderGift):
        if m.purchase_count or (rid, "first") in occurred:
            return []
        return _option(r, c, m, h, rule.gift,
                       [_order_need(r, rule, "first_order", "a first order")], at, None)
    if isinstance(rule, NthOrderGift):
        more = rule.every - m.purchase_count % rule.every
        text = f"{more} more order" + ("" if more == 1 else "s")
        return _option(r, c, m, h, rule.gift, [_order_need(r, rule, "orders_more", text,
                                                                n=more)], at, None)
    if isinstance(rule, OrderOverGift):
        need = _order_need(r, rule, "order_over", f"an order {rule.threshold_text()}",
                           amount=rule.amount, inclusive=rule.inclusive)
        return _option(r, c, m, h, rule.gift, [need], at, None)
    if isinstance(rule, CategoryGift):
        return [option for sample in rule.samples
                for option in _option(r, c, m, h, sample.gift,
                                      [_order_need(r, rule, "order_with",
                                                   "an order with "
                                                   + r.words.line_category(sample.category),
                                                   category=sample.category)],
                                      at, None)]
    if isinstance(rule, ClaimGift):
        text = f"a claim ({rule.on})"
        if rule.when is not None:
            text = f"{text} where {rule.when.describe_with(r.words)}"
        return _option(r, c, m, h, rule.gift, [_need("claim", text, rule.when)], at, None)
    if isinstance(rule, WelcomeGift):
        if (rid, "welcome") in occurred:
            return []
        if m.joined_at is None:
            return _option(r, c, m, h, rule.gift, [_need("sign_up", "sign up")], at, None)
        if rule.within_days is not None and at >= (m.joined_at.astimezone(zone) + relativedelta(
                days=rule.within_days)).astimezone(UTC):
            return []
        return _option(r, c, m, h, rule.gift, [], at, None)
    if isinstance(rule, BirthdayGift):
        return _birthday(r, c, rule, m, h, at)
    if isinstance(rule, AnniversaryGift):
        if m.joined_at is None:
            return _option(r, c, m, h, rule.gift, [_need("sign_up", "sign up")], at, None)
        timer = r.stage.timers[rid]
        nxt = h.due.get(rid) or timer.first_due(m, h, at)
        if nxt is None:
            return []
        return _option(r, c, m, h, rule.gift, [], nxt, nxt.astimezone(zone))
    if isinstance(rule, TierGift):
        options = []
        for tier in rule.reached:
            if (rid, tier) in occurred:
                continue
            needs = [] if m.tier_id == tier else [
                _need("tier", f"reach tier {(r.names or {}).get(tier, tier)}", tiers=(tier,))]
            options += _option(r, c, m, h, rule.gift, needs, at, None)
        return options
    if isinstance(rule, SeasonalGift):
        return _season(r, c, rule, m, h, at)
    if isinstance(rule, ThankYouGift):
        return _thank_you(r, c, rule, m, h, at)
    return []  # pragma: no cover - unlisted rules are filtered out before


def _birthday(r: _Report, c: Compiled, rule: BirthdayGift, m: Member, h: Hot,
              at: datetime) -> list[GiftOption]:
    birthday = m.birthday
    if birthday is None:
        return _option(r, c, m, h, rule.gift,
                       [_need("birthday", "tell us your birthday")], at, None)
    zone = r.stage.zone
    year = at.astimezone(zone).year
    for candidate in range(year, year + 3):
        if (rule.id, str(candidate)) in h.occurrences:
            continue
        start, end = birthday_window(birthday, candidate, rule.window, rule.leap_day, zone)
        when = max(start, at)
        if end <= at or r.stage.changed_recently(c, h, when.astimezone(zone)) is not None:
            continue
        needs = []
        if rule.min_order is not None:
            where = "on your birthday" if rule.window == "day" else "in your birthday month"
            needs.append(_need("birthday_order", f"an order of at least {rule.min_order} {where}",
                               amount=rule.min_order, window=rule.window))
        return _option(r, c, m, h, rule.gift, needs, when, when.astimezone(zone))
    return []  # pragma: no cover - a later year always qualifies


def _season(r: _Report, c: Compiled, rule: SeasonalGift, m: Member, h: Hot,
            at: datetime) -> list[GiftOption]:
    calendar = r.stage.seasons[rule.id]
    zone = r.stage.zone
    window = calendar.open_window(at) if rule.evaluate == "while_open" else None
    if window is not None and (rule.id, str(window[0])) not in h.occurrences:
        year, when = window[0], at
    else:
        found = calendar.next_start(at, inclusive=True)
        while found is not None and (rule.id, str(found[0])) in h.occurrences:
            found = calendar.next_start(found[1], inclusive=False)
        if found is None:
            return []
        year, when = found
    needs: list[GiftNeed] = []
    if rule.top_percent is not None and m.shared is not None:
        mine = r.stage.ranking_table.spend(m.shared, year, m.member_id)
        threshold = r.stage.ranking_table.threshold(m.shared, year, rule)
        if threshold is None or mine <= 0 or mine < threshold:
            text = f"be among the top {percent(rule.top_percent)} of members by spend in {year}"
            if threshold is not None:
                text += (f": {r.stage.show(threshold - mine)} more spend, as of "
                         f"{fmt_date(at, zone)}")
            needs.append(_need("top_spend", text, percent=rule.top_percent, year=year,
                               spend=None if threshold is None
                               else Money(threshold - mine, r.stage.currency)))
    return _option(r, c, m, h, rule.gift, needs, when, when.astimezone(zone))


def _thank_you(r: _Report, c: Compiled, rule: ThankYouGift, m: Member, h: Hot,
               at: datetime) -> list[GiftOption]:
    zone = r.stage.zone
    key = rule.per.key(at, zone)
    when, orders, spend = at, 0, _ZERO
    if (rule.id, key) in h.occurrences:
        end = rule.per.bounds(at, zone)[1]
        if end is None:
            return []
        when = end
    else:
        orders, spend = h.counters.get((rule.per, period_key(rule.per, at.astimezone(zone))),
                                       (0, _ZERO))
    this = "in all" if rule.per is Period.LIFETIME else (
        f"this {rule.per.noun}" if when is at else f"next {rule.per.noun}")
    parts = []
    more_orders, more_spend = None, None
    if rule.orders is not None and orders < rule.orders:
        more_orders = rule.orders - orders
        parts.append(f"{more_orders} more order" + ("" if more_orders == 1 else "s"))
    if rule.spend is not None and spend < rule.spend.amount:
        more_spend = Money(rule.spend.amount - spend, r.stage.currency)
        parts.append(f"{r.stage.show(rule.spend.amount - spend)} more spend")
    needed = len(parts) == (rule.orders is not None) + (rule.spend is not None)
    if rule.match == "any" and not needed:
        parts = []
    needs = [_need("thank_you", (" or " if rule.match == "any" else " and ").join(parts)
                   + f" {this}", orders=more_orders, spend=more_spend, match=rule.match,
                   when="all" if rule.per is Period.LIFETIME else (
                       "this" if when is at else "next"), per=rule.per.value)] if parts \
        else []
    available = None if when is at else when.astimezone(zone)
    return _option(r, c, m, h, rule.gift, needs, when, available)
