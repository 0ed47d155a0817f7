"""Time housekeeping of the point scheme, compiled: the third layer of the stage.

Holds :class:`ExpiryStage`: when the scheme next has something due, releasing pending points
(after the pending days or on the release event), expiring lots and inactive balances, and
auto-issuing vouchers from released points.

Imports: :mod:`reciprocity.points.redeem` and what it imports; never a later layer.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from heapq import heapify, heappop
from typing import Any

from .._engine import (
    DROPPED,
    DUE_EXPIRY,
    DUE_RELEASE,
    L_AT,
    L_AVAILABLE_AT,
    L_EXPIRES,
    L_ID,
    L_PENDING,
    L_REMAINING,
    L_SOURCE,
    Log,
    Member,
    Row,
    Trace,
    lots_due,
    lots_due_until,
)
from .._reason import MonthDay, Msg, english, ordinal
from .lots import _build_expired, _build_lot_expired, _build_released
from .redeem import RedeemStage
from .scheme import CalendarCutoff, EndOfMonthAfter, EndOfQuarterAfter, Expiry, FixedLifetime
from .units import counted, in_unit, traced, units_word

__all__ = ["ExpiryStage", "Moved", "expiry_note"]


def expiry_note(expiry: Expiry | None) -> Msg:
    """A lot expiry rule as a part of a reason: ``12 months after they are earned``."""
    if isinstance(expiry, FixedLifetime):
        months = Msg("reason.months", {"n": expiry.months})
        days = Msg("reason.days", {"n": expiry.days})
        period = (Msg("reason.months_days", {"months": months, "days": days})
                  if expiry.months and expiry.days else months if expiry.months else days)
        return Msg("reason.expiry.lifetime", {"period": period})
    if isinstance(expiry, EndOfMonthAfter) and not expiry.months:
        return Msg("reason.expiry.end_of_same_month", {})
    if isinstance(expiry, EndOfMonthAfter):
        return Msg("reason.expiry.end_of_month", {"ordinal": ordinal(expiry.months)})
    if isinstance(expiry, EndOfQuarterAfter):
        return Msg("reason.expiry.end_of_quarter",
                   {"months": Msg("reason.months", {"n": expiry.months})})
    if isinstance(expiry, CalendarCutoff):
        start = date(2001, expiry.month, expiry.day) + timedelta(days=1)
        return Msg("reason.expiry.cutoff", {
            "n": expiry.years, "cutoff": MonthDay(expiry.month, expiry.day),
            "start": MonthDay(start.month, start.day)})
    return Msg("reason.expiry.none", {})

_ZERO = Decimal(0)
_ONE = Decimal(1)

Moved = tuple[str, int, datetime | None]
"""What a tier change did to the lots' expiry (:meth:`ExpiryStage.tier_moved`):
``("lifted", points, None)`` or ``("set", points, expires at)``: the last element of the
``TierChanged`` entry's ``why`` (``tiers.report.changed_reason`` says it)."""

class ExpiryStage(RedeemStage):
    """Time in the point scheme: pending points released, lots expired, inactivity."""

    def next_due(self, m: Member) -> datetime | None:
        heap = m.lot_due
        if heap:  # the top of a heap, not a walk over every lot
            top = heap[0]  # lots_due, inline when the top is live (it most often is)
            lot = top[4]
            live = (lot[L_PENDING] if top[1] == DUE_RELEASE
                    else lot[L_REMAINING] or lot[L_PENDING] is not DROPPED)
            due = top[0] if live else lots_due(m)
        else:
            due = None
        if self.inactivity is not None and m.last_activity is not None and (
                m.available or m.pending):
            when = self.inactivity.due(m.last_activity, self.zone)
            if due is None or when < due:
                due = when
        return due

    def _expiry_note(self) -> Msg:
        """:func:`expiry_note` of the scheme's lot expiry, made once per rule (a message is
        never changed once made, so every expired effect may share it)."""
        noted: tuple[Expiry | None, Msg] | None = self.__dict__.get("_noted")
        if noted is None or noted[0] is not self.lot_expiry:
            noted = self.__dict__["_noted"] = (self.lot_expiry, expiry_note(self.lot_expiry))
        return noted[1]

    def _release_order(self, m: Member, row: Row, log: Log, trace: Trace) -> None:
        payload = row[5].payload
        order = payload.get("order_id", payload.get("purchase_id"))
        released = 0
        for lot in m.lots:
            if lot[L_PENDING] and lot[L_SOURCE] == order:
                points = lot[L_REMAINING]
                m.pending -= points
                m.available += points
                lot[L_PENDING] = False
                released += points
                m.schedule(lot[L_EXPIRES])
                if points:
                    log.append(self.said((_build_released, m.member_id, row[3], points,
                                          lot[L_ID], self.scheme.release_on, row[1])))
        if trace is not None:
            trace.append(("pending", "applied" if released else "note",
                          f"{counted(released, self.unit)} of order {order} released"
                          if released else
                          f"no pending {units_word(self.unit)} for order {order!r}"))

    # -- time ------------------------------------------------------------------------------
    def housekeeping(self, m: Member, until: datetime, log: Log, trace: Trace) -> None:
        """Release pending lots and expire lots whose time has come, in time order."""
        note: Msg | None = None
        unit = self.unit  # self.said(entry), inline: the entry as it is without a unit
        # In (when, kind, lot id) order, off the top of the due heap, stale entries dropped
        # (lots_due_until, inline); all taken first when releases may auto-issue vouchers,
        # whose redemption may drop lots that a later entry names.
        heap = m.lot_due
        taken = lots_due_until(m, until) if self.auto_rewards else None
        index = 0
        exempt = (self.tier_exempt and m.tier_benefits is not None
                  and not m.tier_benefits.points_expire)
        kept = False
        while True:
            if taken is None:
                if not heap or heap[0][0] > until:
                    break
                when, kind, _, _, lot = heappop(heap)
                if not (lot[L_PENDING] if kind == DUE_RELEASE
                        else lot[L_REMAINING] or lot[L_PENDING] is not DROPPED):
                    continue  # released before, or dropped
            elif index < len(taken):
                when, kind, lot = taken[index]
                index += 1
            else:
                break
            points = lot[L_REMAINING]
            if kind == 0:
                m.pending -= points
                m.available += points
                lot[L_PENDING] = False
                if points:
                    entry: tuple[Any, ...] = (_build_released, m.member_id, when, points,
                                              lot[L_ID], None, None)
                    log.append(entry if unit is None else (in_unit, unit, entry))
                    if self.auto_rewards:  # "as soon as the balance reaches" includes now
                        self._auto_issue(m, lot[L_SOURCE], when, log, trace)
            elif exempt:
                # A lot dated while the member holds a tier whose points do not expire: a
                # state saved under a program that did not exempt the tier. Kept, and every
                # lot's expiry lifted after the loop, as entering the tier would have.
                kept = True
                if trace is not None and points:
                    trace.append(("expiry", "note", f"lot {lot[L_ID]} kept: "
                                  f"{units_word(self.unit)} do not expire while the member "
                                  f"holds {self.ctx.tier_name(m.tier_id)}"))
            elif points:
                # m.take_from_lot(lot, points), inline: the lot runs out
                lot[L_REMAINING] = 0
                if lot[L_PENDING]:
                    from_pending = points
                    m.pending -= points
                else:
                    from_pending = 0
                    m.available -= points
                lots = m.lots
                if lots[0] is lot and taken is None:
                    # The oldest lot (lots expire oldest first): dropped at once, as
                    # m.drop_empty_lots() would drop it after the loop.
                    del lots[0]
                    lot[L_PENDING] = DROPPED
                else:
                    m.empty_lots += 1
                m.expired += points
                if note is None:
                    note = self._expiry_note()
                # The reason (its message, the lot's local day) is made when the effect is
                # read (see _build_lot_expired).
                entry = (_build_lot_expired, m.member_id, when, points, lot[L_ID], lot[L_AT],
                         self.zone, note, from_pending)
                log.append(entry if unit is None else (in_unit, unit, entry))
                if trace is not None:
                    trace.append(("expiry", "applied", f"{counted(points, self.unit)} of lot "
                                  f"{lot[L_ID]} expired"))
        if m.empty_lots:
            m.drop_empty_lots()
        if kept:
            self._expire_lots_at(m, None)
        if self.inactivity is not None and m.last_activity is not None:
            when = self.inactivity.due(m.last_activity, self.zone)
            if when <= until and (m.available or m.pending):
                self._expire_all(m, when, log, trace)

    def _expire_all(self, m: Member, when: datetime, log: Log, trace: Trace) -> None:
        assert self.inactivity is not None
        points = m.available + m.pending
        from_pending = m.pending
        for lot in m.lots:
            m.take_from_lot(lot, lot[L_REMAINING])
        m.drop_empty_lots()
        m.available -= m.pooled
        m.pooled = 0
        m.expired += points
        reason = Msg("reason.expired.inactive", {
            "n": points, "months": Msg("reason.inactive_months", {"n": self.inactivity.months})})
        log.append(self.said((_build_expired, m.member_id, when, points, None, reason,
                              from_pending)))
        if trace is not None:
            trace.append(("expiry", "applied", english(*traced(self.unit, reason))))

    # -- expiry by tier ----------------------------------------------------------------------
    def tier_moved(self, m: Member, benefits: tuple[Any, ...], old: int, new: int,
                   at: datetime) -> tuple[Moved, ...]:
        """The member moved from tier ``old`` to ``new`` at ``at`` (indexes in ``benefits``,
        the ladder's ``TierBenefits``; ``-1``: no tier): entering a tier whose points do not
        expire lifts every lot's expiry, leaving one for a tier whose points expire sets it
        from ``at``. Returns ``(what the TierChanged says of it,)``, or ``()`` when nothing
        changed (the tail of the entry's ``why``)."""
        if not self.tier_exempt:
            return ()
        was = old >= 0 and not benefits[old].points_expire
        now = new >= 0 and not benefits[new].points_expire
        if was == now:
            return ()
        if now:
            return (("lifted", self.lift_expiry(m), None),)
        return (("set", *self.resume_expiry(m, at)),)

    def lift_expiry(self, m: Member) -> int:
        """The member entered a tier whose points do not expire: no lot of theirs expires
        while they hold it. Returns the points (available and pending) whose expiry was
        lifted; the tier ladder says it (its ``TierChanged`` and trace)."""
        return self._expire_lots_at(m, None)

    def resume_expiry(self, m: Member, at: datetime) -> tuple[int, datetime | None]:
        """The member left a tier whose points do not expire for one whose points do, at
        ``at``: every lot they hold expires as if it were earned at ``at`` (the scheme's
        rule applied from then). Returns the points held in lots and when they expire."""
        assert self.lot_expiry is not None  # the program was checked (_pipeline)
        expires = self.lot_expiry.expires_at(at, self.zone)
        points = self._expire_lots_at(m, expires)
        if m.lots:
            m.schedule(expires)
        return points, expires

    def _expire_lots_at(self, m: Member, expires: datetime | None) -> int:
        """Set every lot's expiry to ``expires`` and rebuild the due heap (a tier change is
        rare: the heap is built again, so no entry of an old expiry stays in it). A lot
        whose expiry changes is a new list: an effect logged before (an earned effect
        reads its lot when it is built) keeps saying the expiry it had then. Returns the
        points of the lots whose expiry changed."""
        lots = m.lots
        points = 0
        changed = False
        due: list[tuple[datetime, int, str, int, list[Any]]] = []
        for index, lot in enumerate(lots):
            if lot[L_EXPIRES] != expires:
                lot = lots[index] = lot.copy()
                lot[L_EXPIRES] = expires
                points += lot[L_REMAINING]
                changed = True
            if lot[L_PENDING] and lot[L_AVAILABLE_AT] is not None:
                due.append((lot[L_AVAILABLE_AT], DUE_RELEASE, lot[L_ID], len(due), lot))
            if expires is not None:
                due.append((expires, DUE_EXPIRY, lot[L_ID], len(due), lot))
        if changed:
            heapify(due)
            m.lot_due = due
            m.lot_models = None  # a kept model says the old expiry: the freeze makes new
        return points
