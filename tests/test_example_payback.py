"""The PAYBACK-like worked example (docs/examples/payback.py) against the edge cases of its
published terms: 1 point per full 2 EUR, coupons x5/x10/x20, the 200-point minimum before any
redemption, and expiry at the end of 30 September once 36 months have passed, in Berlin time
(the September/October boundary, a leap day)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from _load import load_example
from reciprocity import (
    BelowMinimumBalance,
    InvalidEvent,
    Line,
    MemberState,
    Money,
    PointsEarned,
    PointsExpired,
    PointsRedeemed,
    Program,
    Purchase,
    Redemption,
    Return,
    VoucherIssued,
)

PAYBACK = load_example("payback")
PROGRAM: Program = PAYBACK.PROGRAM
BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def buy(eid: str, amount: str, at: datetime, state: MemberState | None = None,
        coupon: str | None = None, lines: tuple[Line, ...] = ()) -> Any:
    metadata = {} if coupon is None else {"coupon": coupon}
    return PROGRAM.apply(state, Purchase(id=eid, member_id="m-1", at=at, amount=eur(amount),
                                         metadata=metadata, lines=lines))


def earned(decision: Any) -> int:
    return sum(e.points for e in decision.effects if isinstance(e, PointsEarned))


class TestEarning:
    @pytest.mark.parametrize(("amount", "points"), [
        ("1.99", 0), ("2.00", 1), ("3.99", 1), ("4.00", 2), ("57.30", 28)])
    def test_one_point_per_full_two_euros(self, amount: str, points: int) -> None:
        assert earned(buy("P-1", amount, berlin(2026, 5, 4, 10))) == points

    @pytest.mark.parametrize(("coupon", "points"), [("x5", 100), ("x10", 200), ("x20", 400)])
    def test_a_coupon_multiplies_the_purchase_s_points(self, coupon: str, points: int) -> None:
        """40.00 EUR earns 20 points; with a 10fach coupon 200."""
        decision = buy("P-1", "40.00", berlin(2026, 5, 4, 10), coupon=coupon)
        assert earned(decision) == points
        (effect,) = [e for e in decision.effects if isinstance(e, PointsEarned)]
        assert f"{coupon[1:]}fach-Coupon" in effect.reason

    def test_an_unknown_coupon_is_refused(self) -> None:
        with pytest.raises(InvalidEvent, match="coupon"):
            buy("P-1", "40.00", berlin(2026, 5, 4, 10), coupon="x15")

    def test_excluded_lines_earn_nothing_even_with_a_coupon(self) -> None:
        """A 3.00 EUR deposit and a 25.00 EUR gift card are left out: 12.00 EUR of goods earn
        6 points, x10 with the coupon."""
        lines = (Line(sku="soap", quantity=4, unit_price=eur("3.00")),
                 Line(sku="pfand", category="deposit", quantity=1, unit_price=eur("3.00")),
                 Line(sku="card", category="gift_card", quantity=1, unit_price=eur("25.00")))
        assert earned(buy("P-1", "40.00", berlin(2026, 5, 4), lines=lines)) == 6
        assert earned(buy("P-1", "40.00", berlin(2026, 5, 4), coupon="x10",
                          lines=lines)) == 60

    def test_a_return_takes_the_multiplied_points_back(self) -> None:
        bought = buy("P-1", "40.00", berlin(2026, 5, 4), coupon="x10")
        back = PROGRAM.apply(bought.state, Return(
            id="R-1", member_id="m-1", at=berlin(2026, 5, 6), purchase_id="P-1",
            amount=eur("40.00")))
        assert back.state.available_points == 0


class TestRedemption:
    def test_199_points_are_refused_naming_the_balance_and_the_minimum(self) -> None:
        state = buy("P-1", "398.00", berlin(2026, 5, 4)).state
        assert state.available_points == 199
        with pytest.raises(BelowMinimumBalance) as caught:
            PROGRAM.apply(state, Redemption(id="X-1", member_id="m-1", at=berlin(2026, 5, 5),
                                            reward_id="payout", points=199))
        assert (caught.value.balance, caught.value.minimum) == (199, 200)

    def test_200_points_pay_out_2_euros(self) -> None:
        state = buy("P-1", "400.00", berlin(2026, 5, 4)).state
        decision = PROGRAM.apply(state, Redemption(
            id="X-1", member_id="m-1", at=berlin(2026, 5, 5), reward_id="payout", points=200))
        (voucher,) = [e.voucher for e in decision.effects if isinstance(e, VoucherIssued)]
        assert voucher.value == eur("2.00")
        assert [e.points for e in decision.effects if isinstance(e, PointsRedeemed)] == [200]
        assert decision.state.available_points == 0

    def test_the_minimum_balance_holds_for_any_payout(self) -> None:
        """With 250 points a payout of 200 is fine; the 50 left cannot be paid out."""
        state = buy("P-1", "500.00", berlin(2026, 5, 4)).state
        state = PROGRAM.apply(state, Redemption(id="X-1", member_id="m-1", at=berlin(2026, 5, 5),
                                                reward_id="payout", points=200)).state
        with pytest.raises(BelowMinimumBalance):
            PROGRAM.apply(state, Redemption(id="X-2", member_id="m-1", at=berlin(2026, 5, 6),
                                            reward_id="payout", points=50))


class TestExpiry:
    def expiry_of(self, at: datetime) -> datetime:
        state = buy("P-1", "20.00", at).state
        due = PROGRAM.next_due(state)
        assert due is not None
        decision = PROGRAM.advance(state, due)
        (expired,) = [e for e in decision.effects if isinstance(e, PointsExpired)]
        assert expired.points == 10
        assert decision.state.available_points == 0
        return due.astimezone(BERLIN)

    def test_published_example(self) -> None:
        """Credited on 5 July 2023: expired at the end of 30 September 2026."""
        assert self.expiry_of(berlin(2023, 7, 5, 12)) == berlin(2026, 10, 1)

    def test_the_september_boundary_is_in_berlin_time(self) -> None:
        """23:30 on 30 September 2023 in Berlin is before the cut-off (expires in 2026);
        00:30 on 1 October in Berlin is after it (expires in 2027), although it is still
        30 September in UTC."""
        late = berlin(2023, 9, 30, 23, 30)
        early = berlin(2023, 10, 1, 0, 30)
        assert early.astimezone(UTC).day == 30
        assert self.expiry_of(late) == berlin(2026, 10, 1)
        assert self.expiry_of(early) == berlin(2027, 10, 1)

    def test_never_before_36_months(self) -> None:
        """Points of 1 October 2023 would be 35 months old on 30 September 2026: they stay."""
        state = buy("P-1", "20.00", berlin(2023, 10, 1, 12)).state
        assert PROGRAM.advance(state, berlin(2026, 10, 2)).state.available_points == 10

    def test_a_leap_day(self) -> None:
        """Credited on 29 February 2024: expired at the end of 30 September 2027."""
        assert self.expiry_of(berlin(2024, 2, 29, 9)) == berlin(2027, 10, 1)

    def test_the_oldest_points_expire_first_and_alone(self) -> None:
        first = buy("P-1", "20.00", berlin(2023, 6, 1))
        second = buy("P-2", "30.00", berlin(2024, 6, 1), state=first.state)
        after = PROGRAM.advance(second.state, berlin(2026, 10, 1))
        assert after.state.available_points == 15
        assert [e.points for e in after.effects if isinstance(e, PointsExpired)] == [10]


def test_terms_say_the_rules_in_german_with_degree_points() -> None:
    """The programme's own word, °Punkte, in every sentence; points in English."""
    pytest.importorskip("babel")
    terms = PROGRAM.terms("de")
    assert "°Punkte sammeln" in terms
    assert "Für je 2,00 EUR Einkaufswert erhalten Sie 1 °Punkt." in terms
    assert "Aktion „10fach-Coupon“: °Punkte ×10" in terms
    assert "Jedes Jahr mit Ablauf des 30. September verfallen die °Punkte" in terms
    assert "Sie können °Punkte wie Geld einlösen: 1 °Punkt ist 0,01 EUR wert. Mindestens " \
        "200 °Punkte je Einlösung." in terms
    assert "Sie können °Punkte einlösen, sobald Ihr Guthaben mindestens 200 °Punkte " \
        "beträgt." in terms
    assert "Punkt" not in terms.replace("°Punkt", "")
    english = PROGRAM.terms("en")
    assert "You earn 1 point for every 2.00 EUR you spend." in english
    assert "You can redeem points once your balance is at least 200 points." in english
    assert not [finding for finding in PROGRAM.check() if finding.code == "unit-words-missing"]


def test_terms_say_the_coupon_in_words_not_the_till_s_code() -> None:
    """The coupon fact and its values are labelled: no customer reads ``x10``."""
    pytest.importorskip("babel")
    german, english = PROGRAM.terms("de"), PROGRAM.terms("en")
    assert "gilt, wenn „Coupon“ „10fach-Coupon“ ist." in german
    assert "applies if “coupon” is “10x coupon”." in english
    for code in PAYBACK.COUPONS:
        assert f"„{code}“" not in german
        assert f"“{code}”" not in english
    assert not [finding for finding in PROGRAM.check() if "label" in finding.code]


class TestReasons:
    """Each effect's reason counts °Punkte in German (statement lines too), points in
    English, for 0, 1, 2 and 1,000 of them."""

    @pytest.mark.parametrize(("amount", "en", "de"), [
        ("3.00", "1 point for order P-1: 3.00 EUR at 1 point per 2.00 EUR",
         "1 °Punkt für Bestellung P-1: 1 °Punkt pro 2,00 EUR auf 3,00 EUR"),
        ("4.00", "2 points for order P-1: 4.00 EUR at 1 point per 2.00 EUR",
         "2 °Punkte für Bestellung P-1: 1 °Punkt pro 2,00 EUR auf 4,00 EUR"),
        ("2000.00", "1,000 points for order P-1: 2,000.00 EUR at 1 point per 2.00 EUR",
         "1.000 °Punkte für Bestellung P-1: 1 °Punkt pro 2,00 EUR auf 2.000,00 EUR"),
    ])
    def test_earned(self, amount: str, en: str, de: str) -> None:
        pytest.importorskip("babel")
        (effect,) = [e for e in buy("P-1", amount, berlin(2026, 5, 4, 10)).effects
                     if isinstance(e, PointsEarned)]
        assert effect.reason == en + ", valid until 2029-09-30"
        assert PROGRAM.render_effect(effect, "de") == de + ", gültig bis 30.09.2029"

    def test_a_coupon_a_payout_and_a_return(self) -> None:
        pytest.importorskip("babel")
        first = buy("P-1", "40.00", berlin(2026, 5, 4, 10), coupon="x10")
        second = buy("P-2", "3.00", berlin(2026, 5, 5, 10), state=first.state)
        paid = PROGRAM.apply(second.state, Redemption(
            id="R-1", member_id="m-1", at=berlin(2026, 5, 6), reward_id="payout", points=200))
        back = PROGRAM.apply(paid.state, Return(id="X-1", member_id="m-1",
                                                at=berlin(2026, 5, 7), purchase_id="P-2",
                                                amount=eur("3.00")))
        said = [PROGRAM.render_effect(e, "de") for e in (*first.effects, *paid.effects,
                                                         *back.effects)]
        assert said[0] == ("200 °Punkte für Bestellung P-1: 1 °Punkt pro 2,00 EUR auf "
                           "40,00 EUR (×10 (10fach-Coupon)), gültig bis 30.09.2029")
        assert "200 °Punkte eingelöst für „Auszahlung auf ein Bankkonto“" in said
        assert ("1 °Punkt aus Bestellung P-2 zurückgebucht: Die Bestellung wurde vollständig "
                "zurückgegeben") in said
        statement = PROGRAM.statement(back.state, berlin(2026, 6, 1), locale="de",
                                      effects=list(first.effects)).to_text()
        assert "- Verfügbar: 0 °Punkte." in statement
        assert "04.05.2026: 200 °Punkte für Bestellung P-1" in statement
