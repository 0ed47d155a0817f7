"""Point schemes: earning, pending points, expiry, clawback on returns, and redemption.

The seed scheme, "every purchase over 50 EUR earns one point; 10 points buy a 10 EUR voucher":

>>> from reciprocity import Money
>>> scheme = PointScheme(
...     earn=(PointsPerPurchase(id="over-50", points=1, min_amount=Money("50.00", "EUR")),),
...     rewards=(Reward(id="voucher-10", name="10 EUR fuel voucher", points=10,
...                     value=Money("10.00", "EUR")),),
... )
>>> scheme.earn[0].describe()
'1 point for every order over 50.00 EUR'
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from pydantic import Field, model_validator

from .._engine import (
    L_AVAILABLE_AT,
    L_EXPIRES,
    L_ID,
    L_PENDING,
    L_REMAINING,
    P_AMOUNT,
    P_EARNED,
    P_RETURNED,
    P_REVOKED,
    Log,
    Member,
    Row,
    Trace,
)
from .._model import Frozen, NonEmptyStr
from .._stage import Check, Handler, Stage
from ..conditions import CompileContext, Condition
from ..effects import (
    PointsEarned,
    PointsExpired,
    PointsRedeemed,
    PointsReleased,
    PointsRevoked,
    VoucherIssued,
)
from ..errors import (
    CurrencyMismatch,
    InsufficientPoints,
    InvalidProgram,
    ReturnExceedsPurchase,
    UnknownPurchase,
    UnknownReward,
)
from ..events import PURCHASE, REDEMPTION, RETURN, Purchase, Redemption, Return
from ..money import Money
from ..state import Voucher

__all__ = ["EarnRule", "FixedLifetime", "PointScheme", "PointsPerPurchase", "Reward"]


def _plural(n: int, word: str = "point") -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


class _Policy(Frozen):
    _error_class: ClassVar[type[InvalidProgram]] = InvalidProgram


class PointsPerPurchase(_Policy):
    """A fixed number of points for each purchase that qualifies.

    A purchase qualifies when its amount is over ``min_amount`` (at least ``min_amount`` with
    ``inclusive=True``; no threshold when it is ``None``) and ``when`` holds. If a partial
    return later takes the kept amount under the threshold, the points are taken back.

    >>> from reciprocity import Money
    >>> PointsPerPurchase(id="r", points=2, min_amount=Money("50", "EUR"), inclusive=True
    ...                   ).describe()
    '2 points for every order of at least 50.00 EUR'
    """

    type: Literal["points_per_purchase"] = "points_per_purchase"
    id: NonEmptyStr
    points: int = Field(ge=1)
    min_amount: Money | None = None
    inclusive: bool = False
    when: Condition | None = None

    def describe(self) -> str:
        """The rule in plain words."""
        text = f"{_plural(self.points)} for every order"
        if self.min_amount is not None:
            text += (" of at least " if self.inclusive else " over ") + str(self.min_amount)
        if self.when is not None:
            text += f" when {self.when.describe()}"
        return text

    def qualifies(self, amount: Decimal) -> bool:
        """Whether an order ``amount`` passes the threshold."""
        if self.min_amount is None:
            return True
        limit = self.min_amount.amount
        return amount >= limit if self.inclusive else amount > limit

    def _reason(self, points: int, event_id: str) -> str:
        text = f"{_plural(points)} for order {event_id}"
        if self.min_amount is not None:
            text += (" of at least " if self.inclusive else " over ") + str(self.min_amount)
        return text


EarnRule = Annotated[PointsPerPurchase, Field(discriminator="type")]
"""Any earning rule; the ``type`` field picks the class."""


class FixedLifetime(_Policy):
    """Each lot expires a fixed time after it was earned ("points are valid 24 months").

    Months are calendar months in the program's time zone (31 Jan + 1 month = 28/29 Feb).
    """

    type: Literal["fixed_lifetime"] = "fixed_lifetime"
    months: int = Field(default=0, ge=0)
    days: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _positive(self) -> FixedLifetime:
        if self.months == 0 and self.days == 0:
            raise ValueError("give months or days greater than 0")
        return self

    def describe(self) -> str:
        parts = [_plural(self.months, "month")] if self.months else []
        parts += [_plural(self.days, "day")] if self.days else []
        return " and ".join(parts)

    def expires_at(self, earned_at: datetime, zone: ZoneInfo) -> datetime:
        """Expiry of a lot earned at ``earned_at``: wall-clock arithmetic in the program zone."""
        local = earned_at.astimezone(zone)
        return local + relativedelta(months=self.months, days=self.days)


Expiry = Annotated[FixedLifetime, Field(discriminator="type")]


class Reward(_Policy):
    """An item of the reward catalogue: ``points`` buy a voucher worth ``value``.

    With ``auto_issue`` the voucher is issued as soon as the balance reaches ``points``
    (stamp-card style); otherwise the member asks for it with a
    :class:`~reciprocity.Redemption` event.
    """

    id: NonEmptyStr
    name: NonEmptyStr
    points: int = Field(ge=1)
    value: Money
    valid_days: int | None = Field(default=None, ge=1)
    """Days a voucher stays valid after issue; ``None`` for no end."""
    auto_issue: bool = False

    def describe(self) -> str:
        text = f"{_plural(self.points)} buy a {self.name} worth {self.value}"
        if self.valid_days is not None:
            text += f", valid for {_plural(self.valid_days, 'day')}"
        return text


class PointScheme(_Policy):
    """How members earn, keep, lose and spend points.

    Args:
        earn: the earning rules, applied in order to each purchase.
        rewards: the reward catalogue.
        pending_days: points of a purchase become available this many days later (the
            return window); ``0`` makes them available at once.
        expiry: when points expire; ``None`` for never.
        clawback: what happens when a return takes back points that were already spent:
            ``"debt"`` (default) records the shortfall as debt repaid from future earnings;
            ``"absorb"`` lets the shop absorb it. The available balance never goes negative.
    """

    earn: tuple[EarnRule, ...] = ()
    rewards: tuple[Reward, ...] = ()
    pending_days: int = Field(default=0, ge=0)
    expiry: Expiry | None = None
    clawback: Literal["debt", "absorb"] = "debt"

    @model_validator(mode="after")
    def _unique_ids(self) -> PointScheme:
        for kind, items in (("earn", self.earn), ("rewards", self.rewards)):
            seen: set[str] = set()
            for item in items:
                if item.id in seen:
                    raise ValueError(
                        f"{kind} has two entries with id {item.id!r}; ids must be unique")
                seen.add(item.id)
        return self


# ---------------------------------------------------------------------------------------
# Compilation: the declared scheme becomes plain closures over the hot member.
# ---------------------------------------------------------------------------------------

DueRunner = Callable[[Member, datetime, Log, Trace], None]


def _never(m: Member, until: datetime, log: Log, trace: Trace) -> None:
    """A due runner for handlers that are not fused with the step (never called)."""


def _fmt_date(when: datetime, zone: ZoneInfo) -> str:
    return when.astimezone(zone).strftime("%Y-%m-%d")


class CompiledPoints(Stage):
    """The point scheme as functions over a hot :class:`Member` (stage 2)."""

    name = "points"

    def __init__(self, scheme: PointScheme, ctx: CompileContext) -> None:
        self.scheme = scheme
        self.ctx = ctx
        self.zone = ZoneInfo(ctx.timezone)
        for rule in scheme.earn:
            if rule.min_amount is not None:
                ctx.check_money(rule.min_amount, f"earn rule {rule.id!r} min_amount")
        for reward in scheme.rewards:
            ctx.check_money(reward.value, f"reward {reward.id!r} value")
        self.rules = {rule.id: rule for rule in scheme.earn}
        self.rewards = {reward.id: reward for reward in scheme.rewards}
        self.auto_rewards = tuple(r for r in scheme.rewards if r.auto_issue)
        self.on_purchase = self.compile_purchase()

    # -- the Stage protocol ------------------------------------------------------------
    def checks(self) -> dict[int, Check]:
        return {RETURN: self._check_return_row, REDEMPTION: self._check_redemption_row}

    def handlers(self) -> dict[int, Handler]:
        return {
            PURCHASE: self.on_purchase,
            RETURN: lambda m, row, log, trace: self.on_return(m, row[5], log, trace),
            REDEMPTION: lambda m, row, log, trace: self.redeem(m, row[5], log, trace),
        }

    def _check_return_row(self, m: Member, row: Row) -> None:
        event: Return = row[5]
        m.last_return = (event.purchase_id, self.check_return(m, event))

    def _check_redemption_row(self, m: Member, row: Row) -> None:
        self.check_redemption(m, row[5])

    def next_due(self, m: Member) -> datetime | None:
        due: datetime | None = None
        for lot in m.lots:
            when = lot[L_AVAILABLE_AT] if lot[L_PENDING] else lot[L_EXPIRES]
            if when is not None and (due is None or when < due):
                due = when
        return due

    # -- effect builders (called lazily) ------------------------------------------------
    def _earned(self, mid: str, lot: list[Any]) -> PointsEarned:
        lot_id, rule_id, eid, at, points, _, _, available_at, expires_at = lot
        return self._earned_effect(mid, lot_id, rule_id, eid, at, points, available_at,
                                   expires_at)

    def _pooled(self, mid: str, rule_id: str, eid: str, at: datetime,
                points: int) -> PointsEarned:
        return self._earned_effect(mid, None, rule_id, eid, at, points, None, None)

    def _earned_effect(self, mid: str, lot_id: str | None, rule_id: str, eid: str,
                       at: datetime, points: int, available_at: datetime | None,
                       expires_at: datetime | None) -> PointsEarned:
        reason = self.rules[rule_id]._reason(points, eid)
        if available_at is not None:
            reason += f", available from {_fmt_date(available_at, self.zone)}"
        if expires_at is not None:
            reason += f", valid until {_fmt_date(expires_at, self.zone)}"
        return PointsEarned.model_construct(
            rule_id=rule_id, reason=reason, member_id=mid, event_id=eid, at=at, points=points,
            lot_id=lot_id, status="pending" if available_at is not None else "available",
            available_at=available_at, expires_at=expires_at,
        )

    # -- purchase ------------------------------------------------------------------------
    def compile_purchase(self, fused_due: DueRunner | None = None) -> Handler:
        """The purchase handler: earn points on the order.

        With ``fused_due`` (the engine's time loop) the closure is the whole purchase step:
        housekeeping when due, the order's facts, earning, the applied id and the state's
        time, so a replay of a program whose only purchase policy is the point scheme makes
        one call per purchase. Without it, the engine has recorded the order's facts already.
        """
        rules = []
        for rule in self.scheme.earn:
            limit = None if rule.min_amount is None else rule.min_amount.amount
            pred = None if rule.when is None else rule.when.compile(self.ctx)
            rules.append((rule.id, "/" + rule.id, rule.points, limit, rule.inclusive, pred))
        pending = timedelta(days=self.scheme.pending_days) if self.scheme.pending_days else None
        expiry = self.scheme.expiry
        zone = self.zone
        earned = self._earned
        pooled_earned = self._pooled
        repay = self._repay_debt
        auto = self._auto_issue if self.auto_rewards else None
        zero = Decimal(0)
        is_pending = pending is not None
        pool = not is_pending and expiry is None
        fused = fused_due is not None
        due_runner: DueRunner = fused_due if fused_due is not None else _never

        def on_purchase(m: Member, row: Row, log: Log, trace: Trace) -> None:
            _, eid, mid, at, amount, _ = row
            if fused:
                due = m.next_due
                if due is not None and due <= at:
                    due_runner(m, at, log, trace)
                record: list[Any] = [at, amount, zero, None, None]
                m.purchases[eid] = record
                m.purchase_count += 1
                m.spend += amount  # type: ignore[operator]
            else:
                record = m.purchases[eid]
            for rule_id, suffix, points, limit, inclusive, pred in rules:
                if limit is not None and (amount < limit if inclusive else amount <= limit):  # type: ignore[operator]
                    if trace is not None:
                        trace.append((rule_id, "skipped", f"order {eid} is {amount} "
                                      f"{m.currency}, not {'at least' if inclusive else 'over'} "
                                      f"{limit} {m.currency}"))
                    continue
                if pred is not None and not pred(m, row):
                    if trace is not None:
                        when = self.rules[rule_id].when
                        trace.append((rule_id, "skipped", f"condition not met: {when}"))
                    continue
                if pool:
                    m.pooled += points
                    m.available += points
                    log.append((pooled_earned, mid, rule_id, eid, at, points))
                else:
                    available_at = at + pending if is_pending else None  # type: ignore[operator]
                    expires_at = None if expiry is None else expiry.expires_at(at, zone)
                    lot = [eid + suffix, rule_id, eid, at, points, points, is_pending,
                           available_at, expires_at]
                    m.add_lot(lot)
                    log.append((earned, mid, lot))
                m.earned += points
                if record[3] is None:
                    record[3] = {rule_id: points}
                else:
                    record[3][rule_id] = points
                if trace is not None:
                    trace.append((rule_id, "applied", self.rules[rule_id]._reason(points, eid)))
                if m.debt:
                    repay(m, eid + suffix, eid, at, log)
            if auto is not None:
                auto(m, eid, at, log, trace)
            if fused:
                m.applied.add(eid)
                as_of = m.as_of
                if as_of is None or at > as_of:
                    m.as_of = at

        return on_purchase

    def grant(self, m: Member, points: int, rule_id: str, event_id: str, at: datetime,
              reason: str, log: Log, trace: Trace) -> None:
        """Credit ``points`` on behalf of another family (goodwill, a points gift).

        The points join the scheme like earned ones: a lot with the scheme's expiry (or the
        pool), counted in ``points_earned``, repaying debt first, with a ``PointsEarned``
        effect carrying ``reason``. They are available at once (no pending period).
        """
        if points <= 0:
            return
        lot_id = f"{event_id}/{rule_id}"
        expires_at = None
        if self.scheme.expiry is None and not self.scheme.pending_days:
            m.pooled += points
            m.available += points
            held: str | None = None
        else:
            if self.scheme.expiry is not None:
                expires_at = self.scheme.expiry.expires_at(at, self.zone)
            m.add_lot([lot_id, rule_id, event_id, at, points, points, False, None, expires_at])
            held = lot_id
        m.earned += points
        log.append((_build_granted, rule_id, m.member_id, event_id, at, points, held,
                    expires_at, reason))
        if trace is not None:
            trace.append((rule_id, "applied", reason))
        if m.debt:
            self._repay_debt(m, lot_id, event_id, at, log)

    def _repay_debt(self, m: Member, lot_id: str, eid: str, at: datetime, log: Log) -> None:
        """Withhold new points to repay debt: from the new lot, or from the pool."""
        lot = next((lot for lot in reversed(m.lots) if lot[L_ID] == lot_id), None)
        if lot is None:
            pay = min(m.debt, m.pooled)
            m.pooled -= pay
            m.available -= pay
            from_pending = 0
        else:
            pay = min(m.debt, lot[L_REMAINING])
            from_pending = pay if lot[L_PENDING] else 0
            m.take_from_lot(lot, pay)
            m.drop_empty_lots()
        m.debt -= pay
        m.revoked += pay
        log.append((_build_revoked, "clawback", m.member_id, eid, at, pay, from_pending, 0,
                    None, f"{_plural(pay)} of order {eid} repay points owed after a return"))

    # -- redemption ----------------------------------------------------------------------
    def check_redemption(self, m: Member, event: Redemption) -> Reward:
        """Refuse an unknown reward or a shortfall before anything changes."""
        reward = self.rewards.get(event.reward_id)
        if reward is None:
            known = ", ".join(sorted(self.rewards)) or "none"
            raise UnknownReward(
                f"Redemption.reward_id={event.reward_id!r} is not in the catalogue",
                hint=f"use one of: {known}",
            )
        cost = reward.points * event.quantity
        if m.available < cost:
            short = cost - m.available
            what = reward.name if event.quantity == 1 else f"{event.quantity} x {reward.name}"
            raise InsufficientPoints(
                f"Redemption {event.id}: {what} costs {_plural(cost)} but member "
                f"{m.member_id} has {m.available} available: {short} short",
                shortfall=short,
                hint=f"collect {_plural(short)} more"
                + (f" ({m.pending} pending)" if m.pending else ""),
            )
        return reward

    def redeem(self, m: Member, event: Redemption, log: Log, trace: Trace) -> None:
        """Spend points on a reward (the engine ran :meth:`check_redemption` first)."""
        reward = self.rewards[event.reward_id]
        for index in range(event.quantity):
            self._issue(m, reward, event.id, event.at, index, log, trace)

    def _issue(self, m: Member, reward: Reward, eid: str, at: datetime, index: int,
               log: Log, trace: Trace) -> None:
        m.take_available(reward.points)
        m.redeemed += reward.points
        expires = None
        if reward.valid_days is not None:
            expires = at.astimezone(self.zone) + relativedelta(days=reward.valid_days)
        voucher = Voucher.model_construct(
            code=f"{eid}/{reward.id}/{index + 1}", reward_id=reward.id, value=reward.value,
            issued_at=at, expires_at=expires, source_event_id=eid,
        )
        m.vouchers.append(voucher)
        log.append((_build_redeemed, reward, m.member_id, eid, at))
        log.append((_build_voucher, reward, m.member_id, eid, at, voucher, self.zone))
        if trace is not None:
            trace.append((reward.id, "applied", f"{_plural(reward.points)} redeemed for "
                          f"{reward.name} worth {reward.value}"))

    def _auto_issue(self, m: Member, eid: str, at: datetime, log: Log, trace: Trace) -> None:
        index = 0
        for reward in self.auto_rewards:
            while m.available >= reward.points:
                self._issue(m, reward, eid, at, index, log, trace)
                index += 1

    # -- returns -------------------------------------------------------------------------
    def check_return(self, m: Member, event: Return) -> Decimal:
        """The amount this return takes back, or an error; nothing changes here."""
        record = m.purchases.get(event.purchase_id)
        if record is None:
            raise UnknownPurchase(
                f"Return {event.id}: purchase_id={event.purchase_id!r} is unknown for member "
                f"{m.member_id}",
                hint="apply the purchase first, or check the id",
            )
        left = record[P_AMOUNT] - record[P_RETURNED]
        if event.amount is None:
            if event.lines:
                raise ReturnExceedsPurchase(
                    f"Return {event.id}: returns by line need the purchase's lines, which "
                    f"purchase {event.purchase_id} did not have",
                    hint="give the returned amount instead",
                )
            if left <= 0:
                raise ReturnExceedsPurchase(
                    f"Return {event.id}: purchase {event.purchase_id} was already returned in "
                    "full", hint="drop this return",
                )
            return Decimal(left)
        if event.amount.currency != m.currency:
            raise CurrencyMismatch(
                f"Return.amount={event.amount} is in {event.amount.currency} but the program "
                f"uses {m.currency}", hint=f"send the amount in {m.currency}",
            )
        if event.amount.amount > left:
            raise ReturnExceedsPurchase(
                f"Return {event.id}: amount={event.amount} is more than the "
                f"{left} {m.currency} left of purchase {event.purchase_id}",
                hint="return at most what is left",
            )
        return event.amount.amount

    def on_return(self, m: Member, event: Return, log: Log, trace: Trace) -> None:
        """Take back the points a purchase earned once the kept amount no longer earns them.

        The engine has checked the return and recorded it on the order already.
        """
        record = m.purchases[event.purchase_id]
        kept = record[P_AMOUNT] - record[P_RETURNED]
        if record[P_EARNED] is None:
            return
        if record[P_REVOKED] is None:
            record[P_REVOKED] = {}
        for rule_id, points in sorted(record[P_EARNED].items()):
            rule = self.rules.get(rule_id)
            still = points - record[P_REVOKED].get(rule_id, 0)
            if still <= 0:
                continue
            full_return = kept <= 0
            if not full_return and (rule is None or rule.qualifies(kept)):
                if trace is not None:
                    trace.append((rule_id, "skipped", f"kept amount {kept} {m.currency} still "
                                  "earns these points"))
                continue
            record[P_REVOKED][rule_id] = points
            why = ("the order was returned in full" if full_return else
                   f"the kept amount {kept} {m.currency} no longer qualifies")
            self._revoke(m, event, rule_id, still, why, log, trace)

    def _revoke(self, m: Member, event: Return, rule_id: str, points: int, why: str,
                log: Log, trace: Trace) -> None:
        lot_id = f"{event.purchase_id}/{rule_id}"
        taken = from_pending = 0
        for lot in m.lots:  # first the purchase's own lot, whatever its status
            if lot[L_ID] == lot_id and lot[L_REMAINING]:
                taken = min(points, lot[L_REMAINING])
                from_pending = taken if lot[L_PENDING] else 0
                m.take_from_lot(lot, taken)
        if taken < points:  # then other available points, the pool and newest lots first
            taken += m.take_newest(points - taken)
        m.drop_empty_lots()
        short = points - taken
        debt = short if self.scheme.clawback == "debt" else 0
        m.debt += debt
        m.revoked += taken
        reason = f"{_plural(points)} of order {event.purchase_id} taken back: {why}"
        if short:
            reason += (f"; {short} already spent, owed from future points" if debt
                       else f"; {short} already spent, absorbed by the shop")
        log.append((_build_revoked, rule_id, m.member_id, event.id, event.at, taken,
                    from_pending, debt, event.purchase_id, reason))
        if trace is not None:
            trace.append((rule_id, "applied", reason))

    # -- time ------------------------------------------------------------------------------
    def housekeeping(self, m: Member, until: datetime, log: Log, trace: Trace) -> None:
        """Release pending lots and expire lots whose time has come, in time order."""
        due: list[tuple[datetime, int, list[Any]]] = []
        for lot in m.lots:
            if lot[L_PENDING] and lot[L_AVAILABLE_AT] is not None and lot[L_AVAILABLE_AT] <= until:
                due.append((lot[L_AVAILABLE_AT], 0, lot))
                if lot[L_EXPIRES] is not None and lot[L_EXPIRES] <= until:
                    due.append((lot[L_EXPIRES], 1, lot))
            elif not lot[L_PENDING] and lot[L_EXPIRES] is not None and lot[L_EXPIRES] <= until:
                due.append((lot[L_EXPIRES], 1, lot))
        due.sort(key=lambda item: (item[0], item[1], item[2][L_ID]))
        for when, kind, lot in due:
            points = lot[L_REMAINING]
            if kind == 0:
                m.pending -= points
                m.available += points
                lot[L_PENDING] = False
                if points:
                    log.append((_build_released, m.member_id, when, points, lot[L_ID]))
            elif points:
                m.take_from_lot(lot, points)
                m.expired += points
                log.append((_build_expired, m.member_id, when, points, lot, self))
                if trace is not None:
                    trace.append(("expiry", "applied", f"{_plural(points)} of lot {lot[L_ID]} "
                                  "expired"))
        m.drop_empty_lots()

    def describe_expiry(self) -> str:
        expiry = self.scheme.expiry
        return "never" if expiry is None else expiry.describe()


def _build_granted(rule_id: str, mid: str, eid: str, at: datetime, points: int,
                   lot_id: str | None, expires_at: datetime | None,
                   reason: str) -> PointsEarned:
    return PointsEarned.model_construct(
        rule_id=rule_id, reason=reason, member_id=mid, event_id=eid, at=at, points=points,
        lot_id=lot_id, status="available", available_at=None, expires_at=expires_at,
    )


def _build_redeemed(reward: Reward, mid: str, eid: str, at: datetime) -> PointsRedeemed:
    return PointsRedeemed.model_construct(
        rule_id=reward.id, reason=f"{_plural(reward.points)} redeemed for {reward.name}",
        member_id=mid, event_id=eid, at=at, points=reward.points, reward_id=reward.id,
    )


def _build_voucher(reward: Reward, mid: str, eid: str, at: datetime, voucher: Voucher,
                   zone: ZoneInfo) -> VoucherIssued:
    reason = f"{reward.name} worth {reward.value}"
    if voucher.expires_at is not None:
        reason += f", valid until {_fmt_date(voucher.expires_at, zone)}"
    return VoucherIssued.model_construct(
        rule_id=reward.id, reason=reason, member_id=mid, event_id=eid, at=at, voucher=voucher,
    )


def _build_revoked(rule_id: str, mid: str, eid: str, at: datetime, points: int,
                   from_pending: int, debt: int, purchase_id: str | None,
                   reason: str) -> PointsRevoked:
    return PointsRevoked.model_construct(
        rule_id=rule_id, reason=reason, member_id=mid, event_id=eid, at=at, points=points,
        from_pending=from_pending, debt_added=debt, purchase_id=purchase_id,
    )


def _build_released(mid: str, at: datetime, points: int, lot_id: str) -> PointsReleased:
    order = lot_id.rsplit("/", 1)[0]
    return PointsReleased.model_construct(
        rule_id="pending", reason=f"{_plural(points)} from order {order} are now available: "
        "the return window has closed", member_id=mid, event_id=None, at=at, points=points,
        lot_id=lot_id,
    )


def _build_expired(mid: str, at: datetime, points: int, lot: list[Any],
                   compiled: CompiledPoints) -> PointsExpired:
    reason = (f"{_plural(points)} earned on {_fmt_date(lot[3], compiled.zone)} expired after "
              f"{compiled.describe_expiry()}")
    return PointsExpired.model_construct(
        rule_id="expiry", reason=reason, member_id=mid, event_id=None, at=at, points=points,
        lot_id=lot[L_ID],
    )


def check_purchase_currency(event: Purchase, currency: str) -> None:
    """Refuse a purchase in another currency than the program's."""
    if event.amount.currency != currency:
        raise CurrencyMismatch(
            f"Purchase.amount={event.amount} is in {event.amount.currency} but the program "
            f"uses {currency}",
            hint=f"send amounts in {currency}; reciprocity never converts currencies",
        )
