"""A member's state: immutable, JSON round-trip exact, produced only by a program.

A shop persists ``state.model_dump_json()`` after each decision and passes the loaded state to
the next :meth:`~reciprocity.Program.apply`. A new state comes only from ``apply``,
``advance`` or ``replay``; there is no setter.

>>> state = MemberState.new("m-1", currency="EUR")
>>> state.available_points, state.applied_event_ids
(0, ())
>>> MemberState.model_validate_json(state.model_dump_json()) == state
True

Imports: ``_fastpath``, ``_model``, ``_records``, ``_state_base``, ``_credit_state``,
``_goodwill_state``,
``_state_check`` and ``money``.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from ._credit_state import CreditBalance, CreditLot
from ._fastpath import PlainDecimalDump
from ._goodwill_state import (
    CompensationKind,
    ComplaintRecord,
    GoodwillGrant,
    GoodwillHistory,
    PendingGoodwill,
)
from ._model import Instant, NonEmptyStr, error_from_validation
from ._records import (
    EMPTY,
    PurchaseRecord,
    RecordLine,
    RecordRow,
    Records,
    json_form_serializer,
    records_of,
    rows_for_json,
)
from ._state_base import Amount, Count, Fingerprint, _StateModel
from ._state_check import REBUILD, checked_state
from .errors import InvalidState
from .money import Money, validate_currency

__all__ = [
    "CompensationKind",
    "ComplaintRecord",
    "CreditBalance",
    "CreditLot",
    "FoldedOrders",
    "FoldedTierPeriod",
    "GiftGrant",
    "GiftHistory",
    "GiftKind",
    "GoodwillGrant",
    "GoodwillHistory",
    "MemberState",
    "PendingGoodwill",
    "PointBalance",
    "PointLot",
    "PurchaseRecord",
    "RecordLine",
    "TierStatus",
    "Voucher",
]


def _is_none(value: object) -> bool:
    return value is None


_TRUSTED: dict[str, bool] = {"trusted": True}
"""The validation context of :meth:`MemberState.load_trusted` (compared by identity): the
state's invariants are not checked under it."""


class PointLot(_StateModel):
    """Points earned together, by one rule for one event; spent oldest first."""

    id: NonEmptyStr
    """``<event id>/<rule id>``: unique and stable."""
    rule_id: NonEmptyStr
    source_event_id: NonEmptyStr
    earned_at: Instant
    points: Count
    """Points the lot was created with."""
    remaining: Count
    """Points of it not yet redeemed, expired or revoked."""
    status: Literal["pending", "available"] = "available"
    available_at: Instant | None = None
    """When a pending lot becomes available."""
    expires_at: Instant | None = None


class PointBalance(_StateModel):
    """A member's points in one of ``Program.balances`` (status miles, say), kept as the
    program's own: available and pending points (``balance``: available minus debt)."""

    lots: tuple[PointLot, ...] = ()
    pooled_points: Count = 0
    debt: Count = 0
    earn_counters: dict[str, Count] = Field(default_factory=dict)
    last_activity_at: Instant | None = None
    points_earned: Count = 0
    points_redeemed: Count = 0
    points_expired: Count = 0
    points_revoked: Count = 0

    @property
    def available_points(self) -> int:
        return self.pooled_points + sum(lot.remaining for lot in self.lots
                                        if lot.status == "available")

    @property
    def pending_points(self) -> int:
        return sum(lot.remaining for lot in self.lots if lot.status == "pending")

    @property
    def balance(self) -> int:
        return self.available_points - self.debt


class FoldedOrders(_StateModel):
    """Totals of the orders folded out of a member's state: older than every window the
    program's decisions read (``Program.history_window()``), so no decision reads them one
    by one any more. ``MemberState.purchase_count`` and ``spend`` still count them."""

    count: Count
    amount: Amount
    """What they cost."""
    returned: Amount = Decimal(0)
    """What was returned of them before they folded."""
    through: Instant
    """The newest folded order's time."""


class Voucher(_StateModel):
    """A voucher issued for points."""

    code: NonEmptyStr
    reward_id: NonEmptyStr
    value: Money | None  # None: a reward whose value is not money (a free drink)
    issued_at: Instant
    expires_at: Instant | None = None
    valid_from: Instant | None = None
    """When the voucher becomes valid, if later than its issue; ``None``: from issue."""
    source_event_id: NonEmptyStr


GiftKind = Literal["sample", "physical", "voucher", "e-book", "early-access", "other"]
"""What a gift is: a free sample, a physical gift, a voucher, an e-book, early access to a
sale, or something else."""


class GiftGrant(_StateModel):
    """A gift given to a member by a gift rule."""

    id: NonEmptyStr
    """``<rule id>@<occurrence>``: unique and stable."""
    rule_id: NonEmptyStr
    gift_id: NonEmptyStr
    name: NonEmptyStr
    kind: GiftKind
    value: Money
    """What it was worth when given."""
    at: Instant
    occurrence: NonEmptyStr
    """What the grant was for, so a trigger fires once per occurrence: the order id, the
    year (birthday, season), ``year-3`` (anniversary), the tier, the period (thank-you),
    ``first``, ``order-10``, ``welcome``, or the last order's time (a quiet spell)."""
    source_event_id: str | None = None
    """The event that triggered it; ``None`` for date-driven gifts."""
    valid_until: Instant | None = None
    revoked: bool = False
    """Whether a return took it back (or charged it back)."""
    revoked_at: Instant | None = None
    charged_back: bool = False
    """Whether its value was deducted from a refund instead of taking it back."""


class GiftHistory(_StateModel):
    """A member's gift history and the gift calendar's bookkeeping."""

    grants: tuple[GiftGrant, ...] = ()
    """Every gift given, oldest first (revoked ones included); under a ``History``, grants
    no later decision reads fold with the orders (see ``CompiledGifts.forget_folded``)."""
    due: dict[str, Instant] = Field(default_factory=dict)
    """Per date-driven rule, when it is looked at next (birthday, anniversary, season,
    quiet spell)."""
    spells: dict[str, Instant] = Field(default_factory=dict)
    """Per drift rule, the last order of the quiet spell already handled: one feedback
    request per spell."""
    birthday_seen: date | None = None
    """The birthday the gift rules saw last, to notice a change."""
    birthday_changed_at: Instant | None = None
    """When the birthday was last set or changed (anti-gaming)."""

    def for_rule(self, rule_id: str) -> tuple[GiftGrant, ...]:
        """The grants of one rule, oldest first."""
        return tuple(grant for grant in self.grants if grant.rule_id == rule_id)

    def last_grant(self, rule_id: str) -> GiftGrant | None:
        """The latest grant of one rule that was not revoked, or ``None``."""
        kept = [g for g in self.grants if g.rule_id == rule_id and not g.revoked]
        return max(kept, key=lambda g: g.at) if kept else None


class FoldedTierPeriod(_StateModel):
    """What the tier ladder counts of the orders folded out of one qualification period.

    Under a ``History`` a calendar-year, membership-year or lifetime ladder keeps, per
    period, the qualifying totals of its folded orders instead of the orders: net of every
    return made before they folded, with the ladder's line filter already applied.
    """

    period: Annotated[int, Field(strict=True)]
    """The period: the calendar year, the membership year (0 for the first), or 0 for a
    lifetime ladder."""
    through: Instant
    """The newest folded order of the period (its qualification moment)."""
    spend: Amount = Decimal(0)
    """Qualifying net spend."""
    orders: Count = 0
    """Orders not fully returned."""
    points: tuple[Count, ...] = ()
    """Net points per points requirement of the ladder (one per distinct ``MinPoints.rules``,
    in the ladder's order); empty when the ladder has none."""


class TierStatus(_StateModel):
    """A member's place on the tier ladder.

    Only decisions are stored here; the qualification itself (spend, orders, points per
    period) is derived from ``MemberState.purchases`` whenever it is needed, so it can never
    disagree with the order history; orders folded out of ``purchases`` leave their totals
    per period in ``folded``.
    """

    tier_id: str | None = None
    """The current tier; ``None`` when the member has none (yet, or any more)."""
    since: Instant | None = None
    """When the member entered the current tier."""
    valid_until: Instant | None = None
    """When the current tier runs out and is reviewed; ``None`` for never."""
    grace_until: Instant | None = None
    """Set while the tier ran out and is kept for a grace period: the next review."""
    anchor: Instant | None = None
    """Start of the first membership year (membership-year ladders only)."""
    folded: tuple[FoldedTierPeriod, ...] = ()
    """Qualifying totals of folded orders, per period, oldest first; periods no decision
    reads any more are dropped."""


class MemberState(_StateModel):
    """Everything a program knows about one member.

    The totals obey ``points_earned == available + pending + redeemed + expired + revoked``
    (debt is owed points not yet taken: it is repaid from future earnings).
    """

    __slots__ = ("_by_id", "_hot")
    # ``_hot``: the engine's hot form of this state's purchase records and applied ids (see
    # ``reciprocity._frozen.keep_hot``), kept here by the ``apply`` or ``advance`` that made
    # the state, so the next ``apply`` on it copies them instead of building them again; a
    # state loaded from JSON has none. ``_by_id``: a validated state's purchase records by
    # id, in order (``loaded_records``), which the invariants pass builds anyway. Neither
    # is a field: not dumped, compared, copied or pickled.

    member_id: NonEmptyStr
    currency: str
    revision: Count = 0
    """How many times ``apply`` or ``advance`` changed the state: 0 for a new state, one more
    for every change, unchanged by a duplicate event or an ``advance`` to a time the state
    has seen. A backend compares it to write with compare-and-set."""
    as_of: Instant | None = None
    """The latest time the state has seen, from an event or ``advance``."""
    joined_at: Instant | None = None
    birthday: date | None = None
    consents: tuple[str, ...] = ()
    profile_fields: tuple[str, ...] = ()
    """Profile fields the member has completed (from ``ProfileUpdate.fields_completed``)."""
    lots: tuple[PointLot, ...] = ()
    """Point lots with points left, oldest first."""
    pooled_points: Count = 0
    """Available points held in one pool, without a lot. A scheme with neither expiry nor
    pending points has no use for lots (its points are all alike), so it keeps them here."""
    debt: Count = 0
    """Points owed after a return took back points that were already spent."""
    earn_counters: dict[str, Count] = Field(default_factory=dict)
    """Points credited per rule and current period, for the rules' caps."""
    last_activity_at: Instant | None = None
    """The member's last order, redemption or points credit (for inactivity expiry)."""
    points_earned: Count = 0
    points_redeemed: Count = 0
    points_expired: Count = 0
    points_revoked: Count = 0
    purchase_count: Count = 0
    spend: Amount = Decimal(0)
    """Net spend: purchases minus returns."""
    purchases: Records = EMPTY
    """Orders inside the program's history window (all of them without a ``History``),
    oldest first: a sequence of :class:`PurchaseRecord` (held as rows, each record's model
    built when first read; in JSON each record is an array, see ``_records``)."""
    folded: FoldedOrders | None = None
    """Totals of the orders folded out of ``purchases``; ``None`` until one folds."""
    vouchers: tuple[Voucher, ...] = ()
    applied_event_ids: tuple[str, ...] = ()
    """Ids of every event applied, sorted; re-applying one of them is a no-op."""
    applied_event_fingerprints: tuple[Fingerprint, ...] = ()
    """The fingerprint of each applied event, in the order of ``applied_event_ids``: the
    same id with other content is refused with :class:`~reciprocity.EventConflict`."""
    applied_event_times: tuple[Instant, ...] = ()
    """When each applied event happened, in the order of ``applied_event_ids``, for a program
    with an event horizon (``History``); empty otherwise."""
    goodwill: GoodwillHistory | None = None
    """Complaints, goodwill given and approvals pending; ``None`` before the first complaint."""
    gifts: GiftHistory | None = None
    """Gifts given and the gift calendar; ``None`` until a gift rule first looks at the
    member."""
    tier: TierStatus | None = None
    """The member's tier; ``None`` until the tier ladder first looks at the member."""
    credit: CreditBalance | None = None
    """Store credit (``Program.credit``); ``None`` until credit is first issued."""
    balances: dict[str, PointBalance] | None = Field(default=None, exclude_if=_is_none)
    """The member's points in each of ``Program.balances``, by name; ``None`` (and left out
    of the JSON, so a state of a program with one balance dumps as before) without them."""

    def model_post_init(self, context: object, /) -> None:
        validate_currency(self.currency, field="MemberState.currency")

    @model_validator(mode="after")
    def _invariants(self, info: ValidationInfo) -> MemberState:
        """The cross-field invariants the engine relies on, checked in one linear pass (not
        by :meth:`load_trusted`)."""
        if info.context is _TRUSTED:
            return self
        problem, by_id = checked_state(self)
        if problem is not None:
            error = InvalidState(problem[0], hint=problem[1])
            error.located = True  # type: ignore[attr-defined]
            raise error
        _keep_by_id(self, by_id)
        return self

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray,
                            **kwargs: Any) -> MemberState:
        """The state read from its JSON and fully checked (``BaseModel.model_validate_json``;
        invalid data is an :class:`~reciprocity.InvalidState` naming the field). Called with
        the document alone (how a backend loads a state) it calls the validator directly."""
        if kwargs or cls is not MemberState:
            return super().model_validate_json(json_data, **kwargs)
        try:
            loaded: MemberState = _VALIDATE_JSON(json_data)
        except ValidationError as exc:
            raise error_from_validation("MemberState", exc, InvalidState, REBUILD) from None
        _keep_hot(loaded, None)  # none: the next apply reads it without an AttributeError
        return loaded

    @classmethod
    def load_trusted(cls, data: str | bytes) -> MemberState:
        """Load a state the backend itself wrote (``model_dump_json()``), fast.

        The document is validated as ``model_validate_json`` validates it (its shape, field
        names, types, ranges, id patterns, aware instants, exact amounts, the currency code),
        but the cross-field invariants (sorted applied ids, points conserved, nothing returned
        beyond what was bought, ...) are not checked. Use it for documents that only the
        engine wrote, read back from your own database; use ``model_validate_json`` (the
        default, fully checked) for anything else. A state of 1,000 orders (2.6 KB) loads
        about 14 % faster this way (``benchmarks/time_state_load.py``).

        >>> state = MemberState.new("m-1", currency="EUR")
        >>> MemberState.load_trusted(state.model_dump_json()) == state
        True
        """
        try:
            loaded: MemberState = cls.__pydantic_validator__.validate_json(
                data, context=_TRUSTED)
        except ValidationError as exc:
            raise error_from_validation("MemberState", exc, InvalidState, REBUILD) from None
        # neither a hot form nor records by id (no invariants pass): both slots set, so the
        # next apply reads them without an AttributeError raised and caught
        _keep_hot(loaded, None)
        _keep_by_id(loaded, None)
        return loaded

    def model_dump_json(self, **kwargs: Any) -> str:
        """The state as JSON, as pydantic writes it (``BaseModel.model_dump_json``).

        Called without arguments (how a backend saves a state) it writes the same text
        faster: amounts are written by pydantic-core's ``str`` when that gives their
        fixed-point text (``_fastpath.PlainDecimalDump``), and purchase records kept in
        their JSON form (``_records.Records.raw``) as they were read.
        """
        if kwargs or type(self) is not MemberState:
            return super().model_dump_json(**kwargs)
        if self.__dict__["purchases"].raw is not None:  # kept as read: written as read
            return _JSON_FORM_DUMP.dump(self, super().model_dump_json)
        return _DUMP.dump(self, super().model_dump_json)

    def model_copy(self, *, update: Mapping[str, Any] | None = None,
                   deep: bool = False) -> MemberState:
        """``BaseModel.model_copy``; purchase records given in ``update`` (models or dicts)
        are held as rows, as every state holds them (``_records``)."""
        if update and "purchases" in update and type(update["purchases"]) is not Records:
            update = {**update, "purchases": records_of(update["purchases"])}
        return super().model_copy(update=update, deep=deep)

    @classmethod
    def new(cls, member_id: str, *, currency: str) -> MemberState:
        """An empty state for a member a program has not seen yet."""
        return cls(member_id=member_id, currency=currency)

    @property
    def available_points(self) -> int:
        """Points the member can redeem now."""
        return self.pooled_points + sum(
            lot.remaining for lot in self.lots if lot.status == "available"
        )

    @property
    def balance(self) -> int:
        """Available points minus debt: negative while a member owes points."""
        return self.available_points - self.debt

    @property
    def pending_points(self) -> int:
        """Points earned but not yet available (inside the return window)."""
        return sum(lot.remaining for lot in self.lots if lot.status == "pending")

    @property
    def next_expiry(self) -> datetime | None:
        """When the next lot expires, if any lot has an expiry."""
        dates = [lot.expires_at for lot in self.lots if lot.expires_at is not None]
        return min(dates) if dates else None

    def has_applied(self, event_id: str) -> bool:
        """Whether ``event_id`` was applied to this state already."""
        return self.applied_fingerprint(event_id) is not None

    def applied_fingerprint(self, event_id: str) -> str | None:
        """The fingerprint of the applied event ``event_id``, or ``None`` if none was applied.

        >>> MemberState.new("m-1", currency="EUR").applied_fingerprint("A-1") is None
        True
        """
        ids = self.applied_event_ids
        index = bisect_left(ids, event_id)
        if index < len(ids) and ids[index] == event_id:
            return self.applied_event_fingerprints[index]
        return None


_VALIDATE_JSON = MemberState.__pydantic_validator__.validate_json
_DUMP = PlainDecimalDump(MemberState)
"""``MemberState.model_dump_json()``'s fast path."""
_JSON_FORM_DUMP = PlainDecimalDump(MemberState, swap={
    rows_for_json: json_form_serializer(MemberState.__pydantic_core_schema__)})
"""The same, for a state whose purchase records are kept in their JSON form."""

_by_id_of = MemberState.__dict__["_by_id"].__get__
_keep_by_id = MemberState.__dict__["_by_id"].__set__
_keep_hot = MemberState.__dict__["_hot"].__set__


def loaded_records(state: MemberState) -> dict[str, RecordRow] | None:
    """The purchase records' rows of a state that passed the invariants (a validated load),
    by id, in the state's order, as the invariants pass found them (ids unique); ``None`` for
    a state the engine built or a trusted load. Never to be changed (copy first)."""
    by_id = loaded_rows(state)
    if by_id is not None and state.purchases.raw is not None:  # the JSON form's: the rows
        return {row[0]: row for row in state.purchases.rows}
    return by_id


def loaded_rows(state: MemberState) -> dict[str, RecordRow] | None:
    """:func:`loaded_records` as the invariants pass found them: the rows of
    ``state.purchases.raw`` if it is kept (records in their JSON form), else of ``.rows``."""
    try:
        by_id: dict[str, RecordRow] = _by_id_of(state)
    except AttributeError:
        return None
    return by_id
