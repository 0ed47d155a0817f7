"""The gift scheme compiled for one program (stage 4): triggers as functions over the hot member.

Event-driven rules (orders, sign-up, consents, tiers) run in the stage's handlers, in the
order the scheme declares them. Date-driven rules (birthday, anniversary, season, a quiet
spell) keep their next due time in the member's gift history and fire through the Stage
protocol (``housekeeping``/``next_due``), so ``Program.advance`` and ``replay`` fire them
with the effect's ``at`` set to the due time. Budgets, stock and the spend ranking live in
``m.shared``. Effects are logged as ``(builder, *args)`` and built lazily.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from .._engine import P_AMOUNT, P_AT, P_LINES, P_RETURNED, Log, Member, Row, Text, Trace, text
from .._stage import Handler, Stage
from ..conditions import CompileContext
from ..events import APPROVAL, COMPLAINT, CUSTOM, PROFILE, PURCHASE, REDEMPTION, RETURN, SIGNUP
from ..limits import Period
from ..money import Money, currency_exponent
from ..state import GiftGrant, GiftHistory, MemberState
from ._gift_calendar import SeasonCalendar, birthday_window
from ._gift_hot import (
    TIME,
    Compiled,
    Grant,
    Hot,
    build_granted,
    build_revoked,
    days,
    fmt_date,
    period_key,
)
from ._gift_orders import Step, order_step
from ._gift_ranking import SpendRanking
from ._gift_timers import AnniversaryTimer, BirthdayTimer, DriftTimer, SeasonTimer, Timer
from .gifts import (
    AnniversaryGift,
    BirthdayGift,
    CategoryGift,
    DriftRule,
    Gift,
    GiftScheme,
    OrderOverGift,
    SeasonalGift,
    SurpriseGift,
    ThankYouGift,
    TierGift,
    WelcomeGift,
    _OrderRule,
    _Rule,
    percent,
)

if TYPE_CHECKING:
    from ..points.stage import CompiledPoints

__all__ = ["CompiledGifts"]

_ZERO = Decimal(0)


def _tier_reason(tier: str, phrase: str) -> str:
    return f"Gift for reaching tier {tier}: {phrase}"


class CompiledGifts(Stage):
    """The gift scheme as functions over a hot :class:`~reciprocity._engine.Member`."""

    name = "gifts"

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
        self.gift_stock: dict[tuple[str, str], str] = {}
        self.purchase_steps: list[tuple[Step, Compiled]] = []
        self.profile_steps: list[tuple[Step, Compiled]] = []
        self.any_steps: list[tuple[Step, Compiled]] = []
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
        pred = None if rule.when is None else rule.when.compile(ctx)
        budget = None if rule.budget is None else self.budgets[rule.budget]
        c = Compiled(rule, index, pred, budget)
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

    def thaw(self, state: MemberState, m: Member) -> None:
        saved = state.gifts
        if saved is None:
            return
        h = Hot()
        for g in saved.grants:
            grant = Grant(g.rule_id, g.gift_id, g.name, g.kind, g.value.amount, g.at,
                           g.occurrence, g.source_event_id, g.valid_until)
            grant.id = g.id
            grant.revoked_at = g.revoked_at if g.revoked else None
            if g.revoked and grant.revoked_at is None:
                grant.revoked_at = g.at
            grant.charged_back = g.charged_back
            h.add(grant)
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

    def freeze(self, m: Member) -> dict[str, Any]:
        h: Hot | None = m.gifts
        if h is None:
            return {"gifts": None}
        currency = self.currency
        construct = GiftGrant.model_construct
        grants = tuple(
            construct(id=g.id, rule_id=g.rule_id, gift_id=g.gift_id, name=g.name, kind=g.kind,
                      value=Money(g.value, currency), at=g.at, occurrence=g.occurrence,
                      source_event_id=g.source, valid_until=g.valid_until,
                      revoked=g.revoked_at is not None, revoked_at=g.revoked_at,
                      charged_back=g.charged_back)
            for g in h.grants
        )
        return {"gifts": GiftHistory.model_construct(
            grants=grants, due=dict(sorted(h.due.items())), spells=dict(sorted(h.spells.items())),
            birthday_seen=h.birthday_seen, birthday_changed_at=h.birthday_changed_at,
        )}

    # -- the hot state -----------------------------------------------------------------------
    def _hot(self, m: Member, now: datetime) -> tuple[Hot, bool]:
        """The member's hot gift state, created (and put on the calendar) when missing.

        The second value is ``True`` when it was just created: its derived figures then
        already include the event being handled (the engine recorded its facts first).
        """
        h: Hot | None = m.gifts
        if h is not None:
            return h, False
        h = Hot()
        h.birthday_seen = m.birthday
        self._derive(m, h)
        if self.ranking:
            self.ranking_table.enter(m)
        m.gifts = h
        for rid, timer in self.timers.items():
            self._set_due(m, h, rid, timer.first_due(m, h, now))
        return h, True

    def _derive(self, m: Member, h: Hot) -> None:
        """Figures the gift rules read that follow from the member's purchases."""
        last = None
        counters: dict[tuple[Period, tuple[int, ...]], list[Any]] = {}
        periods = self.periods
        zone = self.zone
        for record in m.purchases.values():
            at = record[P_AT].astimezone(UTC)
            if last is None or at > last:
                last = at
            if periods:
                kept = record[P_AMOUNT] - record[P_RETURNED]
                local = at.astimezone(zone)
                for per in periods:
                    entry = counters.setdefault((per, period_key(per, local)), [0, _ZERO])
                    if kept > 0:
                        entry[0] += 1
                        entry[1] += kept
        h.last_order = last
        h.counters = counters
        h.categories = None

    def _set_due(self, m: Member, h: Hot, rid: str, when: datetime | None) -> None:
        if when is None:
            h.due.pop(rid, None)
        else:
            h.due[rid] = when
            m.schedule(when)

    def _categories(self, m: Member, h: Hot) -> dict[str, Decimal]:
        spend = h.categories
        if spend is None:
            spend = {}
            wanted = self.sample_categories
            for record in m.purchases.values():
                lines = record[P_LINES]
                if lines:
                    for price, category, quantity, returned in lines.values():
                        if category in wanted:
                            spend[category] = spend.get(category, _ZERO) + price * (
                                quantity - returned)
            h.categories = spend
        return spend

    def _run_timers(self, m: Member, h: Hot, until: datetime, log: Log, trace: Trace) -> None:
        """Fire the date-driven rules due at or before ``until``, earliest first."""
        due = h.due
        if not due or min(due.values()) > until:
            return
        rules = self.rules
        while due:
            rid = min(due, key=lambda r: (due[r], rules[r].index))
            when = due[rid]
            if when > until:
                return
            after = self.timers[rid].fire(m, h, when, log, trace)
            if after is not None and after <= when:  # a bug, not a user error
                raise RuntimeError(f"gift rule {rid!r} did not move past {when.isoformat()}")
            self._set_due(m, h, rid, after)

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
                            entry[0] += 1
                            entry[1] += amount
                if ranking is not None:
                    ranking.add_spend(m, at, amount)
                if h.categories is not None:
                    lines = m.purchases[row[1]][P_LINES]
                    if lines:
                        for price, category, quantity, returned in lines.values():
                            if category in wanted:
                                h.categories[category] = h.categories.get(category, _ZERO) + (
                                    price * (quantity - returned))
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
                entry[1] -= amount
                if kept <= 0 < kept + amount:
                    entry[0] -= 1
            if self.ranking:
                self.ranking_table.add_spend(m, bought, -amount)
        h.categories = None
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

    def local(self, at: datetime) -> datetime:
        """``at`` in the program's zone. The last conversion is kept: the purchase handler
        and the rules ask for the same event's, one after the other."""
        last = self._last_local
        if last is not None and last[0] is at:
            return last[1]
        local = at.astimezone(self.zone)
        self._last_local = (at, local)
        return local

    def show(self, amount: Decimal) -> str:
        """An amount in the program's currency, as a customer reads it (``70.00 EUR``)."""
        return str(Money(amount, self.currency))

    # -- eligibility and limits --------------------------------------------------------------
    def blocked(self, c: Compiled, m: Member, row: Row) -> str | None:
        """Why the member is not eligible for the rule right now, or ``None``."""
        if c.consents:
            missing = [consent for consent in c.consents if consent not in m.consents]
            if missing:
                return "missing consent to " + " and ".join(missing)
        if c.tiers and m.tier_id not in c.tiers:
            return (f"member tier is {m.tier_id or 'none'}, not "
                    + " or ".join(c.rule.tiers))
        if c.pred is not None and not c.pred(m, row):
            return f"condition not met: {c.when_text}"
        return None

    def limit_refusal(self, c: Compiled, m: Member, h: Hot, gift: Gift, at: datetime,
                      worth: Decimal) -> str | None:
        """Why a cap, the cooldown, the budget or the stock refuses one more grant."""
        rule = c.rule
        zone = self.zone
        if rule.cap is not None:
            # The same count as Cap.refusal_for, compared against the period's bounds
            # instead of formatting a period key per earlier grant.
            lifetime = rule.cap.per is Period.LIFETIME
            start, end = rule.cap.per.bounds(at, zone)
            count, amount = 0, _ZERO
            for g in h.of_rule(rule.id):
                if g.revoked_at is None and (lifetime or start <= g.at < end):  # type: ignore[operator]
                    count += 1
                    amount += g.value
            why = rule.cap.refusal(count, amount, worth)
            if why is not None:
                return why
        if rule.cooldown_days is not None:
            kept = h.kept(rule.id)
            if kept:
                last = max(g.at for g in kept)
                again = (last.astimezone(zone)
                         + relativedelta(days=rule.cooldown_days)).astimezone(UTC)
                if at < again:
                    return (f"at most once every {days(rule.cooldown_days)}: last on "
                            f"{fmt_date(last, zone)}, again from {fmt_date(again, zone)}")
        shared = m.shared
        if c.budget is not None:
            assert shared is not None
            why = c.budget.refusal_in(shared, at, zone, worth)
            if why is not None:
                return why
        if gift.stock is not None:
            assert shared is not None
            units = self.stock_units[gift.stock]
            if shared.stock_used.get(gift.stock, 0) >= units:
                return f"{gift.name} is out of stock: all {units} of {gift.stock!r} given"
        return None

    def grant(self, c: Compiled, m: Member, h: Hot, gift: Gift, at: datetime, occurrence: str,
              source: str | None, reason: Text, log: Log, trace: Trace,
              value: Decimal | None = None) -> bool:
        """Give ``gift`` if the limits allow it; the caller checked eligibility.

        ``reason`` may be ``(builder, *args)``: it is written when the effect is built.
        """
        rid = c.rule.id
        worth = gift.value.amount if value is None else value
        why = (self.limit_refusal(c, m, h, gift, at, worth)
               if c.limited or gift.stock is not None else None)
        if why is not None:
            if trace is not None:
                trace.append((rid, "skipped", f"{gift.name} not given: {why}"))
            return False
        shared = m.shared
        if c.budget is not None:
            assert shared is not None
            c.budget.spend(shared, at, self.zone, worth)
        if gift.stock is not None:
            assert shared is not None
            shared.stock_used[gift.stock] = shared.stock_used.get(gift.stock, 0) + 1
        valid_until = None
        if gift.valid_days is not None:
            valid_until = at.astimezone(self.zone) + relativedelta(days=gift.valid_days)
            reason = f"{text(reason)}, valid until {fmt_date(valid_until, self.zone)}"
        grant = Grant(rid, gift.id, gift.name, gift.kind, worth, at, occurrence, source,
                       valid_until)
        h.add(grant)
        log.append((build_granted, m.member_id, rid, grant.id, gift, worth, self.currency, at,
                    source, valid_until, reason))
        if trace is not None:
            trace.append((rid, "applied", text(reason)))
        return True

    def _skip(self, trace: Trace, rid: str, why: str) -> None:
        if trace is not None:
            trace.append((rid, "skipped", why))

    def _revoke(self, m: Member, c: Compiled, rule: _OrderRule, grant: Grant, kept: Decimal,
                purchase_id: str, row: Row, log: Log, trace: Trace) -> None:
        at = row[3]
        charge = rule.on_return == "charge_back"
        grant.revoked_at = at
        grant.charged_back = charge
        shared = m.shared
        if rule.return_budget and c.budget is not None:
            assert shared is not None
            c.budget.give_back(shared, grant.at, self.zone, grant.value)
        stock = self.gift_stock.get((rule.id, grant.gift_id))
        if stock is not None and rule.return_stock and not charge:
            assert shared is not None
            shared.stock_used[stock] = max(0, shared.stock_used.get(stock, 0) - 1)
        if isinstance(rule, OrderOverGift) and kept > 0:
            why = (f"the kept amount {self.show(kept)} is no longer "
                   f"{c.threshold}")
        else:
            why = "the order was returned in full"
        value = Money(grant.value, self.currency)
        if charge:
            reason = (f"{grant.name} from order {purchase_id} charged back: {value} is deducted "
                      f"from the refund because {why}")
        else:
            reason = f"{grant.name} from order {purchase_id} taken back: {why}"
        log.append((build_revoked, m.member_id, rule.id, row[1], at, grant.id, grant.gift_id,
                    grant.name, value, purchase_id, charge, reason))
        if trace is not None:
            trace.append((rule.id, "applied", reason))

    def changed_recently(self, c: Compiled, h: Hot, at: datetime) -> str | None:
        """Anti-gaming: a birthday set or changed too recently does not trigger."""
        rule = c.rule
        assert isinstance(rule, BirthdayGift)
        changed = h.birthday_changed_at
        if rule.ignore_changed_days is None or changed is None:
            return None
        until = (changed.astimezone(self.zone)
                 + relativedelta(days=rule.ignore_changed_days)).astimezone(UTC)
        if at < until:
            return (f"birthday changed on {fmt_date(changed, self.zone)}, less than "
                    f"{days(rule.ignore_changed_days)} before")
        return None

    # -- order-driven rules ------------------------------------------------------------------
    def draw(self, rule_id: str, member_id: str, event_id: str) -> int:
        """The reproducible draw of a surprise: 64 bits of SHA-256 over its inputs."""
        text = "\x1f".join((self.seed, rule_id, member_id, event_id))
        return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")

    def _surprise(self, c: Compiled, m: Member, h: Hot, row: Row, log: Log,
                  trace: Trace) -> None:
        rule = c.rule
        assert isinstance(rule, SurpriseGift)
        eid = row[1]
        amount: Decimal = row[4]  # type: ignore[assignment]
        if rule.min_amount is not None and amount <= rule.min_amount.amount:
            if trace is not None:
                self._skip(trace, rule.id, f"order {eid} is not over {rule.min_amount}")
            return
        why = self.blocked(c, m, row)
        if why is not None:
            self._skip(trace, rule.id, why)
            return
        p = self.probabilities[rule.id]
        drawn = self.draw(rule.id, m.member_id, eid)
        if drawn * p.denominator >= p.numerator << 64:
            if trace is not None:
                shown = (Decimal(drawn) / Decimal(1 << 64)).quantize(Decimal("0.0001"),
                                                                       rounding=ROUND_DOWN)
                trace.append((rule.id, "skipped", f"surprise draw {shown} for order {eid} is "
                              f"not under {rule.probability}"))
            return
        self.grant(c, m, h, rule.gift, row[3], eid, eid,
                   f"Surprise gift with order {eid}: {c.phrase}", log, trace)

    def _birthday_order(self, c: Compiled, m: Member, h: Hot, row: Row, log: Log,
                        trace: Trace) -> None:
        rule = c.rule
        assert isinstance(rule, BirthdayGift)
        assert rule.min_order is not None
        eid, at = row[1], row[3]
        birthday = m.birthday
        if birthday is None:
            self._skip(trace, rule.id, "no birthday on file")
            return
        year = at.astimezone(self.zone).year
        start, end = birthday_window(birthday, year, rule.window, rule.leap_day, self.zone)
        if not start <= at < end or (rule.id, str(year)) in h.occurrences:
            return
        amount: Decimal = row[4]  # type: ignore[assignment]
        if amount < rule.min_order.amount:
            if trace is not None:
                self._skip(trace, rule.id, f"order {eid} is {self.show(amount)}; the birthday "
                           f"gift needs an order of at least {rule.min_order}")
            return
        why = self.changed_recently(c, h, at) or self.blocked(c, m, row)
        if why is not None:
            self._skip(trace, rule.id, why)
            return
        self.grant(c, m, h, rule.gift, at, str(year), eid,
                   f"Birthday gift with order {eid}: {c.phrase}, once a year",
                   log, trace)

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
                   f"Welcome gift: {c.phrase}", log, trace)

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
        reason = f"Seasonal gift for {year}: {c.phrase}"
        if rule.top_percent is not None:
            reason += (f", for the top {percent(rule.top_percent)} of members by spend in "
                       f"{year}")
        self.grant(c, m, h, rule.gift, row[3], str(year), row[1] or None, reason, log, trace)

