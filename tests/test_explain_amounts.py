"""``Program.explain`` and the tier progress group thousands in every amount they say, as the
terms and the effects' reasons do (``1,000.00 EUR``, never ``1000.00 EUR``).

Random full programs (``reciprocity.testing.full_programs``) are scaled so that every money
amount they declare is 1,000 or more: each is multiplied by 1,000 and 1,000 added (an
order of thresholds, bounds and tiers is kept), then read back as a program.
"""

from __future__ import annotations

import re
from decimal import Decimal

from hypothesis import HealthCheck, given, settings

from reciprocity import InvalidProgram, Money, Program
from reciprocity.testing import full_programs

_MONEY = re.compile(r'"amount":"(\d+(?:\.\d+)?)","currency":"EUR"')
_UNGROUPED = re.compile(r"(?<![\d,.])\d{4,}(?:\.\d+)? EUR")


def scaled(program: Program) -> Program | None:
    """``program`` with every amount made 1,000 or more; ``None`` if that is not a program
    (a bound the scaling breaks)."""
    text = _MONEY.sub(lambda m: f'"amount":"{Decimal(m.group(1)) * 1000 + 1000}",'
                                '"currency":"EUR"', program.model_dump_json())
    try:
        return Program.model_validate_json(text)
    except InvalidProgram:
        return None


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                HealthCheck.filter_too_much])
@given(full_programs())
def test_explain_groups_every_amount(program: Program) -> None:
    big = scaled(program)
    if big is None:
        return
    text = big.explain()
    assert _UNGROUPED.findall(text) == [], text


def test_the_scaling_is_what_the_test_reads() -> None:
    """A small amount becomes 1,000 or more, so an ungrouped one would show."""
    from reciprocity import seed_program

    big = scaled(seed_program())
    assert big is not None
    assert big.points.earn[0].min_amount == Money("51000.00", "EUR")  # type: ignore[union-attr]
    assert "over 51,000.00 EUR" in big.explain()


def test_money_formats_with_a_thousands_separator_only_when_asked() -> None:
    money = Money("1234567.5", "EUR")
    assert str(money) == f"{money}" == "1234567.50 EUR"
    assert f"{money:,}" == "1,234,567.50 EUR"
