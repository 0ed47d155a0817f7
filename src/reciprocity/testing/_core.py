"""Scalars and conditions for :mod:`reciprocity.testing`: money, aware times, ids, JSON.

Private: import the public names from :mod:`reciprocity.testing`.

>>> from reciprocity.testing._core import TIMEZONES
>>> "Europe/Berlin" in TIMEZONES
True

Imports: ``conditions``, ``events`` and ``money``, and hypothesis.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from pydantic import JsonValue

from ..conditions import (
    Always,
    AmountOver,
    ChannelIs,
    Condition,
    During,
    HasConsent,
    InCategory,
    InTier,
    PurchaseCountAtLeast,
    all_of,
    any_of,
    not_,
)
from ..events import ComplaintCategory
from ..money import Money, currency_exponent
from ..names import NameLabels

__all__ = [
    "CATEGORIES",
    "CHANNELS",
    "COMPLAINT_CATEGORIES",
    "CONSENTS",
    "DEFAULT_END",
    "DEFAULT_START",
    "JSON_VALUES",
    "METADATA",
    "SHORT_TEXT",
    "THRESHOLDS",
    "TIMEZONES",
    "aware_datetimes",
    "conditions",
    "id_strategy",
    "money",
    "name_labels",
    "thresholds",
]

TIMEZONES: tuple[str, ...] = (
    "UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe",
)
"""The IANA zones event times are drawn in: whole, half-hour and 30-minute-DST offsets."""

DEFAULT_START = datetime(2025, 1, 1, tzinfo=UTC)
"""Default start of the time window (inclusive)."""
DEFAULT_END = datetime(2027, 1, 1, tzinfo=UTC)
"""Default end of the time window (inclusive)."""

CHANNELS = ("web", "store", "marketplace", "app")
CATEGORIES = ("tea", "coffee", "books", "toys")
CONSENTS = ("email", "sms", "post")
COMPLAINT_CATEGORIES: tuple[ComplaintCategory, ...] = (
    "late_delivery", "missing_item", "partial_delivery", "damaged", "not_as_described",
    "quality", "service", "other",
)
SHORT_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
                     max_size=12)
LABEL_TEXT = st.text(st.characters(categories=["L"]) | st.sampled_from(" -'"),
                    min_size=1, max_size=20).map(str.strip).filter(bool)
"""A label's words: letters of any script (umlauts, CJK), spaces, hyphens and apostrophes."""
THRESHOLDS = ("0", "10", "25", "49.99", "50", "50.01", "100")
"""Amounts thresholds are drawn from, so orders hit them exactly, just under and just over."""


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
    st.none(), st.booleans(), st.integers(-10**6, 10**6), SHORT_TEXT,
)
JSON_VALUES: st.SearchStrategy[JsonValue] = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(SHORT_TEXT, inner, max_size=3),
    ),
    max_leaves=5,
)
METADATA: st.SearchStrategy[dict[str, JsonValue]] = st.one_of(
    st.just({}), st.dictionaries(SHORT_TEXT, JSON_VALUES, max_size=2),
)


_IDS = st.text("abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=10)


@cache
def id_strategy(value: str | None, prefix: str) -> st.SearchStrategy[str]:
    """``value`` if given, else a drawn id starting with ``prefix``."""
    return st.just(value) if value is not None else _IDS.map(lambda s: f"{prefix}{s}")


@cache
def thresholds(currency: str, high: int = 200) -> st.SearchStrategy[Money]:
    """Amounts for thresholds: the usual edges (49.99, 50, 50.01) or any up to ``high``."""
    return st.sampled_from(THRESHOLDS).map(
        lambda v: Money(v, currency).quantize()) | money(currency, 0, high)


# -- conditions ------------------------------------------------------------------------------

def conditions(
    currency: str = "EUR", *, start: datetime = DEFAULT_START, end: datetime = DEFAULT_END,
    max_leaves: int = 5, tiers: Sequence[str] = (), purchases: bool = True,
) -> st.SearchStrategy[Condition]:
    """Conditions from the whole catalogue, combined with ``&``, ``|``, ``~`` and combinators.

    Args:
        currency: currency of :class:`~reciprocity.AmountOver` amounts.
        start: earliest bound of a :class:`~reciprocity.During` window.
        end: latest bound of a :class:`~reciprocity.During` window.
        max_leaves: most leaf conditions in one tree.
        tiers: tier ids :class:`~reciprocity.InTier` may name; no ``InTier`` when empty.
        purchases: also draw conditions only a purchase can meet (``AmountOver``,
            ``ChannelIs``, ``InCategory``); ``False`` for a goodwill rule, which meets
            complaints only.

    Most conditions drawn are trees (``&``, ``|``, ``~``); the tiers given appear in their
    leaves. Seeded, this finds the same one on every run:

    >>> from random import Random
    >>> from hypothesis import find
    >>> find(conditions(tiers=("gold",)), lambda c: "in_tier" in c.model_dump_json(),
    ...      random=Random(0)).describe()
    'member tier is gold'
    """
    return _conditions(currency, start, end, max_leaves, tuple(tiers), purchases)


@cache
def _conditions(currency: str, start: datetime, end: datetime, max_leaves: int,
                tiers: tuple[str, ...], purchases: bool = True) -> st.SearchStrategy[Condition]:
    bound = aware_datetimes(start, end)
    window = st.tuples(bound, bound).map(
        lambda pair: sorted(pair, key=lambda at: at.astimezone(UTC)))
    options: list[st.SearchStrategy[Condition]] = [
        st.just(Always()),
        st.builds(AmountOver, amount=thresholds(currency), inclusive=st.booleans()),
        st.builds(ChannelIs, channels=st.lists(st.sampled_from(CHANNELS), min_size=1,
                                               max_size=2, unique=True).map(tuple)),
        st.tuples(window, st.integers(0, 2)).filter(lambda w: w[0][0] != w[0][1]).map(
            lambda w: During(start=w[0][0] if w[1] != 1 else None,
                             end=w[0][1] if w[1] != 2 else None)),
        st.builds(PurchaseCountAtLeast, count=st.integers(0, 5)),
        st.builds(HasConsent, consent=st.sampled_from(CONSENTS)),
        st.builds(InCategory, categories=st.lists(st.sampled_from(CATEGORIES), min_size=1,
                                                  max_size=2, unique=True).map(tuple)),
    ]
    if not purchases:
        options = [options[0], options[3], options[4], options[5]]
    if tiers:
        options.append(st.builds(InTier, tiers=st.lists(
            st.sampled_from(tiers), min_size=1, max_size=2, unique=True).map(tuple)))
    leaves: st.SearchStrategy[Condition] = st.one_of(options)

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


def name_labels(categories: Sequence[str] = CATEGORIES,
                events: Sequence[str] = ()) -> st.SearchStrategy[NameLabels]:
    """``Program.labels``: words in English, German or a regional German (``de_AT``) for
    some of ``categories`` (order-line categories) and ``events`` (custom event names),
    maybe none; a name may have a label in one locale only.

    >>> from hypothesis import find
    >>> labels = find(name_labels(), lambda n: "tea" in n.categories)
    >>> sorted(labels.categories), list(labels.categories["tea"].values())[0] != ""
    (['tea'], True)
    """
    words = st.dictionaries(st.sampled_from(("en", "de", "de_AT")), LABEL_TEXT, min_size=1)
    return st.builds(NameLabels,
                     categories=st.dictionaries(st.sampled_from(tuple(categories)), words)
                     if categories else st.just({}),
                     events=st.dictionaries(st.sampled_from(tuple(events)), words)
                     if events else st.just({}))
