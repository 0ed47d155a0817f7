"""Hypothesis strategies for reciprocity: money, events, member streams, programs and states.

Use them in your own property tests. Hypothesis is needed only here (``pip install
'reciprocity[test]'``); ``import reciprocity`` never imports it. Every event stream is in time
order, with unique ids, returns that reference earlier purchases and never exceed what is
left of them, and some events sharing the exact same ``at``; times are aware and spread over
several real time zones, near DST changes too.

>>> from hypothesis import given, settings
>>> from reciprocity import RefusedEvent, seed_program
>>> from reciprocity.testing import member_streams
>>> program = seed_program()
>>> @settings(max_examples=20, database=None)
... @given(member_streams(rewards=program.points.rewards))
... def test_balance_never_negative(events):
...     state = None
...     for event in events:
...         try:
...             state = program.apply(state, event).state
...         except RefusedEvent:
...             pass
...     assert state is None or state.available_points >= 0
>>> test_balance_never_negative()
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any, Protocol, TypeVar
from zoneinfo import ZoneInfo

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from pydantic import BaseModel, JsonValue

from .conditions import (
    Always,
    AmountOver,
    ChannelIs,
    Condition,
    During,
    HasConsent,
    InCategory,
    PurchaseCountAtLeast,
    all_of,
    any_of,
    not_,
)
from .errors import RefusedEvent
from .events import (
    Complaint,
    ComplaintCategory,
    Custom,
    Event,
    Line,
    ProfileUpdate,
    Purchase,
    Redemption,
    Return,
    SignUp,
)
from .money import Money, currency_exponent
from .policies.points import FixedLifetime, PointScheme, PointsPerPurchase, Reward
from .program import Program
from .state import MemberState

__all__ = [
    "DEFAULT_END",
    "DEFAULT_START",
    "EVENT_TYPES",
    "TIMEZONES",
    "aware_datetimes",
    "complaints",
    "conditions",
    "customs",
    "earn_rules",
    "member_states",
    "member_streams",
    "money",
    "point_schemes",
    "profile_updates",
    "programs",
    "purchases",
    "redemptions",
    "returns",
    "rewards",
    "shop_streams",
    "signups",
]

TIMEZONES: tuple[str, ...] = (
    "UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe",
)
"""The IANA zones event times are drawn in: whole, half-hour and 30-minute-DST offsets."""

DEFAULT_START = datetime(2025, 1, 1, tzinfo=UTC)
"""Default start of the time window (inclusive)."""
DEFAULT_END = datetime(2027, 1, 1, tzinfo=UTC)
"""Default end of the time window (inclusive)."""

EVENT_TYPES: tuple[str, ...] = (
    "purchase", "return", "redemption", "signup", "profile_update", "complaint", "custom",
)
"""The ``type`` tags :func:`member_streams` can draw, in its ``kinds`` argument."""

_CHANNELS = ("web", "store", "marketplace", "app")
_CATEGORIES = ("tea", "coffee", "books", "toys")
_CONSENTS = ("email", "sms", "post")
_COMPLAINT_CATEGORIES: tuple[ComplaintCategory, ...] = (
    "late_delivery", "missing_item", "partial_delivery", "damaged", "not_as_described",
    "quality", "service", "other",
)
# Kinds weighted by how often a shop sees them; purchases dominate.
_WEIGHTS = {"purchase": 6, "return": 2, "redemption": 2, "signup": 1, "profile_update": 1,
            "complaint": 1, "custom": 1}
_SHORT_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
                      max_size=12)


# -- scalars ---------------------------------------------------------------------------------

def _units(value: Decimal | int | str, exponent: int, name: str) -> int:
    """``value`` in minor units of a currency with ``exponent`` places, exactly."""
    scaled = Decimal(value).scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise InvalidArgument(f"{name}={value!r} has more places than the currency's {exponent}")
    return int(scaled)


def money(
    currency: str = "EUR", min_value: Decimal | int | str = 0,
    max_value: Decimal | int | str = 500,
) -> st.SearchStrategy[Money]:
    """Exact amounts quantized to the currency's minor unit, round amounts often.

    Args:
        currency: ISO 4217 code; its minor unit sets the places (2 for EUR, 0 for JPY).
        min_value: the smallest amount, inclusive.
        max_value: the largest amount, inclusive.
    """
    exponent = currency_exponent(currency)
    low = _units(min_value, exponent, "min_value")
    high = _units(max_value, exponent, "max_value")
    if low > high:
        raise InvalidArgument(f"Cannot have max_value={max_value} < min_value={min_value}")
    return _money(currency, exponent, low, high)


@cache
def _money(currency: str, exponent: int, low: int, high: int) -> st.SearchStrategy[Money]:
    step = 10**exponent
    exact = st.integers(low, high)
    # Whole amounts (50.00) come up often, so thresholds are hit exactly, not just crossed.
    whole = st.integers(-(-low // step), high // step).map(lambda n: n * step)
    units = st.one_of(exact, whole) if -(-low // step) <= high // step else exact
    return units.map(lambda n: Money(Decimal(n).scaleb(-exponent), currency))


def _transitions(zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """UTC instants in ``[start, end]`` where ``zone`` changes its offset (to the hour)."""
    found: list[datetime] = []
    day, hour = timedelta(days=1), timedelta(hours=1)
    moment = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    offset = moment.astimezone(zone).utcoffset()
    while moment <= end:
        if (moment + day).astimezone(zone).utcoffset() == offset:
            moment += day
            continue
        for _ in range(24):  # the change is within this day: find its hour
            moment += hour
            current = moment.astimezone(zone).utcoffset()
            if current != offset:
                found.append(moment)
                offset = current
                break
    return found


_TRANSITIONS: dict[tuple[str, datetime, datetime], list[datetime]] = {}


def aware_datetimes(
    start: datetime = DEFAULT_START, end: datetime = DEFAULT_END, *,
    timezones: Sequence[str] = TIMEZONES, allow_ambiguous: bool = True,
) -> st.SearchStrategy[datetime]:
    """Aware instants in ``[start, end]``, each shown in one of ``timezones``; never naive.

    About one in four falls within two hours of a DST change of its zone.

    Args:
        start: earliest instant (aware).
        end: latest instant (aware).
        timezones: IANA zone names to show the instants in.
        allow_ambiguous: if false, skip wall times that a DST change repeats (``fold``).
    """
    for name, value in (("start", start), ("end", end)):
        if value.tzinfo is None or value.utcoffset() is None:
            raise InvalidArgument(f"{name}={value!r} is naive; pass an aware datetime")
    if end < start:
        raise InvalidArgument(f"Cannot have end={end} < start={start}")
    if not timezones:
        raise InvalidArgument("timezones is empty; give at least one IANA zone name")
    return _datetimes(start, end, tuple(timezones), allow_ambiguous)


@cache
def _datetimes(start: datetime, end: datetime, timezones: tuple[str, ...],
               allow_ambiguous: bool) -> st.SearchStrategy[datetime]:
    zones = [ZoneInfo(name) for name in timezones]
    span = (end - start) // timedelta(seconds=1)
    utc_start = start.astimezone(UTC)

    @st.composite
    def draw_one(draw: st.DrawFn) -> datetime:
        zone = draw(st.sampled_from(zones))
        key = (zone.key, start, end)
        if key not in _TRANSITIONS:
            _TRANSITIONS[key] = _transitions(zone, start, end)
        changes = _TRANSITIONS[key]
        if changes and draw(st.integers(0, 3)) == 0:
            near = draw(st.sampled_from(changes))
            moment = near + timedelta(seconds=draw(st.integers(-7200, 7200)))
            moment = min(max(moment, utc_start), end.astimezone(UTC))
        else:
            moment = utc_start + timedelta(seconds=draw(st.integers(0, span)))
        return moment.astimezone(zone)

    dates = draw_one()
    return dates if allow_ambiguous else dates.filter(lambda at: not _ambiguous(at))


def _ambiguous(at: datetime) -> bool:
    """Whether the wall time of ``at`` occurs twice in its zone (it compares oddly)."""
    return at.replace(fold=1 - at.fold).utcoffset() != at.utcoffset()


_SCALARS: st.SearchStrategy[JsonValue] = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), _SHORT_TEXT,
)
_JSON_VALUES: st.SearchStrategy[JsonValue] = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(_SHORT_TEXT, inner, max_size=3),
    ),
    max_leaves=5,
)
_METADATA: st.SearchStrategy[dict[str, JsonValue]] = st.one_of(
    st.just({}), st.dictionaries(_SHORT_TEXT, _JSON_VALUES, max_size=2),
)


_IDS = st.text("abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=10)


@cache
def _id_strategy(value: str | None, prefix: str) -> st.SearchStrategy[str]:
    return st.just(value) if value is not None else _IDS.map(lambda s: f"{prefix}{s}")


# -- events ----------------------------------------------------------------------------------

@cache
def _lines(currency: str) -> st.SearchStrategy[tuple[Line, ...]]:
    line = st.builds(
        Line, sku=st.integers(1, 20).map(lambda n: f"SKU-{n}"),
        category=st.none() | st.sampled_from(_CATEGORIES), quantity=st.integers(1, 3),
        unit_price=money(currency, 0, 100),
    )
    return st.lists(line, max_size=3).map(tuple)


_CHANNEL = st.none() | st.sampled_from(_CHANNELS)


def _draw_purchase(draw: st.DrawFn, eid: str, member_id: str, at: datetime,
                   amounts: st.SearchStrategy[Money]) -> Purchase:
    amount = draw(amounts)
    return Purchase(
        id=eid, member_id=member_id, at=at, amount=amount, lines=draw(_lines(amount.currency)),
        channel=draw(_CHANNEL), metadata=draw(_METADATA),
    )


@st.composite
def _purchase_any(draw: st.DrawFn, member_id: str | None, currency: str, start: datetime,
                  end: datetime, amounts: st.SearchStrategy[Money] | None) -> Purchase:
    return _draw_purchase(
        draw, draw(_id_strategy(None, "P-")), draw(_id_strategy(member_id, "m-")),
        draw(aware_datetimes(start, end)), amounts if amounts is not None else money(currency))


def purchases(
    *, member_id: str | None = None, currency: str = "EUR", start: datetime = DEFAULT_START,
    end: datetime = DEFAULT_END, amounts: st.SearchStrategy[Money] | None = None,
) -> st.SearchStrategy[Purchase]:
    """Single purchases, with optional lines (categories) and channel.

    Args:
        member_id: the member; drawn when ``None``.
        currency: currency of the amount and the lines.
        start: earliest ``at``.
        end: latest ``at``.
        amounts: strategy for the amount; :func:`money` in ``currency`` when ``None``.
    """
    return _purchase_any(member_id, currency, start, end, amounts)


def returns(
    *, member_id: str | None = None, purchase_id: str | None = None, currency: str = "EUR",
    start: datetime = DEFAULT_START, end: datetime = DEFAULT_END,
) -> st.SearchStrategy[Return]:
    """Single returns, full (no amount) or partial; the purchase may be unknown to a state.

    Args:
        member_id: the member; drawn when ``None``.
        purchase_id: the returned purchase; drawn when ``None``.
        currency: currency of a partial amount.
        start: earliest ``at``.
        end: latest ``at``.
    """
    return st.builds(
        Return,
        id=_id_strategy(None, "R-"), member_id=_id_strategy(member_id, "m-"),
        at=aware_datetimes(start, end), purchase_id=_id_strategy(purchase_id, "P-"),
        amount=st.none() | money(currency, Decimal(1).scaleb(-currency_exponent(currency))),
        metadata=_METADATA,
    )


def redemptions(
    *, member_id: str | None = None, reward_ids: Sequence[str] = ("voucher-10",),
    start: datetime = DEFAULT_START, end: datetime = DEFAULT_END,
) -> st.SearchStrategy[Redemption]:
    """Single redemptions of rewards named in ``reward_ids`` (affordable or not).

    Args:
        member_id: the member; drawn when ``None``.
        reward_ids: the catalogue's reward ids to pick from.
        start: earliest ``at``.
        end: latest ``at``.
    """
    if not reward_ids:
        raise InvalidArgument("reward_ids is empty; give at least one reward id")
    return st.builds(
        Redemption,
        id=_id_strategy(None, "V-"), member_id=_id_strategy(member_id, "m-"),
        at=aware_datetimes(start, end), reward_id=st.sampled_from(list(reward_ids)),
        quantity=st.integers(1, 3), metadata=_METADATA,
    )


_BIRTHDAYS = st.one_of(
    st.none(), st.just(date(2000, 2, 29)), st.dates(date(1930, 1, 1), date(2010, 12, 31)),
)
_CONSENT_SETS = st.lists(st.sampled_from(_CONSENTS), unique=True, max_size=3).map(tuple)


def signups(
    *, member_id: str | None = None, start: datetime = DEFAULT_START, end: datetime = DEFAULT_END,
) -> st.SearchStrategy[SignUp]:
    """Sign-ups with an optional birthday (29 February included) and consents.

    Args:
        member_id: the member; drawn when ``None``.
        start: earliest ``at``.
        end: latest ``at``.
    """
    return st.builds(
        SignUp,
        id=_id_strategy(None, "S-"), member_id=_id_strategy(member_id, "m-"),
        at=aware_datetimes(start, end), birthday=_BIRTHDAYS, consents=_CONSENT_SETS,
        referred_by=st.none() | _id_strategy(None, "m-"), metadata=_METADATA,
    )


def profile_updates(
    *, member_id: str | None = None, start: datetime = DEFAULT_START, end: datetime = DEFAULT_END,
) -> st.SearchStrategy[ProfileUpdate]:
    """Profile updates: birthday, consents granted and revoked, completed fields.

    Args:
        member_id: the member; drawn when ``None``.
        start: earliest ``at``.
        end: latest ``at``.
    """
    return st.builds(
        ProfileUpdate,
        id=_id_strategy(None, "U-"), member_id=_id_strategy(member_id, "m-"),
        at=aware_datetimes(start, end), birthday=_BIRTHDAYS, consents_granted=_CONSENT_SETS,
        consents_revoked=_CONSENT_SETS,
        fields_completed=st.lists(st.sampled_from(("phone", "address", "newsletter")),
                                  unique=True, max_size=3).map(tuple),
        metadata=_METADATA,
    )


@st.composite
def _complaint(draw: st.DrawFn, member_id: str | None, currency: str, start: datetime,
               end: datetime) -> Complaint:
    at = draw(aware_datetimes(start, end))
    first = draw(st.none() | st.integers(0, 72 * 3600))
    resolved = draw(st.none() | st.integers(0, 30 * 86400))
    return Complaint(
        id=draw(_id_strategy(None, "C-")), member_id=draw(_id_strategy(member_id, "m-")),
        at=at, order_id=draw(st.none() | _id_strategy(None, "P-")),
        category=draw(st.sampled_from(_COMPLAINT_CATEGORIES)), severity=draw(st.integers(1, 5)),
        amount_affected=draw(st.none() | money(currency)),
        first_response_at=None if first is None else at + timedelta(seconds=first),
        resolved_at=None if resolved is None else at + timedelta(seconds=resolved),
        text=draw(_SHORT_TEXT), metadata=draw(_METADATA),
    )


def complaints(
    *, member_id: str | None = None, currency: str = "EUR", start: datetime = DEFAULT_START,
    end: datetime = DEFAULT_END,
) -> st.SearchStrategy[Complaint]:
    """Complaints with category, severity 1-5, optional order, amount and response times.

    Args:
        member_id: the member; drawn when ``None``.
        currency: currency of ``amount_affected``.
        start: earliest ``at``.
        end: latest ``at``.
    """
    return _complaint(member_id, currency, start, end)


def customs(
    *, member_id: str | None = None, start: datetime = DEFAULT_START, end: datetime = DEFAULT_END,
) -> st.SearchStrategy[Custom]:
    """Custom events: a name from a small set and a JSON payload.

    Args:
        member_id: the member; drawn when ``None``.
        start: earliest ``at``.
        end: latest ``at``.
    """
    return st.builds(
        Custom,
        id=_id_strategy(None, "X-"), member_id=_id_strategy(member_id, "m-"),
        at=aware_datetimes(start, end),
        name=st.sampled_from(("review", "app_install", "survey")),
        payload=st.dictionaries(_SHORT_TEXT, _JSON_VALUES, max_size=3), metadata=_METADATA,
    )


# -- streams ---------------------------------------------------------------------------------

class _CatalogueItem(Protocol):
    @property
    def id(self) -> str: ...


def _reward_ids(rewards: Sequence[_CatalogueItem | str]) -> list[str]:
    """Ids of the rewards a plain ``Redemption`` (no ``points``) can name."""
    return [r if isinstance(r, str) else r.id for r in rewards
            if isinstance(r, str) or getattr(r, "type", "voucher") == "voucher"]


def _check_kinds(kinds: Collection[str]) -> list[str]:
    unknown = sorted(set(kinds) - set(EVENT_TYPES))
    if unknown:
        raise InvalidArgument(f"kinds has unknown event types {unknown}; use {EVENT_TYPES}")
    return [kind for kind in EVENT_TYPES if kind in kinds]


_INDEX_PARTS = st.integers(0, 3)
_QUANTITY = st.integers(1, 2)
_PARTIAL = st.booleans()


_E = TypeVar("_E", bound=BaseModel)


def _revalidated(event: _E, **changes: Any) -> _E:
    """``event`` with ``changes``, validated again (``model_copy`` would skip validation)."""
    return type(event).model_validate({**event.model_dump(), **changes})


@cache
def _others(member_id: str, currency: str) -> dict[str, st.SearchStrategy[Event]]:
    """The kinds a stream draws whole and then re-times (their own ``at`` is replaced)."""
    return {
        "signup": signups(member_id=member_id),
        "profile_update": profile_updates(member_id=member_id),
        "complaint": complaints(member_id=member_id, currency=currency).map(
            lambda c: _revalidated(c, first_response_at=None, resolved_at=None)),
        "custom": customs(member_id=member_id),
    }


@st.composite
def _stream(
    draw: st.DrawFn, member_id: str, currency: str, start: datetime, end: datetime,
    reward_ids: list[str], kinds: list[str], min_size: int, max_size: int,
    amounts: st.SearchStrategy[Money], same_instant_returns: bool, allow_ambiguous: bool,
) -> list[Event]:
    size = draw(st.integers(min_size, max_size))
    moments = draw(st.lists(aware_datetimes(start, end, allow_ambiguous=allow_ambiguous),
                            min_size=size, max_size=size))
    others = _others(member_id, currency)
    kind_of = st.sampled_from([kind for kind in kinds if kind != "redemption" or reward_ids
                               for _ in range(_WEIGHTS[kind])])
    rewards_of = st.sampled_from(reward_ids) if reward_ids else st.nothing()
    moments.sort(key=lambda at: at.astimezone(UTC))
    for index in range(1, size):  # about one in four shares its predecessor's exact `at`
        if draw(_INDEX_PARTS) == 0:
            moments[index] = moments[index - 1]
    width = len(str(max(max_size - 1, 0)))
    left: dict[str, tuple[datetime, Decimal]] = {}  # purchase id -> (at, amount not returned)
    exponent = currency_exponent(currency)
    events: list[Event] = []
    for index, at in enumerate(moments):
        kind = draw(kind_of)
        eid = f"{member_id}-{index:0{width}d}"
        open_ = [pid for pid, (bought, rest) in left.items()
                 if rest > 0 and (same_instant_returns or bought < at)]
        if kind == "return" and not open_:
            if "purchase" not in kinds:
                continue
            kind = "purchase"
        event: Event
        if kind == "purchase":
            purchase = _draw_purchase(draw, f"{eid}-P", member_id, at, amounts)
            left[purchase.id] = (at, purchase.amount.amount)
            event = purchase
        elif kind == "return":
            pid = draw(st.sampled_from(open_))
            bought, rest = left[pid]
            units = int(rest.scaleb(exponent))
            amount = None
            if draw(_PARTIAL):
                amount = Money(Decimal(draw(st.integers(1, units))).scaleb(-exponent), currency)
            left[pid] = (bought, Decimal(0) if amount is None else rest - amount.amount)
            event = Return(id=f"{eid}-R", member_id=member_id, at=at, purchase_id=pid,
                           amount=amount, metadata=draw(_METADATA))
        elif kind == "redemption":
            event = Redemption(id=f"{eid}-V", member_id=member_id, at=at,
                               reward_id=draw(rewards_of), quantity=draw(_QUANTITY))
        else:
            event = _revalidated(draw(others[kind]), id=f"{eid}-{kind[0].upper()}", at=at)
        events.append(event)
    return events


def member_streams(
    member_id: str = "m-1", *, currency: str = "EUR", start: datetime = DEFAULT_START,
    end: datetime = DEFAULT_END, rewards: Sequence[_CatalogueItem | str] = ("voucher-10",),
    kinds: Collection[str] = EVENT_TYPES, min_size: int = 0, max_size: int = 20,
    amounts: st.SearchStrategy[Money] | None = None, same_instant_returns: bool = True,
    allow_ambiguous: bool = True,
) -> st.SearchStrategy[list[Event]]:
    """One member's events in time order, each id unique and sorting in stream order.

    Returns reference earlier purchases of the member and never exceed what is left of
    them; redemptions name rewards of ``rewards`` (affordable or not); about one event in
    four shares the exact ``at`` of the one before, so the list is also in ``(at, id)``
    order, the order of :meth:`~reciprocity.Program.replay`.

    Args:
        member_id: the member all events belong to; ids start with it.
        currency: currency of every amount.
        start: earliest ``at``.
        end: latest ``at``.
        rewards: the catalogue (its items or their ids) redemptions pick from; only
            fixed rewards (``type="voucher"``) are named.
        kinds: event ``type`` tags to draw (see :data:`EVENT_TYPES`).
        min_size: fewest events.
        max_size: most events.
        amounts: strategy for purchase amounts; :func:`money` in ``currency`` when ``None``.
        same_instant_returns: if false, a return only references a purchase made strictly
            before it, never one at the same ``at``.
        allow_ambiguous: if false, no ``at`` is a wall time that a DST change repeats.
    """
    if not 0 <= min_size <= max_size:
        raise InvalidArgument(f"Cannot have max_size={max_size} < min_size={min_size}")
    return _stream(member_id, currency, start, end, _reward_ids(rewards), _check_kinds(kinds),
                   min_size, max_size, amounts if amounts is not None else money(currency),
                   same_instant_returns, allow_ambiguous)


def _utc_key(event: Event) -> tuple[datetime, str]:
    return (event.at.astimezone(UTC), event.id)


@st.composite
def _shop(draw: st.DrawFn, member_ids: list[str], stream: Callable[[str], Any]) -> list[Event]:
    streams = [draw(stream(mid)) for mid in member_ids]
    return list(heapq.merge(*streams, key=_utc_key))


def shop_streams(
    members: int | Sequence[str] = 3, *, currency: str = "EUR", start: datetime = DEFAULT_START,
    end: datetime = DEFAULT_END, rewards: Sequence[_CatalogueItem | str] = ("voucher-10",),
    kinds: Collection[str] = EVENT_TYPES, max_events_per_member: int = 10,
    amounts: st.SearchStrategy[Money] | None = None, same_instant_returns: bool = True,
    allow_ambiguous: bool = True,
) -> st.SearchStrategy[list[Event]]:
    """Streams of several members (see :func:`member_streams`) interleaved in time order.

    Args:
        members: how many members (ids ``m-1``, ``m-2``...), or their ids.
        currency: currency of every amount.
        start: earliest ``at``.
        end: latest ``at``.
        rewards: the catalogue (its items or their ids) redemptions pick from; only
            fixed rewards (``type="voucher"``) are named.
        kinds: event ``type`` tags to draw (see :data:`EVENT_TYPES`).
        max_events_per_member: most events of one member.
        amounts: strategy for purchase amounts; :func:`money` in ``currency`` when ``None``.
        same_instant_returns: see :func:`member_streams`.
        allow_ambiguous: see :func:`member_streams`.
    """
    ids = [f"m-{n}" for n in range(1, members + 1)] if isinstance(members, int) else list(members)
    if len(set(ids)) != len(ids):
        raise InvalidArgument(f"members={ids!r} has repeated ids")

    def stream(mid: str) -> st.SearchStrategy[list[Event]]:
        return member_streams(mid, currency=currency, start=start, end=end, rewards=rewards,
                              kinds=kinds, max_size=max_events_per_member, amounts=amounts,
                              same_instant_returns=same_instant_returns,
                              allow_ambiguous=allow_ambiguous)

    return _shop(ids, stream)


# -- policies and programs -------------------------------------------------------------------

_THRESHOLDS = ("0", "10", "25", "49.99", "50", "50.01", "100")


def conditions(
    currency: str = "EUR", *, start: datetime = DEFAULT_START, end: datetime = DEFAULT_END,
    max_leaves: int = 5,
) -> st.SearchStrategy[Condition]:
    """Conditions from the whole catalogue, combined with ``&``, ``|``, ``~`` and combinators.

    Args:
        currency: currency of :class:`~reciprocity.AmountOver` amounts.
        start: earliest bound of a :class:`~reciprocity.During` window.
        end: latest bound of a :class:`~reciprocity.During` window.
        max_leaves: most leaf conditions in one tree.
    """
    return _conditions(currency, start, end, max_leaves)


@cache
def _conditions(currency: str, start: datetime, end: datetime,
                max_leaves: int) -> st.SearchStrategy[Condition]:
    bound = aware_datetimes(start, end)
    window = st.tuples(bound, bound).map(
        lambda pair: sorted(pair, key=lambda at: at.astimezone(UTC)))
    leaves: st.SearchStrategy[Condition] = st.one_of(
        st.just(Always()),
        st.builds(AmountOver, amount=st.sampled_from(_THRESHOLDS).map(
            lambda v: Money(v, currency).quantize()) | money(currency), inclusive=st.booleans()),
        st.builds(ChannelIs, channels=st.lists(st.sampled_from(_CHANNELS), min_size=1,
                                               max_size=2, unique=True).map(tuple)),
        st.tuples(window, st.integers(0, 2)).filter(lambda w: w[0][0] != w[0][1]).map(
            lambda w: During(start=w[0][0] if w[1] != 1 else None,
                             end=w[0][1] if w[1] != 2 else None)),
        st.builds(PurchaseCountAtLeast, count=st.integers(0, 5)),
        st.builds(HasConsent, consent=st.sampled_from(_CONSENTS)),
        st.builds(InCategory, categories=st.lists(st.sampled_from(_CATEGORIES), min_size=1,
                                                  max_size=2, unique=True).map(tuple)),
    )

    def combine(inner: st.SearchStrategy[Condition]) -> st.SearchStrategy[Condition]:
        pairs = st.tuples(inner, inner)
        return st.one_of(
            pairs.map(lambda p: p[0] & p[1]), pairs.map(lambda p: p[0] | p[1]),
            inner.map(lambda c: ~c), st.lists(inner, min_size=1, max_size=3).map(
                lambda cs: all_of(*cs)),
            st.lists(inner, min_size=1, max_size=3).map(lambda cs: any_of(*cs)),
            inner.map(not_),
        )

    return st.recursive(leaves, combine, max_leaves=max_leaves)


@cache
def _earn_rule(rule_id: str, currency: str, when: bool) -> st.SearchStrategy[PointsPerPurchase]:
    limits = st.none() | st.sampled_from(_THRESHOLDS).map(
        lambda v: Money(v, currency).quantize()) | money(currency, 0, 200)
    return st.builds(
        PointsPerPurchase, id=st.just(rule_id), points=st.integers(1, 5), min_amount=limits,
        inclusive=st.booleans(), when=st.none() | conditions(currency) if when else st.none(),
    )


def earn_rules(
    currency: str = "EUR", *, rule_id: str = "earn-1", conditions: bool = True,
) -> st.SearchStrategy[PointsPerPurchase]:
    """Earning rules: 1-5 points, a threshold (inclusive or not) or none, maybe a condition.

    Args:
        currency: currency of the threshold.
        rule_id: the rule's id.
        conditions: whether the rule may carry a ``when`` condition.
    """
    return _earn_rule(rule_id, currency, conditions)


@cache
def _reward(reward_id: str, currency: str, auto_issue: bool | None) -> st.SearchStrategy[Reward]:
    return st.builds(
        Reward, id=st.just(reward_id), name=st.just(f"voucher {reward_id}"),
        points=st.integers(1, 20), value=money(currency, 1, 50),
        valid_days=st.none() | st.integers(1, 400),
        auto_issue=st.booleans() if auto_issue is None else st.just(auto_issue),
    )


def rewards(
    currency: str = "EUR", *, reward_id: str = "reward-1", auto_issue: bool | None = None,
) -> st.SearchStrategy[Reward]:
    """Catalogue rewards: 1-20 points for a voucher worth 1-50, with or without validity.

    Args:
        currency: currency of the voucher value.
        reward_id: the reward's id.
        auto_issue: force ``auto_issue``; drawn when ``None``.
    """
    return _reward(reward_id, currency, auto_issue)


_LIFETIMES = st.none() | st.tuples(st.integers(0, 24), st.integers(0, 60)).filter(
    lambda md: md != (0, 0))
_PENDING_DAYS = st.just(0) | st.integers(1, 30)
_CLAWBACK = st.sampled_from(("debt", "absorb"))


@st.composite
def _scheme(draw: st.DrawFn, currency: str, max_rules: int, max_rewards: int,
            with_conditions: bool, auto_issue: bool | None, min_rewards: int) -> PointScheme:
    n_rules = draw(st.integers(1, max_rules))
    n_rewards = draw(st.integers(min_rewards, max_rewards))
    lifetime = draw(_LIFETIMES)
    expiry = None if lifetime is None else FixedLifetime(months=lifetime[0], days=lifetime[1])
    return PointScheme(
        earn=tuple(draw(earn_rules(currency, rule_id=f"earn-{n}", conditions=with_conditions))
                   for n in range(1, n_rules + 1)),
        rewards=tuple(draw(rewards(currency, reward_id=f"reward-{n}", auto_issue=auto_issue))
                      for n in range(1, n_rewards + 1)),
        pending_days=draw(_PENDING_DAYS), expiry=expiry, clawback=draw(_CLAWBACK),
    )


def point_schemes(
    currency: str = "EUR", *, max_rules: int = 3, min_rewards: int = 0, max_rewards: int = 3,
    conditions: bool = True, auto_issue: bool | None = None,
) -> st.SearchStrategy[PointScheme]:
    """Valid point schemes: 1..N earn rules, 0..N rewards, pending, expiry and clawback.

    Args:
        currency: currency of every amount in the scheme.
        max_rules: most earning rules.
        min_rewards: fewest rewards in the catalogue.
        max_rewards: most rewards in the catalogue.
        conditions: whether earning rules may carry ``when`` conditions.
        auto_issue: force every reward's ``auto_issue``; drawn per reward when ``None``.
    """
    if max_rules < 1 or not 0 <= min_rewards <= max_rewards:
        raise InvalidArgument(f"need max_rules >= 1 and 0 <= min_rewards <= max_rewards, got "
                              f"{max_rules}, {min_rewards}, {max_rewards}")
    return _scheme(currency, max_rules, max_rewards, conditions, auto_issue, min_rewards)


def programs(
    currency: str = "EUR", *, timezone: str | None = None, max_rules: int = 3,
    min_rewards: int = 0, max_rewards: int = 3, conditions: bool = True,
    auto_issue: bool | None = None,
) -> st.SearchStrategy[Program]:
    """Valid programs around a :func:`point_schemes` scheme.

    Args:
        currency: the program's currency.
        timezone: the program's IANA zone; drawn from :data:`TIMEZONES` when ``None``.
        max_rules: most earning rules.
        min_rewards: fewest rewards in the catalogue.
        max_rewards: most rewards in the catalogue.
        conditions: whether earning rules may carry ``when`` conditions.
        auto_issue: force every reward's ``auto_issue``; drawn per reward when ``None``.
    """
    zones = st.just(timezone) if timezone is not None else st.sampled_from(TIMEZONES)
    return st.builds(
        Program,
        name=st.sampled_from(("Test program", "Kundenkarte", "Club")),
        version=st.sampled_from(("1", "2025-01")),
        currency=st.just(currency), timezone=zones,
        points=point_schemes(currency, max_rules=max_rules, min_rewards=min_rewards,
                             max_rewards=max_rewards, conditions=conditions,
                             auto_issue=auto_issue),
    )


@st.composite
def _states(draw: st.DrawFn, program: Program, member_id: str, max_events: int,
            kinds: Collection[str]) -> MemberState:
    events = draw(member_streams(member_id, currency=program.currency,
                                 rewards=program.points.rewards, kinds=kinds,
                                 max_size=max_events))
    state = MemberState.new(member_id, currency=program.currency)
    for event in events:
        try:
            state = program.apply(state, event).state
        except RefusedEvent:
            continue
    return state


def member_states(
    program: Program, *, member_id: str = "m-1", max_events: int = 20,
    kinds: Collection[str] = EVENT_TYPES,
) -> st.SearchStrategy[MemberState]:
    """States ``program`` reaches by applying a drawn stream, skipping refused events.

    Args:
        program: the program that applies the events.
        member_id: the member.
        max_events: most events in the stream.
        kinds: event ``type`` tags to draw (see :data:`EVENT_TYPES`).
    """
    return _states(program, member_id, max_events, _check_kinds(kinds))
