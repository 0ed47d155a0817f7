"""A reward says its price with the English article its name is spoken with."""

from __future__ import annotations

import pytest

from reciprocity._reason_template import indefinite


@pytest.mark.parametrize(("name", "said"), [
    ("10 EUR voucher", "a 10 EUR voucher"),
    ("8 EUR voucher", "an 8 EUR voucher"),
    ("11 EUR voucher", "an 11 EUR voucher"),
    ("18000 points bonus", "an 18000 points bonus"),
    ("1800 EUR trip", "a 1800 EUR trip"),
    ("110 EUR voucher", "a 110 EUR voucher"),
    ("Upgrade voucher, Europe", "an Upgrade voucher, Europe"),
    ("free drink", "a free drink"),
    ("apple", "an apple"),
    ("user gift", "a user gift"),
    ("one-off tasting", "a one-off tasting"),
    ("hour at the spa", "an hour at the spa"),
])
def test_article_follows_the_spoken_name(name: str, said: str) -> None:
    assert indefinite(name) == said
