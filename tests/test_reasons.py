"""Reasons as data: every effect carries a message key and its arguments; ``reason`` is the
English text of them, ``render(locale)`` says them in any catalogue locale, and the JSON of
an effect keeps them with their types (and still reads an effect that has only ``reason``)."""

from __future__ import annotations

import importlib.util
import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import ClassVar
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from reciprocity import (
    Approval,
    Complaint,
    Effect,
    EndOfMonthAfter,
    FixedLifetime,
    Gift,
    GiftScheme,
    GoodwillPolicy,
    GoodwillRule,
    InvalidEvent,
    InvalidState,
    LateResponseStep,
    MemberState,
    Money,
    NthOrderGift,
    PointScheme,
    PointsEarned,
    PointsPerAmount,
    PointsPerPurchase,
    Program,
    Purchase,
    RefundShare,
    RefusedEvent,
    ResponseTime,
    Return,
    VoucherCompensation,
    seed_program,
)
from reciprocity._reason import (
    MonthDay,
    Msg,
    decode_args,
    decode_text,
    encode_args,
    english,
    render,
)
from reciprocity.testing import full_programs, member_streams

SRC = Path(__file__).resolve().parent.parent / "src" / "reciprocity"
EFFECTS: TypeAdapter[Effect] = TypeAdapter(Effect)
DOUBLED = re.compile(r"\b(\w+) \1\b")


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=UTC)


def buy(program: Program, state: object, eid: str, amount: str, when: datetime) -> object:
    return program.apply(state, Purchase(id=eid, member_id="m-1", at=when,  # type: ignore[arg-type]
                                         amount=Money(amount, "EUR")))


def clean(text: str) -> None:
    assert text.strip()
    assert "{" not in text, text
    assert "}" not in text, text
    found = DOUBLED.search(text)
    assert found is None, f"doubled word {found.group(0)!r} in {text!r}"


class TestMessages:
    def test_english_without_babel_matches_the_template(self) -> None:
        """The small reader of the template (no Babel) reads the same English forms as
        Babel's reader, for every key."""
        pytest.importorskip("babel")
        from reciprocity._reason import _template
        from reciprocity.terms.catalog import LOCALES_DIR, _read

        source, _, _ = _read(LOCALES_DIR / "reciprocity.pot")
        assert _template() == source

    def test_every_literal_reason_key_exists(self) -> None:
        """Every message key the engine names literally in a ``Msg`` is in the template."""
        from reciprocity._reason import _template

        keys = set(_template())
        pattern = re.compile(r"""Msg\(\s*["']([a-z_.]+)["']""")
        named = {key for path in SRC.rglob("*.py") for key in pattern.findall(path.read_text())}
        assert named, "the pattern finds the engine's messages"
        assert named - keys == set()

    def test_formats_per_locale(self) -> None:
        """English keeps the reasons' formats (50.00 EUR, ISO dates); German is Babel's
        (1.234,50 EUR, 31.12.2026), plural by the catalogue."""
        pytest.importorskip("babel")
        args = {"n": 2, "order": "A-1", "eligible": Money("1234.5", "EUR"),
                "rate": Msg("reason.rate", {"n": Decimal("1.5"), "per": Money("1", "EUR")})}
        assert english("reason.earned.amount", args) == (
            "2 points for order A-1: 1,234.50 EUR at 1.5 points per 1.00 EUR")
        assert render("reason.earned.amount", args, "de") == (
            "2 Punkte für Bestellung A-1: 1.234,50 EUR zu 1,5 Punkten pro 1,00 EUR")
        valid = {"text": Msg("reason.redeemed", {"n": 1, "reward": "Tasse"}),
                 "date": date(2026, 12, 31)}
        assert english("reason.valid_until", valid) == (
            "1 point redeemed for Tasse, valid until 2026-12-31")
        assert render("reason.valid_until", valid, "de") == (
            "Ein Punkt eingelöst für „Tasse“, gültig bis 31.12.2026")

    def test_a_list_and_a_day_of_the_year(self) -> None:
        pytest.importorskip("babel")
        args = {"factor": Decimal("1.5"), "categories": ("tea", "coffee", "cake")}
        assert english("reason.note.categories", args) == "x1.5 for tea, coffee, cake"
        assert render("reason.note.categories", args, "de") == "×1,5 für tea, coffee, cake"
        cutoff = {"n": 1, "cutoff": MonthDay(12, 31), "start": MonthDay(1, 1)}
        assert english("reason.expiry.cutoff", cutoff) == (
            "every 31 December, for points collected before 1 January 1 year earlier")
        assert render("reason.expiry.cutoff", cutoff, "de") == (
            "jährlich am 31. Dezember, für Punkte, die vor dem 1. Januar 1 Jahr zuvor "
            "gesammelt wurden")

    def test_a_missing_argument_fails_loudly(self) -> None:
        with pytest.raises(KeyError, match=r"\{order\} has no value"):
            english("reason.earned.order", {"n": 1})
        with pytest.raises(KeyError, match=r"no message 'reason\.nope'"):
            english("reason.nope", {})


class TestJson:
    ARGS: ClassVar[dict[str, object]] = {
        "n": 3, "order": "A-1", "amount": Money("50.00", "EUR"), "rate": Decimal("1.50"),
        "day": date(2026, 2, 28), "cutoff": MonthDay(2, 28),
        "notes": (Msg("reason.note.tier", {"factor": Decimal(2), "tier": "Gold"}), "x")}

    def test_arguments_round_trip_with_their_types(self) -> None:
        encoded = encode_args(self.ARGS)
        assert encoded["amount"] == ["money", ["50.00", "EUR"]]
        assert encoded["day"] == ["date", "2026-02-28"]
        assert decode_args(encoded) == self.ARGS

    @pytest.mark.parametrize("bad", [["when", 1], ["int", "3"], ["money", ["1"]], [1, 2, 3]])
    def test_an_unknown_argument_is_refused(self, bad: list[object]) -> None:
        data = seed_effect().model_dump(mode="json")
        data["reason_args"] = {"n": bad}
        with pytest.raises(InvalidEvent, match=r"PointsEarned\.reason_args"):
            PointsEarned.model_validate(data)

    def test_an_effect_round_trips_exactly(self) -> None:
        effect = seed_effect()
        assert effect.reason_key == "reason.earned.order.over"
        assert effect.reason_args == {"n": 1, "order": "A-17",
                                      "amount": Money("50.00", "EUR")}
        text = EFFECTS.dump_json(effect)
        assert b'"reason_args":{"n":["int",1],"order":["str","A-17"]' in text
        assert EFFECTS.validate_json(text) == effect
        assert EFFECTS.validate_python(EFFECTS.dump_python(effect)) == effect

    def test_an_effect_with_only_its_reason_still_loads(self) -> None:
        """JSON written before reasons were data has no key and no arguments."""
        data = seed_effect().model_dump(mode="json")
        del data["reason_key"], data["reason_args"]
        old = EFFECTS.validate_python(data)
        assert old.reason_key is None
        assert old.reason_args is None
        assert old.reason == seed_effect().reason
        assert old.render("en") == old.reason
        assert EFFECTS.validate_json(EFFECTS.dump_json(old)) == old


def seed_effect() -> PointsEarned:
    decision = buy(seed_program(), None, "A-17", "59.90", at(3, 1))
    effect = decision.effects[0]  # type: ignore[attr-defined]
    assert isinstance(effect, PointsEarned)
    return effect


class TestPointsReasons:
    """The point scheme's reasons, said in both languages."""

    @pytest.fixture(autouse=True)
    def _babel(self) -> None:
        pytest.importorskip("babel")

    def test_lot_life_and_return(self) -> None:
        program = Program(name="P", timezone="Europe/Berlin", currency="EUR", points=PointScheme(
            earn=(PointsPerAmount(id="r", points=1, per=Money("1", "EUR")),),
            expiry=FixedLifetime(months=12)))
        first = buy(program, None, "A-1", "1234.50", at(3, 1))
        earned = first.effects[0]  # type: ignore[attr-defined]
        assert earned.reason == ("1,234 points for order A-1: 1,234.50 EUR at 1 point per "
                                 "1.00 EUR, valid until 2027-03-01")
        assert earned.render("de") == ("1.234 Punkte für Bestellung A-1: 1.234,50 EUR zu "
                                       "einem Punkt pro 1,00 EUR, gültig bis 01.03.2027")
        back = program.apply(first.state, Return(  # type: ignore[attr-defined]
            id="R-1", member_id="m-1", at=at(3, 5), purchase_id="A-1",
            amount=Money("1234.50", "EUR")))
        revoked = back.effects[0]
        assert revoked.reason == ("1,234 points of order A-1 taken back: the order was "
                                  "returned in full")
        assert revoked.render("de") == ("1.234 Punkte aus Bestellung A-1 zurückgebucht: Die "
                                        "Bestellung wurde vollständig zurückgegeben")

    def test_expiry_singular_in_both_languages(self) -> None:
        program = Program(name="P", timezone="Europe/Berlin", points=PointScheme(
            earn=(PointsPerPurchase(id="r", points=1),), expiry=EndOfMonthAfter(months=2)))
        state = buy(program, None, "A-1", "10.00", at(3, 1)).state  # type: ignore[attr-defined]
        expired = [e for e in program.advance(state, at(7, 1)).effects
                   if e.type == "points_expired"]
        assert [e.reason for e in expired] == [
            "1 point earned on 2026-03-01 expired (at the end of the 2nd month after the "
            "month earned)"]
        assert expired[0].render("de") == (
            "Ein Punkt vom 01.03.2026 ist verfallen (am Ende des 2. Monats nach dem Monat des "
            "Sammelns)")


PROPERTY = settings(max_examples=60, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
KEYED = {"points_earned", "points_released", "points_redeemed", "points_revoked",
         "points_expired", "voucher_issued", "voucher_cancelled", "gift_granted", "gift_revoked",
         "message_suggested", "tier_changed", "tier_grace_started", "goodwill_granted",
         "goodwill_pending", "goodwill_declined"}


@PROPERTY
@given(full_programs().flatmap(
    lambda p: st.tuples(st.just(p), member_streams(program=p, max_size=12))))
def test_every_effect_renders_in_every_locale(case: tuple[Program, list]) -> None:  # type: ignore[type-arg]
    """Every effect any program of ``reciprocity.testing`` produces (and a year later) says
    its reason in English and German with no missing key and no placeholder left; its
    English is ``reason``; its JSON round-trips exactly."""
    pytest.importorskip("babel")
    program, events = case
    state, shared, effects = None, None, []
    for event in events:
        try:
            decision = program.apply(state, event, shared=shared)
        except RefusedEvent:
            continue
        state, shared = decision.state, decision.shared
        effects.extend(decision.effects)
    if state is not None and state.as_of is not None:
        effects.extend(program.advance(state, state.as_of + timedelta(days=400),
                                       shared=shared).effects)
    for effect in effects:
        if effect.type in KEYED:
            assert effect.reason_key is not None, effect
        assert effect.render("en") == effect.reason
        assert program.render_effect(effect, "en") == effect.reason
        clean(effect.reason)
        clean(effect.render("de"))
        clean(program.render_effect(effect, "de"))
        assert EFFECTS.validate_json(EFFECTS.dump_json(effect)) == effect


class TestGiftReasons:
    @pytest.fixture(autouse=True)
    def _babel(self) -> None:
        pytest.importorskip("babel")

    def test_nth_order_gift_with_a_voucher(self) -> None:
        """An ordinal, a quoted name, money and a validity, in both languages."""
        program = Program(name="P", timezone="Europe/Berlin", points=PointScheme(
            earn=(PointsPerPurchase(id="r", points=1),)), gifts=GiftScheme(rules=(
                NthOrderGift(id="third", every=3, gift=Gift(
                    id="v", name="Dankeschön", kind="voucher", value=Money("1234.5", "EUR"),
                    valid_days=30)),)))
        state = None
        for day in (1, 2, 3):
            decision = buy(program, state, f"A-{day}", "20.00", at(3, day))
            state = decision.state  # type: ignore[attr-defined]
        gift = [e for e in decision.effects if e.type == "gift_granted"]  # type: ignore[attr-defined]
        assert [e.reason for e in gift] == [
            "Gift for your 3rd order (A-3): Dankeschön worth 1,234.50 EUR, valid until 2026-04-02"]
        assert gift[0].render("de") == (
            "Geschenk zu Ihrer 3. Bestellung (A-3): „Dankeschön“ im Wert von 1.234,50 EUR, "
            "gültig bis 02.04.2026")


# -- goodwill -----------------------------------------------------------------------------

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 3, 2, 10, tzinfo=BERLIN)
GOODWILL = Program(
    name="Shop", timezone="Europe/Berlin",
    points=PointScheme(earn=(PointsPerPurchase(id="r", points=1),)),
    goodwill=GoodwillPolicy(
        rules=(GoodwillRule(id="late", categories=("late_delivery",),
                            compensation=VoucherCompensation(value=Money("50.00", "EUR"),
                                                             valid_days=30)),
               GoodwillRule(id="damaged", categories=("damaged",),
                            compensation=RefundShare(percent=Decimal(20),
                                                     max=Money("10.00", "EUR")))),
        approval_above=Money("40.00", "EUR"), max_per_complaint=Money("60.00", "EUR"),
        response_time=ResponseTime(promised_hours=24, steps=(LateResponseStep(factor="1.5"),))))


def complaint(cid: str, order: str, category: str = "late_delivery",
              reply_hours: int | None = None) -> Complaint:
    at = T0 + timedelta(days=3)
    return Complaint(id=cid, member_id="m-1", at=at, order_id=order, category=category,
                     severity=2,
                     first_response_at=None if reply_hours is None else
                     at + timedelta(hours=reply_hours))


def approve(ref: str, note: str = "", approved: bool = True) -> Approval:
    return Approval(id=f"{ref}-ok", member_id="m-1", at=T0 + timedelta(days=4), ref_event_id=ref,
                    approved=approved, approved_by="anna", note=note)


def pending_state() -> MemberState:
    """A member whose 75.00 EUR voucher (cut to 60.00 EUR) waits for approval."""
    state = GOODWILL.apply(None, Purchase(id="A-1", member_id="m-1", at=T0,
                                          amount=Money("80.00", "EUR"))).state
    return GOODWILL.apply(state, complaint("C-1", "A-1", reply_hours=30)).state


def said(decision: object, kind: str) -> tuple[str, str]:
    [effect] = [e for e in decision.effects if e.type == kind]  # type: ignore[attr-defined]
    assert effect.reason_key is not None
    return effect.reason, effect.render("de")


class TestGoodwillReasons:
    @pytest.fixture(autouse=True)
    def _babel(self) -> None:
        pytest.importorskip("babel")

    def test_pending_then_granted_with_its_notes(self) -> None:
        """A voucher over the approval limit waits, then is given with how it came about."""
        state = GOODWILL.apply(None, Purchase(id="A-1", member_id="m-1", at=T0,
                                              amount=Money("80.00", "EUR"))).state
        decision = GOODWILL.apply(state, complaint("C-1", "A-1", reply_hours=30))
        assert said(decision, "goodwill_pending") == (
            "Goodwill for your complaint C-1 about order A-1 (late delivery): a 60.00 EUR "
            "voucher, to be confirmed by our team (worth more than 40.00 EUR)",
            "Kulanz für Ihre Reklamation C-1 zu Bestellung A-1 (Verspätete Lieferung): ein "
            "Gutschein über 60,00 EUR, nach Bestätigung durch unser Team (im Wert von mehr als "
            "40,00 EUR)")
        assert said(GOODWILL.apply(decision.state, approve("C-1")), "goodwill_granted") == (
            "Goodwill for your complaint C-1 about order A-1 (late delivery): a 60.00 EUR "
            "voucher, valid until 2026-04-05 (x1.5: our first reply took 30 hours, we promise "
            "24 hours; cut to 60.00 EUR: at most 60.00 EUR per complaint), confirmed by our "
            "team",
            "Kulanz für Ihre Reklamation C-1 zu Bestellung A-1 (Verspätete Lieferung): ein "
            "Gutschein über 60,00 EUR, gültig bis 05.04.2026 (×1,5: Unsere erste Antwort "
            "dauerte 30 Stunden, wir versprechen 24 Stunden; gekürzt auf 60,00 EUR: höchstens "
            "60,00 EUR pro Reklamation), von unserem Team bestätigt")

    def test_declined_by_a_person_with_a_note(self) -> None:
        """A person's note is the shop's own words, said as they are in every locale."""
        decision = GOODWILL.apply(pending_state(), approve("C-1", "sent twice",
                                                           approved=False))
        assert said(decision, "goodwill_declined") == (
            "No goodwill for your complaint C-1 about order A-1 (late delivery): a person "
            "reviewed it and declined: sent twice",
            "Keine Kulanz für Ihre Reklamation C-1 zu Bestellung A-1 (Verspätete Lieferung): "
            "Unser Team hat sie geprüft und abgelehnt: sent twice")

    def test_share_duplicate_and_referral(self) -> None:
        """A percentage capped by its rule, a repeated complaint, an unknown order."""
        state = pending_state()
        decision = GOODWILL.apply(state, complaint("C-2", "A-1", "damaged"))
        assert said(decision, "goodwill_granted") == (
            "Goodwill for your complaint C-2 about order A-1 (damaged item): a refund of 10.00 "
            "EUR (20 % of the order value 80.00 EUR; at most 10.00 EUR by this rule)",
            "Kulanz für Ihre Reklamation C-2 zu Bestellung A-1 (Beschädigte Ware): eine "
            "Erstattung von 10,00 EUR (20 % des Bestellwerts von 80,00 EUR; nach dieser Regel "
            "höchstens 10,00 EUR)")
        decision = GOODWILL.apply(decision.state, complaint("C-3", "A-1"))
        assert said(decision, "goodwill_declined") == (
            "No goodwill for your complaint C-3 about order A-1 (late delivery): it repeats "
            "complaint C-1 of 2026-03-05 about the same order and problem (pending)",
            "Keine Kulanz für Ihre Reklamation C-3 zu Bestellung A-1 (Verspätete Lieferung): "
            "Diese Reklamation wiederholt die Reklamation C-1 vom 05.03.2026 zur selben "
            "Bestellung und zum selben Problem (wartet auf Bestätigung)")
        decision = GOODWILL.apply(decision.state, complaint("C-4", "A-9", "damaged"))
        assert said(decision, "goodwill_declined") == (
            "Your complaint C-4 about order A-9 (damaged item) goes to our service team: order "
            "A-9 is not known to us",
            "Ihre Reklamation C-4 zu Bestellung A-9 (Beschädigte Ware) geht an unser "
            "Service-Team: Die Bestellung A-9 ist uns nicht bekannt")


class TestPendingGoodwillInTheState:
    def test_the_pending_reason_is_stored_as_data(self) -> None:
        """What waits is kept as messages and round-trips with its types."""
        state = pending_state()
        assert state.goodwill is not None
        [pending] = state.goodwill.pending
        assert pending.why == ["msg", ["reason.goodwill.wait.above",
                                       {"limit": ["money", ["40.00", "EUR"]]}]]
        assert decode_text(pending.why) == Msg("reason.goodwill.wait.above",
                                               {"limit": Money("40.00", "EUR")})
        assert [decode_text(note).key for note in pending.notes] == [  # type: ignore[union-attr]
            "reason.goodwill.note.response", "reason.goodwill.note.cut"]
        text = state.model_dump_json()
        assert MemberState.model_validate_json(text) == state
        assert MemberState.load_trusted(text) == state

    def test_a_stored_message_that_does_not_read_back_is_refused(self) -> None:
        """A pending record whose message pair is malformed is an invalid state."""
        data = json.loads(pending_state().model_dump_json())
        data["goodwill"]["pending"][0]["why"] = ["msg", "no args"]
        with pytest.raises(InvalidState):
            MemberState.model_validate(data)

    def test_a_state_saved_with_english_texts_still_loads_and_says_them(self) -> None:
        """A pending record written before reasons were data (plain English) loads, and the
        grant after its approval says those texts as they are, in every locale."""
        data = json.loads(pending_state().model_dump_json())
        record = data["goodwill"]["pending"][0]
        record["notes"] = ["x1.5: our first reply took 30 hours, we promise 24 hours"]
        record["why"] = "worth more than 40.00 EUR"
        old = MemberState.model_validate(data)
        assert old.goodwill is not None
        assert old.goodwill.pending[0].why == "worth more than 40.00 EUR"
        decision = GOODWILL.apply(old, approve("C-1"))
        [grant] = [e for e in decision.effects if e.type == "goodwill_granted"]
        assert grant.reason.endswith("(x1.5: our first reply took 30 hours, we promise 24 "
                                     "hours), confirmed by our team")
        if importlib.util.find_spec("babel") is not None:
            assert grant.render("de").endswith(
                "(x1.5: our first reply took 30 hours, we promise 24 hours), von unserem Team "
                "bestätigt")


@PROPERTY
@given(full_programs(goodwill=True).flatmap(
    lambda p: st.tuples(st.just(p), member_streams(program=p, max_size=16))))
def test_every_goodwill_effect_renders_in_every_locale(
        case: tuple[Program, list]) -> None:  # type: ignore[type-arg]
    """Every goodwill effect (granted, pending, declined, referred) of a program with a
    goodwill policy says its reason in English and German with no missing key and no
    placeholder left; its English is ``reason``; a state with approvals pending round-trips."""
    pytest.importorskip("babel")
    program, events = case
    state, shared = None, None
    for event in events:
        try:
            decision = program.apply(state, event, shared=shared)
        except RefusedEvent:
            continue
        state, shared = decision.state, decision.shared
        for effect in decision.effects:
            if not effect.type.startswith("goodwill_"):
                continue
            assert effect.reason_key is not None, effect
            assert effect.render("en") == effect.reason
            clean(effect.reason)
            clean(effect.render("de"))
            assert EFFECTS.validate_json(EFFECTS.dump_json(effect)) == effect
    if state is not None:
        assert MemberState.model_validate_json(state.model_dump_json()) == state
