"""Properties of terms and statements: every program reciprocity.testing draws states its terms
in both locales, and every state and effect it reaches renders, with no missing message, no
placeholder left and no doubled word."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reciprocity import Program, RefusedEvent
from reciprocity.testing import full_programs, member_streams

pytest.importorskip("babel", reason="terms need Babel: pip install 'reciprocity[i18n]'")

LOCALES = ("en", "de")
DOUBLED = re.compile(r"\b(\w+) \1\b")  # case matters: "Sie sie" is German
SETTINGS = settings(max_examples=60, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def assert_clean(text: str) -> None:
    assert text.strip()
    assert "{" not in text, text
    assert "}" not in text, text
    found = DOUBLED.search(text)
    assert found is None, f"doubled word {found.group(0)!r} in {text!r}"


@SETTINGS
@given(full_programs())
def test_terms_render_for_every_program(program: Program) -> None:
    """Every feature a drawn program declares is stated in both locales, as text and
    Markdown."""
    for locale in LOCALES:
        for format in ("text", "markdown"):
            assert_clean(program.terms(locale, format))


@SETTINGS
@given(full_programs().flatmap(
    lambda p: st.tuples(st.just(p), member_streams(program=p, max_size=12))))
def test_statement_and_effects_render(case: tuple[Program, list]) -> None:  # type: ignore[type-arg]
    """Every effect a program produces renders in both locales, and so does the member's
    statement after the stream (and a year later, when lots expire and tiers lapse)."""
    program, events = case
    state, shared, effects = None, None, []
    for event in events:
        try:
            decision = program.apply(state, event, shared=shared)
        except RefusedEvent:
            continue
        state, shared = decision.state, decision.shared
        effects.extend(decision.effects)
    for locale in LOCALES:
        for effect in effects:
            assert_clean(program.render_effect(effect, locale))
        if state is None or state.as_of is None:
            continue
        for at in (state.as_of, state.as_of + timedelta(days=400)):
            statement = program.statement(state, at, locale, effects=effects[-5:],
                                          shared=shared)
            assert_clean(statement.to_text())
            assert_clean(statement.to_markdown())
            data = json.loads(json.dumps(statement.to_dict()))  # JSON-ready
            assert data["points"]["available"] >= 0
            assert data["document"]["sections"]
