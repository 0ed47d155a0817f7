"""Effects' reasons in a balance's own unit: a scheme that declares ``unit`` words has its
effects say them ("500 miles for order A-1", "500 Meilen für Bestellung A-1") in
``effect.reason``, ``effect.render(locale)``, a statement and ``simulate``'s reason column;
a scheme without words keeps every reason as it was, argument for argument."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from reciprocity import (
    Complaint,
    Event,
    FixedLifetime,
    Money,
    PointScheme,
    PointsPerPurchase,
    Program,
    Purchase,
    Redemption,
    Return,
    Reward,
    UnitWords,
)
from reciprocity._effect_rows import entry_reason, writer_of
from reciprocity._reason import (
    _ENGLISH,
    Msg,
    Unit,
    _fill,
    _template,
    decode_args,
    encode_args,
    english,
    render,
)
from reciprocity.effects import Effect
from reciprocity.points.units import reason_unit
from reciprocity.terms.catalog import catalogue
from reciprocity.testing import DEFAULT_END, full_programs, shop_streams

BERLIN = ZoneInfo("Europe/Berlin")
MILES = {"en": UnitWords(one="mile", other="miles"), "de": UnitWords(one="Meile", other="Meilen")}
UNIT = reason_unit(MILES)
EFFECTS: TypeAdapter[Any] = TypeAdapter(Effect)
LATER = DEFAULT_END + timedelta(days=1)
KEYS = sorted(key for key in _template() if key.startswith("reason.")
              and not key.endswith(".unit"))
VARIED = sorted(key[:-5] for key in _template() if key.startswith("reason.")
                and key.endswith(".unit"))


def _outcome(write: Any, *args: Any) -> tuple[str, str]:
    try:
        return ("text", write(*args))
    except Exception as exc:  # the same error, with the same words, on both paths
        return (type(exc).__name__, str(exc))


def _round_trip(effect: Any) -> bool:
    """The effect reads back from JSON as it was."""
    return bool(EFFECTS.validate_json(effect.model_dump_json()) == effect)


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def miles_program(unit: dict[str, UnitWords] | None = MILES) -> Program:
    return Program(name="Air", currency="EUR", timezone="Europe/Berlin", points=PointScheme(
        earn=(PointsPerPurchase(id="fly", points=500, min_amount=eur("50.00")),),
        rewards=(Reward(id="lounge", name="Lounge", points=1_000, value=eur("40.00")),),
        expiry=FixedLifetime(months=36), unit=unit or {}))


class TestUnitArgument:
    def test_words_by_locale(self) -> None:
        """A region's locale uses its language's words; a locale without words has none."""
        assert UNIT is not None
        assert UNIT.words("de_AT") == ("Meile", "Meilen")
        assert UNIT.words("en") == ("mile", "miles")
        assert UNIT.words("fr") is None
        assert reason_unit({}) is None

    def test_json_round_trip(self) -> None:
        args = {"n": 3, "order": "A-1", "unit": UNIT}
        encoded = encode_args(args)
        assert encoded["unit"] == ["unit", {"de": ["Meile", "Meilen"], "en": ["mile", "miles"]}]
        assert decode_args(json.loads(json.dumps(encoded))) == args

    @pytest.mark.parametrize(("n", "en", "de"), [
        (0, "0 miles for order A-1", "0 Meilen für Bestellung A-1"),
        (1, "1 mile for order A-1", "1 Meile für Bestellung A-1"),
        (2, "2 miles for order A-1", "2 Meilen für Bestellung A-1"),
        (1_000, "1,000 miles for order A-1", "1.000 Meilen für Bestellung A-1"),
    ])
    def test_counts(self, n: int, en: str, de: str) -> None:
        args = {"n": n, "order": "A-1", "unit": UNIT}
        assert english("reason.earned.order", args) == en
        assert render("reason.earned.order", args, "de") == de

    def test_a_locale_without_words_says_points(self) -> None:
        german_only = Unit((("de", "Meile", "Meilen"),))
        args = {"n": 2, "order": "A-1", "unit": german_only}
        assert english("reason.earned.order", args) == "2 points for order A-1"
        assert render("reason.earned.order", args, "de") == "2 Meilen für Bestellung A-1"

    def test_nested_messages_take_the_unit_and_may_name_their_own(self) -> None:
        """The unit of a message holds for those in it; one in it may name its own."""
        rate = Msg("reason.rate", {"n": 4, "per": eur("1.00")})
        status = Unit((("de", "Statusmeile", "Statusmeilen"), ("en", "status mile",
                                                                  "status miles")))
        msg = Msg("reason.earned.amount", {"n": 8, "order": "X", "eligible": eur("2.00"),
                                           "rate": rate, "unit": UNIT})
        assert english(*msg) == "8 miles for order X: 2.00 EUR at 4 miles per 1.00 EUR"
        assert render(*msg, "de") == "8 Meilen für Bestellung X: 4 Meilen pro 1,00 EUR auf " \
                                     "2,00 EUR"
        own = Msg("reason.earned.amount", {**msg.args, "rate": Msg(
            "reason.rate", {**rate.args, "unit": status})})
        assert english(*own) == "8 miles for order X: 2.00 EUR at 4 status miles per 1.00 EUR"

    @settings(max_examples=150)
    @given(st.sampled_from(VARIED), st.integers(0, 999), st.sampled_from(["en", "de"]))
    def test_every_varied_reason_says_the_words(self, key: str, n: int, locale: str) -> None:
        """Every reason message with a variant says the unit, never "point" or "Punkt",
        and English from the template reads as the Babel catalogue's English."""
        names = {name for text in _template()[key + ".unit"]
                 for name in re.findall(r"{(\w+)}", text)} - {"n", "unit", "units"}
        args: dict[str, Any] = {name: f"<{name}>" for name in names}
        args.update({"n": n, "unit": Unit((("de", "Wort", "Wörter"), ("en", "word",
                                                                      "words")))})
        text = render(key, args, locale)
        assert "wort" in text.lower() or "wörter" in text.lower() or "word" in text
        assert not re.search(r"(?i)point|punkt", text), text
        if locale == "en":
            shown = {name: value for name, value in args.items() if name not in ("n", "unit")}
            assert text == catalogue("en").with_unit(("word", "words")).t(key, n=n, **shown)


units = st.one_of(st.none(), st.just(UNIT), st.builds(
    lambda one, other: Unit((("de", one, other), ("en", one, other))),
    st.text(min_size=1, max_size=5), st.text(min_size=1, max_size=5)),
    st.just(Unit((("de", "Meile", "Meilen"),))))
leaves = st.one_of(st.text(max_size=6), st.integers(0, 2000), st.dates(),
                   st.builds(eur, st.sampled_from(["0.50", "2.00", "1000.00"])),
                   st.decimals(places=1, min_value=0, max_value=10, allow_nan=False))


@st.composite
def messages(draw: st.DrawFn, depth: int = 2) -> Msg:
    """A message of the catalogue (often one with a variant), its placeholders filled with
    values, nested messages and lists of them, maybe in a unit of its own."""
    key = draw(st.sampled_from(VARIED) if draw(st.booleans()) else st.sampled_from(KEYS))
    names = {name for text in _template()[key] for name in re.findall(r"{(\w+)}", text)}
    inner = messages(depth - 1) if depth else leaves
    args: dict[str, Any] = {}
    own = {"unit", "units"} if key in VARIED else set()  # its variant's words, not args
    for name in sorted(names - {"n"} - own):
        args[name] = draw(st.one_of(leaves, inner, st.lists(inner, max_size=3).map(tuple)))
    if "n" in names or draw(st.booleans()):
        args["n"] = draw(st.integers(0, 1500))
    unit = draw(units)
    if unit is not None and "unit" not in args:  # not over a text placeholder {unit}
        args["unit"] = unit  # ("reason.tier.units": "{count} {unit}", the word itself)
    return Msg(key, args)


class TestWriters:
    @settings(max_examples=300, deadline=None)
    @given(messages())
    def test_compiled_english_is_the_general_form(self, msg: Msg) -> None:
        """``english`` (compiled, a unit's variants compiled with its words) writes what the
        general form writes (the template read per call), for any message in any unit."""
        assert _outcome(english, *msg) == _outcome(_fill, _ENGLISH, *msg)


class TestEffects:
    def test_a_miles_program_says_miles(self) -> None:
        """Earned, redeemed, returned and expired: every reason says miles, in English and
        German, and reads back from JSON."""
        program = miles_program()
        at = datetime(2026, 3, 1, 12, tzinfo=BERLIN)
        state, effects = None, []
        for event in (Purchase(id="A-1", member_id="m", at=at, amount=eur("60.00")),
                      Purchase(id="A-2", member_id="m", at=at + timedelta(days=1),
                               amount=eur("80.00")),
                      Redemption(id="R-1", member_id="m", at=at + timedelta(days=2),
                                 reward_id="lounge"),
                      Return(id="X-1", member_id="m", at=at + timedelta(days=3),
                             purchase_id="A-2", amount=eur("80.00"))):
            decision = program.apply(state, event)
            state, effects = decision.state, effects + list(decision.effects)
        effects += program.advance(state, at + timedelta(days=3 * 366)).effects
        said = [effect.reason for effect in effects]
        assert said[0] == "500 miles for order A-1 over 50.00 EUR, valid until 2029-03-01"
        assert "1,000 miles redeemed for Lounge" in said
        assert any(text.startswith("500 miles of order A-2 taken back") for text in said)
        for effect in effects:
            german = program.render_effect(effect, "de")
            assert not re.search(r"(?i)\bpoints?\b", effect.reason), effect.reason
            assert "Punkt" not in german, german
            assert _round_trip(effect)
        assert program.render_effect(effects[0], "de") == (
            "500 Meilen für Bestellung A-1 über 50,00 EUR, gültig bis 01.03.2029")

    def test_without_words_a_reason_is_as_it_was(self) -> None:
        """No ``unit`` argument without words: the same key, arguments and text."""
        at = datetime(2026, 3, 1, 12, tzinfo=BERLIN)
        event = Purchase(id="A-1", member_id="m", at=at, amount=eur("60.00"))
        (plain,) = miles_program(None).apply(None, event).effects
        (miles,) = miles_program().apply(None, event).effects
        assert "unit" not in (plain.reason_args or {})
        assert plain.reason == "500 points for order A-1 over 50.00 EUR, valid until 2029-03-01"
        assert miles.reason_key == plain.reason_key
        assert {**(miles.reason_args or {}), "unit": None} == {**(plain.reason_args or {}),
                                                               "unit": None}

    def test_goodwill_points_in_the_unit(self) -> None:
        from reciprocity import GoodwillPolicy, GoodwillRule, PointsCompensation

        program = Program.model_validate({**miles_program().model_dump(), "goodwill":
                                          GoodwillPolicy(rules=(GoodwillRule(
                                              id="sorry",
                                              compensation=PointsCompensation(points=250)),))})
        at = datetime(2026, 3, 1, 12, tzinfo=BERLIN)
        effects = program.apply(None, Complaint(id="C-1", member_id="m", at=at,
                                                category="late_delivery")).effects
        for effect in effects:
            assert not re.search(r"(?i)\bpoints?\b", effect.reason), effect.reason
            assert "Punkt" not in program.render_effect(effect, "de")


def _with_miles(program: Program) -> Program:
    data = program.model_dump(mode="json")
    data["points"]["unit"] = {locale: words.model_dump() for locale, words in MILES.items()}
    return Program.model_validate(data)


def _names(data: Any) -> set[str]:
    """Every name a program declares (a reward's, a campaign's...): the shop's words."""
    if isinstance(data, dict):
        found = {value for key, value in data.items() if key == "name" and value}
        return found.union(*(_names(value) for value in data.values()))
    if isinstance(data, list | tuple):
        return set().union(*(_names(value) for value in data))
    return set()


@st.composite
def miles_shops(draw: st.DrawFn) -> tuple[Program, list[Event]]:
    program = _with_miles(draw(full_programs(currency="EUR")))
    rewards = program.points.rewards or None
    return program, draw(shop_streams(4, rewards=rewards, program=program, currency="EUR"))


@settings(deadline=None, max_examples=40)
@given(miles_shops())
def test_every_logged_effect_says_its_unit(case: tuple[Program, list[Event]]) -> None:
    """Random programs counting miles: the reason column (written from the log) is each
    model's reason, no reason in English or German says points, and each reads back."""
    program, events = case
    log = program.replay(events, until=LATER, errors="skip", keep_effects=True).effect_log()
    memo: dict[Any, Any] = {}
    shop = sorted(_names(program.model_dump()), key=len, reverse=True)
    for entry in log:
        effect = entry[0](*entry[1:])
        assert writer_of(entry[0])(memo, entry) == effect.reason
        assert entry_reason(entry) == effect.reason
        english_text, german = effect.reason, program.render_effect(effect, "de")
        for name in shop:  # the shop's own words may say points
            english_text, german = english_text.replace(name, ""), german.replace(name, "")
        assert not re.search(r"(?i)\bpoints?\b", english_text), effect.reason
        assert "Punkt" not in german, german
        assert _round_trip(effect)
