"""Returns in the point scheme, compiled: the fourth layer of the stage.

Holds :class:`ReturnStage` (``check_return``, ``on_return``, revoking points, cancelling
auto-issued vouchers), the per-line record a purchase keeps for later returns
(:func:`line_record`), and the builders of revoked and cancelled effects.

Imports: :mod:`reciprocity.points.expiry` and what it imports; never the stage module.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from .._engine import (
    L_ID,
    L_PENDING,
    L_REMAINING,
    LN_PRICE,
    LN_QUANTITY,
    LN_RETURNED,
    P_AMOUNT,
    P_AT,
    P_CLOSED,
    P_EARNED,
    P_LINES,
    P_RETURNED,
    P_REVOKED,
    Log,
    Member,
    Row,
    Trace,
)
from .._reason import Msg, english, fields
from ..effects import (
    VoucherCancelled,
)
from ..errors import (
    CurrencyMismatch,
    ReturnExceedsPurchase,
    ReturnMismatch,
    UnknownPurchase,
)
from ..events import (
    Purchase,
    Return,
)
from ..money import Money, Rounding
from ..state import Voucher
from .expiry import ExpiryStage
from .lots import _build_revoked
from .rules import (
    PointsPerAmount,
    PointsPerPurchase,
)
from .scheme import (
    Reward,
)
from .units import traced, units_word

__all__ = ["ReturnStage", "line_record"]

_ZERO = Decimal(0)
_ONE = Decimal(1)

class ReturnStage(ExpiryStage):
    """Returns: refusals, points taken back (with debt or absorbed), vouchers cancelled."""

    def _check_return_row(self, m: Member, row: Row) -> None:
        event: Return = row[5]
        m.last_return = (event.purchase_id, self.check_return(m, event))

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
        left: Decimal = record[P_AMOUNT] - record[P_RETURNED]
        if record[P_CLOSED]:
            raise ReturnExceedsPurchase(
                f"Return {event.id}: purchase {event.purchase_id} was already returned in "
                "full", hint="drop this return",
            )
        if event.amount is not None and event.amount.currency != m.currency:
            raise CurrencyMismatch(
                f"Return.amount={event.amount} is in {event.amount.currency} but the program "
                f"uses {m.currency}", hint=f"send the amount in {m.currency}",
            )
        if event.lines:
            value = _lines_amount(event, record, m.currency)
            if event.amount is not None:
                _agree(event, value, m.currency)
                return event.amount.amount
            return value
        if event.amount is None:
            return left
        if event.amount.amount > left:
            raise ReturnExceedsPurchase(
                f"Return {event.id}: amount={event.amount} is more than the "
                f"{Money(left, m.currency)} left of purchase {event.purchase_id}",
                hint="return at most what is left",
            )
        return event.amount.amount

    def on_return(self, m: Member, event: Return, log: Log, trace: Trace,
                  count_lines: bool = True) -> None:
        """Take back the points the order earned, as stored when it earned them.

        A per-order rule takes all back once the kept amount no longer qualifies; a
        per-amount rule takes back in proportion to what was returned. The engine has
        checked the return and recorded it on the order already. Points of another balance
        (``<balance>/<rule>``, see ``points.balances``) are that balance's to take back;
        its call passes ``count_lines=False``, the lines being counted returned already.
        """
        record = m.purchases[event.purchase_id]
        if count_lines and event.lines and record[P_LINES] is not None:
            for returned in event.lines:
                record[P_LINES][returned.sku][LN_RETURNED] += returned.quantity
        if record[P_EARNED] is None:
            return
        if record[P_REVOKED] is None:
            record[P_REVOKED] = {}
        amount, gone = record[P_AMOUNT], record[P_RETURNED]
        kept = _ZERO if record[P_CLOSED] else amount - gone
        for rule_id, points in sorted(record[P_EARNED].items()):
            if "/" in rule_id:  # another balance's points (rule ids have no "/")
                continue
            rule = self.rules.get(rule_id)
            revoked = record[P_REVOKED].get(rule_id, 0)
            if kept <= 0:
                target, why = points, Msg("reason.why.full", {})
            elif isinstance(rule, PointsPerPurchase):
                if rule.qualifies(kept):
                    if trace is not None:
                        trace.append((rule_id, "skipped", f"kept amount {kept} {m.currency} "
                                      f"still earns these {units_word(self.unit)}"))
                    continue
                target, why = points, Msg("reason.why.kept", {"kept": Money(kept, m.currency)})
            elif (isinstance(rule, PointsPerAmount) and rule.filters_lines and event.lines
                  and record[P_LINES] is not None):
                # Returned lines: the share of the amount that earned points goes back.
                earning = back = _ZERO
                for sku, (price, category, bought, returned) in record[P_LINES].items():
                    if rule.counts_line(sku, category):
                        earning += price * bought
                        back += price * returned
                # the product before the division (see ``earn._per_amount``)
                target = min(points, rule.clawback_rounding.to_int(
                    points * back / earning if earning else _ZERO))
                why = Msg("reason.why.lines", {"back": Money(back, m.currency),
                                               "earning": Money(earning, m.currency)})
            else:
                mode = rule.clawback_rounding if isinstance(rule, PointsPerAmount) \
                    else Rounding.HALF_UP
                target = min(points, mode.to_int(points * gone / amount))
                why = Msg("reason.why.share", {"gone": Money(gone, m.currency),
                                              "amount": Money(amount, m.currency)})
            if target <= revoked:
                continue
            record[P_REVOKED][rule_id] = target
            if rule is not None and rule.caps:
                self._uncount(m, rule, target - revoked, record[P_AT])
            self._revoke(m, event, rule_id, target - revoked, why, log, trace)

    def _revoke(self, m: Member, event: Return, rule_id: str, points: int, why: Msg,
                log: Log, trace: Trace) -> None:
        lot_id = f"{event.purchase_id}/{rule_id}"
        taken = from_pending = 0
        for lot in m.lots:  # first the purchase's own lot, whatever its status
            if lot[L_ID] == lot_id and lot[L_REMAINING]:
                taken = min(points, lot[L_REMAINING])
                from_pending = taken if lot[L_PENDING] else 0
                m.take_from_lot(lot, taken)
        if points - taken > m.available:
            self._cancel_auto_vouchers(m, event, points - taken, log, trace)
        if taken < points:  # then other available points, the pool and newest lots first
            taken += m.take_newest(points - taken)
        m.drop_empty_lots()
        short = points - taken
        debt = short if self.scheme.clawback == "debt" else 0
        m.debt += debt
        m.revoked += taken
        reason = Msg("reason.revoked", {"n": points, "order": event.purchase_id, "why": why})
        if short:
            reason = Msg("reason.revoked.owed" if debt else "reason.revoked.absorbed",
                         {"text": reason, "n": short})
        log.append(self.said((_build_revoked, rule_id, m.member_id, event.id, event.at, taken,
                              from_pending, debt, event.purchase_id, reason)))
        if trace is not None:
            trace.append((rule_id, "applied", english(*traced(self.unit, reason))))

    def _cancel_auto_vouchers(self, m: Member, event: Return, needed: int, log: Log,
                              trace: Trace) -> None:
        """Cancel vouchers the returned order issued automatically, newest first, until the
        balance covers ``needed``: otherwise buying and returning would yield a voucher."""
        for voucher in reversed(list(m.vouchers)):
            if m.available >= needed:
                break
            if (voucher.source_event_id != event.purchase_id
                    or voucher.reward_id not in self.rewards):  # another balance's voucher
                continue
            reward = self.rewards.get(voucher.reward_id)
            points = reward.points if isinstance(reward, Reward) else 0
            m.vouchers.remove(voucher)
            m.redeemed -= points
            if self.pool:
                m.pooled += points
                m.available += points
            else:
                expires = self.lot_expires(m, voucher.issued_at)
                m.add_lot([f"{voucher.code}/restored",  # L_* order
                           voucher.reward_id, event.purchase_id,
                           voucher.issued_at, points, points, False, None, expires])
            m.schedule(self.next_due(m))  # restored points may be due at once (inactivity)
            args = {"n": points, "code": voucher.code, "order": event.purchase_id}
            reason = (Msg("reason.voucher.cancelled", args) if voucher.value is None else
                      Msg("reason.voucher.cancelled.worth", {**args, "value": voucher.value}))
            log.append(self.said((_build_cancelled, voucher.reward_id, m.member_id, event.id,
                                  event.at, voucher, points, reason)))
            if trace is not None:
                trace.append((voucher.reward_id, "applied", english(*traced(self.unit, reason))))


def line_record(event: Purchase) -> dict[str, list[Any]]:
    """sku -> a line record (``LN_*`` slots: unit price, category, quantity, returned)."""
    lines: dict[str, list[Any]] = {}
    for line in event.lines:
        entry = lines.get(line.sku)
        if entry is None:
            lines[line.sku] = [line.unit_price.amount, line.category, line.quantity, 0]  # LN_*
        else:
            entry[LN_QUANTITY] += line.quantity
    return lines


def _lines_amount(event: Return, record: list[Any], currency: str) -> Decimal:
    lines = record[P_LINES]
    if lines is None:
        raise ReturnExceedsPurchase(
            f"Return {event.id}: returns by line need the purchase's lines, which purchase "
            f"{event.purchase_id} did not have", hint="give the returned amount instead")
    total = _ZERO
    for returned in event.lines:
        entry = lines.get(returned.sku)
        if entry is None:
            raise ReturnExceedsPurchase(
                f"Return {event.id}: sku {returned.sku!r} is not on purchase "
                f"{event.purchase_id}", hint="return skus the order had")
        left = entry[LN_QUANTITY] - entry[LN_RETURNED]
        if returned.quantity > left:
            raise ReturnExceedsPurchase(
                f"Return {event.id}: {returned.quantity} x {returned.sku} but only {left} "
                f"left of purchase {event.purchase_id}", hint="return at most what is left")
        total += entry[LN_PRICE] * returned.quantity
    left_amount: Decimal = record[P_AMOUNT] - record[P_RETURNED]
    return min(total, left_amount)


def _agree(event: Return, value: Decimal, currency: str) -> None:
    """Refuse a return whose amount is not what its lines are worth (to the minor unit)."""
    assert event.amount is not None
    worth = Money(value, currency).quantize(Rounding.HALF_UP)
    if worth.amount != event.amount.amount:
        raise ReturnMismatch(
            f"Return {event.id}: amount={event.amount} but its lines are worth {worth} at the "
            f"prices of purchase {event.purchase_id}", amount=str(event.amount.amount),
            lines_amount=str(worth.amount), currency=currency,
            hint="send the amount the lines are worth, or only one of amount and lines")


def _build_cancelled(rule_id: str, mid: str, eid: str, at: datetime, voucher: Voucher,
                     points: int, reason: Msg) -> VoucherCancelled:
    return VoucherCancelled.model_construct(
        rule_id=rule_id, **fields(reason), member_id=mid, event_id=eid, at=at, voucher=voucher,
        points=points,
    )
