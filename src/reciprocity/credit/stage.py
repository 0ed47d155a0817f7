"""The compiled store credit stage: issue, spend oldest first, expire.

The hot state hangs off ``Member.credit`` as a :class:`_Hot`; its lots are lists
``[id, issued_at, amount, remaining, expires_at]`` in ``(issued_at, id)`` order, like the
point lots. A spend is checked before any family handles the event, so a spend over the
balance is refused (:class:`~reciprocity.InsufficientCredit`) with nothing changed.

Imports: the core (``_engine``, ``_stage``, ``_reason``, ``effects``, ``events``, ``money``,
``state``) and the declaration ``credit.scheme``.
"""

from __future__ import annotations

from bisect import insort
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from .._condition_base import CompileContext
from .._credit_state import PeriodOrder, PeriodSpend
from .._engine import LN_PRICE, P_LINES, Log, Member, Row, Trace
from .._reason import Msg, fields, last_day, local_day
from .._stage import Check, Handler, Stage
from ..effects import CreditExpired, CreditIssued, CreditSpent
from ..errors import CurrencyMismatch, InsufficientCredit, InvalidEvent, ReciprocityError
from ..events import CUSTOM, PURCHASE, RETURN
from ..money import Money, Rounding, check_amount, currency_exponent
from ..state import CreditBalance, CreditLot, MemberState
from .periodic import month_key, month_of_key
from .scheme import StoreCredit

__all__ = ["CompiledCredit"]

_ZERO = Decimal(0)
C_ID, C_AT, C_AMOUNT, C_REMAINING, C_EXPIRES = range(5)
O_PERIOD, O_AMOUNT, O_ELIGIBLE, O_LEFT, O_EXCLUDED = range(5)
_RULE = "store_credit"


class _Hot:
    """A member's store credit while a program works on it."""

    __slots__ = ("closed", "expired", "issued", "lots", "orders", "periods", "spent")

    def __init__(self) -> None:
        self.lots: list[list[Any]] = []
        self.issued = _ZERO
        self.spent = _ZERO
        self.expired = _ZERO
        self.periods: dict[int, Decimal] = {}
        """Period (the month index of its first month) -> eligible spend, for periods whose
        periodic reward is not issued yet."""
        self.orders: dict[str, list[Any]] = {}
        """Purchase id -> ``[period, amount, eligible, left, excluded SKUs]`` (``O_*``)."""
        self.closed: int | None = None
        """The last period whose periodic reward was settled."""

    def balance(self) -> Decimal:
        return sum((lot[C_REMAINING] for lot in self.lots), _ZERO)


def _issued(mid: str, eid: str, at: datetime, amount: Money, expires: datetime | None,
            reason: Msg) -> CreditIssued:
    return CreditIssued.model_construct(
        rule_id=_RULE, **fields(reason), member_id=mid, event_id=eid, at=at, amount=amount,
        lot_id=eid, expires_at=expires)


def _spent(mid: str, eid: str, at: datetime, amount: Money,
           taken: tuple[tuple[str, Money], ...], balance: Money, reason: Msg) -> CreditSpent:
    return CreditSpent.model_construct(
        rule_id=_RULE, **fields(reason), member_id=mid, event_id=eid, at=at, amount=amount,
        taken=taken, balance=balance)


def _periodic(mid: str, rule: str, at: datetime, amount: Money, lot_id: str,
              expires: datetime | None, reason: Msg) -> CreditIssued:
    return CreditIssued.model_construct(
        rule_id=rule, **fields(reason), member_id=mid, event_id=None, at=at,
        amount=amount, lot_id=lot_id, expires_at=expires)


def _expired(mid: str, at: datetime, amount: Money, lot_id: str,
             reason: Msg) -> CreditExpired:
    return CreditExpired.model_construct(
        rule_id=_RULE, **fields(reason), member_id=mid, event_id=None, at=at, amount=amount,
        lot_id=lot_id)


class CompiledCredit(Stage):
    """A program's :class:`~reciprocity.StoreCredit`, compiled."""

    name = "credit"

    def __init__(self, credit: StoreCredit, ctx: CompileContext) -> None:
        self.credit = credit
        self.currency = ctx.currency
        self.zone = ZoneInfo(ctx.timezone)
        self.unit = Decimal(1).scaleb(-currency_exponent(ctx.currency))
        self.periodic = credit.periodic
        minimum = None if self.periodic is None else self.periodic.minimum
        if minimum is not None and minimum.currency != self.currency:
            raise CurrencyMismatch(
                f"StoreCredit.periodic.minimum={minimum} is in {minimum.currency} but the "
                f"program uses {self.currency}", hint=f"give the minimum in {self.currency}")

    # -- the amount an event names -----------------------------------------------------
    def amount(self, event: Any) -> Decimal:
        """The amount ``event`` names in its payload; an ``InvalidEvent`` if it is missing,
        not an exact amount of the program's currency, or not above 0."""
        key = self.credit.amount_field
        where = f"Custom {event.id} ({event.name}) payload.{key}"
        currency = event.payload.get("currency", self.currency)
        if currency != self.currency:
            raise CurrencyMismatch(
                f"{where} is in {currency} but the program uses {self.currency}",
                hint=f"send store credit in {self.currency}")
        if key not in event.payload:
            raise InvalidEvent(f"{where} is missing",
                               hint=f'name the amount, e.g. payload={{"{key}": "25.00"}}')
        try:
            money = check_amount(Money(event.payload[key], self.currency), where)
        except ReciprocityError as exc:
            raise InvalidEvent(f"{where}: {exc.message}", hint=exc.hint) from None
        if money.amount <= 0:
            raise InvalidEvent(f"{where}={money} is not above 0",
                               hint="send an amount greater than 0")
        return money.amount.quantize(self.unit)  # exact: check_amount refused finer

    # -- the stage -----------------------------------------------------------------------
    def checks(self) -> dict[int, Check]:
        return {CUSTOM: self._check}

    def handlers(self) -> dict[int, Handler]:
        if self.periodic is None:
            return {CUSTOM: self._handle}
        return {CUSTOM: self._handle, PURCHASE: self._purchase, RETURN: self._return}

    def _check(self, m: Member, row: Row) -> None:
        event = row[5]
        if event.name == self.credit.issue_event:
            self.amount(event)
        elif event.name == self.credit.spend_event:
            amount = self.amount(event)
            h: _Hot | None = m.credit
            balance = _ZERO if h is None else h.balance()
            if amount > balance:
                raise InsufficientCredit(
                    f"Custom {event.id}: spending {Money(amount, self.currency)} of store "
                    f"credit but member {m.member_id} has a credit balance of "
                    f"{Money(balance, self.currency)}",
                    balance=balance, amount=amount,
                    hint=f"spend at most {Money(balance, self.currency)} of credit and take "
                    "the rest in another payment")

    def _handle(self, m: Member, row: Row, log: Log, trace: Trace) -> None:
        event = row[5]
        if event.name == self.credit.issue_event:
            self._issue(m, row, self.amount(event), log, trace)
        elif event.name == self.credit.spend_event:
            self._spend(m, row, self.amount(event), log, trace)

    def _issue(self, m: Member, row: Row, amount: Decimal, log: Log, trace: Trace) -> None:
        eid, at = row[1], row[3]
        h: _Hot | None = m.credit
        if h is None:
            h = m.credit = _Hot()
        expires = self.credit.expires_at(at, self.zone)
        insort(h.lots, [eid, at, amount, amount, expires], key=lambda lot: (lot[C_AT], lot[C_ID]))
        h.issued += amount
        m.schedule(expires)
        money = Money(amount, self.currency)
        args: dict[str, Any] = {"amount": money, "event": eid}
        if expires is None:
            reason = Msg("reason.credit.issued.forever", args)
        else:
            reason = Msg("reason.credit.issued", {**args, "date": last_day(expires, self.zone)})
        log.append((_issued, m.member_id, eid, at, money, expires, reason))
        if trace is not None:
            trace.append((_RULE, "applied", f"{money} store credit issued"))

    def _spend(self, m: Member, row: Row, amount: Decimal, log: Log, trace: Trace) -> None:
        eid, at = row[1], row[3]
        h: _Hot | None = m.credit
        assert h is not None  # the check refused a spend without credit
        left = amount
        taken: list[tuple[str, Money]] = []
        for lot in h.lots:
            if not left:
                break
            part = min(left, lot[C_REMAINING])
            if part:
                lot[C_REMAINING] -= part
                left -= part
                taken.append((lot[C_ID], Money(part, self.currency)))
        h.lots = [lot for lot in h.lots if lot[C_REMAINING]]
        h.spent += amount
        money = Money(amount, self.currency)
        balance = Money(h.balance(), self.currency)
        reason = Msg("reason.credit.spent", {"amount": money, "event": eid, "balance": balance})
        log.append((_spent, m.member_id, eid, at, money, tuple(taken), balance, reason))
        if trace is not None:
            trace.append((_RULE, "applied", f"{money} store credit spent, {balance} left"))

    # -- periodic reward ------------------------------------------------------------------
    def _purchase(self, m: Member, row: Row, log: Log, trace: Trace) -> None:
        """Count a purchase's eligible spend in its period (in the program's zone)."""
        reward = self.periodic
        assert reward is not None
        eid, at, event = row[1], row[3], row[5]
        amount: Decimal = row[4]  # type: ignore[assignment]  # a purchase's row has it
        period = reward.period_of(at, self.zone)
        h: _Hot | None = m.credit
        if h is not None and h.closed is not None and period <= h.closed:
            if trace is not None:
                trace.append((reward.id, "skipped",
                              f"the {reward.id} of {reward.label(period)} was settled"))
            return
        eligible: Decimal = amount
        excluded: set[str] = set()
        if event is not None and event.lines:
            eligible = _ZERO
            for line in event.lines:
                if reward.eligible_line(line.category, line.metadata):
                    eligible += line.unit_price.amount * line.quantity
                else:
                    excluded.add(line.sku)
            eligible = min(eligible, amount)
        if h is None:
            h = m.credit = _Hot()
        h.periods[period] = h.periods.get(period, _ZERO) + eligible
        h.orders[eid] = [period, amount, eligible, eligible, frozenset(excluded)]
        m.schedule(reward.issue_at(period, self.zone))
        if trace is not None:
            trace.append((reward.id, "applied", f"{Money(eligible, self.currency)} eligible "
                          f"spend in {reward.label(period)}"))

    def _return(self, m: Member, row: Row, log: Log, trace: Trace) -> None:
        """Take a return's eligible part off its purchase's period, if not yet settled."""
        h: _Hot | None = m.credit
        assert m.last_return is not None  # set by the points stage's check
        pid, returned = m.last_return
        order = None if h is None else h.orders.get(pid)
        if h is None or order is None or not order[O_LEFT]:
            return
        event = row[5]
        record = m.purchases.get(pid)
        lines = None if record is None else record[P_LINES]
        if event.lines and lines is not None:
            back = sum((lines[r.sku][LN_PRICE] * r.quantity for r in event.lines
                        if r.sku not in order[O_EXCLUDED]), _ZERO)
        else:  # the eligible share of the returned amount, to the minor unit
            back = Rounding.HALF_EVEN.apply(returned * order[O_ELIGIBLE] / order[O_AMOUNT],
                                            self.unit) if order[O_AMOUNT] else _ZERO
        back = min(back, order[O_LEFT])
        order[O_LEFT] -= back
        period = order[O_PERIOD]
        h.periods[period] -= back
        if trace is not None:
            assert self.periodic is not None
            trace.append((self.periodic.id, "applied", f"{Money(back, self.currency)} less "
                          f"eligible spend in {self.periodic.label(period)}"))

    def _settle(self, m: Member, h: _Hot, until: datetime, log: Log, trace: Trace) -> None:
        """Issue the periodic reward of every period whose issue day is at or before
        ``until``."""
        reward = self.periodic
        assert reward is not None
        for period in sorted(h.periods):
            at = reward.issue_at(period, self.zone)
            if at > until:
                break
            eligible = h.periods.pop(period)
            h.orders = {k: o for k, o in h.orders.items() if o[O_PERIOD] != period}
            h.closed = period if h.closed is None else max(h.closed, period)
            value = reward.amount(eligible, self.currency)
            spend = Money(eligible, self.currency)
            label = reward.label(period)
            if value is None:
                if trace is not None:
                    trace.append((reward.id, "skipped", f"{reward.share} % of {spend} spent "
                                  f"in {label} is below the minimum"))
                continue
            lot_id = f"{reward.id}/{label}"
            expires = self.credit.expires_at(at, self.zone)
            insort(h.lots, [lot_id, at, value, value, expires],
                   key=lambda lot: (lot[C_AT], lot[C_ID]))
            h.issued += value
            m.schedule(expires)
            money = Money(value, self.currency)
            reason = Msg("reason.credit.periodic", {
                "share": reward.share, "period": label, "spend": spend, "amount": money})
            log.append((_periodic, m.member_id, reward.id, at, money, lot_id, expires, reason))
            if trace is not None:
                trace.append((reward.id, "applied", f"{money} store credit for {label}"))

    # -- time ----------------------------------------------------------------------------
    def next_due(self, m: Member) -> datetime | None:
        h: _Hot | None = m.credit
        if h is None:
            return None
        dates = [lot[C_EXPIRES] for lot in h.lots if lot[C_EXPIRES] is not None]
        if self.periodic is not None:
            dates += [self.periodic.issue_at(period, self.zone) for period in h.periods]
        return min(dates) if dates else None

    def housekeeping(self, m: Member, until: datetime, log: Log, trace: Trace) -> None:
        h: _Hot | None = m.credit
        if h is None:
            return
        if self.periodic is not None and h.periods:
            self._settle(m, h, until, log, trace)
        due = sorted((lot for lot in h.lots
                      if lot[C_EXPIRES] is not None and lot[C_EXPIRES] <= until),
                     key=lambda lot: (lot[C_EXPIRES], lot[C_AT], lot[C_ID]))
        for lot in due:
            rest = lot[C_REMAINING]
            h.expired += rest
            money = Money(rest, self.currency)
            reason = Msg("reason.credit.expired", {
                "amount": money, "event": lot[C_ID], "date": local_day(lot[C_AT], self.zone)})
            log.append((_expired, m.member_id, lot[C_EXPIRES], money, lot[C_ID], reason))
            if trace is not None:
                trace.append((_RULE, "applied", f"{money} store credit expired unspent"))
        if due:
            gone = {id(lot) for lot in due}
            h.lots = [lot for lot in h.lots if id(lot) not in gone]

    # -- state ---------------------------------------------------------------------------
    def thaw(self, state: MemberState, m: Member) -> None:
        credit = state.credit
        if credit is None:
            return
        h = m.credit = _Hot()
        h.lots = [[lot.id, lot.issued_at, lot.amount, lot.remaining, lot.expires_at]
                  for lot in credit.lots]
        h.issued, h.spent, h.expired = credit.issued, credit.spent, credit.expired
        h.periods = {month_of_key(p.period): p.eligible for p in credit.periods}
        h.orders = {o.id: [month_of_key(o.period), o.amount, o.eligible, o.left,
                           frozenset(o.excluded)] for o in credit.orders}
        closed = credit.closed_through
        h.closed = None if closed is None else month_of_key(closed)

    def freeze(self, m: Member) -> dict[str, Any]:
        h: _Hot | None = m.credit
        if h is None:
            return {"credit": None}
        lots = tuple(CreditLot.model_construct(
            id=lot[C_ID], issued_at=lot[C_AT], amount=lot[C_AMOUNT],
            remaining=lot[C_REMAINING], expires_at=lot[C_EXPIRES]) for lot in h.lots)
        periods = tuple(PeriodSpend.model_construct(period=month_key(period), eligible=eligible)
                        for period, eligible in sorted(h.periods.items()))
        orders = tuple(PeriodOrder.model_construct(
            id=oid, period=month_key(o[O_PERIOD]), amount=o[O_AMOUNT], eligible=o[O_ELIGIBLE],
            left=o[O_LEFT], excluded=tuple(sorted(o[O_EXCLUDED])))
            for oid, o in sorted(h.orders.items()))
        closed = None if h.closed is None else month_key(h.closed)
        return {"credit": CreditBalance.model_construct(
            lots=lots, issued=h.issued, spent=h.spent, expired=h.expired, periods=periods,
            orders=orders, closed_through=closed)}
