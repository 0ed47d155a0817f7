"""The gift stage's base layer, compiled: a member's gift state, limits, grants and revocations.

Holds :class:`GiftGrants`, the base of :class:`~reciprocity.gifts.stage.CompiledGifts`: the
hot gift state (created and derived lazily), the refusal checks every rule shares (consent,
cooldown, per-member caps, budgets, stock), granting and revoking a gift, and the
order-driven surprise and birthday-order rules.

Imports: the core, the gifts declarations and the compiled helpers (``hot``, ``calendar``,
``ranking``, ``timers``); never ``stage`` or another family's stage (the points stage only
for typing).
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
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
    Text,
    Trace,
    text,
)
from .._reason import Msg, built, english, local_day
from .._stage import Stage
from ..conditions import CompileContext
from ..limits import Period
from ..money import Money, currency_exponent
from .calendar import birthday_window
from .gift import Gift, _OrderRule
from .hot import (
    K_ORDERS,
    K_SPEND,
    Compiled,
    Grant,
    Hot,
    build_granted,
    build_revoked,
    days,
    fmt_date,
    period_key,
)
from .order_rules import OrderOverGift, SurpriseGift
from .ranking import SpendRanking
from .scheme import (
    BirthdayGift,
    GiftScheme,
)
from .timers import Timer

if TYPE_CHECKING:
    from ..points.stage import CompiledPoints
from ..limits import Budget

__all__ = ["GiftGrants"]

_ZERO = Decimal(0)


class GiftGrants(Stage):
    """The gift stage's base layer: hot state, eligibility, limits, granting and revoking.

    The attributes are set by :class:`~reciprocity.gifts.stage.CompiledGifts`.
    """

    name = "gifts"
    scheme: GiftScheme
    ctx: CompileContext
    points: CompiledPoints
    zone: ZoneInfo
    currency: str
    quantum: Decimal
    seed: str
    budgets: dict[str, Budget]
    stock_units: dict[str, int]
    rules: dict[str, Compiled]
    gift_stock: dict[tuple[str, str], str]
    timers: dict[str, Timer]
    periods: set[Period]
    sample_categories: set[str]
    ranking: bool
    probabilities: dict[str, Fraction]
    ranking_table: SpendRanking
    _last_local: tuple[datetime, datetime] | None

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
            at = record[P_AT]
            if at.tzinfo is not UTC:
                at = at.astimezone(UTC)
            if last is None or at > last:
                last = at
            if periods:
                kept = record[P_AMOUNT] - record[P_RETURNED]
                local = at.astimezone(zone)
                for per in periods:
                    entry = counters.setdefault((per, period_key(per, local)), [0, _ZERO])
                    if kept > 0:
                        entry[K_ORDERS] += 1
                        entry[K_SPEND] += kept
        folded = m.folded  # [count, amount, returned, newest order's time] of folded orders
        if folded is not None and (last is None or folded[3] > last):
            last = folded[3].astimezone(UTC)
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
                    for line in lines.values():
                        category = line[LN_CATEGORY]
                        if category in wanted:
                            spend[category] = spend.get(category, _ZERO) + line[LN_PRICE] * (
                                line[LN_QUANTITY] - line[LN_RETURNED])
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
        """An amount in the program's currency, as a customer reads it (``70.00 EUR``):
        ``str(Money(amount, currency))``, written directly for a finite ``Decimal`` with at
        least the currency's places (a trace line of most orders shows one)."""
        if type(amount) is Decimal and amount.is_finite():
            places = self.__dict__.get("_places")
            if places is None:
                places = self.__dict__["_places"] = currency_exponent(self.currency)
            if -amount.as_tuple().exponent >= places:  # type: ignore[operator]
                return f"{amount:f} {self.currency}"
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
        if at.tzinfo is not UTC:  # timers reason in the program's zone; states keep UTC
            at = at.astimezone(UTC)
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
            valid_until = (at.astimezone(self.zone)
                           + relativedelta(days=gift.valid_days)).astimezone(UTC)
            reason = Msg("reason.valid_until", {"text": built(reason),
                                                "date": local_day(valid_until, self.zone)})
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
            why = Msg("reason.gift.why.at_least" if rule.inclusive else "reason.gift.why.over",
                      {"kept": Money(kept, self.currency), "amount": rule.amount})
        else:
            why = Msg("reason.why.full", {})
        value = Money(grant.value, self.currency)
        args = {"name": grant.name, "order": purchase_id, "why": why}
        reason = (Msg("reason.gift.charged_back", {**args, "value": value}) if charge
                  else Msg("reason.gift.revoked", args))
        log.append((build_revoked, m.member_id, rule.id, row[1], at, grant.id, grant.gift_id,
                    grant.name, value, purchase_id, charge, reason))
        if trace is not None:
            trace.append((rule.id, "applied", english(reason.key, reason.args)))

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
                   Msg("reason.gift.surprise", {"order": eid, "gift": c.phrase}), log, trace)

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
                   Msg("reason.gift.birthday.order", {"order": eid, "gift": c.phrase}),
                   log, trace)

