"""The gift stage writes amounts in trace lines as ``str(Money(amount, currency))`` does,
directly for a finite ``Decimal`` with the currency's places or more
(``gifts.grants.GiftGrants.show``)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from reciprocity.gifts.grants import GiftGrants
from reciprocity.money import Money


class _Stage:
    """What ``show`` reads of a compiled gift scheme."""

    def __init__(self, currency: str) -> None:
        self.currency = currency


@given(st.one_of(st.decimals(allow_nan=False, allow_infinity=False),
                 *(st.decimals(allow_nan=False, allow_infinity=False, places=places)
                   for places in range(5))),
       st.sampled_from(["EUR", "JPY", "KWD", "USD"]))
def test_show_writes_what_money_writes(amount: Decimal, currency: str) -> None:
    stage = _Stage(currency)
    assert GiftGrants.show(stage, amount) == str(Money(amount, currency))  # type: ignore[arg-type]
    assert GiftGrants.show(stage, amount) == str(Money(amount, currency))  # type: ignore[arg-type]


def test_show_of_examples() -> None:
    for text in ("75", "75.0", "75.000", "-1.5", "0E-5", "1E+2", "-0.00", "12.345"):
        for currency in ("EUR", "JPY", "KWD"):
            amount = Decimal(text)
            assert GiftGrants.show(_Stage(currency), amount) == str(  # type: ignore[arg-type]
                Money(amount, currency))
