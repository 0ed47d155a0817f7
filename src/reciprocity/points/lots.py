"""The point scheme's lots, pool and counters on the hot member: the base of the compiled stage.

Holds :class:`LotStage` (thaw and freeze, lazy ``PointsEarned`` builders, earning caps and
their period counters, ``grant`` for other families, debt repayment) and the builders of
granted, released and expired effects.

Imports: the core (``_engine``, ``_stage``, ``effects``, ``money``, ``state``, ``limits``) and
the points declarations and ``earn``; never a later points layer or another family.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from .._effect_rows import register
from .._engine import (
    L_AT,
    L_AVAILABLE_AT,
    L_EXPIRES,
    L_ID,
    L_PENDING,
    L_POINTS,
    L_REMAINING,
    L_RULE,
    L_SOURCE,
    Log,
    Member,
    Trace,
    text,
)
from .._reason import LazyText, Msg, Unit, english, fields, local_day
from .._reason_forms import Form, Unfit, Wrap, after, wrap_msg, wrap_text
from .._stage import Stage
from .._trusted import built_given, construct
from ..conditions import CompileContext
from ..effects import (
    PointsEarned,
    PointsExpired,
    PointsReleased,
    PointsRevoked,
)
from ..limits import Period
from ..state import MemberState
from .earn import Reason, amount_text
from .rules import (
    PointsForEvent,
    PointsPerAmount,
    PointsPerPurchase,
)
from .scheme import (
    CalendarCutoff,
    EndOfMonthAfter,
    EndOfQuarterAfter,
    FixedLifetime,
    Inactivity,
    PointsAsCurrency,
    PointScheme,
    Reward,
)
from .units import in_unit, traced

__all__ = ["LotStage"]

_ZERO = Decimal(0)
_ONE = Decimal(1)
_SECOND = timedelta(seconds=1)
_GIVEN = frozenset(("rule_id", "reason", "reason_key", "reason_args", "member_id", "event_id",
                    "at", "points", "lot_id", "status", "available_at", "expires_at"))
"""The fields an available earned effect names (``construct``'s fields set)."""

class LotStage(Stage):
    """The point scheme's lots and pool: effect builders, caps and counters, grants, debt.

    The lowest layer of :class:`~reciprocity.points.stage.CompiledPoints`; the attributes
    are set by its ``__init__``.
    """

    name = "points"
    scheme: PointScheme
    ctx: CompileContext
    zone: ZoneInfo
    rules: dict[str, PointsPerPurchase | PointsPerAmount | PointsForEvent]
    rewards: dict[str, Reward | PointsAsCurrency]
    auto_rewards: tuple[Reward, ...]
    lot_expiry: FixedLifetime | EndOfMonthAfter | EndOfQuarterAfter | CalendarCutoff | None
    inactivity: Inactivity | None
    pool: bool
    pending: timedelta | None
    unit: Unit | None = None
    """The scheme's unit as a reason argument (``points.units.reason_unit``), or ``None``."""
    tier_exempt = False
    """Whether some tier exempts this scheme's lots from expiry
    (``TierBenefits.points_expire=False``; the program's own points only, never a balance's):
    then a lot earned while the member holds such a tier gets no expiry, and the tier
    ladder lifts and sets lots' expiry when the member enters and leaves such a tier
    (``ExpiryStage.lift_expiry``, ``ExpiryStage.resume_expiry``)."""

    def lot_expires(self, m: Member, at: datetime) -> datetime | None:
        """When a lot earned at ``at`` expires: the scheme's rule, unless the member holds a
        tier whose points do not expire (``None``: never, while they hold it)."""
        expiry = self.lot_expiry
        if expiry is None or (self.tier_exempt and m.tier_benefits is not None
                              and not m.tier_benefits.points_expire):
            return None
        return expiry.expires_at(at, self.zone)

    def said(self, entry: tuple[Any, ...]) -> tuple[Any, ...]:
        """A log entry whose effect says its reason in the scheme's unit, when it has one."""
        unit = self.unit
        return entry if unit is None else (in_unit, unit, entry)

    def thaw(self, state: MemberState, m: Member) -> None:
        m.earn_counters = dict(state.earn_counters)
        m.last_activity = state.last_activity_at

    def freeze(self, m: Member) -> dict[str, Any]:
        return {"earn_counters": dict(sorted(m.earn_counters.items())),
                "last_activity_at": m.last_activity}

    # -- effect builders (called lazily) ---------------------------------------------------
    def _earned(self, mid: str, lot: list[Any], pending: bool,
                reason: Reason) -> PointsEarned:
        return self._earned_effect(mid, lot[L_ID], lot[L_RULE], lot[L_SOURCE], lot[L_AT],
                                   lot[L_POINTS], pending, lot[L_AVAILABLE_AT], lot[L_EXPIRES],
                                   reason)

    def _pooled(self, mid: str, rule_id: str, eid: str, at: datetime, points: int,
                reason: Reason) -> PointsEarned:
        return self._earned_effect(mid, None, rule_id, eid, at, points, False, None, None,
                                   reason)

    def _earned_effect(self, mid: str, lot_id: str | None, rule_id: str, eid: str,
                       at: datetime, points: int, pending: bool, available_at: datetime | None,
                       expires_at: datetime | None, reason: Reason) -> PointsEarned:
        if (isinstance(reason, LazyText) and available_at is None and not pending
                and expires_at is None and self.unit is None):
            # shared with the trace entry that says it
            msg = reason.msg  # construct(PointsEarned, <the _GIVEN fields>), spelt out
            return built_given(PointsEarned, {
                "rule_id": rule_id, "reason": reason, "reason_key": msg.key,
                "reason_args": msg.args, "member_id": mid, "event_id": eid, "at": at,
                "balance": None, "type": "points_earned", "points": points,
                "lot_id": lot_id, "status": "available", "available_at": None,
                "expires_at": None}, _GIVEN)
        msg = self._earned_message(rule_id, eid, points, pending, available_at, expires_at,
                                   reason)
        return construct(PointsEarned, **fields(msg), **_earned_fields(
            mid, lot_id, rule_id, eid, at, points, pending, available_at, expires_at))

    def _earned_message(self, rule_id: str, eid: str, points: int, pending: bool,
                        available_at: datetime | None, expires_at: datetime | None,
                        reason: Reason) -> Msg:
        """An earned effect's reason (its model's, and its row's when a table reads it)."""
        msg: Msg = _earned_wrapped(self._earned_core(rule_id, eid, points, reason),
                                   self._earned_when(pending, available_at, expires_at),
                                   wrap_msg)
        if self.unit is not None:
            return Msg(msg.key, {**msg.args, "unit": self.unit})
        return msg

    def _earned_core(self, rule_id: str, eid: str, points: int, reason: Reason) -> Msg:
        """The earning rule's message, before the lot's availability and expiry."""
        if reason is None:
            rule = self.rules[rule_id]
            assert isinstance(rule, PointsPerPurchase)
            return rule.reason(points, eid)
        if isinstance(reason, LazyText):
            return reason.msg
        built = reason if isinstance(reason, str | Msg) else reason[0](*reason[1:])
        assert isinstance(built, Msg), "earning rules give their reasons as messages"
        return built

    def _earned_when(self, pending: bool, available_at: datetime | None,
                     expires_at: datetime | None) -> When:
        """What an earned reason says after the rule's message (see :data:`When`)."""
        zone = self.zone  # local_day(available_at, zone) and last_day(expires_at, zone):
        return (None if available_at is None else available_at.astimezone(zone).date(),
                pending, self.scheme.release_on,
                None if expires_at is None else (expires_at - _SECOND).astimezone(zone).date())

    def _earned_text(self, memo: dict[Any, Any], rule_id: str, eid: str, points: int,
                     pending: bool, available_at: datetime | None,
                     expires_at: datetime | None, reason: Reason) -> str:
        """The English of :meth:`_earned_message`'s message, written from the values."""
        if self.unit is not None:
            return english(*self._earned_message(rule_id, eid, points, pending, available_at,
                                                 expires_at, reason))
        core = amount_text(memo, reason)
        if core is None:
            core = english(*self._earned_core(rule_id, eid, points, reason))
        return _with_when(memo, core, self._earned_when(pending, available_at, expires_at))

    def _capped(self, m: Member, rule: PointsPerPurchase | PointsPerAmount | PointsForEvent,
                points: int, at: datetime) -> tuple[int, Msg | None]:
        """Apply the rule's caps; return the points allowed and the cap when capped."""
        note: Msg | None = None
        for cap in rule.caps:
            period = cap.period
            if period is None:
                allowed = cap.points
            else:
                key = f"{rule.id}@{cap.per}@{period.key(at, self.zone)}"
                allowed = cap.points - m.earn_counters.get(key, 0)
            if points > allowed:
                points = max(allowed, 0)
                note = cap.note()
        return points, note

    def _count(self, m: Member, rule: PointsPerPurchase | PointsPerAmount | PointsForEvent,
               points: int, at: datetime) -> None:
        """Add credited points to the rule's period counters, forgetting ended periods."""
        counters = m.earn_counters
        for per in {cap.per for cap in rule.caps if cap.period is not None}:
            prefix = f"{rule.id}@{per}@"
            key = prefix + Period(per).key(at, self.zone)
            for old in [k for k in counters if k.startswith(prefix) and k != key]:
                del counters[old]
            counters[key] = counters.get(key, 0) + points

    def _uncount(self, m: Member, rule: PointsPerPurchase | PointsPerAmount | PointsForEvent,
                 points: int, at: datetime) -> None:
        for per in {cap.per for cap in rule.caps if cap.period is not None}:
            key = f"{rule.id}@{per}@{Period(per).key(at, self.zone)}"
            if key in m.earn_counters:
                m.earn_counters[key] = max(0, m.earn_counters[key] - points)

    def grant(self, m: Member, points: int, rule_id: str, event_id: str, at: datetime,
              reason: Msg | str, log: Log, trace: Trace) -> None:
        """Credit ``points`` on behalf of another family (goodwill, a points gift) or a
        non-purchase rule.

        The points join the scheme like earned ones: a lot with the scheme's expiry (or the
        pool), counted in ``points_earned``, repaying debt first, with a ``PointsEarned``
        effect carrying ``reason``. They are available at once (no pending period).
        """
        if points <= 0:
            return
        lot_id = f"{event_id}/{rule_id}"
        expires_at = None
        if self.pool:
            m.pooled += points
            m.available += points
            held: str | None = None
        else:
            expires_at = self.lot_expires(m, at)
            # a lot, in L_* order
            m.add_lot([lot_id, rule_id, event_id, at, points, points, False, None, expires_at])
            held = lot_id
        m.earned += points
        if self.inactivity is not None:
            self._touch(m, at)
        log.append(self.said((_build_granted, rule_id, m.member_id, event_id, at, points, held,
                              expires_at, reason)))
        if trace is not None:
            trace.append((rule_id, "applied", text(traced(self.unit, reason))))
        if m.debt:
            self._repay_debt(m, lot_id, event_id, at, log)

    def _touch(self, m: Member, at: datetime) -> None:
        """Record activity at ``at`` and ask the engine to look again when it would lapse."""
        assert self.inactivity is not None
        if m.last_activity is None or at > m.last_activity:
            m.last_activity = at
        m.schedule(self.inactivity.due(m.last_activity, self.zone))

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
        if not pay:
            return
        m.debt -= pay
        m.revoked += pay
        log.append(self.said((_build_revoked, "clawback", m.member_id, eid, at, pay,
                              from_pending, 0, None, Msg("reason.repaid", {"n": pay,
                                                                           "event": eid}))))


def _earned_fields(mid: str, lot_id: str | None, rule_id: str, eid: str, at: datetime,
                   points: int, pending: bool, available_at: datetime | None,
                   expires_at: datetime | None) -> dict[str, Any]:
    """A ``PointsEarned``'s fields but its reason (the builders' and the rows' one source)."""
    return {"rule_id": rule_id, "member_id": mid, "event_id": eid, "at": at, "points": points,
            "lot_id": lot_id, "status": "pending" if pending else "available",
            "available_at": available_at, "expires_at": expires_at}


def _earned_row(mid: str, lot: list[Any], pending: bool, reason: Reason) -> dict[str, Any]:
    """The row of ``LotStage._earned``'s entry (see ``reciprocity._effect_rows``)."""
    return _earned_fields(mid, lot[L_ID], lot[L_RULE], lot[L_SOURCE], lot[L_AT],
                          lot[L_POINTS], pending, lot[L_AVAILABLE_AT], lot[L_EXPIRES])


def _earned_reason(builder: Any, mid: str, lot: list[Any], pending: bool,
                   reason: Reason) -> Msg:
    """The reason of ``LotStage._earned``'s entry (``builder`` is the bound method)."""
    stage: LotStage = builder.__self__
    return stage._earned_message(lot[L_RULE], lot[L_SOURCE], lot[L_POINTS], pending,
                                 lot[L_AVAILABLE_AT], lot[L_EXPIRES], reason)


When = tuple[Any, bool, Any, Any]
"""(the local day points are available from or ``None``, pending, the scheme's release event,
the last local day they are valid or ``None``): all an earned reason says after the rule's
message, so its words there depend on these values only."""


def _earned_wrapped(said: Any, when: When, wrap: Wrap) -> Any:
    """``said`` (the rule's message, or its English with ``wrap=wrap_text``) with when the
    points become available and until when they are valid."""
    available, pending, state, until = when
    if available is not None:
        said = wrap("reason.available_from", said, "date", available)
    elif pending:
        said = wrap("reason.available_once", said, "state", state)
    if until is not None:
        said = wrap("reason.valid_until", said, "date", until)
    return said


def _with_when(memo: dict[Any, Any], core: str, when: When) -> str:
    """``_earned_wrapped(core, when, wrap_text)``: the words after ``core`` written once per
    ``when`` and ``memo`` (``after``), or in full when they do not simply follow it."""
    found = memo.get(("when", when))
    if found is None:
        found = memo["when", when] = (after(_earned_wrapped, when, wrap_text),)
    if found[0] is None:
        text: str = _earned_wrapped(core, when, wrap_text)
        return text
    return core + found[0]


def _earned_entry_text(memo: dict[Any, Any], entry: tuple[Any, ...]) -> str:
    """The English reason of ``LotStage._earned``'s entry (``reciprocity._effect_rows``):
    ``LotStage._earned_text``, its calls spelt out."""
    builder, _, lot, pending, reason = entry
    stage: LotStage = builder.__self__
    if stage.unit is not None:  # said in the scheme's words: the message, written
        return english(*_earned_reason(*entry))
    core = amount_text(memo, reason)
    if core is None:
        core = english(*stage._earned_core(lot[L_RULE], lot[L_SOURCE], lot[L_POINTS], reason))
    return _with_when(memo, core, stage._earned_when(pending, lot[L_AVAILABLE_AT],
                                                     lot[L_EXPIRES]))


def _pooled_text(memo: dict[Any, Any], entry: tuple[Any, ...]) -> str:
    builder, _, rule_id, eid, _, points, reason = entry
    stage: LotStage = builder.__self__
    return stage._earned_text(memo, rule_id, eid, points, False, None, None, reason)


def _pooled_reason(builder: Any, mid: str, rule_id: str, eid: str, at: datetime, points: int,
                   reason: Reason) -> Msg:
    stage: LotStage = builder.__self__
    return stage._earned_message(rule_id, eid, points, False, None, None, reason)


def _pooled_row(mid: str, rule_id: str, eid: str, at: datetime, points: int,
                reason: Reason) -> dict[str, Any]:
    """The row of ``LotStage._pooled``'s entry."""
    return _earned_fields(mid, None, rule_id, eid, at, points, False, None, None)


def _granted_row(rule_id: str, mid: str, eid: str, at: datetime, points: int,
                 lot_id: str | None, expires_at: datetime | None,
                 reason: Msg | str) -> dict[str, Any]:
    return _earned_fields(mid, lot_id, rule_id, eid, at, points, False, None, expires_at)


def _build_granted(rule_id: str, mid: str, eid: str, at: datetime, points: int,
                   lot_id: str | None, expires_at: datetime | None,
                   reason: Msg | str) -> PointsEarned:
    return construct(  # model_construct's result, without its per-field loop
        PointsEarned, **fields(reason),
        **_granted_row(rule_id, mid, eid, at, points, lot_id, expires_at, reason))


def _released_row(mid: str, at: datetime, points: int, lot_id: str, state: str | None,
                  event_id: str | None) -> dict[str, Any]:
    return {"rule_id": "pending", "member_id": mid, "event_id": event_id, "at": at,
            "points": points, "lot_id": lot_id}


def _build_released(mid: str, at: datetime, points: int, lot_id: str, state: str | None,
                    event_id: str | None) -> PointsReleased:
    """``state``: the release event's name, or ``None`` when the return window closed."""
    return construct(  # model_construct's result, without its per-field loop
        PointsReleased, **fields(_released_reason(None, mid, at, points, lot_id, state)),
        **_released_row(mid, at, points, lot_id, state, event_id))


def _released_reason(builder: Any, mid: str, at: datetime, points: int, lot_id: str,
                     state: str | None, event_id: str | None = None) -> Msg:
    order = lot_id.rsplit("/", 1)[0]
    return (Msg("reason.released.window", {"n": points, "order": order}) if state is None
            else Msg("reason.released.order", {"n": points, "order": order, "state": state}))


_WINDOW = Form("reason.released.window", "n", "order")
_ORDER = Form("reason.released.order", "n", "order", "state")


def _released_text(memo: dict[Any, Any], entry: tuple[Any, ...]) -> str:
    """The English of :func:`_released_reason`'s message, written from the values."""
    points, lot_id, state = entry[3], entry[4], entry[5]
    order = lot_id.rsplit("/", 1)[0]
    try:
        return (_WINDOW.write(points, order) if state is None
                else _ORDER.write(points, order, state))
    except Unfit:  # the catalogue's message asks for more: the general way
        return english(*_released_reason(*entry))


def _expired_row(mid: str, at: datetime, points: int, lot_id: str | None,
                 reason: Msg, from_pending: int) -> dict[str, Any]:
    return {"rule_id": "expiry", "member_id": mid, "event_id": None, "at": at,
            "points": points, "lot_id": lot_id, "from_pending": from_pending}


def _build_expired(mid: str, at: datetime, points: int, lot_id: str | None,
                   reason: Msg, from_pending: int) -> PointsExpired:
    return construct(  # model_construct's result, without its per-field loop
        PointsExpired, **fields(reason),
        **_expired_row(mid, at, points, lot_id, reason, from_pending))


def _lot_expired_row(mid: str, at: datetime, points: int, lot_id: str, earned_at: datetime,
                     zone: ZoneInfo, rule: Msg, from_pending: int) -> dict[str, Any]:
    return {"rule_id": "expiry", "member_id": mid, "event_id": None, "at": at,
            "points": points, "lot_id": lot_id, "from_pending": from_pending}


def _lot_expired_reason(builder: Any, mid: str, at: datetime, points: int, lot_id: str,
                        earned_at: datetime, zone: ZoneInfo, rule: Msg,
                        from_pending: int) -> Msg:
    """The reason of a lot that expired: its points, the day it was earned, the rule."""
    return Msg("reason.expired.lot", {"n": points, "date": local_day(earned_at, zone),
                                      "rule": rule})


def _build_lot_expired(mid: str, at: datetime, points: int, lot_id: str, earned_at: datetime,
                       zone: ZoneInfo, rule: Msg, from_pending: int) -> PointsExpired:
    """A lot's expiry, logged with the values of its reason (``_lot_expired_reason``), so
    the message and its local date are made only when the effect is read: a replay that
    keeps no effects drops most entries unread."""
    return construct(  # model_construct's result, without its per-field loop
        PointsExpired, **fields(_lot_expired_reason(None, mid, at, points, lot_id, earned_at,
                                                    zone, rule, from_pending)),
        **_lot_expired_row(mid, at, points, lot_id, earned_at, zone, rule, from_pending))


def _revoked_row(rule_id: str, mid: str, eid: str, at: datetime, points: int,
                 from_pending: int, debt: int, purchase_id: str | None,
                 reason: Msg) -> dict[str, Any]:
    return {"rule_id": rule_id, "member_id": mid, "event_id": eid, "at": at,
            "points": points, "from_pending": from_pending, "debt_added": debt,
            "purchase_id": purchase_id}


def _build_revoked(rule_id: str, mid: str, eid: str, at: datetime, points: int,
                   from_pending: int, debt: int, purchase_id: str | None,
                   reason: Msg) -> PointsRevoked:
    return construct(  # model_construct's result, without its per-field loop
        PointsRevoked, **fields(reason),
        **_revoked_row(rule_id, mid, eid, at, points, from_pending, debt, purchase_id, reason))


def _last_argument(builder: Any, *args: Any) -> Any:
    """The reason of an entry whose builder takes it as its last argument."""
    return args[-1]


def _expired_reason(builder: Any, mid: str, at: datetime, points: int, lot_id: str | None,
                    reason: Msg, from_pending: int) -> Msg:
    return reason


register(LotStage._earned, "points_earned", _earned_row, _earned_reason, _earned_entry_text)
register(LotStage._pooled, "points_earned", _pooled_row, _pooled_reason, _pooled_text)
register(_build_granted, "points_earned", _granted_row, _last_argument)
register(_build_released, "points_released", _released_row, _released_reason,
         _released_text)
register(_build_expired, "points_expired", _expired_row, _expired_reason)
register(_build_lot_expired, "points_expired", _lot_expired_row, _lot_expired_reason)
register(_build_revoked, "points_revoked", _revoked_row, _last_argument)
