"""``Program.explain()`` says a program's declared words: facts by their English label
(``Fact.labels``), a labelled value of a ``str`` fact by its label (``Fact.value_labels``)
and a shop's own complaint category by ``GoodwillPolicy.category_labels``; and a program
without those labels explains exactly as before they were said.

``tests/golden/explain/<program>.txt`` holds what ``explain()`` said of each example and
golden program before it said fact labels (recorded at commit 1631649): the same program
with its fact, value and category labels taken away must still say exactly that.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from _load import EXAMPLES, load_file
from reciprocity import Fact, Program, seed_program

GOLDEN = Path(__file__).resolve().parent / "golden" / "explain"


def _example(name: str, attribute: str = "PROGRAM") -> Callable[[], Program]:
    def build() -> Program:
        module = load_file(EXAMPLES / f"{name}.py", f"explain_{name}")
        found = getattr(module, attribute)
        return found() if callable(found) else found  # type: ignore[no-any-return]
    return build


def _olist(which: str) -> Callable[[], Program]:
    def build() -> Program:
        module = load_file(EXAMPLES / "goodwill_olist.py", "explain_goodwill_olist")
        return module.programs()[which]  # type: ignore[no-any-return]
    return build


def _terms(which: str) -> Callable[[], Program]:
    def build() -> Program:
        pytest.importorskip("babel")
        from test_terms import PROGRAMS  # the terms' golden programs, one per family

        return PROGRAMS[which]()
    return build


PROGRAMS: dict[str, Callable[[], Program]] = {
    "seed": seed_program,
    "eu261": _example("eu261_air_passengers", "program"),
    "rail": _example("rail_passenger_rights", "program"),
    "payback": _example("payback"),
    "miles": _example("miles_and_more"),
    "perfumery": _example("perfumery_sample_claim"),
    "sephora": _example("sephora_beauty_insider"),
    "starbucks": _example("starbucks_rewards"),
    "rei": _example("rei_member_reward"),
    "olist-generous": _olist("generous"),
    "olist-lean": _olist("lean"),
    "terms-points": _terms("points"),
    "terms-tiers": _terms("tiers"),
    "terms-gifts": _terms("gifts"),
    "terms-goodwill": _terms("goodwill"),
}


def _bare(fact: Fact) -> Fact:
    return fact.model_copy(update={"labels": {}, "value_labels": {},
                                   "items": tuple(_bare(item) for item in fact.items)})


def unlabelled(program: Program) -> Program:
    """``program`` without the labels of its facts, their values and its own complaint
    categories (``Program.labels`` stays: ``explain`` said it before)."""
    update: dict[str, object] = {"facts": tuple(_bare(fact) for fact in program.facts)}
    if program.goodwill is not None:
        update["goodwill"] = program.goodwill.model_copy(update={"category_labels": {}})
    return Program.model_validate(program.model_copy(update=update).model_dump())


def golden(name: str, text: str) -> None:
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("RECIPROCITY_UPDATE_GOLDENS") == "1" and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)  # the record is never overwritten
        path.write_text(text + "\n", encoding="utf-8")
    assert path.exists(), f"{path} is missing"
    assert text + "\n" == path.read_text(encoding="utf-8")


class TestUnlabelledUnchanged:
    @pytest.mark.parametrize("name", sorted(PROGRAMS))
    def test_as_recorded(self, name: str) -> None:
        """Without fact, value and category labels a program explains as it did before."""
        golden(name, unlabelled(PROGRAMS[name]()).explain())
