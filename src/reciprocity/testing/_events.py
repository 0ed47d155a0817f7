"""Single-event strategies for :mod:`reciprocity.testing`.

Private: import the public names from :mod:`reciprocity.testing`. Every strategy draws valid
events (they pass the models' validation); whether a state accepts them is another matter
(a return may name an unknown purchase, a redemption may be unaffordable).

>>> from hypothesis import given, settings
>>> @settings(max_examples=10, database=None)
... @given(approvals(member_id="m-1"), complaints(member_id="m-1"))
... def test_valid_events(approval, complaint):
...     assert approval.member_id == complaint.member_id == "m-1"
...     assert 1 <= complaint.severity <= 5
>>> test_valid_events()

Imports: ``events``, ``money`` and ``testing._core``, and hypothesis.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from ..events import (
    Approval,
    Complaint,
    Custom,
    Line,
    ProfileUpdate,
    Purchase,
    Redemption,
    Return,
    ReturnedLine,
    SignUp,
)
from ..money import Money, currency_exponent
from ._core import (
    CATEGORIES,
    CHANNELS,
    COMPLAINT_CATEGORIES,
    CONSENTS,
    DEFAULT_END,
    DEFAULT_START,
    JSON_VALUES,
    METADATA,
    SHORT_TEXT,
    aware_datetimes,
    id_strategy,
    money,
)

__all__ = [
    "BIRTHDAYS",
    "CUSTOM_NAMES",
    "PROFILE_FIELDS",
    "approvals",
    "complaints",
    "consent_sets",
    "customs",
    "draw_purchase",
    "lines",
    "profile_updates",
    "purchases",
    "redemptions",
    "returns",
    "signups",
]

CUSTOM_NAMES: tuple[str, ...] = ("review", "app_install", "survey")
"""Names :func:`customs` draws by default."""
PROFILE_FIELDS: tuple[str, ...] = ("phone", "address", "newsletter")
"""Profile fields :func:`profile_updates` reports completed by default."""

BIRTHDAYS = st.one_of(
    st.none(), st.just(date(2000, 2, 29)), st.dates(date(1930, 1, 1), date(2010, 12, 31)),
)
_CHANNEL = st.none() | st.sampled_from(CHANNELS)


@cache
def consent_sets(consents: tuple[str, ...] = CONSENTS) -> st.SearchStrategy[tuple[str, ...]]:
    """Tuples of distinct consents from ``consents``."""
    return st.lists(st.sampled_from(consents), unique=True, max_size=len(consents)).map(tuple)


@cache
def lines(currency: str, categories: tuple[str, ...] = CATEGORIES, *,
          catalogue: bool = False) -> st.SearchStrategy[tuple[Line, ...]]:
    """Order lines. With ``catalogue`` every SKU appears once per order and always has the
    same category (``SKU-n`` is in ``categories[n % len]``, or none for some SKUs), as in
    a real shop; otherwise SKUs and categories are drawn independently."""
    price = money(currency, 0, 100)
    if not catalogue:
        line = st.builds(
            Line, sku=st.integers(1, 20).map(lambda n: f"SKU-{n}"),
            category=st.none() | st.sampled_from(categories), quantity=st.integers(1, 3),
            unit_price=price,
        )
        return st.lists(line, max_size=3).map(tuple)
    width = len(categories) + 1  # one SKU in `width` has no category

    def sku_line(n: int, quantity: int, unit_price: Money) -> Line:
        category = None if n % width == len(categories) else categories[n % width]
        return Line(sku=f"SKU-{n}", category=category, quantity=quantity,
                    unit_price=unit_price)

    return st.lists(st.builds(sku_line, st.integers(1, 24), st.integers(1, 3), price),
                    max_size=4, unique_by=lambda line: line.sku).map(tuple)


def draw_purchase(draw: st.DrawFn, eid: str, member_id: str, at: datetime, currency: str,
                  amounts: st.SearchStrategy[Money], *, categories: tuple[str, ...] = CATEGORIES,
                  consistent: bool = False) -> Purchase:
    """One purchase. With ``consistent``, an order with lines costs what its lines add up
    to (plus, sometimes, a shipping line), and ``amounts`` is used for orders without."""
    if not consistent:
        amount = draw(amounts)
        return Purchase(
            id=eid, member_id=member_id, at=at, amount=amount,
            lines=draw(lines(amount.currency, categories)), channel=draw(_CHANNEL),
            metadata=draw(METADATA),
        )
    found = draw(lines(currency, categories, catalogue=True))
    if found and draw(st.integers(0, 3)) == 0:
        found += (Line(sku="SHIP", category="shipping", quantity=1,
                       unit_price=draw(money(currency, 0, 10))),)
    total = sum((line.unit_price.amount * line.quantity for line in found), Decimal(0))
    amount = Money(total, currency) if found else draw(amounts)
    return Purchase(id=eid, member_id=member_id, at=at, amount=amount, lines=found,
                    channel=draw(_CHANNEL), metadata=draw(METADATA))


@st.composite
def _purchase_any(draw: st.DrawFn, member_id: str | None, currency: str, start: datetime,
                  end: datetime, amounts: st.SearchStrategy[Money] | None,
                  consistent: bool) -> Purchase:
    return draw_purchase(
        draw, draw(id_strategy(None, "P-")), draw(id_strategy(member_id, "m-")),
        draw(aware_datetimes(start, end)), currency,
        amounts if amounts is not None else money(currency), consistent=consistent)


def purchases(
    *, member_id: str | None = None, currency: str = "EUR", start: datetime = DEFAULT_START,
    end: datetime = DEFAULT_END, amounts: st.SearchStrategy[Money] | None = None,
    consistent_lines: bool = False,
) -> st.SearchStrategy[Purchase]:
    """Single purchases, with optional lines (categories) and channel.

    Args:
        member_id: the member; drawn when ``None``.
        currency: currency of the amount and the lines.
        start: earliest ``at``.
        end: latest ``at``.
        amounts: strategy for the amount; :func:`money` in ``currency`` when ``None``.
        consistent_lines: an order with lines costs what its lines add up to (plus maybe a
            ``shipping`` line), each SKU once, always in the same category.

    >>> from hypothesis import given, settings
    >>> @settings(max_examples=10, database=None)
    ... @given(purchases(consistent_lines=True))
    ... def test_lines_add_up(p):
    ...     assert not p.lines or p.amount.amount == sum(x.total.amount for x in p.lines)
    >>> test_lines_add_up()
    """
    return _purchase_any(member_id, currency, start, end, amounts, consistent_lines)


_RETURNED_LINES = st.lists(
    st.builds(ReturnedLine, sku=st.integers(1, 20).map(lambda n: f"SKU-{n}"),
              quantity=st.integers(1, 3)),
    min_size=1, max_size=2, unique_by=lambda line: line.sku).map(tuple)


@st.composite
def _return(draw: st.DrawFn, member_id: str | None, purchase_id: str | None, currency: str,
            start: datetime, end: datetime, by_lines: bool) -> Return:
    how = draw(st.integers(0, 2 if by_lines else 1))
    return Return(
        id=draw(id_strategy(None, "R-")), member_id=draw(id_strategy(member_id, "m-")),
        at=draw(aware_datetimes(start, end)), purchase_id=draw(id_strategy(purchase_id, "P-")),
        amount=draw(money(currency, Decimal(1).scaleb(-currency_exponent(currency))))
        if how == 1 else None,
        lines=draw(_RETURNED_LINES) if how == 2 else (), metadata=draw(METADATA),
    )


def returns(
    *, member_id: str | None = None, purchase_id: str | None = None, currency: str = "EUR",
    start: datetime = DEFAULT_START, end: datetime = DEFAULT_END, by_lines: bool = False,
) -> st.SearchStrategy[Return]:
    """Single returns, full (no amount) or partial; the purchase may be unknown to a state.

    Args:
        member_id: the member; drawn when ``None``.
        purchase_id: the returned purchase; drawn when ``None``.
        currency: currency of a partial amount.
        start: earliest ``at``.
        end: latest ``at``.
        by_lines: also draw returns that name SKUs and quantities instead of an amount.
    """
    return _return(member_id, purchase_id, currency, start, end, by_lines)


def redemptions(
    *, member_id: str | None = None, reward_ids: Sequence[str] = ("voucher-10",),
    start: datetime = DEFAULT_START, end: datetime = DEFAULT_END, points: bool = False,
) -> st.SearchStrategy[Redemption]:
    """Single redemptions of rewards named in ``reward_ids`` (affordable or not).

    Args:
        member_id: the member; drawn when ``None``.
        reward_ids: the catalogue's reward ids to pick from.
        start: earliest ``at``.
        end: latest ``at``.
        points: draw ``Redemption.points`` (for :class:`~reciprocity.PointsAsCurrency`
            rewards) instead of a quantity.
    """
    if not reward_ids:
        raise InvalidArgument("reward_ids is empty; give at least one reward id")
    return st.builds(
        Redemption,
        id=id_strategy(None, "V-"), member_id=id_strategy(member_id, "m-"),
        at=aware_datetimes(start, end), reward_id=st.sampled_from(list(reward_ids)),
        quantity=st.just(1) if points else st.integers(1, 3),
        points=st.integers(1, 2000) if points else st.none(), metadata=METADATA,
    )


def signups(
    *, member_id: str | None = None, start: datetime = DEFAULT_START, end: datetime = DEFAULT_END,
    consents: Sequence[str] = CONSENTS,
) -> st.SearchStrategy[SignUp]:
    """Sign-ups with an optional birthday (29 February included) and consents.

    Args:
        member_id: the member; drawn when ``None``.
        start: earliest ``at``.
        end: latest ``at``.
        consents: the consents a member may give.
    """
    return st.builds(
        SignUp,
        id=id_strategy(None, "S-"), member_id=id_strategy(member_id, "m-"),
        at=aware_datetimes(start, end), birthday=BIRTHDAYS,
        consents=consent_sets(tuple(consents)),
        referred_by=st.none() | id_strategy(None, "m-"), metadata=METADATA,
    )


def profile_updates(
    *, member_id: str | None = None, start: datetime = DEFAULT_START, end: datetime = DEFAULT_END,
    consents: Sequence[str] = CONSENTS, fields: Sequence[str] = PROFILE_FIELDS,
) -> st.SearchStrategy[ProfileUpdate]:
    """Profile updates: birthday, consents granted and revoked, completed fields.

    Args:
        member_id: the member; drawn when ``None``.
        start: earliest ``at``.
        end: latest ``at``.
        consents: the consents a member may grant or revoke.
        fields: the profile fields a member may complete.
    """
    grants = consent_sets(tuple(consents))
    return st.builds(
        ProfileUpdate,
        id=id_strategy(None, "U-"), member_id=id_strategy(member_id, "m-"),
        at=aware_datetimes(start, end), birthday=BIRTHDAYS, consents_granted=grants,
        consents_revoked=grants,
        fields_completed=st.lists(st.sampled_from(tuple(fields)), unique=True,
                                  max_size=len(fields)).map(tuple) if fields else st.just(()),
        metadata=METADATA,
    )


@st.composite
def _complaint(draw: st.DrawFn, member_id: str | None, currency: str, start: datetime,
               end: datetime) -> Complaint:
    at = draw(aware_datetimes(start, end))
    first = draw(st.none() | st.integers(0, 72 * 3600))
    resolved = draw(st.none() | st.integers(0, 30 * 86400))
    return Complaint(
        id=draw(id_strategy(None, "C-")), member_id=draw(id_strategy(member_id, "m-")),
        at=at, order_id=draw(st.none() | id_strategy(None, "P-")),
        category=draw(st.sampled_from(COMPLAINT_CATEGORIES)), severity=draw(st.integers(1, 5)),
        amount_affected=draw(st.none() | money(currency)),
        # in UTC: wall-clock arithmetic in a zone could land before ``at`` across a DST change
        first_response_at=None if first is None else at.astimezone(UTC) + timedelta(seconds=first),
        resolved_at=None if resolved is None else at.astimezone(UTC) + timedelta(
            seconds=resolved),
        text=draw(SHORT_TEXT), metadata=draw(METADATA),
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
    names: Sequence[str] = CUSTOM_NAMES,
) -> st.SearchStrategy[Custom]:
    """Custom events: a name from ``names``, a JSON payload and, often, a channel.

    Args:
        member_id: the member; drawn when ``None``.
        start: earliest ``at``.
        end: latest ``at``.
        names: the event names to pick from.
    """
    if not names:
        raise InvalidArgument("names is empty; give at least one custom event name")
    return st.builds(
        Custom,
        id=id_strategy(None, "X-"), member_id=id_strategy(member_id, "m-"),
        at=aware_datetimes(start, end), name=st.sampled_from(tuple(names)),
        payload=st.dictionaries(SHORT_TEXT, JSON_VALUES, max_size=3), metadata=METADATA,
        channel=st.none() | st.sampled_from(CHANNELS),
    )


def approvals(
    *, member_id: str | None = None, ref_event_id: str | None = None,
    start: datetime = DEFAULT_START, end: datetime = DEFAULT_END,
) -> st.SearchStrategy[Approval]:
    """Answers to decisions that waited for approval: approved or declined, by someone.

    Args:
        member_id: the member; drawn when ``None``.
        ref_event_id: the complaint answered; drawn when ``None``.
        start: earliest ``at``.
        end: latest ``at``.
    """
    return st.builds(
        Approval,
        id=id_strategy(None, "A-"), member_id=id_strategy(member_id, "m-"),
        at=aware_datetimes(start, end), ref_event_id=id_strategy(ref_event_id, "C-"),
        approved=st.booleans(), approved_by=st.none() | st.sampled_from(("ana", "ben")),
        note=SHORT_TEXT, metadata=METADATA,
    )
