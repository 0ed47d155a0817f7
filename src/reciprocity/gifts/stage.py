"""The gift scheme compiled for one program (stage 4): triggers as functions over the hot member.

Event-driven rules (orders, sign-up, consents, tiers) run in the stage's handlers, in the
order the scheme declares them. Date-driven rules (birthday, anniversary, season, a quiet
spell) keep their next due time in the member's gift history and fire through the Stage
protocol (``housekeeping``/``next_due``), so ``Program.advance`` and ``replay`` fire them
with the effect's ``at`` set to the due time. Budgets, stock and the spend ranking live in
``m.shared``. Effects are logged as ``(builder, *args)`` and built lazily.

Imports: the core, the gifts declarations, the compiled helpers and ``grants``; the points stage
only for typing. ``reciprocity._pipeline`` builds it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from .._engine import (
    LN_CATEGORY,
    LN_PRICE,
    LN_QUANTITY,
    LN_RETURNED,
    P_AMOUNT,
    P_AT,
    P_LINES,
    P_RETURNED,
    Log,
    Member,
    Row,
    Trace,
)
from .._reason import Msg
from .._stage import Handler
from ..conditions import CompileContext
from ..events import APPROVAL, COMPLAINT, CUSTOM, PROFILE, PURCHASE, REDEMPTION, RETURN, SIGNUP
from ..limits import Period
from ..money import currency_exponent
from ..state import MemberState
from .calendar import SeasonCalendar
from .claims import claim_handler, claim_step
from .folding import fold_grants, holds, margin
from .frozen import freeze_history, thaw_grants, thaw_kept_grants
from .gift import _OrderRule, _Rule
from .grants import GiftGrants
from .hot import (
    K_ORDERS,
    K_SPEND,
    TIME,
    Compiled,
    Hot,
    days,
    fmt_date,
    period_key,
)
from .order_rules import CategoryGift, ClaimGift, OrderOverGift, SurpriseGift
from .orders import Step, order_step
from .ranking import SpendRanking
from .scheme import (
    AnniversaryGift,
    BirthdayGift,
    DriftRule,
    GiftScheme,
    SeasonalGift,
    ThankYouGift,
    TierGift,
    WelcomeGift,
)
from .timers import AnniversaryTimer, BirthdayTimer, DriftTimer, SeasonTimer, Timer

if TYPE_CHECKING:
    from ..points.stage import CompiledPoints

__all__ = ["CompiledGifts"]

_ZERO = Decimal(0)


def _tier_reason(tier: str, phrase: Msg) -> Msg:
    return Msg("reason.gift.tier", {"tier": tier, "gift": phrase})

class CompiledGifts(GiftGrants):
    """The gift scheme as functions over a hot :class:`~reciprocity._engine.Member`."""


    def __init__(self, scheme: GiftScheme, ctx: CompileContext, points: CompiledPoints, *,
                 seed: str = "") -> None:
        self.scheme = scheme
        self.ctx = ctx
        self.points = points
        self.zone = ZoneInfo(ctx.timezone)
        self.currency = ctx.currency
        self.quantum = Decimal(1).scaleb(-currency_exponent(ctx.currency))
        self.seed = seed
        self.uses_shared = scheme.uses_shared
        self.budgets = {budget.id: budget for budget in scheme.budgets}
        self.stock_units = {stock.id: stock.units for stock in scheme.stock}
        for budget in scheme.budgets:
            if budget.amount is not None:
                ctx.check_money(budget.amount, f"budget {budget.id!r} amount")
        self.rules: dict[str, Compiled] = {}
        self._held: dict[str, timedelta | None] | None = None
        """How long each rule's grants are read (``gifts.folding.holds``), on first use."""
        self._shortest: timedelta | None = None
        self.gift_stock: dict[tuple[str, str], str] = {}
        self.purchase_steps: list[tuple[Step, Compiled]] = []
        self.profile_steps: list[tuple[Step, Compiled]] = []
        self.any_steps: list[tuple[Step, Compiled]] = []
        self.claim_steps: list[tuple[Step, Compiled]] = []
        self.tier_rules: list[Compiled] = []
        self.timers: dict[str, Timer] = {}
        self.periods: set[Period] = set()
        self.sample_categories: set[str] = set()
        self.ranking = False
        self.probabilities: dict[str, Fraction] = {}
        self.seasons: dict[str, SeasonCalendar] = {}
        for index, rule in enumerate(scheme.rules):
            self._compile_rule(rule, index)
        self.drift_timers = [(rid, timer) for rid, timer in self.timers.items()
                             if isinstance(timer, DriftTimer)]
        self.ranking_table = SpendRanking(self.zone, self.currency)
        self._last_local: tuple[datetime, datetime] | None = None
        self.on_purchase = self._purchase_handler()

    # -- compiling -------------------------------------------------------------------------
    def _compile_rule(self, rule: _Rule, index: int) -> None:
        ctx = self.ctx
        where = f"gift rule {rule.id!r}"
        for gift in rule.gifts():
            ctx.check_money(gift.value, f"{where} gift {gift.id!r} value")
            if gift.stock is not None:
                self.gift_stock[(rule.id, gift.id)] = gift.stock
        if rule.cap is not None and rule.cap.amount is not None:
            ctx.check_money(rule.cap.amount, f"{where} cap amount")
        pred = None if rule.when is None else ctx.compile_for(rule.when, rule.events_met(),
                                                              f"{where} when")
        budget = None if rule.budget is None else self.budgets[rule.budget]
        c = Compiled(rule, index, pred, budget,
                     "" if rule.when is None else ctx.said(rule.when))
        self.rules[rule.id] = c
        if isinstance(rule, OrderOverGift):
            ctx.check_money(rule.amount, f"{where} amount")
        if isinstance(rule, CategoryGift):
            self.sample_categories.update(s.category for s in rule.samples)
        if isinstance(rule, ThankYouGift):
            if rule.spend is not None:
                ctx.check_money(rule.spend, f"{where} spend")
            self.periods.add(rule.per)
        step = order_step(self, c)
        if step is not None:  # first, n-th and threshold orders, samples, thank-you
            self.purchase_steps.append((step, c))
        elif isinstance(rule, SurpriseGift):
            if rule.min_amount is not None:
                ctx.check_money(rule.min_amount, f"{where} min_amount")
            self.probabilities[rule.id] = Fraction(rule.probability)
            self.purchase_steps.append((self._surprise, c))
        elif isinstance(rule, ClaimGift):
            self.claim_steps.append((claim_step(self, c, rule), c))
        elif isinstance(rule, WelcomeGift):
            self.profile_steps.append((self._welcome, c))
        elif isinstance(rule, BirthdayGift):
            if rule.min_order is not None:
                ctx.check_money(rule.min_order, f"{where} min_order")
                self.purchase_steps.append((self._birthday_order, c))
            else:
                self.timers[rule.id] = BirthdayTimer(self, c)
        elif isinstance(rule, AnniversaryGift):
            self.timers[rule.id] = AnniversaryTimer(self, c)
        elif isinstance(rule, TierGift):
            self.any_steps.append((self._tier, c))
            self.tier_rules.append(c)
        elif isinstance(rule, SeasonalGift):
            self.seasons[rule.id] = SeasonCalendar(rule.start_day, rule.end_day, rule.years,
                                                   self.zone)
            self.timers[rule.id] = SeasonTimer(self, c)
            if rule.evaluate == "while_open":
                self.any_steps.append((self._season_open, c))
            self.ranking = self.ranking or rule.top_percent is not None
        elif isinstance(rule, DriftRule):
            self.timers[rule.id] = DriftTimer(self, c)
        else:  # pragma: no cover - the GiftRule union is closed
            raise TypeError(f"unknown gift rule {type(rule).__name__}")

    # -- the Stage protocol ----------------------------------------------------------------
    def handlers(self) -> dict[int, Handler]:
        every = bool(self.timers or self.any_steps)
        found: dict[int, Handler] = {RETURN: self.on_return}
        if every or self.purchase_steps or self.ranking:
            found[PURCHASE] = self.on_purchase
        if every or self.profile_steps:
            found[SIGNUP] = self.on_profile
            found[PROFILE] = self.on_profile
        if every:
            for kind in (COMPLAINT, REDEMPTION, CUSTOM, APPROVAL):
                found[kind] = self.on_other
        if self.claim_steps:
            found[CUSTOM] = claim_handler(self, tuple(self.claim_steps))
        return found

    def next_due(self, m: Member) -> datetime | None:
        h: Hot | None = m.gifts
        if h is None or not h.due:
            return None
        return min(h.due.values())

    def housekeeping(self, m: Member, until: datetime, log: Log, trace: Trace) -> None:
        h: Hot | None = m.gifts
        if h is None:
            return
        self._run_timers(m, h, until, log, trace)
        if self.tier_rules:
            at = until.astimezone(self.zone)
            row: Row = (TIME, "", m.member_id, at, None, None)
            for c in self.tier_rules:
                self._tier(c, m, h, row, log, trace)

    def forget_folded(self, m: Member) -> None:
        """Orders folded: grants that no later decision reads fold with them (see
        :mod:`reciprocity.gifts.folding`)."""
        held = self._held
        if held is None:
            held = self._held = {rid: holds(c.rule, margin(c.rule))
                                 for rid, c in self.rules.items()}
            self._shortest = min((span for span in held.values() if span is not None),
                                 default=None)
        fold_grants(held, self._shortest, m)

    def thaw(self, state: MemberState, m: Member, kept: Hot | None = None) -> None:
        saved = state.gifts
        if saved is None:
            return
        h = None if kept is None else thaw_kept_grants(saved, kept)
        if h is None:
            h = thaw_grants(saved)
        h.due = {rid: when for rid, when in saved.due.items() if rid in self.timers}
        h.spells = dict(saved.spells)
        h.birthday_seen = saved.birthday_seen
        h.birthday_changed_at = saved.birthday_changed_at
        self._derive(m, h)
        m.gifts = h
        if m.as_of is not None:  # rules added since the state was saved
            for rid, timer in self.timers.items():
                if rid not in h.due:
                    self._set_due(m, h, rid, timer.first_due(m, h, m.as_of))

    def keep(self, m: Member) -> Hot | None:
        """What a state just frozen from ``m`` keeps of the gift part for the next thaw
        (``Pipeline.freeze``): the hot history itself (``m`` changes no more), whose grants
        the thaw shares (:func:`~reciprocity.gifts.frozen.thaw_kept_grants`)."""
        return m.gifts  # type: ignore[no-any-return]

    def freeze(self, m: Member) -> dict[str, Any]:
        h: Hot | None = m.gifts
        if h is None:
            return {"gifts": None}
        return {"gifts": freeze_history(h, self.currency)}

    # -- handlers ----------------------------------------------------------------------------
    def _purchase_handler(self) -> Handler:
        """The purchase handler (:attr:`on_purchase`): order-driven rules, then the rules
        that run on every event and the timers due; the order's facts are recorded already.
        Compiled once, with the scheme's rules and flags held in the closure."""
        periods = tuple(self.periods)
        zone_of = self.local
        ranking = self.ranking_table if self.ranking else None
        wanted = self.sample_categories
        drift = tuple(self.drift_timers)
        steps = tuple(self.purchase_steps)
        every = tuple(self.any_steps)
        hot, set_due, run_timers = self._hot, self._set_due, self._run_timers

        def on_purchase(m: Member, row: Row, log: Log, trace: Trace) -> None:
            at = row[3]
            h: Hot | None = m.gifts
            if h is None:  # created from the purchases, this one included
                h, _ = hot(m, at)
            else:
                amount: Decimal = row[4]  # type: ignore[assignment]
                if h.last_order is None or at > h.last_order:
                    h.last_order = at if at.tzinfo is UTC else at.astimezone(UTC)
                if periods:
                    local = zone_of(at)
                    counters, current = h.counters, h.current
                    for per in periods:
                        cut = period_key(per, local)
                        now = current.get(per)
                        if now is not None and now[0] == cut:  # the last order's period
                            entry = now[1]
                        else:
                            found = counters.get((per, cut))
                            if found is None:
                                found = counters[per, cut] = [0, _ZERO]
                            current[per] = (cut, found)
                            entry = found
                        if amount > 0:
                            entry[K_ORDERS] += 1
                            entry[K_SPEND] += amount
                if ranking is not None:
                    ranking.add_spend(m, at, amount)
                if h.categories is not None:
                    lines = m.purchases[row[1]][P_LINES]
                    if lines:
                        for line in lines.values():
                            category = line[LN_CATEGORY]
                            if category in wanted:
                                h.categories[category] = h.categories.get(category, _ZERO) + (
                                    line[LN_PRICE] * (line[LN_QUANTITY] - line[LN_RETURNED]))
            for rid, timer in drift:
                set_due(m, h, rid, timer.first_due(m, h, at))
            for step, c in steps:
                step(c, m, h, row, log, trace)
            for step, c in every:  # _finish, inline
                step(c, m, h, row, log, trace)
            due = h.due
            if due and min(due.values()) <= at:
                run_timers(m, h, at, log, trace)

        return on_purchase

    def on_return(self, m: Member, row: Row, log: Log, trace: Trace) -> None:
        """Revoke gifts whose order no longer qualifies; keep the figures in step."""
        at = row[3]
        h, fresh = self._hot(m, at)
        assert m.last_return is not None  # set by the points stage's check
        purchase_id, amount = m.last_return
        record = m.purchases[purchase_id]
        kept = record[P_AMOUNT] - record[P_RETURNED]
        if not fresh:
            bought = record[P_AT]
            local = bought.astimezone(self.zone)
            for per in self.periods:
                entry = h.counters.setdefault((per, period_key(per, local)), [0, _ZERO])
                entry[K_SPEND] -= amount
                if kept <= 0 < kept + amount:
                    entry[K_ORDERS] -= 1
            if self.ranking:
                self.ranking_table.add_spend(m, bought, -amount)
        h.categories = None
        if h.shared and h.of_order(purchase_id):
            h.own()  # a grant of the order may be revoked: none changed in place if shared
        for grant in h.of_order(purchase_id):
            c = self.rules.get(grant.rule_id)
            if grant.revoked_at is not None or c is None:
                continue
            rule = c.rule
            if not isinstance(rule, _OrderRule) or rule.on_return == "keep":
                continue
            if rule.still_qualifies(kept):
                if trace is not None:
                    trace.append((rule.id, "skipped", f"kept amount {self.show(kept)} "
                                  f"of order {purchase_id} still earns {grant.name}"))
                continue
            self._revoke(m, c, rule, grant, kept, purchase_id, row, log, trace)
        self._finish(m, h, row, log, trace)

    def on_profile(self, m: Member, row: Row, log: Log, trace: Trace) -> None:
        """Sign-up and profile changes: the birthday, the anniversary, welcome gifts."""
        at = row[3]
        event = row[5]
        h, fresh = self._hot(m, at)
        if event.birthday is not None and (fresh or event.birthday != h.birthday_seen):
            h.birthday_seen = m.birthday
            h.birthday_changed_at = at
            if not fresh:
                for rid, timer in self.timers.items():
                    if isinstance(timer, BirthdayTimer):
                        self._set_due(m, h, rid, timer.first_due(m, h, at))
        if row[0] == SIGNUP and not fresh:
            for rid, timer in self.timers.items():
                if isinstance(timer, AnniversaryTimer):
                    self._set_due(m, h, rid, timer.first_due(m, h, at))
        for step, c in self.profile_steps:
            step(c, m, h, row, log, trace)
        self._finish(m, h, row, log, trace)

    def on_other(self, m: Member, row: Row, log: Log, trace: Trace) -> None:
        """Any other event: the member enters the gift calendar; tier and season gifts."""
        h, _ = self._hot(m, row[3])
        self._finish(m, h, row, log, trace)

    def _finish(self, m: Member, h: Hot, row: Row, log: Log, trace: Trace) -> None:
        for step, c in self.any_steps:
            step(c, m, h, row, log, trace)
        self._run_timers(m, h, row[3], log, trace)

    # -- lifecycle and state-driven rules ------------------------------------------------
    def _welcome(self, c: Compiled, m: Member, h: Hot, row: Row, log: Log,
                 trace: Trace) -> None:
        rule = c.rule
        assert isinstance(rule, WelcomeGift)
        if (rule.id, "welcome") in h.occurrences:
            return
        joined = m.joined_at
        at = row[3]
        if joined is None:
            self._skip(trace, rule.id, "the member has not signed up")
            return
        if rule.within_days is not None and at >= (joined.astimezone(self.zone) + relativedelta(
                days=rule.within_days)).astimezone(UTC):
            if trace is not None:
                self._skip(trace, rule.id, f"more than {days(rule.within_days)} after joining on "
                           f"{fmt_date(joined, self.zone)}")
            return
        why = self.blocked(c, m, row)
        if why is not None:
            self._skip(trace, rule.id, why)
            return
        self.grant(c, m, h, rule.gift, at, "welcome", row[1],
                   Msg("reason.gift.welcome", {"gift": c.phrase}), log, trace)

    def _tier(self, c: Compiled, m: Member, h: Hot, row: Row, log: Log,
              trace: Trace) -> None:
        tier = m.tier_id
        if tier is None:
            return
        rule = c.rule
        assert isinstance(rule, TierGift)
        if tier not in rule.reached or (rule.id, tier) in h.occurrences:
            return
        why = self.blocked(c, m, row)
        if why is not None:
            if trace is not None:
                self._skip(trace, rule.id, f"tier {tier}: {why}")
            return
        self.grant(c, m, h, rule.gift, row[3], tier, row[1] or None,
                   (_tier_reason, tier, c.phrase), log, trace)

    def _season_open(self, c: Compiled, m: Member, h: Hot, row: Row, log: Log,
                     trace: Trace) -> None:
        window = self.seasons[c.rule.id].open_window(row[3])
        if window is not None and (c.rule.id, str(window[0])) not in h.occurrences:
            self.season(c, m, h, row, window[0], log, trace)

    def season(self, c: Compiled, m: Member, h: Hot, row: Row, year: int, log: Log,
               trace: Trace) -> None:
        """Give a seasonal gift for the window that starts in ``year``, if the member
        qualifies as of ``row``'s time."""
        rule = c.rule
        assert isinstance(rule, SeasonalGift)
        why = self.blocked(c, m, row)
        if why is None and rule.top_percent is not None:
            why = self.ranking_table.refusal(rule, m, year)
        if why is not None:
            if trace is not None:
                self._skip(trace, rule.id, f"season {year}: {why}")
            return
        reason = (Msg("reason.gift.season", {"year": str(year), "gift": c.phrase})
                  if rule.top_percent is None else
                  Msg("reason.gift.season.top", {"year": str(year), "gift": c.phrase,
                                                 "percent": rule.top_percent}))
        self.grant(c, m, h, rule.gift, row[3], str(year), row[1] or None, reason, log, trace)
