"""Reasons written straight from their values (``reciprocity._reason_forms`` and the text
functions the builders register in ``reciprocity._effect_rows``) say exactly what the general
form says: a :class:`Form` is ``english`` of its message for every catalogue message and any
values, text for text and error for error; every logged effect of random programs and shops
reads, through its text function and one memo for the whole log, as its model's reason; and
the models' messages (key and arguments, so every locale) are those ``main`` built before
(``tests/reasons_reference.py``), rendered alike in English and German."""

from __future__ import annotations

import importlib.util
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from string import Formatter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reciprocity import Event, Program, simulate, synthetic_purchases
from reciprocity._effect_rows import ROWS, TEXTS, entry_reason, writer_of
from reciprocity._reason import Msg, Unit, _template, encode_args, english, render
from reciprocity._reason_forms import Form, Unfit, after, said, wrap_text
from reciprocity.points.lots import LotStage
from reciprocity.testing import DEFAULT_END, full_programs, shop_streams
from reciprocity.tiers.report import build_changed

_SPEC = importlib.util.spec_from_file_location(
    "reasons_reference", Path(__file__).with_name("reasons_reference.py"))
assert _SPEC is not None
assert _SPEC.loader is not None
reference: Any = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(reference)

KEYS = sorted(_template())
LATER = DEFAULT_END + timedelta(days=1)
IN_UNITS = [key[:-5] for key in KEYS if key.startswith("reason.") and key.endswith(".unit")]


def _names(key: str) -> list[str]:
    return sorted({name for text in _template()[key]
                   for _, name, _, _ in Formatter().parse(text) if name})


class Shout(str):
    """A text of a shop's own type (a ``str`` subclass with its own ``str``)."""

    def __str__(self) -> str:
        return self.upper()


leaves = st.one_of(
    st.text(max_size=8), st.text(alphabet="%{}s ", max_size=5), st.integers(-3, 3000),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, max_value=10**6,
                min_value=-10**6), st.dates(), st.booleans(), st.none(),
    st.datetimes(timezones=st.just(UTC)), st.builds(Shout, st.text(max_size=4)),
    st.builds(lambda key: Msg(key, {}), st.sampled_from(("reason.tier.for_good",
                                                        "reason.tier.window.life"))),
)
plain = st.one_of(st.text(max_size=8), st.integers(-3, 3000), st.dates())


def _outcome(write: Any, *args: Any) -> tuple[str, str]:
    try:
        return ("text", write(*args))
    except Exception as exc:  # the same error, with the same words, on both paths
        return (type(exc).__name__, str(exc))


@st.composite
def forms(draw: st.DrawFn, values: st.SearchStrategy[Any]) -> tuple[str, list[str], list[Any]]:
    """A message key, its placeholders (and maybe an extra name, maybe ``n``) in a random
    order, and values for them."""
    key = draw(st.sampled_from(KEYS))
    names = [*_names(key), *draw(st.lists(st.sampled_from(("n", "extra")), max_size=2,
                                          unique=True))]
    names = draw(st.permutations(sorted(set(names))))
    return key, list(names), [draw(values) for _ in names]


class TestForm:
    @settings(max_examples=800, deadline=None)
    @given(forms(leaves))
    def test_a_form_is_english(self, case: tuple[str, list[str], list[Any]]) -> None:
        """Any values, in any order of names: the text (or the error) ``english`` gives."""
        key, names, values = case
        assert _outcome(Form(key, *names).write, *values) == _outcome(
            english, key, dict(zip(names, values, strict=True)))

    @settings(max_examples=400, deadline=None)
    @given(forms(plain))
    def test_plain_values(self, case: tuple[str, list[str], list[Any]]) -> None:
        """Texts, counts and days (the fast ``%`` path), singular and plural."""
        key, names, values = case
        assert _outcome(Form(key, *names).write, *values) == _outcome(
            english, key, dict(zip(names, values, strict=True)))

    @pytest.mark.parametrize("key", [key for key in KEYS if _names(key)])
    def test_a_placeholder_not_given_is_unfit(self, key: str) -> None:
        """A template asking for a value the form is not given (a catalogue grown an
        argument) raises ``Unfit`` on every write, so the caller goes the general way."""
        names = _names(key)
        form = Form(key, *names[1:])
        for _ in range(2):
            with pytest.raises(Unfit, match=names[0]):
                form.write(*("x" for _ in names[1:]))

    def test_unknown_key(self) -> None:
        with pytest.raises(KeyError, match=r"no message 'reason\.nope'"):
            Form("reason.nope", "order").write("A")

    @settings(max_examples=400, deadline=None)
    @given(st.sampled_from(IN_UNITS), st.tuples(st.text(min_size=1, max_size=6),
                                                st.text(min_size=1, max_size=6)),
           st.sampled_from([leaves, plain]), st.data())
    def test_a_form_in_a_unit_is_english(self, key: str, words: tuple[str, str],
                                         values: st.SearchStrategy[Any], data: Any) -> None:
        """A form with a unit's words writes what ``english`` writes with a ``unit``
        argument of those words (the ``.unit`` variant), for any words and values."""
        names = sorted({*_names(key + ".unit"), "n"} - {"unit", "units"})
        drawn = [data.draw(values) for _ in names]
        assert _outcome(Form(key, *names, unit=words).write, *drawn) == _outcome(
            english, key, {**dict(zip(names, drawn, strict=True)),
                           "unit": Unit((("en", *words),))})


WRAPS = [(key, name) for key in KEYS for name in _names(key)
         if "text" in _names(key) and len(_names(key)) == 2 and name != "text"]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(WRAPS), st.one_of(st.text(max_size=8), leaves), leaves)
def test_wrap_text_is_english(wrap: tuple[str, str], text: Any, value: Any) -> None:
    key, name = wrap
    assert _outcome(wrap_text, key, text, name, value) == _outcome(
        english, key, {"text": text, name: value})


def test_after_finds_the_words_after_a_text() -> None:
    """``wrap(text, *args) == text + after(wrap, *args)`` when the words follow the text;
    ``None`` when they come before it or repeat it (the text is then written in full)."""
    def wrap(text: str, date_: Any) -> str:
        return wrap_text("reason.valid_until", text, "date", date_)

    day = datetime(2026, 3, 1, tzinfo=UTC).date()
    assert after(wrap, day) == ", valid until 2026-03-01"
    assert "A-17" + after(wrap, day) == wrap("A-17", day)  # type: ignore[operator]
    assert after(lambda text: "Gültig: " + text) is None
    assert after(lambda text: text + text) is None


def test_said_writes_a_message_or_a_list_once() -> None:
    note = Msg("reason.note.tier", {"factor": Decimal("1.5"), "tier": "gold"})
    other = Msg("reason.note.campaign", {"factor": Decimal(2), "name": "Week"})
    memo: dict[Any, Any] = {}
    for _ in range(2):
        assert said(memo, note) == english(note.key, note.args)
        assert said(memo, [note]) == english("reason.notes", {"text": "", "notes": (note,)})[2:-1]
        assert said(memo, (note, other)) == english(
            "reason.notes", {"text": "", "notes": (note, other)})[2:-1]
    assert len(memo) == 3


@st.composite
def program_and_shop(draw: st.DrawFn) -> tuple[Program, list[Event]]:
    program = draw(full_programs(currency="EUR"))
    rewards = program.points.rewards if program.points is not None else None
    return program, draw(shop_streams(4, rewards=rewards or None, program=program,
                                      currency="EUR"))


_WITH_TEXT = {LotStage._earned, LotStage._pooled, build_changed}


def _reference_msg(entry: tuple[Any, ...]) -> Msg | None:
    """The message ``main`` built for the entry, for the builders whose messages changed."""
    builder = getattr(entry[0], "__func__", entry[0])
    if builder is LotStage._earned:
        _, _, lot, pending, reason = entry
        return reference.earned_message(entry[0].__self__, lot[1], lot[2], lot[4], pending,
                                        lot[7], lot[8], reason)
    if builder is LotStage._pooled:
        _, _, rule_id, eid, _, points, reason = entry
        return reference.earned_message(entry[0].__self__, rule_id, eid, points, False, None,
                                         None, reason)
    if builder is build_changed:
        _, c, _, _, at, change, old, new, until, why = entry
        return reference.changed_reason(c, at, change, old, new, until, why)
    return None


def _json(msg: Msg) -> str:
    return json.dumps([msg.key, encode_args(msg.args)])


class TestLoggedEffects:
    @settings(deadline=None, max_examples=60)
    @given(program_and_shop())
    def test_every_reason_as_its_model_says(self, case: tuple[Program, list[Event]]) -> None:
        """Each logged effect's text (one memo for the whole log, as a column is written)
        is its model's reason; the builders whose messages were reworked build ``main``'s
        messages, argument for argument, and they read alike in German."""
        program, events = case
        log = program.replay(events, until=LATER, errors="skip",
                             keep_effects=True).effect_log()
        memo: dict[Any, Any] = {}
        for entry in log:
            effect = entry[0](*entry[1:])
            assert writer_of(entry[0])(memo, entry) == effect.reason
            assert entry_reason(entry) == effect.reason
            old = _reference_msg(entry)
            if old is not None:
                assert (effect.reason_key, _json(Msg(effect.reason_key, effect.reason_args))
                        ) == (old.key, _json(old))
                assert render(effect.reason_key, effect.reason_args, "de") == render(
                    old.key, old.args, "de")

    def test_the_text_functions_are_registered(self) -> None:
        assert _WITH_TEXT <= set(TEXTS) <= set(ROWS)

    @pytest.mark.parametrize("seed", [1, 2])
    def test_the_benchmarks_shape(self, seed: int) -> None:
        """Purchase columns through a per-amount rule with a tier multiplier, pending points,
        expiry and a spend ladder (``bench_simulate.py``'s program): every reason of the
        written column is its model's, and the models' messages are ``main``'s."""
        from reciprocity import (
            FixedLifetime,
            MinSpend,
            Money,
            PointScheme,
            PointsPerAmount,
            Tier,
            TierBenefits,
            TierLadder,
            TierMultiplier,
        )

        gbp = "GBP"
        program = Program(
            name="Rich", currency=gbp, timezone="Europe/London",
            points=PointScheme(earn=(PointsPerAmount(
                id="base", per=Money("1.00", gbp), rounding_order="amount_first",
                multipliers=(TierMultiplier(),)),), pending_days=30,
                expiry=FixedLifetime(months=12)),
            tiers=TierLadder(tiers=tuple(
                Tier(id=name, name=name.title(), requires=MinSpend(amount=Money(spend, gbp)),
                     benefits=TierBenefits(points_multiplier=factor))
                for name, spend, factor in (("bronze", "50", 1), ("silver", "500", 1.25),
                                            ("gold", "2000", 1.5)))))
        columns = synthetic_purchases(1500, members=60, seed=seed, currency=gbp,
                                      timezone="Europe/London")
        until = datetime(2027, 1, 1, tzinfo=UTC)
        result = simulate(program, columns, until=until, progress=False)
        replay = program.replay(columns, until=until, keep_effects=True)
        models = list(replay.effects())
        assert result.effects["reason"] == [e.reason for e in models]
        for entry, effect in zip(replay.effect_log(), models, strict=True):
            old = _reference_msg(entry)
            if old is not None:
                assert _json(Msg(effect.reason_key, effect.reason_args)) == _json(old)
        assert any("available from" in text and "valid until" in text and "(x1.25" in text
                   for text in result.effects["reason"])
