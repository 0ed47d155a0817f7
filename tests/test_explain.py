"""``Program.explain()`` reads as plain words: no phrase said twice in a row ("Points expire
12 months after they are earned after they are earned"), for every program the strategies
of ``reciprocity.testing`` draw and for the seed program."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reciprocity import (
    CalendarCutoff,
    EndOfMonthAfter,
    FixedLifetime,
    Inactivity,
    PointScheme,
    Program,
    seed_program,
)
from reciprocity.testing import full_programs, programs

MIN_WORDS = 3
CLAUSES = re.compile(r"[,;:]|\b(?:and|or)\b")


def stutter(text: str, min_words: int = MIN_WORDS) -> str | None:
    """The first phrase of ``min_words`` or more words said twice in a row in ``text``.

    The text is cut into clauses at "," ";" ":" and the words "and" / "or" first: a clause a
    list holds twice ("x2 on tea, x2 on tea", "amount over 5 EUR and amount over 5 EUR")
    repeats an item the program holds twice (which it may), not words. Inside a clause,
    punctuation is ignored.

    >>> stutter("Points expire 12 months after they are earned after they are earned.")
    'after they are earned after they are earned'
    >>> stutter("x2 on tea, x2 on tea") is None
    True
    """
    for clause in CLAUSES.split(text):
        words = [word.strip(".!?()'\"").lower() for word in (clause or "").split()]
        for size in range(min_words, len(words) // 2 + 1):
            for start in range(len(words) - 2 * size + 1):
                middle = start + size
                if words[start:middle] == words[middle:middle + size]:
                    return " ".join(words[start:middle + size])
    return None


def test_stutter_finds_the_reported_sentence() -> None:
    """The check sees the sentence of issue 10, and passes the sentence as it is now."""
    assert stutter("Points expire 12 months after they are earned after they are earned.")
    assert stutter("Points expire 12 months after they are earned.") is None
    assert stutter("a b c a b c") == "a b c a b c"
    assert stutter("a b a b") is None  # two words: below the limit
    # a condition a program holds twice, joined by "and" / "or": a list, not a stutter
    assert stutter("when always and amount over 5 EUR and amount over 5 EUR") is None
    assert stutter("when always or amount over 5 EUR or amount over 5 EUR") is None
    assert stutter("every order, at most 0 points per order, at most 0 points per order") is None


EXPIRIES = [FixedLifetime(months=12), FixedLifetime(months=1, days=15), FixedLifetime(days=30),
            EndOfMonthAfter(months=6), CalendarCutoff(month=9, day=30, years=3),
            Inactivity(months=24)]


@pytest.mark.parametrize("expiry", EXPIRIES, ids=lambda e: e.type)
def test_every_expiry_mode_reads_once(expiry: object) -> None:
    """Each expiry mode says its period once, in one sentence."""
    program = Program(name="x", currency="EUR", timezone="Europe/Berlin",
                      points=PointScheme(expiry=expiry))
    line = program.explain().splitlines()[-1]
    assert line.startswith("Points expire ")
    assert line.endswith(".")
    assert line.count("after they are earned") <= 1
    assert stutter(line) is None, line


@pytest.mark.parametrize("auto_issue", [False, True])
@pytest.mark.parametrize("currency", ["EUR", "GBP", "JPY"])
def test_seed_program_explains_without_stutter(auto_issue: bool, currency: str) -> None:
    """The seed program, in each currency."""
    text = seed_program(auto_issue=auto_issue, currency=currency).explain()
    assert stutter(text) is None, text


@settings(max_examples=150, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.one_of(full_programs(), programs(), full_programs(tiers=True, gifts=True,
                                                            goodwill=True)))
def test_generated_programs_explain_without_stutter(program: Program) -> None:
    """No line of any generated program's explanation says a phrase twice in a row."""
    for line in program.explain().splitlines():
        assert stutter(line) is None, line


def test_no_line_ends_a_sentence_twice() -> None:
    """A sentence the program builds around a description does not end it again."""
    text = Program(name="x", currency="EUR", timezone="UTC",
                   points=PointScheme(expiry=FixedLifetime(months=12))).explain()
    assert not re.search(r"\.\.$", text, re.MULTILINE)
    assert "Points expire 12 months after they are earned." in text
