"""English reasons written by compiled templates (``reciprocity._reason.english``) equal the
general form they replaced (``_fill(_ENGLISH, ...)``: the template read per call, every value
formatted through ``_value`` and ``str.format_map``), text for text and error for error, for
every message of the catalogue and any mix of argument types; and ``_money`` writes what
``str(Money)`` writes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from string import Formatter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reciprocity import Money
from reciprocity._reason import (
    _ENGLISH,
    MonthDay,
    Msg,
    _compile,
    _fill,
    _money,
    _template,
    english,
)

KEYS = sorted(_template())
CURRENCIES = ("EUR", "GBP", "JPY", "KWD", "USD")


def _names(key: str) -> list[str]:
    return sorted({name for text in _template()[key]
                   for _, name, _, _ in Formatter().parse(text) if name})


class Shout(str):
    """A text of a shop's own type (a ``str`` subclass with its own ``str``)."""

    def __str__(self) -> str:
        return self.upper()


decimals = st.decimals(allow_nan=False, allow_infinity=False, places=None,
                       min_value=-10**9, max_value=10**9)
moneys = st.builds(Money, st.one_of(decimals, st.decimals(allow_nan=False,
                                                          allow_infinity=False,
                                                          places=4, max_value=10**6,
                                                          min_value=-10**6)),
                   st.sampled_from(CURRENCIES))
leaves = st.one_of(
    st.text(max_size=12), st.text(alphabet="%{}s ", max_size=6), st.integers(-5, 5000),
    decimals, moneys, st.dates(), st.booleans(),
    st.datetimes(timezones=st.just(UTC)), st.builds(Shout, st.text(max_size=6)),
    st.builds(MonthDay, st.integers(1, 12), st.integers(1, 31)),
)


def messages(depth: int) -> st.SearchStrategy[Msg]:
    values: st.SearchStrategy[Any] = leaves if depth == 0 else st.one_of(
        leaves, messages(depth - 1),
        st.lists(st.one_of(leaves, messages(depth - 1)), max_size=3).map(tuple))
    return st.sampled_from(KEYS).flatmap(lambda key: st.builds(
        lambda named, extra, n: Msg(key, {**named, **extra, **n}),
        st.fixed_dictionaries({name: values for name in _names(key) if name != "n"}),
        st.dictionaries(st.sampled_from(("extra", "other")), values, max_size=1),
        st.one_of(st.just({}), st.fixed_dictionaries({"n": st.one_of(
            st.integers(-3, 3), st.integers(), decimals, st.none(), st.text(max_size=3))})),
    ))


def _outcome(write: Any, msg: Msg) -> tuple[str, str]:
    try:
        return ("text", write(msg.key, msg.args))
    except Exception as exc:  # the same error, with the same words, on both paths
        return (type(exc).__name__, str(exc))


@settings(max_examples=600, deadline=None)
@given(messages(2))
def test_english_is_the_general_form(msg: Msg) -> None:
    assert _outcome(english, msg) == _outcome(
        lambda key, args: _fill(_ENGLISH, key, args), msg)


@pytest.mark.parametrize("key", KEYS)
def test_every_message_with_plain_values(key: str) -> None:
    """Each message with texts for its placeholders, singular and plural."""
    for n in (None, 1, 2, Decimal("1.0"), Decimal("2.50")):
        args: dict[str, Any] = {name: f"<{name}>" for name in _names(key) if name != "n"}
        if n is not None:
            args["n"] = n
        assert _outcome(english, Msg(key, args)) == _outcome(
            lambda k, a: _fill(_ENGLISH, k, a), Msg(key, args))


def test_every_template_compiles_to_the_fast_form() -> None:
    """No template needs ``str.format_map`` today (a conversion or a spec would)."""
    assert all(type(form) is tuple for key in KEYS for form in _compile(key))


def test_a_percent_sign_and_an_unknown_key() -> None:
    assert english("reason.tier.window.year", {"year": "100% 2026"}) == (
        _fill(_ENGLISH, "reason.tier.window.year", {"year": "100% 2026"}))
    with pytest.raises(KeyError, match=r"no message 'reason\.nope'"):
        english("reason.nope", {"order": "A"})


def _grouped(value: Money) -> str:
    """``str(value)`` with its whole part grouped by thousands, as reasons write money."""
    amount, currency = str(value).split(" ")
    sign = "-" if amount.startswith("-") else ""
    whole, dot, fraction = amount.lstrip("-").partition(".")
    return f"{sign}{int(whole):,}{dot}{fraction} {currency}"


@given(moneys)
def test_money_text(value: Money) -> None:
    """The reasons' money: ``str(value)`` with a thousands separator, as the terms write it."""
    assert _money(value) == _grouped(value)


@pytest.mark.parametrize("amount", ["0", "-0", "-0.00", "1E+2", "2.5", "2.500", "0.001",
                                    "-12.3", "1E-7", "123456789.12345"])
@pytest.mark.parametrize("currency", CURRENCIES)
def test_money_text_edges(amount: str, currency: str) -> None:
    value = Money(amount, currency)
    assert _money(value) == _grouped(value)


def test_dates_and_days_of_the_year() -> None:
    args = {"date": datetime(2026, 3, 1, 12, tzinfo=UTC), "text": "x"}
    assert english("reason.valid_until", args) == _fill(_ENGLISH, "reason.valid_until", args)
    assert english("reason.valid_until", {"text": "x", "date": date(2026, 3, 1)}) == (
        "x, valid until 2026-03-01")
