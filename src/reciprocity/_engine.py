"""The hot path: a member's state in plain mutable slots, and the bookkeeping every policy shares.

Nothing here is public. ``Program`` thaws a frozen :class:`~reciprocity.MemberState` into a
:class:`Member`, lets compiled policy functions change it, and freezes it back when a caller
asks for a state (``_frozen`` does both). Effects are logged as ``(builder, *args)`` tuples
and built into models only when someone reads them, so a replay that only wants totals builds
no model per event.

Invariant kept by every function here: ``available`` and ``pending`` equal the sums of
``remaining`` over the lots of that status; lots are ordered by ``(earned_at, id)``.

Imports: ``state``, ``shared`` and ``_reason`` (English reasons) only; every stage imports it, so
it imports no stage and no family.
"""

from __future__ import annotations

from bisect import insort
from datetime import UTC, datetime
from decimal import Decimal
from heapq import heappop, heappush
from typing import Any

from ._reason import LazyText, Msg, english
from ._records import RecordRow
from .shared import Shared
from .state import PointLot, Voucher

Row = tuple[int, str, str, datetime, Decimal | None, Any]
"""(kind, event id, member id, at, purchase amount or None, event model or None)."""

LogEntry = tuple[Any, ...]
"""(builder, *args): ``builder(*args)`` returns the effect model."""
Log = list[LogEntry]
TraceLine = tuple[str, str, str | LazyText]
"""(rule id, outcome, detail): the detail is a text, or a message's text rendered when read
(shared with the effect that says the same)."""
Trace = list[TraceLine] | None
"""Trace lines, or ``None`` when nobody asked for a trace."""
Text = str | tuple[Any, ...] | LazyText
"""A customer-readable text, a message (``Msg``), a message's lazily rendered text
(``LazyText``), or ``(builder, *args)`` whose call returns one of those: a log entry may
carry the recipe, so the text is written only when the effect (or a trace) is built."""


def text(value: Text) -> str:
    """The English text of a :data:`Text` (a message, ``reciprocity._reason.Msg``, is
    rendered through the catalogue's English)."""
    if isinstance(value, str):
        return value
    if isinstance(value, LazyText):
        return value.text
    if isinstance(value, Msg):
        return english(value.key, value.args)
    built: str | Msg = value[0](*value[1:])
    return built if isinstance(built, str) else english(built.key, built.args)

# -- Hot records: plain lists, addressed by the slot names below --------------------------
# A member's point lots, purchase records and their lines are plain lists. Every position
# is named here, once, and every module addresses them by these names (never by a number);
# a literal that builds a record lists its values in this order and says so.
#
# Why lists and not ``__slots__`` classes or named tuples: a purchase creates a record and a
# replay touches it on every later event of the member. Measured on 2026-12-05 (timeit, this
# machine, Python 3.11): creating a 7-slot record and reading or writing three slots costs
# 1.8x as much with a ``__slots__`` class as with a list, more than the 5 % loss of replay
# speed the layout issue allowed (``benchmarks/bench_replay.py``); named tuples cannot be
# written in place. The frozen models (``PointLot``, ``PurchaseRecord``, ``RecordLine``;
# the last two held as rows, ``_records``) name the same fields outside the hot path.

L_ID, L_RULE, L_SOURCE, L_AT, L_POINTS, L_REMAINING, L_PENDING, L_AVAILABLE_AT, L_EXPIRES = range(9)
"""Lot slots: lot id, earning rule id, source event id, earned at, points, remaining points,
pending (bool), available at (pending lots) and expires at (either may be ``None``)."""
P_AT, P_AMOUNT, P_RETURNED, P_EARNED, P_REVOKED, P_LINES, P_CLOSED = range(7)
"""Purchase record slots: at, amount, amount returned, points earned by rule id (or ``None``),
points revoked by rule id (or ``None``), lines by SKU (or ``None``), fully returned (bool)."""
LN_PRICE, LN_CATEGORY, LN_QUANTITY, LN_RETURNED = range(4)
"""Line record slots (the values of ``record[P_LINES]``, by SKU): unit price, category,
quantity bought, quantity returned."""

#
# Hot purchase records are shared, copy on write: the hot records of a state made by
# ``apply`` or ``advance`` are kept on it (``_frozen.keep_hot``), and the next thaw of that
# state copies the dict, sharing every record. So no code changes a record in place once
# the step that made it has ended: a step that changes an older order (a return) first
# puts a private copy in its place (:func:`own_record`).

_ZERO = Decimal(0)


def _lot_key(lot: list[Any]) -> tuple[datetime, str]:
    return (lot[L_AT], lot[L_ID])


class Member:
    """A member's state while a program works on it. Mutable; never escapes the package."""

    __slots__ = (
        "applied", "applied_at", "as_of", "available", "balances", "base", "birthday", "cold",
        "consents", "credit",
        "currency",
        "debt", "earn_counters", "earned", "empty_lots", "expired", "folded", "frozen",
        "gifts", "goodwill", "joined_at", "last_activity", "last_return", "lot_due",
        "lot_models", "lots",
        "member_id", "next_due", "pending", "pooled", "profile_fields",
        "purchase_count", "purchases", "redeemed", "revision", "revoked",
        "shared", "spend", "tier", "tier_benefits", "tier_id", "vouchers",
    )

    def __init__(self, member_id: str, currency: str) -> None:
        self.member_id = member_id
        self.currency = currency
        self.as_of: datetime | None = None
        self.joined_at: datetime | None = None
        self.birthday: Any = None
        self.consents: set[str] = set()
        self.profile_fields: set[str] = set()
        self.earn_counters: dict[str, int] = {}
        """Points credited per ``"<rule>@<period kind>@<period>"``, for caps."""
        self.last_activity: datetime | None = None
        self.lots: list[list[Any]] = []
        self.empty_lots = 0
        """How many lots ran out of points since the last :meth:`drop_empty_lots` (so it
        does not look at every lot to find none)."""
        self.lot_due: list[tuple[datetime, int, str, int, list[Any]]] = []
        """A heap of the lots' due times, ``(when, DUE_RELEASE or DUE_EXPIRY, lot id, seq,
        lot)``: one entry per pending lot's release and per lot's expiry, pushed when the
        lot is added. Entries of lots gone or released are dropped when they reach the top
        (:func:`lots_due`), so the next due time is found without walking every lot."""
        self.lot_models: dict[str, PointLot] | None = None
        """The frozen lots of the state this member was thawed from or last frozen to, by
        id: a freeze reuses each one whose lot kept its points and status. Never changed in
        place (a thaw may share a kept state's, see ``_frozen_lots.frozen_lots``)."""
        self.available = 0
        """Available points: ``pooled`` plus the remaining points of available lots."""
        self.pooled = 0
        """Available points held without a lot (schemes with no expiry and no pending)."""
        self.pending = 0
        self.debt = 0
        self.earned = 0
        self.redeemed = 0
        self.expired = 0
        self.revoked = 0
        self.purchase_count = 0
        self.spend = _ZERO
        self.purchases: dict[str, list[Any]] = {}
        self.vouchers: list[Voucher] = []
        self.applied: dict[str, Any] = {}
        """Applied event id -> its fingerprint, or, for an event applied since the thaw, its
        row (fingerprinted lazily by :func:`applied_fingerprints`)."""
        self.applied_at: dict[str, datetime] | None = None
        """Applied event id -> the event's time, oldest first (about: a late event goes at
        the end), kept only for a program with an event horizon, to forget ids past it."""
        self.frozen: dict[str, RecordRow] | None = None
        """The frozen record of each purchase as thawed or last frozen, reused by the next
        freeze: a record changes only when a return names it (which drops it from here; so
        does folding), so most of a state is not rebuilt on every apply."""
        self.base: tuple[RecordRow, ...] | None = None
        """The frozen records of the state this member was thawed from or last frozen to,
        while none of them changed (``_frozen.own_record`` drops it) and they are in the
        order of ``purchases`` (a freeze that sorts a late order drops it): ``purchases`` is
        then these less the ones folded from the front, then the orders added since, and a
        freeze looks at the added ones only."""
        self.cold = False
        """Whether some values of ``purchases`` are still the frozen record's row itself
        instead of its hot list (see ``_frozen.thaw``): only while the step at work reads no
        kept record but those ``Pipeline.thaw`` made hot for it."""
        self.folded: list[Any] | None = None
        """Totals of folded orders, ``[count, amount, returned, through]``, or ``None``."""
        self.revision = 0
        """The state's revision, not counting the rows still in ``applied``: each of those is
        one applied event, counted when :func:`applied_fingerprints` fingerprints it."""
        self.next_due: datetime | None = None
        """Earliest time any stage may have something due (early is fine, late is a bug)."""
        self.shared: Shared | None = None
        """Program-wide state, for stages that use it."""
        self.last_return: tuple[str, Decimal] | None = None
        """The return being applied: (purchase id, amount), resolved by the points check."""
        # Families' hot state; each is owned by its stage. Other stages may read tier_id
        # and tier_benefits (the benefits of the current tier, or None).
        self.tier_id: str | None = None
        self.tier_benefits: Any = None
        self.tier: Any = None
        self.gifts: Any = None
        self.goodwill: Any = None
        self.credit: Any = None
        self.balances: Any = None
        """The point slots of each of ``Program.balances`` while the program's own points
        are in the member's slots (see ``points.balances``), by balance name."""

    def schedule(self, when: datetime | None) -> None:
        """Make sure the engine looks at this member again at ``when``.

        ``next_due`` is kept in UTC: every event's ``at`` is, and comparing two datetimes
        with different ``tzinfo`` costs a UTC offset lookup each time, on every event.
        """
        if when is not None:
            if when.tzinfo is not UTC:
                when = when.astimezone(UTC)
            if self.next_due is None or when < self.next_due:
                self.next_due = when

    # -- lots ----------------------------------------------------------------------------
    def add_lot(self, lot: list[Any]) -> None:
        """Insert a lot in (earned_at, id) order and count it in its balance."""
        lots = self.lots
        if not lots:
            lots.append(lot)
        else:
            last_at = lots[-1][L_AT]
            at = lot[L_AT]
            if last_at < at or (last_at == at and lots[-1][L_ID] <= lot[L_ID]):
                lots.append(lot)
            else:
                insort(lots, lot, key=_lot_key)
        due = self.lot_due
        if not lot[L_REMAINING]:
            self.empty_lots += 1
        if lot[L_PENDING]:
            self.pending += lot[L_REMAINING]
            self.schedule(lot[L_AVAILABLE_AT])  # a pending lot may also expire first
            if lot[L_AVAILABLE_AT] is not None:
                heappush(due, (lot[L_AVAILABLE_AT], DUE_RELEASE, lot[L_ID], len(due), lot))
        else:
            self.available += lot[L_REMAINING]
        if lot[L_EXPIRES] is not None:
            heappush(due, (lot[L_EXPIRES], DUE_EXPIRY, lot[L_ID], len(due), lot))
        self.schedule(lot[L_EXPIRES])

    def take_from_lot(self, lot: list[Any], points: int) -> None:
        """Remove ``points`` from one lot's remaining points (and from its balance)."""
        lot[L_REMAINING] -= points
        if points and not lot[L_REMAINING]:
            self.empty_lots += 1
        if lot[L_PENDING]:
            self.pending -= points
        else:
            self.available -= points

    def take_available(self, points: int, *, newest_first: bool = False) -> None:
        """Spend ``points`` of the available balance: lots oldest first (they may expire;
        newest first on request), then the pool. The caller checked the balance covers it."""
        for lot in (reversed(self.lots) if newest_first else self.lots):
            if points == 0:
                break
            if lot[L_PENDING] or not lot[L_REMAINING]:
                continue
            used = min(points, lot[L_REMAINING])
            self.take_from_lot(lot, used)
            points -= used
        if points:
            self.pooled -= points
            self.available -= points
        self.drop_empty_lots()

    def take_newest(self, points: int) -> int:
        """Take up to ``points`` of the available balance, pool first, then newest lots.

        Used to claw back: the points most recently earned go first. Returns points taken.
        """
        taken = min(points, self.pooled)
        self.pooled -= taken
        self.available -= taken
        for lot in reversed(self.lots):
            if taken == points:
                break
            if not lot[L_PENDING] and lot[L_REMAINING]:
                used = min(points - taken, lot[L_REMAINING])
                self.take_from_lot(lot, used)
                taken += used
        self.drop_empty_lots()
        return taken

    def drop_empty_lots(self) -> None:
        """Forget lots with no points left, and mark each as dropped (see :func:`_live`).

        Lots run out oldest first as a rule (expiry, redemptions take the oldest first), so
        when the ``empty_lots`` that ran out are the leading lots, the rest is kept as it is
        without looking at each lot: O(dropped) Python work, not O(lots), for a member with
        hundreds of lots whose oldest expires.
        """
        count = self.empty_lots
        if count:
            lots = self.lots
            leading = 0
            for lot in lots:
                if lot[L_REMAINING]:
                    break
                leading += 1
            if leading == count:  # every lot that ran out (each is counted once) leads
                gone = lots[:leading]
                del lots[:leading]  # in place: no new list of the hundreds of lots kept
            else:
                gone = [lot for lot in lots if not lot[L_REMAINING]]
                self.lots = [lot for lot in lots if lot[L_REMAINING]]
            for lot in gone:
                lot[L_PENDING] = DROPPED
            self.empty_lots = 0


DUE_RELEASE, DUE_EXPIRY = 0, 1
"""Kinds of an entry of ``Member.lot_due``: a pending lot's release comes before an expiry
at the same time."""

DROPPED = None
"""``lot[L_PENDING]`` of a lot that :meth:`Member.drop_empty_lots` dropped (a kept lot's is
``True`` or ``False``). Only the due heap and lazily built effects still hold a dropped lot;
neither reads its status (an earned effect is told its status when logged)."""


def _live(m: Member, lot: list[Any]) -> bool:
    """Whether ``lot`` is still one of ``m``'s lots: a lot with points left is, and one that
    ran out is until :meth:`Member.drop_empty_lots` marks it dropped (O(1), not a search
    of ``m.lots``; ``test_lot_heap`` compares it with the search)."""
    return bool(lot[L_REMAINING]) or lot[L_PENDING] is not DROPPED


def lots_due(m: Member) -> datetime | None:
    """The earliest release of a pending lot or expiry of a lot, ``None`` if none: what a
    walk over every lot finds, from the top of ``m.lot_due`` (stale entries dropped)."""
    heap = m.lot_due
    while heap:
        top = heap[0]
        lot = top[4]
        # _live, inline: a pending lot is live; a lot that ran out is until it is dropped
        if (lot[L_PENDING] if top[1] == DUE_RELEASE
                else lot[L_REMAINING] or lot[L_PENDING] is not DROPPED):
            return top[0]
        heappop(heap)
    return None


def lots_due_until(m: Member, until: datetime) -> list[tuple[datetime, int, list[Any]]]:
    """Every release and expiry due at or before ``until``, as ``(when, kind, lot)`` in
    ``(when, kind, lot id)`` order, taken off ``m.lot_due`` (stale entries dropped)."""
    heap = m.lot_due
    due = []
    while heap and heap[0][0] <= until:
        when, kind, _, _, lot = heappop(heap)
        if (kind == DUE_EXPIRY or lot[L_PENDING]) and _live(m, lot):
            due.append((when, kind, lot))
    return due


_RECORD_LINES: dict[tuple[Any, ...], tuple[RecordRow, Decimal]] = {}
"""(sku, price, category, quantity, returned) -> the shared frozen line row of those values
and its very price (equal prices written otherwise, ``2.5`` and ``2.50``, meet under one
key)."""
_RECORD_LINES_KEPT = 100_000


def _record_line(sku: Any, line: list[Any]) -> RecordRow:
    """The frozen row of a hot line record (``_records.LR_*`` order), shared with every
    equal one frozen before.

    Rows are immutable and real orders repeat the same lines (the Online Retail year: about
    41,000 distinct of 393,000), so states share them. Lines share a row only when it dumps
    alike: exact ``str`` SKU and category, ``int`` quantities, and the very same price or one
    written alike (``2.5`` and ``2.50`` are equal but are not dumped alike, so they never
    share).
    """
    category, quantity, price, returned = (
        line[LN_CATEGORY], line[LN_QUANTITY], line[LN_PRICE], line[LN_RETURNED])
    if (type(sku) is not str or type(quantity) is not int or type(returned) is not int
            or type(price) is not Decimal
            or (category is not None and type(category) is not str)):
        return (sku, category, quantity, price, returned)
    key = (sku, price, category, quantity, returned)
    shared = _RECORD_LINES.get(key)
    if shared is not None:
        model, kept = shared
        if kept is price or str(kept) == str(price):
            return model
    record = (sku, category, quantity, price, returned)  # LR_* order
    if len(_RECORD_LINES) >= _RECORD_LINES_KEPT:
        _RECORD_LINES.clear()
    _RECORD_LINES[key] = (record, price)  # a price written otherwise takes the place
    return record


def _frozen_lines(lines: dict[str, list[Any]]) -> tuple[RecordRow, ...]:
    """The frozen line rows of a hot record's ``lines``, sorted by SKU (unique: the dict's
    keys), each shared with an equal one frozen before (see :func:`_record_line`)."""
    get = _RECORD_LINES.get
    frozen: list[RecordRow] = []
    append = frozen.append
    for sku in sorted(lines):
        line = lines[sku]
        price, category, quantity, returned = line  # LN_* order
        hit = get((sku, price, category, quantity, returned))
        # The common case inline: the very same price (a loader's lines share a few hundred
        # price objects, whose hash is kept on them), values of their exact types.
        if (hit is not None and hit[1] is price and type(sku) is str
                and type(quantity) is int is type(returned)
                and (category is None or type(category) is str)):
            append(hit[0])
        else:
            append(_record_line(sku, line))
    return tuple(frozen)


def _frozen_record(pid: str, rec: list[Any]) -> RecordRow:
    """The frozen row of a hot purchase record (``_records.R_*`` order)."""
    lines = rec[P_LINES]
    earned, revoked = rec[P_EARNED], rec[P_REVOKED]
    return (pid, rec[P_AT], rec[P_AMOUNT], rec[P_RETURNED],
            () if not earned else tuple(earned.items()) if len(earned) == 1
            else tuple(sorted(earned.items())),
            () if not revoked else tuple(sorted(revoked.items())),
            _frozen_lines(lines) if lines else (), rec[P_CLOSED])
