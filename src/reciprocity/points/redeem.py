"""Redemption of points for rewards and vouchers, compiled: the second layer of the stage.

Holds :class:`RedeemStage` (``check_redemption``, ``redeem``, voucher issue and auto-issue)
and the builders of their effects.

Imports: :mod:`reciprocity.points.lots` and what it imports; never a later layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from zoneinfo import ZoneInfo

from .._engine import (
    Log,
    Member,
    Row,
    Trace,
)
from .._reason import Msg, Unit, fields, money_text
from ..effects import (
    PointsRedeemed,
    VoucherIssued,
)
from ..errors import (
    BelowMinimumBalance,
    InsufficientPoints,
    InvalidEvent,
    UnknownReward,
)
from ..events import (
    Redemption,
)
from ..money import Money
from ..state import Voucher
from .lots import LotStage
from .rules import (
    last_day,
    local_day,
    plural,
)
from .scheme import (
    PointsAsCurrency,
    Reward,
)
from .units import counted

__all__ = ["RedeemStage"]

_ZERO = Decimal(0)
_ONE = Decimal(1)

class RedeemStage(LotStage):
    """Redemptions and vouchers: refusals, spending points, issuing (also automatically)."""

    balance_rules: Mapping[str | None, frozenset[str]] = MappingProxyType({})
    """Set with ``Program.balances``: see ``points.balances`` (empty otherwise)."""
    balance_units: Mapping[str, Unit | None] = MappingProxyType({})
    """Each balance's unit as a reason argument, set with ``Program.balances`` (read by the
    tier ladder's reasons)."""
    foreign_rewards: frozenset[str] = frozenset()
    """Rewards of the program's other balances (``Program.balances``): theirs to redeem."""
    reward_balance: Mapping[str, str] = MappingProxyType({})
    """Reward id -> the one of ``Program.balances`` whose catalogue has it (set with them)."""

    def _check_redemption_row(self, m: Member, row: Row) -> None:
        if row[5].balance is not None:
            self.check_balance(row[5])
        if row[5].reward_id not in self.foreign_rewards:
            self.check_redemption(m, row[5])

    def check_balance(self, event: Redemption) -> None:
        """Refuse a redemption whose ``balance`` is not the balance its reward belongs to."""
        named, reward_id = event.balance, event.reward_id
        owner = self.reward_balance.get(reward_id)
        if named == owner:
            return
        names = ", ".join(repr(name) for name in self.balance_rules if name is not None)
        if owner is not None:
            hint = f"use balance={owner!r}, or leave balance out: the reward picks its balance"
        elif reward_id in self.rewards:
            hint = (f"leave balance out: {reward_id!r} is a reward of the program's own "
                    "points (Program.points)")
        else:
            hint = "leave balance out, and name a reward of the catalogue"
        where = (f"is not one of Program.balances ({names or 'none declared'})"
                 if named not in self.balance_rules else f"has no reward {reward_id!r}")
        raise UnknownReward(f"Redemption {event.id}: Redemption.balance={named!r} {where}",
                            hint=hint)

    # -- redemption ----------------------------------------------------------------------
    def check_redemption(self, m: Member, event: Redemption) -> Reward | PointsAsCurrency:
        """Refuse an unknown reward, a malformed request or a shortfall; change nothing."""
        reward = self.rewards.get(event.reward_id)
        if reward is None:
            known = ", ".join(sorted({*self.rewards, *self.foreign_rewards})) or "none"
            raise UnknownReward(
                f"Redemption.reward_id={event.reward_id!r} is not in the catalogue",
                hint=f"use one of: {known}",
            )
        minimum = self.scheme.min_balance
        if m.available < minimum:
            raise BelowMinimumBalance(
                f"Redemption {event.id}: member {m.member_id} has {plural(m.available)} "
                f"available, below the minimum balance of {plural(minimum)} for any "
                "redemption", balance=m.available, minimum=minimum,
                hint=f"collect {plural(minimum - m.available)} more before redeeming")
        if isinstance(reward, PointsAsCurrency):
            if event.points is None:
                raise InvalidEvent(
                    f"Redemption {event.id}: reward {reward.id!r} pays with points, so "
                    "Redemption.points is needed", hint=f"say how many, from {reward.min_points}")
            if event.points < reward.min_points or event.points % reward.step:
                raise InvalidEvent(
                    f"Redemption.points={event.points} for {reward.id!r}: "
                    f"{reward.describe()}", hint=f"redeem at least {reward.min_points}"
                    + (f" in multiples of {reward.step}" if reward.step > 1 else ""))
            cost, what = event.points, f"{reward.name} of {plural(event.points)}"
        else:
            if event.points is not None:
                raise InvalidEvent(
                    f"Redemption.points={event.points} for fixed reward {reward.id!r}",
                    hint="leave points out; the reward has a fixed price")
            cost = reward.points * event.quantity
            what = reward.name if event.quantity == 1 else f"{event.quantity} x {reward.name}"
        if m.available < cost:
            short = cost - m.available
            raise InsufficientPoints(
                f"Redemption {event.id}: {what} costs {plural(cost)} but member "
                f"{m.member_id} has {m.available} available: {short} short",
                shortfall=short,
                hint=f"collect {plural(short)} more"
                + (f" ({m.pending} pending)" if m.pending else ""),
            )
        return reward

    def redeem(self, m: Member, event: Redemption, log: Log, trace: Trace) -> None:
        """Spend points on a reward (the engine ran :meth:`check_redemption` first)."""
        reward = self.rewards[event.reward_id]
        if self.inactivity is not None:
            self._touch(m, event.at)
        if isinstance(reward, PointsAsCurrency):
            assert event.points is not None
            value = Money(reward.point_value.amount * event.points, self.ctx.currency)
            self._issue(m, reward, event.points, value, event.id, event.at, 0, log, trace)
            return
        for index in range(event.quantity):
            self._issue(m, reward, reward.points, reward.value, event.id, event.at, index,
                        log, trace)

    def _issue(self, m: Member, reward: Reward | PointsAsCurrency, points: int,
               value: Money | None,
               eid: str, at: datetime, index: int, log: Log, trace: Trace) -> None:
        reward_id, name, zone = reward.id, reward.name, self.zone
        m.take_available(points, newest_first=self.scheme.redemption_order == "lifo")
        m.redeemed += points
        voucher = Voucher.model_construct(
            code=f"{eid}/{reward_id}/{index + 1}", reward_id=reward_id, value=value,
            issued_at=at, expires_at=reward.expires_at(at, zone),
            valid_from=reward.valid_from(at, zone), source_event_id=eid,
        )
        m.vouchers.append(voucher)
        log.append(self.said((_build_redeemed, reward_id, name, points, m.member_id, eid, at)))
        log.append((_build_voucher, reward_id, name, m.member_id, eid, at, voucher, self.zone))
        if trace is not None:
            worth = "" if value is None else f" worth {money_text(value.amount, value.currency)}"
            trace.append((reward_id, "applied", f"{counted(points, self.unit)} redeemed for "
                          f"{name}{worth}"))

    def _auto_issue(self, m: Member, eid: str, at: datetime, log: Log, trace: Trace) -> None:
        index = sum(1 for v in m.vouchers  # this scheme's: Program.balances share the list
                    if v.source_event_id == eid and v.reward_id in self.rewards)
        for reward in self.auto_rewards:
            while m.available >= reward.points:
                self._issue(m, reward, reward.points, reward.value, eid, at, index, log,
                            trace)
                index += 1


def _build_redeemed(reward_id: str, name: str, points: int, mid: str, eid: str,
                    at: datetime) -> PointsRedeemed:
    return PointsRedeemed.model_construct(
        rule_id=reward_id, **fields(Msg("reason.redeemed", {"n": points, "reward": name})),
        member_id=mid,
        event_id=eid, at=at, points=points, reward_id=reward_id,
    )


def _build_voucher(reward_id: str, name: str, mid: str, eid: str, at: datetime,
                   voucher: Voucher, zone: ZoneInfo) -> VoucherIssued:
    reason = (Msg("reason.voucher", {"name": name}) if voucher.value is None
              else Msg("reason.voucher.worth", {"name": name, "value": voucher.value}))
    start = None if voucher.valid_from is None else local_day(voucher.valid_from, zone)
    end = None if voucher.expires_at is None else last_day(voucher.expires_at, zone)
    if start is not None and end is not None:
        reason = Msg("reason.valid_from_until", {"text": reason, "start": start, "end": end})
    elif start is not None:
        reason = Msg("reason.valid_from", {"text": reason, "date": start})
    elif end is not None:
        reason = Msg("reason.valid_until", {"text": reason, "date": end})
    return VoucherIssued.model_construct(
        rule_id=reward_id, **fields(reason), member_id=mid, event_id=eid, at=at, voucher=voucher,
    )


