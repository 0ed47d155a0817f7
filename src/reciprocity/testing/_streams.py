"""Event streams for :mod:`reciprocity.testing`: one member's history, or a whole shop's.

Private: import the public names from :mod:`reciprocity.testing`. A stream is drawn as a
story: returns name earlier purchases of the member and never more than is left of them,
complaints are mostly about the member's own orders, approvals answer the member's earlier
complaints, and "delivered" events name an order. Given a program, a stream also speaks its
language: its rewards (with ``points`` for rewards that take points as money), the custom
events its rules react to, the profile fields it asks for, its categories and consents.

>>> from hypothesis import given, settings
>>> from reciprocity import Purchase, Return
>>> @settings(max_examples=10, database=None)
... @given(member_streams(kinds=("purchase", "return")))
... def test_returns_name_earlier_purchases(events):
...     bought = set()
...     for event in events:
...         if isinstance(event, Purchase):
...             bought.add(event.id)
...         else:  # a return names an earlier purchase of the member
...             assert isinstance(event, Return) and event.purchase_id in bought
>>> test_returns_name_earlier_purchases()

Imports: ``events``, ``money``, the points and gifts declarations, ``testing._core`` and
``testing._events``, and hypothesis; ``program`` only for typing.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from pydantic import BaseModel

from ..events import (
    Approval,
    Complaint,
    Custom,
    Event,
    Redemption,
    Return,
    ReturnedLine,
)
from ..gifts.order_rules import CategoryGift
from ..money import Money, Rounding, currency_exponent
from ..points.rules import CategoryMultiplier, PointsPerAmount
from ..points.scheme import PointsAsCurrency
from ._core import (
    CATEGORIES,
    COMPLAINT_CATEGORIES,
    CONSENTS,
    DEFAULT_END,
    DEFAULT_START,
    METADATA,
    SHORT_TEXT,
    aware_datetimes,
    money,
)
from ._events import (
    CUSTOM_NAMES,
    PROFILE_FIELDS,
    customs,
    draw_purchase,
    profile_updates,
    signups,
)

if TYPE_CHECKING:
    from ..program import Program

__all__ = [
    "ALL_EVENT_TYPES",
    "EVENT_TYPES",
    "ORDER_EVENT_NAMES",
    "member_streams",
    "shop_streams",
]

EVENT_TYPES: tuple[str, ...] = (
    "purchase", "return", "redemption", "signup", "profile_update", "complaint", "custom",
)
"""The ``type`` tags :func:`member_streams` draws by default, in its ``kinds`` argument."""
ALL_EVENT_TYPES: tuple[str, ...] = (*EVENT_TYPES, "approval")
"""Every ``type`` tag :func:`member_streams` can draw; approvals answer earlier complaints."""
ORDER_EVENT_NAMES: tuple[str, ...] = ("delivered",)
"""Custom events about an order (payload ``{"order_id": ...}``) streams of a program draw,
beside the program's ``release_on`` event."""

# Kinds weighted by how often a shop sees them; purchases dominate.
_WEIGHTS = {"purchase": 6, "return": 2, "redemption": 2, "signup": 1, "profile_update": 1,
            "complaint": 1, "custom": 1, "approval": 1}
_INDEX_PARTS = st.integers(0, 3)
_QUANTITY = st.integers(1, 2)
_PARTIAL = st.booleans()


class _CatalogueItem(Protocol):
    @property
    def id(self) -> str: ...


@dataclass(frozen=True)
class _Vocabulary:
    """What a stream talks about; hashable, so strategies built from it are cached."""

    currency: str
    reward_ids: tuple[str, ...]
    """Fixed rewards, redeemed by quantity."""
    pay: tuple[tuple[str, int, int], ...]
    """Rewards that take points as money: (id, min_points, step)."""
    custom_names: tuple[str, ...] = CUSTOM_NAMES
    order_names: tuple[str, ...] = ()
    fields: tuple[str, ...] = PROFILE_FIELDS
    categories: tuple[str, ...] = CATEGORIES
    consents: tuple[str, ...] = CONSENTS
    detailed: bool = False
    """Orders cost what their lines add up to, returns go by lines too, one sign-up."""
    goodwill: bool = True
    """Whether complaints matter: without goodwill, fewer complaints and no approvals."""
    named: tuple[tuple[str, str, int, int], ...] = ()
    """Custom events that name their points: (name, payload key, min_points, max_points)."""


def _reward_ids(rewards: Sequence[_CatalogueItem | str]) -> tuple[str, ...]:
    """Ids of the rewards a plain ``Redemption`` (no ``points``) can name."""
    return tuple(r if isinstance(r, str) else r.id for r in rewards
                 if isinstance(r, str) or getattr(r, "type", "voucher") == "voucher")


def _pay(rewards: Sequence[_CatalogueItem | str]) -> tuple[tuple[str, int, int], ...]:
    return tuple((r.id, r.min_points, r.step) for r in rewards
                 if isinstance(r, PointsAsCurrency))


def _merge(*groups: Collection[str]) -> tuple[str, ...]:
    """Names of every group, each once, in first-seen order."""
    return tuple(dict.fromkeys(name for group in groups for name in group))


def _vocabulary(program: Program, rewards: Sequence[_CatalogueItem | str] | None) -> _Vocabulary:
    scheme = program.points
    items = scheme.rewards if rewards is None else rewards
    customs_ = [rule.name for rule in scheme.events if rule.on == "custom" and rule.name]
    fields = [f for rule in scheme.events for f in rule.required_fields]
    categories: list[str] = []
    for rule in scheme.earn:
        if isinstance(rule, PointsPerAmount):
            categories += [*rule.include_categories, *rule.exclude_categories]
        for multiplier in rule.multipliers:
            if isinstance(multiplier, CategoryMultiplier):
                categories += multiplier.categories
    consents: list[str] = []
    if program.gifts is not None:
        for gift_rule in program.gifts.rules:
            consents += gift_rule.consents
            if isinstance(gift_rule, CategoryGift):
                categories += [sample.category for sample in gift_rule.samples]
    order_names = _merge(ORDER_EVENT_NAMES, [scheme.release_on] if scheme.release_on else [])
    return _Vocabulary(
        currency=program.currency, reward_ids=_reward_ids(items), pay=_pay(items),
        custom_names=tuple(n for n in _merge(customs_, ("review", "survey"))
                           if n not in order_names),
        order_names=order_names, fields=_merge(fields, PROFILE_FIELDS),
        categories=_merge(categories, CATEGORIES), consents=_merge(consents, CONSENTS),
        detailed=True, goodwill=program.goodwill is not None,
        named=tuple((r.name or "", r.points_from, r.min_points, r.max_points or 0)
                    for r in scheme.events if r.points_from is not None),
    )


def _check_kinds(kinds: Collection[str]) -> tuple[str, ...]:
    unknown = sorted(set(kinds) - set(ALL_EVENT_TYPES))
    if unknown:
        raise InvalidArgument(f"kinds has unknown event types {unknown}; use {ALL_EVENT_TYPES}")
    return tuple(kind for kind in ALL_EVENT_TYPES if kind in kinds)


_E = TypeVar("_E", bound=BaseModel)


def _revalidated(event: _E, **changes: Any) -> _E:
    """``event`` with ``changes``, validated again (``model_copy`` would skip validation)."""
    return type(event).model_validate({**event.model_dump(), **changes})


class _Order:
    """What a stream remembers of a purchase, to draw returns and complaints about it."""

    __slots__ = ("amount", "at", "left", "lines")

    def __init__(self, at: datetime, amount: Decimal,
                 lines: dict[str, list[Any]] | None) -> None:
        self.at = at
        self.amount = amount
        self.left = amount
        self.lines = lines
        """sku -> [unit price, quantity left], as the engine prices returns by line."""


def _draw_return(draw: st.DrawFn, eid: str, member_id: str, at: datetime, pid: str,
                 order: _Order, vocab: _Vocabulary) -> Return:
    exponent = currency_exponent(vocab.currency)
    returnable = [sku for sku, (_, left) in (order.lines or {}).items() if left > 0]
    if vocab.detailed and returnable and draw(st.integers(0, 2)) == 0:
        chosen = draw(st.lists(st.sampled_from(returnable), min_size=1, max_size=2,
                               unique=True))
        back: list[ReturnedLine] = []
        value = Decimal(0)
        assert order.lines is not None
        for sku in sorted(chosen):
            price, left = order.lines[sku]
            quantity = draw(st.integers(1, left))
            order.lines[sku][1] = left - quantity
            value += price * quantity
            back.append(ReturnedLine(sku=sku, quantity=quantity))
        worth = min(value, order.left)
        rounded = Money(worth, vocab.currency).quantize(Rounding.HALF_UP)
        both = None if rounded.amount <= 0 or draw(st.booleans()) else rounded  # as real data
        order.left -= worth if both is None else min(both.amount, order.left)
        return Return(id=eid, member_id=member_id, at=at, purchase_id=pid, lines=tuple(back),
                      amount=both, metadata=draw(METADATA))
    amount = None
    if draw(_PARTIAL):
        units = int(order.left.scaleb(exponent))
        amount = Money(Decimal(draw(st.integers(1, units))).scaleb(-exponent), vocab.currency)
    order.left = Decimal(0) if amount is None else order.left - amount.amount
    return Return(id=eid, member_id=member_id, at=at, purchase_id=pid, amount=amount,
                  metadata=draw(METADATA))


def _draw_complaint(draw: st.DrawFn, eid: str, member_id: str, at: datetime,
                    orders: dict[str, _Order], currency: str) -> Complaint:
    choice = draw(st.integers(0, 3))
    order_id: str | None = None
    affected = money(currency)
    if orders and choice <= 1:
        order_id = draw(st.sampled_from(sorted(orders)))
        affected = money(currency, 0, orders[order_id].amount)
    elif choice == 2:
        order_id = f"{member_id}-unknown"
    first = draw(st.none() | st.integers(0, 96 * 3600))
    resolved = draw(st.none() | st.integers(0, 30 * 86400))
    # in UTC: wall-clock arithmetic in a zone could land before ``at`` across a DST change
    start = at.astimezone(UTC) + timedelta(seconds=first or 0)
    return Complaint(
        id=eid, member_id=member_id, at=at, order_id=order_id,
        category=draw(st.sampled_from(COMPLAINT_CATEGORIES)), severity=draw(st.integers(1, 5)),
        amount_affected=draw(st.none() | affected),
        first_response_at=None if first is None else start,
        resolved_at=None if resolved is None else start + timedelta(seconds=resolved),
        text=draw(SHORT_TEXT), metadata=draw(METADATA),
    )


def _draw_redemption(draw: st.DrawFn, eid: str, member_id: str, at: datetime,
                     vocab: _Vocabulary) -> Redemption:
    options = len(vocab.reward_ids) + len(vocab.pay)
    pick = draw(st.integers(0, options - 1))
    if pick < len(vocab.reward_ids):
        quantity = draw(_QUANTITY) if not vocab.detailed or draw(_INDEX_PARTS) == 0 else 1
        return Redemption(id=eid, member_id=member_id, at=at,
                          reward_id=vocab.reward_ids[pick], quantity=quantity)
    reward_id, least, step = vocab.pay[pick - len(vocab.reward_ids)]
    first = -(-least // step) * step  # the smallest valid amount of points
    points = first + step * draw(st.integers(0, 3) | st.integers(0, 3) | st.integers(0, 200))
    return Redemption(id=eid, member_id=member_id, at=at, reward_id=reward_id, points=points)


def _draw_custom(draw: st.DrawFn, eid: str, member_id: str, at: datetime,
                 orders: dict[str, _Order], vocab: _Vocabulary) -> Custom:
    if vocab.order_names and orders and draw(st.booleans()):
        return Custom(id=eid, member_id=member_id, at=at,
                      name=draw(st.sampled_from(vocab.order_names)),
                      payload={"order_id": draw(st.sampled_from(sorted(orders)))},
                      metadata=draw(METADATA))
    if len(vocab.named) > 0 and draw(st.booleans()):  # named points, mostly in bounds
        name = draw(st.sampled_from(vocab.named))[0]
        payload: dict[str, Any] = {
            key: draw(st.integers(low, high) | st.sampled_from((low - 1, high + 1)))
            for named, key, low, high in vocab.named if named == name}
        return Custom(id=eid, member_id=member_id, at=at, name=name, payload=payload)
    drawn = draw(customs(member_id=member_id, names=vocab.custom_names))
    return _revalidated(drawn, id=eid, at=at)


@st.composite
def _stream(
    draw: st.DrawFn, member_id: str, vocab: _Vocabulary, start: datetime, end: datetime,
    kinds: tuple[str, ...], min_size: int, max_size: int, amounts: st.SearchStrategy[Money],
    same_instant_returns: bool, allow_ambiguous: bool,
) -> list[Event]:
    size = draw(st.integers(min_size, max_size))
    moments = draw(st.lists(aware_datetimes(start, end, allow_ambiguous=allow_ambiguous),
                            min_size=size, max_size=size))
    can_redeem = bool(vocab.reward_ids or vocab.pay)
    weights = dict(_WEIGHTS)
    if vocab.detailed and vocab.goodwill:  # complaints matter: more, and their approvals
        weights.update(complaint=2, approval=2)
    elif vocab.detailed:  # no goodwill: nothing waits for an approval
        weights["approval"] = 0
    choices = [kind for kind in kinds if kind != "redemption" or can_redeem
               for _ in range(weights[kind])]
    if not choices:  # nothing the stream may draw makes sense here
        return []
    kind_of = st.sampled_from(choices)
    moments.sort(key=lambda at: at.astimezone(UTC))
    for index in range(1, size):  # about one in four shares its predecessor's exact `at`
        if draw(_INDEX_PARTS) == 0:
            moments[index] = moments[index - 1]
    width = len(str(max(max_size - 1, 0)))
    orders: dict[str, _Order] = {}
    complained: list[str] = []
    signed_up = False
    events: list[Event] = []
    for index, at in enumerate(moments):
        kind = draw(kind_of)
        eid = f"{member_id}-{index:0{width}d}"
        open_ = [pid for pid, order in orders.items()
                 if order.left > 0 and (same_instant_returns or order.at < at)]
        if (kind == "return" and not open_) or (kind == "approval" and not complained) or (
                kind == "redemption" and vocab.detailed and not orders):
            if "purchase" not in kinds:
                continue
            kind = "purchase"
        if kind == "signup" and signed_up and vocab.detailed:
            kind = "profile_update"
        event: Event
        if kind == "purchase":
            purchase = draw_purchase(draw, f"{eid}-P", member_id, at, vocab.currency, amounts,
                                     categories=vocab.categories, consistent=vocab.detailed)
            table: dict[str, list[Any]] = {}
            for line in purchase.lines:
                table.setdefault(line.sku, [line.unit_price.amount, 0])[1] += line.quantity
            orders[purchase.id] = _Order(at, purchase.amount.amount, table or None)
            event = purchase
        elif kind == "return":
            pid = draw(st.sampled_from(open_))
            event = _draw_return(draw, f"{eid}-R", member_id, at, pid, orders[pid], vocab)
        elif kind == "redemption":
            event = _draw_redemption(draw, f"{eid}-V", member_id, at, vocab)
        elif kind == "complaint":
            event = _draw_complaint(draw, f"{eid}-C", member_id, at, orders, vocab.currency)
            complained.append(event.id)
        elif kind == "approval":  # mostly of the latest complaint: pending ones are answered
            pick = draw(st.integers(0, 7))
            ref = (complained[-1] if pick < 5 else draw(st.sampled_from(complained)) if pick < 7
                   else "no-such-complaint")
            event = Approval(id=f"{eid}-A", member_id=member_id, at=at, ref_event_id=ref,
                             approved=draw(_INDEX_PARTS) > 0,
                             approved_by=draw(st.none() | st.sampled_from(("ana", "ben"))))
        elif kind == "custom":
            event = _draw_custom(draw, f"{eid}-C", member_id, at, orders, vocab)
        elif kind == "signup":
            signed_up = True
            event = _revalidated(draw(signups(member_id=member_id, consents=vocab.consents)),
                                 id=f"{eid}-S", at=at)
        else:
            event = _revalidated(draw(profile_updates(member_id=member_id,
                                                      consents=vocab.consents,
                                                      fields=vocab.fields)),
                                 id=f"{eid}-P", at=at)
        events.append(event)
    return events


def _resolve(program: Program | None, currency: str | None,
             rewards: Sequence[_CatalogueItem | str] | None,
             kinds: Collection[str] | None) -> tuple[_Vocabulary, tuple[str, ...]]:
    if program is None:
        items = ("voucher-10",) if rewards is None else rewards
        vocab = _Vocabulary(currency or "EUR", _reward_ids(items), _pay(items))
        return vocab, _check_kinds(EVENT_TYPES if kinds is None else kinds)
    if currency is not None and currency != program.currency:
        raise InvalidArgument(f"currency={currency!r} but the program uses "
                              f"{program.currency}; leave currency out")
    return (_vocabulary(program, rewards),
            _check_kinds(ALL_EVENT_TYPES if kinds is None else kinds))


def member_streams(
    member_id: str = "m-1", *, currency: str | None = None, start: datetime = DEFAULT_START,
    end: datetime = DEFAULT_END, rewards: Sequence[_CatalogueItem | str] | None = None,
    kinds: Collection[str] | None = None, min_size: int = 0, max_size: int = 20,
    amounts: st.SearchStrategy[Money] | None = None, same_instant_returns: bool = True,
    allow_ambiguous: bool = True, program: Program | None = None,
) -> st.SearchStrategy[list[Event]]:
    """One member's events in time order, each id unique and sorting in stream order.

    Returns reference earlier purchases of the member and never exceed what is left of
    them; redemptions name rewards of ``rewards`` (affordable or not); complaints are mostly
    about the member's own orders, sometimes about an unknown one or none; approvals answer
    the member's earlier complaints (or, rarely, nothing). About one event in four shares
    the exact ``at`` of the one before, so the list is also in ``(at, id)`` order, the order
    of :meth:`~reciprocity.Program.replay`.

    With ``program``, the stream is one the program's families react to: orders cost what
    their lines (in the program's categories, maybe with a ``shipping`` line) add up to;
    returns go by amount or by lines; redemptions of a
    :class:`~reciprocity.PointsAsCurrency` reward name valid ``points``; custom events are
    the names its event rules count, and ``"delivered"`` (or its ``release_on`` event) for
    an earlier order; profile updates complete the fields it asks for; consents include
    those its gifts need; a member signs up at most once.

    Args:
        member_id: the member all events belong to; ids start with it.
        currency: currency of every amount; the program's, or EUR.
        start: earliest ``at``.
        end: latest ``at``.
        rewards: the catalogue (its items or their ids) redemptions pick from; the
            program's, or ``("voucher-10",)``. Plain ids are fixed rewards.
        kinds: event ``type`` tags to draw (see :data:`EVENT_TYPES`, the default, and
            :data:`ALL_EVENT_TYPES`, the default with a program).
        min_size: fewest events.
        max_size: most events.
        amounts: strategy for purchase amounts (of orders without lines, with a program);
            :func:`money` in ``currency`` when ``None``.
        same_instant_returns: if false, a return only references a purchase made strictly
            before it, never one at the same ``at``.
        allow_ambiguous: if false, no ``at`` is a wall time that a DST change repeats.
        program: draw the events this program reacts to (see above).
    """
    if not 0 <= min_size <= max_size:
        raise InvalidArgument(f"Cannot have max_size={max_size} < min_size={min_size}")
    vocab, chosen = _resolve(program, currency, rewards, kinds)
    return _stream(member_id, vocab, start, end, chosen, min_size, max_size,
                   amounts if amounts is not None else money(vocab.currency),
                   same_instant_returns, allow_ambiguous)


def _utc_key(event: Event) -> tuple[datetime, str]:
    return (event.at.astimezone(UTC), event.id)


@st.composite
def _shop(draw: st.DrawFn, member_ids: list[str], stream: Callable[[str], Any]) -> list[Event]:
    streams = [draw(stream(mid)) for mid in member_ids]
    return list(heapq.merge(*streams, key=_utc_key))


def shop_streams(
    members: int | Sequence[str] = 3, *, currency: str | None = None,
    start: datetime = DEFAULT_START, end: datetime = DEFAULT_END,
    rewards: Sequence[_CatalogueItem | str] | None = None, kinds: Collection[str] | None = None,
    max_events_per_member: int = 10, amounts: st.SearchStrategy[Money] | None = None,
    same_instant_returns: bool = True, allow_ambiguous: bool = True,
    program: Program | None = None,
) -> st.SearchStrategy[list[Event]]:
    """Streams of several members (see :func:`member_streams`) interleaved in time order.

    Args:
        members: how many members (ids ``m-1``, ``m-2``...), or their ids.
        currency: currency of every amount; the program's, or EUR.
        start: earliest ``at``.
        end: latest ``at``.
        rewards: the catalogue (its items or their ids) redemptions pick from; the
            program's, or ``("voucher-10",)``.
        kinds: event ``type`` tags to draw (see :func:`member_streams`).
        max_events_per_member: most events of one member.
        amounts: strategy for purchase amounts; :func:`money` in ``currency`` when ``None``.
        same_instant_returns: see :func:`member_streams`.
        allow_ambiguous: see :func:`member_streams`.
        program: draw the events this program reacts to (see :func:`member_streams`).
    """
    ids = [f"m-{n}" for n in range(1, members + 1)] if isinstance(members, int) else list(members)
    if len(set(ids)) != len(ids):
        raise InvalidArgument(f"members={ids!r} has repeated ids")
    vocab, chosen = _resolve(program, currency, rewards, kinds)
    amounts_ = amounts if amounts is not None else money(vocab.currency)

    def stream(mid: str) -> st.SearchStrategy[list[Event]]:
        return _stream(mid, vocab, start, end, chosen, 0, max_events_per_member, amounts_,
                       same_instant_returns, allow_ambiguous)

    return _shop(ids, stream)
