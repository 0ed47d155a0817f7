"""Program.statement: points by lot, pending points, tier progress, vouchers, gifts within
reach with what they still need, and recent activity, in English and German."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from reciprocity import (
    Complaint,
    EndOfMonthAfter,
    Gift,
    GiftScheme,
    GoodwillPolicy,
    GoodwillRule,
    InvalidEvent,
    MinSpend,
    Money,
    NaiveDatetime,
    NthOrderGift,
    PointScheme,
    PointsEarned,
    PointsPerPurchase,
    Program,
    Purchase,
    Redemption,
    Statement,
    ThankYouGift,
    Tier,
    TierBenefits,
    TierLadder,
    VoucherCompensation,
    gift_eligibility,
    seed_program,
)

pytest.importorskip("babel", reason="statements need Babel: pip install 'reciprocity[i18n]'")

BERLIN = ZoneInfo("Europe/Berlin")


def at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=BERLIN)


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def buy(program: Program, state: object, order_id: str, amount: str, when: datetime):  # type: ignore[no-untyped-def]
    return program.apply(state, Purchase(id=order_id, member_id="m-1", at=when,  # type: ignore[arg-type]
                                         amount=eur(amount)))


class TestPoints:
    def test_lots_pending_and_expiry(self) -> None:
        """Available lots with their last day, pending lots with the day they arrive."""
        program = Program(name="P", timezone="Europe/Berlin", points=PointScheme(
            earn=(PointsPerPurchase(id="r", points=2),), pending_days=14,
            expiry=EndOfMonthAfter(months=0)))
        state = buy(program, None, "A-1", "10.00", at(3, 1)).state
        state = buy(program, state, "A-2", "10.00", at(3, 20)).state
        text = program.statement(state, at(3, 25), "de").to_text()
        assert "- Verfügbar: 2 Punkte.\n" in text
        assert "- 2 Punkte vom 01.03.2026, gültig bis 31.03.2026.\n" in text
        assert "- 2 Punkte vom 20.03.2026 ausstehend, verfügbar ab 03.04.2026.\n" in text
        english = program.statement(state, at(3, 25), "en").to_text()
        assert "- 2 points from Mar 20, 2026 pending, available from Apr 3, 2026.\n" in english

    def test_advances_to_at_without_changing_the_state(self) -> None:
        """Points expired by ``at`` are gone from the statement and listed as activity; the
        state passed in is untouched."""
        program = Program(name="P", timezone="Europe/Berlin", points=PointScheme(
            earn=(PointsPerPurchase(id="r", points=1),), expiry=EndOfMonthAfter(months=0)))
        state = buy(program, None, "A-1", "10.00", at(3, 1)).state
        statement = program.statement(state, at(4, 2), "en")
        assert statement.to_dict()["points"]["available"] == 0
        assert ("- Apr 1, 2026: 1 point earned on 2026-03-01 expired (at the end of the month "
                "they were earned in)\n") in statement.to_text()
        assert state.available_points == 1

    def test_debt_and_redemption(self) -> None:
        """A redemption is listed with the reward's name; debt from a return is stated."""
        program = seed_program()
        state = buy(program, None, "A-1", "60.00", at(3, 1)).state
        effects = []
        for day in range(2, 11):
            decision = buy(program, state, f"A-{day}", "60.00", at(3, day))
            state = decision.state
        decision = program.apply(state, Redemption(id="R-1", member_id="m-1", at=at(3, 11),
                                                   reward_id="voucher-10"))
        effects += decision.effects
        text = program.statement(decision.state, at(3, 11), "de", effects=effects).to_text()
        assert "10 Punkte eingelöst für „10 EUR fuel voucher“\n" in text
        assert "Gutscheine\n- " in text
        assert "Gutschein über 10,00 EUR („10 EUR fuel voucher“). Ohne Ablaufdatum." in text


class TestTier:
    def program(self) -> Program:
        return Program(name="P", timezone="Europe/Berlin", tiers=TierLadder(tiers=(
            Tier(id="silver", name="Silber", requires=MinSpend(amount=eur("350.00")),
                 benefits=TierBenefits(free_shipping=True)),)))

    def test_progress_in_german(self) -> None:
        """The issue's sentence: "Noch 12,40 EUR bis Silber, bis 31.12.2026"."""
        program = self.program()
        state = buy(program, None, "A-1", "337.60", at(5, 1)).state
        text = program.statement(state, at(5, 1), "de").to_text()
        assert "- Sie haben noch keine Stufe.\n" in text
        assert "- Noch 12,40 EUR bis Silber, bis 31.12.2026.\n" in text
        english = program.statement(state, at(5, 1), "en").to_text()
        assert "- Still 12.40 EUR to Silber, by Dec 31, 2026.\n" in english

    def test_tier_held(self) -> None:
        """A held tier shows its last day; the upgrade is listed as activity."""
        program = self.program()
        decision = buy(program, None, "A-1", "400.00", at(5, 1))
        statement = program.statement(decision.state, at(5, 1), "de",
                                      effects=decision.effects)
        text = statement.to_text()
        assert "- Ihre Stufe: Silber. Gültig bis 31.12.2027.\n" in text
        assert ("- 01.05.2026: Silber erreicht mit 400,00 EUR Umsatz im Jahr 2026: kostenloser "
                "Versand, gültig bis 31.12.2027\n") in text
        assert statement.to_dict()["tier"]["tier_id"] == "silver"


class TestGifts:
    def test_needs_in_german(self) -> None:
        """What a gift still needs is said in the locale, from the eligibility's data."""
        sample = Gift(id="box", name="Probenbox", kind="sample", value=eur("4.00"))
        voucher = Gift(id="ty", name="Dankeschön", kind="voucher", value=eur("10.00"))
        program = Program(name="P", timezone="Europe/Berlin", gifts=GiftScheme(rules=(
            NthOrderGift(id="n5", every=5, gift=sample),
            ThankYouGift(id="ty", orders=3, spend=eur("100.00"), gift=voucher))))
        state = buy(program, None, "A-1", "30.00", at(3, 2)).state
        options = gift_eligibility(program, state, at(3, 3))
        assert [len(o.needs) for o in options] == [len(o.missing) for o in options]
        text = program.statement(state, at(3, 3), "de").to_text()
        assert ("Sie können eine Probe im Wert von 4,00 EUR („Probenbox“) erhalten; noch "
                "nötig: 4 weitere Einkäufe.") in text
        assert ("noch nötig: 2 weitere Einkäufe und 70,00 EUR mehr Umsatz in diesem Jahr."
                in text)


class TestGoodwill:
    def test_compensation_is_listed(self) -> None:
        """A goodwill voucher for a complaint reads in German, in its reason's words."""
        program = Program(name="P", timezone="Europe/Berlin", goodwill=GoodwillPolicy(rules=(
            GoodwillRule(id="any", compensation=VoucherCompensation(value=eur("5.00"))),)))
        state = buy(program, None, "A-1", "30.00", at(3, 2)).state
        decision = program.apply(state, Complaint(id="C-1", member_id="m-1", at=at(3, 3),
                                                  order_id="A-1", category="late_delivery"))
        text = program.statement(decision.state, at(3, 3), "de",
                                 effects=decision.effects).to_text()
        assert ("- 03.03.2026: Kulanz für Ihre Reklamation C-1 zu Bestellung A-1 (Verspätete "
                "Lieferung): ein Gutschein über 5,00 EUR\n") in text


class TestShape:
    def test_formats_and_dict(self) -> None:
        """Text, Markdown and a dict carry the same sentences; str() is the text."""
        program = seed_program()
        state = buy(program, None, "A-1", "60.00", at(3, 1)).state
        statement = program.statement(state, at(3, 1), "en")
        assert isinstance(statement, Statement)
        assert str(statement) == statement.to_text() == statement.render("text")
        assert statement.to_markdown().startswith("# Statement of m-1 on Mar 1, 2026\n")
        data = statement.to_dict()
        assert data["at"] == "2026-03-01T12:00:00+01:00"
        assert data["document"]["sections"][0]["items"][0]["text"] == "Available: one point."
        with pytest.raises(InvalidEvent, match='use "text" or "markdown"'):
            statement.render("pdf")

    def test_bad_input(self) -> None:
        """A naive time or something other than a state is refused."""
        program = seed_program()
        state = buy(program, None, "A-1", "60.00", at(3, 1)).state
        with pytest.raises(NaiveDatetime):
            program.statement(state, datetime(2026, 3, 1), "en")
        with pytest.raises(InvalidEvent, match="state has type dict"):
            program.statement({}, at(3, 1), "en")  # type: ignore[arg-type]



class TestRenderEffect:
    @pytest.mark.parametrize(("locale", "text"), [
        ("en", "1 point for order A-17 over 50.00 EUR"),
        ("de", "Ein Punkt für Bestellung A-17 über 50,00 EUR")])
    def test_an_effect_in_each_locale(self, locale: str, text: str) -> None:
        """Program.render_effect says an effect's reason in the locale (``effect.render``);
        in English that is its ``reason``."""
        program = seed_program()
        effect = buy(program, None, "A-17", "59.90", at(3, 1)).effects[0]
        assert program.render_effect(effect, locale) == text == effect.render(locale)
        assert effect.reason == "1 point for order A-17 over 50.00 EUR"

    @pytest.mark.parametrize(("locale", "text"), [
        ("en", "1 point for order A-17 over 50.00 EUR"),
        ("de", "Ein Punkt gesammelt (A-17)")])
    def test_an_effect_stored_before_reasons_were_data(self, locale: str, text: str) -> None:
        """An effect with only its English ``reason`` (no key) still loads; in English it is
        that reason, in another locale it is said from its fields."""
        program = seed_program()
        effect = buy(program, None, "A-17", "59.90", at(3, 1)).effects[0]
        data = effect.model_dump(mode="json")
        del data["reason_key"], data["reason_args"]
        old = PointsEarned.model_validate(data)
        assert old.reason_key is None
        assert program.render_effect(old, locale) == text == old.render(locale)
