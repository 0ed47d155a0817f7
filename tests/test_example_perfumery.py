"""The perfumery worked example (docs/examples/perfumery_sample_claim.py) against the edge
cases of its terms: the month boundary in Berlin time, 29 February, the online threshold hit
exactly, the channel of a claim, the shared stock, lines at full price, and a resent claim."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from _load import load_example
from reciprocity import (
    Custom,
    Event,
    GiftGranted,
    GiftScheme,
    Line,
    MemberState,
    Money,
    Program,
    Purchase,
    SharedState,
    Stock,
)

BERLIN = ZoneInfo("Europe/Berlin")


EXAMPLE = load_example("perfumery_sample_claim")
PROGRAM: Program = EXAMPLE.PROGRAM


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def claim(eid: str, when: datetime, channel: str | None = "store",
          member: str = "m-1") -> Custom:
    return Custom(id=eid, member_id=member, at=when, name=EXAMPLE.CLAIM, channel=channel)


def order(eid: str, amount: str, when: datetime, channel: str = "web", member: str = "m-1",
          lines: tuple[Line, ...] = ()) -> Purchase:
    return Purchase(id=eid, member_id=member, at=when, amount=eur(amount), channel=channel,
                    lines=lines)


def line(price: str, **metadata: Any) -> Line:
    return Line(sku=f"P-{price}", quantity=1, unit_price=eur(price), metadata=metadata)


def grants(events: Iterable[Event], program: Program = PROGRAM
           ) -> tuple[list[tuple[str, str | None]], list[str]]:
    """(rule id, event id) of every gift given, and every skip reason."""
    states: dict[str, MemberState] = {}
    shared: SharedState | None = None
    given: list[tuple[str, str | None]] = []
    skipped: list[str] = []
    for event in events:
        decision = program.apply(states.get(event.member_id), event, shared=shared)
        states[event.member_id], shared = decision.state, decision.shared
        given += [(e.rule_id, e.event_id) for e in decision.effects
                  if isinstance(e, GiftGranted)]
        skipped += [f"{t.rule_id}: {t.detail}" for t in decision.trace
                    if t.outcome == "skipped"]
    return given, skipped


class TestInStore:
    def test_a_claim_needs_no_purchase(self) -> None:
        """A member who never bought anything gets the sample at the till."""
        assert grants([claim("C-1", berlin(2026, 3, 5, 11))])[0] == [
            ("sample-in-store", "C-1")]

    def test_one_a_calendar_month_in_berlin_time(self) -> None:
        """31 January 23:30 and 1 February 00:15 in Berlin are two months (both 31 January
        in UTC); a second claim in February is refused, saying why."""
        late_january = berlin(2026, 1, 31, 23, 30)
        early_february = berlin(2026, 2, 1, 0, 15)
        assert early_february.astimezone(UTC).month == 1
        given, skipped = grants([claim("C-1", late_january), claim("C-2", early_february),
                                 claim("C-3", berlin(2026, 2, 28, 18))])
        assert given == [("sample-in-store", "C-1"), ("sample-in-store", "C-2")]
        assert ("sample-in-store: fragrance sample not given: at most 1 per month: 1 used"
                in skipped)

    def test_leap_day(self) -> None:
        """29 February 2028 is February's claim (1 February's already counted there), and
        1 March starts a new month."""
        given, _ = grants([claim("C-1", berlin(2028, 2, 1, 10)),
                           claim("C-2", berlin(2028, 2, 29, 10)),
                           claim("C-3", berlin(2028, 3, 1, 10))])
        assert given == [("sample-in-store", "C-1"), ("sample-in-store", "C-3")]
        given, _ = grants([claim("C-1", berlin(2028, 2, 29, 23, 59))])
        assert given == [("sample-in-store", "C-1")]

    def test_a_claim_online_or_without_channel_gives_nothing(self) -> None:
        """Only a claim at the till counts; online the sample needs an order."""
        given, skipped = grants([claim("C-1", berlin(2026, 3, 5, 11), channel="web"),
                                 claim("C-2", berlin(2026, 3, 5, 12), channel=None)])
        assert given == []
        assert skipped.count("sample-in-store: condition not met: channel is store") == 2

    def test_a_resent_claim_counts_once(self) -> None:
        """The till sends the same claim twice (a retry): one sample."""
        first = PROGRAM.apply(None, claim("C-1", berlin(2026, 3, 5, 11)))
        again = PROGRAM.apply(first.state, claim("C-1", berlin(2026, 3, 5, 11)),
                              shared=first.shared)
        assert not any(isinstance(e, GiftGranted) for e in again.effects)
        assert again.shared == first.shared


class TestOnline:
    @pytest.mark.parametrize(("amount", "given"), [("29.99", False), ("30.00", True),
                                                   ("30.01", True)])
    def test_threshold_hit_exactly(self, amount: str, given: bool) -> None:
        """At least 30.00 EUR: 30.00 qualifies, 29.99 does not."""
        result, _ = grants([order("W-1", amount, berlin(2026, 3, 5, 11))])
        assert result == ([("sample-online", "W-1")] if given else [])

    def test_a_store_order_is_not_an_online_order(self) -> None:
        """An order at the till of 80 EUR does not give the online sample (the till's
        sample is claimed)."""
        assert grants([order("S-1", "80.00", berlin(2026, 3, 5, 11), channel="store")])[0] \
            == []

    def test_store_and_online_in_one_month(self) -> None:
        """The monthly limit holds per channel: a claim in store and an online order in the
        same month each give a sample; a second online order does not."""
        given, _ = grants([claim("C-1", berlin(2026, 3, 1, 10)),
                           order("W-1", "35.00", berlin(2026, 3, 2, 10)),
                           order("W-2", "35.00", berlin(2026, 3, 3, 10))])
        assert given == [("sample-in-store", "C-1"), ("sample-online", "W-1")]


class TestStock:
    def test_both_channels_draw_on_one_stock(self) -> None:
        """With 2 samples left, the third member gets none, in store or online."""
        scheme = PROGRAM.gifts
        assert scheme is not None
        few = Program(name=PROGRAM.name, currency="EUR", timezone="Europe/Berlin",
                      facts=PROGRAM.facts, gifts=GiftScheme(
                          rules=scheme.rules, stock=(Stock(id="samples", units=2),)))
        given, skipped = grants([claim("C-1", berlin(2026, 3, 1, 10), member="a"),
                                 order("W-1", "30.00", berlin(2026, 3, 1, 11), member="b"),
                                 claim("C-2", berlin(2026, 3, 1, 12), member="c"),
                                 order("W-2", "40.00", berlin(2026, 3, 1, 13), member="d")],
                                program=few)
        assert given == [("sample-in-store", "C-1"), ("sample-online", "W-1")]
        assert sum("stock" in reason for reason in skipped) == 2


class TestFullPrice:
    @pytest.mark.parametrize(("lines", "given"), [
        ((line("30.00", discounted=False), line("30.00", discounted=False)), True),
        ((line("30.00", discounted=False), line("30.00", discounted=True)), False),
        ((line("30.00", discounted=False), line("30.00")), False),
        ((), False),
    ], ids=["all-full-price", "one-discounted", "one-not-marked", "no-lines"])
    def test_every_line_at_full_price(self, lines: tuple[Line, ...], given: bool) -> None:
        """An order of at least 60 EUR whose every line is marked at full price gets the
        travel size; one discounted or unmarked line, or no lines, and it does not."""
        result, _ = grants([order("W-1", "60.00", berlin(2026, 3, 5, 11), lines=lines)])
        assert (("full-price", "W-1") in result) is given

    def test_threshold_still_applies(self) -> None:
        """At full price but under 60 EUR: no travel size."""
        result, _ = grants([order("W-1", "59.99", berlin(2026, 3, 5, 11),
                                  lines=(line("59.99", discounted=False),))])
        assert ("full-price", "W-1") not in result


def test_terms_name_the_claim() -> None:
    """The German terms say how the sample is claimed and what full price means."""
    pytest.importorskip("babel", reason="terms need Babel: pip install 'reciprocity[i18n]'")
    text = PROGRAM.terms("de")
    assert "Wenn Sie es anfordern („Probenanforderung“), erhalten Sie eine Probe" in text
    assert "bei denen für jede Position gilt: „discounted“ ist nein" in text
