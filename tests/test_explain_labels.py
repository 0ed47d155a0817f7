"""``Program.explain()`` says a program's declared words: facts by their English label
(``Fact.labels``), a labelled value of a ``str`` fact by its label (``Fact.value_labels``)
and a shop's own complaint category by ``GoodwillPolicy.category_labels``; and a program
without those labels explains exactly as before they were said.

``tests/golden/explain/<program>.txt`` holds what ``explain()`` said of each example and
golden program before it said fact labels (recorded at commit 1631649, and re-recorded
where ``explain`` changed on purpose since: it says a campaign multiplier's condition, and
groups thousands in amounts): the same program with its fact, value and category labels
taken away must still say exactly that.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _load import EXAMPLES, load_file
from reciprocity import (
    AllOf,
    AnyOf,
    Band,
    BandTable,
    ChannelIs,
    Condition,
    CreditCompensation,
    Elapsed,
    Fact,
    FactIs,
    Gift,
    GiftScheme,
    GoodwillPolicy,
    GoodwillRule,
    HasConsent,
    HasFact,
    InCategory,
    InTier,
    LineFact,
    Money,
    NameLabels,
    Not,
    OrderOverGift,
    PointScheme,
    PointsCompensation,
    PointsPerPurchase,
    Program,
    Range,
    Reduction,
    seed_program,
)
from reciprocity.testing import full_programs

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


# -- the labelled examples ----------------------------------------------------------------------

def _humanised(name: str) -> str:
    return name.replace("_", " ")


class TestExamples:
    def test_eu261(self) -> None:
        """EU 261 says its facts, and its categories, as it declares them."""
        text = PROGRAMS["eu261"]().explain()
        for said in ("category is flight delayed", "category is flight cancelled",
                     "category is denied boarding", "notice of the cancellation",
                     "departure of the alternative flight", "arrival of the alternative flight",
                     "boarding refused for reasonable grounds is not true",
                     "extraordinary circumstances is not true",
                     "flight within the EU is not true", "and flight within the EU is true",
                     "a credit by flight distance in km (first band that matches)",
                     "a duplicate (same passenger, flight)"):
            assert said in text
        for raw in ("flight_delayed", "flight_cancelled", "denied_boarding", "informed at",
                    "rerouted departure", "rerouted arrival", "refused for cause",
                    "extraordinary is", "intra eu", "distance km", "passenger id", "_"):
            assert raw not in text

    def test_the_expiry_of_points_only_where_points_can_be_had(self) -> None:
        """A program that gives no points (EU 261, rail, REI, gifts only) says nothing of
        their expiry, as its terms do not; one whose goodwill gives points says it."""
        for name in ("eu261", "rail", "rei", "perfumery"):
            assert "Points never expire." not in PROGRAMS[name]().explain()
        assert "Points never expire." in PROGRAMS["seed"]().explain()
        points_only_by_goodwill = Program(name="Shop", currency="EUR", goodwill=GoodwillPolicy(
            rules=(GoodwillRule(id="late", categories=("late_delivery",),
                                compensation=PointsCompensation(points=5)),),
            point_value=Money("0.10", "EUR")))
        assert "Points never expire." in points_only_by_goodwill.explain()
        assert "Points never expire." not in points_only_by_goodwill.model_copy(update={
            "goodwill": GoodwillPolicy(rules=(GoodwillRule(
                id="late", categories=("late_delivery",),
                compensation=CreditCompensation(value=Money("5.00", "EUR"))),))}).explain()

    def test_rei(self) -> None:
        """The store credit's reward says its left-out categories by their labels, and a
        custom event's name by its label where the program declares one."""
        program = PROGRAMS["rei"]()
        text = program.explain()
        assert ("without categories gift cards, memberships, rentals, taxes, shipping and "
                "discounted lines") in text
        assert "gift_card" not in text
        assert "issued as store credit on 15 March after the year ends" in text
        named = program.model_copy(update={"labels": program.labels.model_copy(update={
            "events": {"credit_issued": {"en": "reward issued"}}})})
        assert "store credit from custom event reward issued, spent by custom event " \
            "credit_spent" in Program.model_validate(named.model_dump()).explain()

    def test_rail(self) -> None:
        """Rail says the fare's label in a share and a cap, and the labelled category."""
        text = PROGRAMS["rail"]().explain()
        for said in ("- train delayed, when ticket is one of single, return",
                     "extraordinary circumstances is not true", "25 % of the fare paid;",
                     "(at most 25 % of the fare paid)", "a duplicate (same passenger, journey)"):
            assert said in text
        for raw in ("train_delayed", "extraordinary is", "passenger id", "of the fare;",
                    "of the fare)"):
            assert raw not in text

    def test_every_labelled_fact_the_examples_name(self) -> None:
        """Each fact an example's explain named raw is said by its English label now."""
        for name in ("eu261", "rail"):
            program = PROGRAMS[name]()
            before = (GOLDEN / f"{name}.txt").read_text(encoding="utf-8")
            text = program.explain()
            for fact in program.facts:
                label = fact.labels.get("en")
                if label is None or _humanised(fact.name) in label:
                    continue
                if f"{_humanised(fact.name)} " in before:
                    assert label in text, (name, fact.name)
                    assert f"{_humanised(fact.name)} " not in text, (name, fact.name)

    def test_payback(self) -> None:
        """PAYBACK's coupons say when they apply in the coupon's labels (a campaign
        multiplier's condition), and so does a rule that compares the coupon."""
        program = PROGRAMS["payback"]()
        text = program.explain()
        assert ("times the best of x5 (5fach-Coupon, when coupon is 5x coupon), "
                "x10 (10fach-Coupon, when coupon is 10x coupon), "
                "x20 (20fach-Coupon, when coupon is 20x coupon)") in text
        assert "is x5" not in text
        rule = program.points.earn[0]
        coupons = FactIs(fact="coupon", op="in", value=("x10", "x20"))
        rule = rule.model_copy(update={"when": coupons & ~FactIs(fact="coupon", value="x5")})
        changed = program.model_copy(update={"points": program.points.model_copy(
            update={"earn": (rule,)})})
        text = Program.model_validate(changed.model_dump()).explain()
        assert ("when coupon is one of 10x coupon, 20x coupon and coupon is not 5x coupon"
                in text)
        assert "x10," not in text
        assert "is x5" not in text


class TestNegations:
    """``~`` says the negation where plain words have one ("is not", "is not given"), and
    ``not (...)`` where they would mislead: ``!=`` (``is not other than``), an order line's
    fact (``~`` there means no line meets it) and a name list (``not web or store``)."""

    @pytest.mark.parametrize(("condition", "said"), [
        (FactIs(fact="extraordinary", value=True), "extraordinary is not true"),
        (FactIs(fact="distance_km", op=">", value=1500), "distance km is not over 1500"),
        (FactIs(fact="distance_km", op="<=", value=1500), "distance km is not at most 1500"),
        (FactIs(fact="ticket", op="in", value=("single", "return")),
         "ticket is not one of single, return"),
        (FactIs(fact=Elapsed(start="a", end="b", unit="hours"), op=">=", value=2),
         "hours from a to b is not at least 2"),
        (HasFact(fact="rerouted_arrival"), "rerouted arrival is not given"),
        (HasConsent(consent="email"), "no consent to email"),
        (ChannelIs(channels=("store",)), "channel is not store"),
        (InTier(tiers=("gold",)), "member tier is not gold"),
        (FactIs(fact="ticket", op="!=", value="season"), "not (ticket is not season)"),
        (FactIs(fact="line.discounted", value=True), "not (an order line's discounted is true)"),
        (HasFact(fact="line.discounted"), "not (an order line's discounted is given)"),
        (ChannelIs(channels=("web", "store")), "not (channel is web or store)"),
        (InTier(tiers=("gold", "silver")), "not (member tier is gold or silver)"),
        (~HasConsent(consent="email"), "not (no consent to email)"),
        (FactIs(fact="a", value=1) & FactIs(fact="b", value=2), "not (a is 1 and b is 2)"),
    ])
    def test_said(self, condition: Condition, said: str) -> None:
        assert Not(condition=condition).describe() == said

    def test_in_the_programs_words(self) -> None:
        """The negation says the fact's and the value's labels, as the condition does."""
        program = PROGRAMS["rail"]()
        assert "extraordinary circumstances is not true" in program.explain()
        assert "not (extraordinary" not in program.explain()


class TestMultipliers:
    def test_campaign_and_category_multipliers_say_their_words(self) -> None:
        """A campaign multiplier says when it applies, a category multiplier its categories,
        both in the program's declared words; without labels the names as they are."""
        from reciprocity import CampaignMultiplier, CategoryMultiplier, PointsPerAmount

        rule = PointsPerAmount(id="fly", points=1, per=Money("1.00", "EUR"), multipliers=(
            CategoryMultiplier(categories=("fare", "seat_upgrade"), factor=Decimal(2)),
            CampaignMultiplier(name="Coupon week", factor=Decimal("1.5"),
                               when=FactIs(fact="coupon_code", value="cw26"))))
        facts = (Fact(name="coupon_code", type="str", labels={"en": "coupon"},
                      value_labels={"cw26": {"en": "the coupon-week coupon"}}),)
        labels = NameLabels(categories={"fare": {"en": "fares", "de": "Flugpreise"}})
        program = Program(name="Air", currency="EUR", timezone="Europe/Berlin", facts=facts,
                          points=PointScheme(earn=[rule]), labels=labels)
        assert ("times x2 on fares, seat_upgrade, x1.5 (Coupon week, when coupon is the "
                "coupon-week coupon)") in program.explain()
        bare = Program(name="Air", currency="EUR", timezone="Europe/Berlin",
                       facts=tuple(_bare(fact) for fact in facts),
                       points=PointScheme(earn=[rule]))
        assert ("times x2 on fare, seat_upgrade, x1.5 (Coupon week, when coupon code is "
                "cw26)") in bare.explain()


# -- random conditions over facts ----------------------------------------------------------------
# Fact names and values no English word contains, so a raw one is found wherever it is said.

ZONES = ("zn_alpha", "zn_beta", "zn_gamma")
KINDS = ("lk_one", "lk_two")
OWN = ("qk_lost", "qk_late")
LINE_CATEGORIES = ("lc_fresh", "lc_frozen")
FACTS = (
    Fact(name="qa_level", type="int"),
    Fact(name="qb_zone", type="str", values=ZONES),
    Fact(name="qc_flag", type="bool"),
    Fact(name="qd_start", type="datetime"),
    Fact(name="qd_end", type="datetime"),
    Fact(name="qe_kind", type="str", values=KINDS, on="line"),
    Fact(name="qf_fare", type="money"),
)
LABELS = {"qa_level": "ticket level", "qb_zone": "travel zone", "qc_flag": "late booking",
          "qd_start": "departure", "qd_end": "arrival", "line.qe_kind": "kind of item",
          "qf_fare": "fare paid"}
VALUE_LABELS = {"zn_alpha": "zone A", "zn_beta": "zone B", "zn_gamma": "zone C",
                "lk_one": "first kind", "lk_two": "second kind"}
CATEGORY_LABELS = {"qk_lost": "lost luggage", "qk_late": "late train"}
LINE_LABELS = {"lc_fresh": "fresh food", "lc_frozen": "frozen food"}


def _key(fact: Fact) -> str:
    return f"line.{fact.name}" if fact.on == "line" else fact.name


def labelled_facts(locale: str) -> tuple[Fact, ...]:
    """:data:`FACTS` with their labels and their values' labels in ``locale``."""
    return tuple(fact.model_copy(update={
        "labels": {locale: LABELS[_key(fact)]},
        "value_labels": {v: {locale: VALUE_LABELS[v]} for v in fact.values}})
        for fact in FACTS)


_OP_WORDS = {"==": "is", "!=": "is not", "<": "is under", "<=": "is at most", ">": "is over",
             ">=": "is at least", "in": "is one of"}


def reference(condition: object) -> str:
    """A copy of ``describe()`` of the conditions drawn here as it was before labels (1631649)."""
    def fact_words(fact: object) -> str:
        if isinstance(fact, Elapsed):
            return f"{fact.unit} from {fact_words(fact.start)} to {fact_words(fact.end)}"
        assert isinstance(fact, str)
        if fact.startswith("line."):
            return "an order line's " + fact[5:].replace("_", " ")
        return fact.replace("_", " ")

    def line_fact(fact: object) -> bool:
        return isinstance(fact, str) and fact.startswith("line.")

    def shown(value: object) -> str:
        if isinstance(value, tuple):
            return ", ".join(shown(v) for v in value)
        return str(value).lower() if isinstance(value, bool) else str(value)

    def wrap(inner: object, other: type) -> str:
        text = reference(inner)
        return f"({text})" if isinstance(inner, other) else text

    if isinstance(condition, FactIs):
        return f"{fact_words(condition.fact)} {_OP_WORDS[condition.op]} {shown(condition.value)}"
    if isinstance(condition, HasFact):
        return f"{fact_words(condition.fact)} is given"
    if isinstance(condition, LineFact):
        which = "some" if condition.match == "any" else "every"
        return (f"{which} order line's {condition.fact.replace('_', ' ')} "
                f"{_OP_WORDS[condition.op]} {shown(condition.value)}")
    if isinstance(condition, InCategory):
        return "order contains " + " or ".join(condition.categories)
    if isinstance(condition, AllOf):
        return " and ".join(wrap(c, AnyOf) for c in condition.conditions)
    if isinstance(condition, AnyOf):
        return " or ".join(wrap(c, AllOf) for c in condition.conditions)
    assert isinstance(condition, Not)
    inner = condition.condition
    if isinstance(inner, FactIs) and inner.op != "!=" and not line_fact(inner.fact):
        said = _OP_WORDS[inner.op].replace("is", "is not", 1)
        return f"{fact_words(inner.fact)} {said} {shown(inner.value)}"
    if isinstance(inner, HasFact) and not line_fact(inner.fact):
        return f"{fact_words(inner.fact)} is not given"
    return f"not ({reference(inner)})"


ORDERED = st.sampled_from(("==", "!=", "<", "<=", ">", ">="))
ELAPSED = st.builds(Elapsed, start=st.just("qd_start"), end=st.just("qd_end"),
                    unit=st.sampled_from(("minutes", "hours", "days")))


def _one_or_in(values: tuple[str, ...]) -> st.SearchStrategy[tuple[str, object]]:
    return st.one_of(
        st.tuples(st.sampled_from(("==", "!=")), st.sampled_from(values)),
        st.tuples(st.just("in"), st.lists(st.sampled_from(values), min_size=1, max_size=3,
                                          unique=True).map(tuple)))


def _fact_is(fact: str, pair: tuple[str, object]) -> FactIs:
    return FactIs(fact=fact, op=pair[0], value=pair[1])  # type: ignore[arg-type]


def _leaves(purchase: bool) -> st.SearchStrategy[Condition]:
    options: list[st.SearchStrategy[Condition]] = [
        st.builds(FactIs, fact=st.just("qa_level"), op=ORDERED, value=st.integers(0, 9)),
        _one_or_in(ZONES).map(lambda p: _fact_is("qb_zone", p)),
        st.builds(FactIs, fact=st.just("qc_flag"), value=st.booleans()),
        st.builds(HasFact, fact=st.sampled_from(("qa_level", "qb_zone", "qc_flag", "qd_end"))),
        st.builds(FactIs, fact=ELAPSED, op=ORDERED, value=st.integers(0, 300)),
    ]
    if purchase:
        options += [
            _one_or_in(KINDS).map(lambda p: _fact_is("line.qe_kind", p)),
            st.builds(LineFact, fact=st.just("qe_kind"), op=st.just("=="),
                      value=st.sampled_from(KINDS), match=st.sampled_from(("any", "all"))),
            st.builds(InCategory, categories=st.lists(st.sampled_from(LINE_CATEGORIES),
                                                      min_size=1, max_size=2,
                                                      unique=True).map(tuple)),
        ]
    else:
        options.append(_one_or_in(OWN).map(lambda p: _fact_is("category", p)))
    return st.one_of(options)


def fact_conditions(purchase: bool) -> st.SearchStrategy[Condition]:
    """Trees of conditions over :data:`FACTS` (a purchase's, or a complaint's with its
    category), combined with ``&``, ``|`` and ``~``."""
    def combine(inner: st.SearchStrategy[Condition]) -> st.SearchStrategy[Condition]:
        return st.one_of(st.tuples(inner, inner).map(lambda p: p[0] & p[1]),
                         st.tuples(inner, inner).map(lambda p: p[0] | p[1]),
                         inner.map(lambda c: ~c))
    return st.recursive(_leaves(purchase), combine, max_leaves=6)


def program_with(condition: Condition, purchase: bool, locale: str | None) -> Program:
    """A program that says ``condition`` in a point rule and a gift rule (``purchase``) or
    in a goodwill rule and a reduction of its band table; labelled in ``locale``, or not at
    all."""
    facts = FACTS if locale is None else labelled_facts(locale)
    labels = NameLabels() if locale is None else NameLabels(
        categories={c: {locale: LINE_LABELS[c]} for c in LINE_CATEGORIES})
    if purchase:
        sample = Gift(id="s", name="sample", kind="sample", value=Money("1.00", "EUR"))
        return Program(name="p", facts=facts, labels=labels, points=PointScheme(
            earn=(PointsPerPurchase(id="r", points=1, when=condition),)),
            gifts=GiftScheme(rules=(OrderOverGift(id="g", amount=Money("10.00", "EUR"),
                                                  gift=sample, when=condition),)))
    table = BandTable(keys={"level": "qa_level", "delay": Elapsed(start="qd_start",
                                                                   end="qd_end")},
                      bands=(Band(when={"level": Range(at_least=1)}, percent=Decimal(10)),))
    rule = GoodwillRule(id="g", categories=OWN, when=condition, compensation=CreditCompensation(
        table=table, of="qf_fare", reductions=(Reduction(when=condition, factor=Decimal("0.5")),)))
    return Program(name="p", facts=facts, labels=labels, goodwill=GoodwillPolicy(
        rules=(rule,), categories=OWN, duplicate_key=("qb_zone",),
        category_labels={} if locale is None else {c: {locale: CATEGORY_LABELS[c]}
                                                   for c in OWN}))


def _named(condition: object) -> tuple[set[str], set[str]]:
    """The facts (by key) and the compared texts ``condition`` names."""
    facts: set[str] = set()
    values: set[str] = set()
    for leaf in condition.leaves():  # type: ignore[attr-defined]
        if isinstance(leaf, InCategory):
            values.update(leaf.categories)
            continue
        fact = f"line.{leaf.fact}" if isinstance(leaf, LineFact) else leaf.fact
        if isinstance(fact, Elapsed):
            facts.update((fact.start, fact.end))
        elif fact != "category":
            facts.add(fact)
        value = getattr(leaf, "value", None)
        values.update(v for v in (value if isinstance(value, tuple) else (value,))
                      if isinstance(v, str))
    return facts, values


LABELLED_WORDS = {**LABELS, **VALUE_LABELS, **CATEGORY_LABELS, **LINE_LABELS}


class TestRandomConditions:
    @given(st.booleans().flatmap(lambda p: st.tuples(st.just(p), fact_conditions(p))))
    def test_unlabelled_as_before(self, drawn: tuple[bool, Condition]) -> None:
        """Without labels a condition is said as before, in its describe() and in explain."""
        purchase, condition = drawn
        before = reference(condition)
        assert condition.describe() == before
        text = program_with(condition, purchase, None).explain()
        assert f", when {before}" in text  # a point or goodwill rule
        assert f"; when {before}" in text if purchase else f"x0.5 when {before}" in text

    @given(st.booleans().flatmap(lambda p: st.tuples(st.just(p), fact_conditions(p))))
    def test_labels_said(self, drawn: tuple[bool, Condition]) -> None:
        """With English labels every fact, value and category it names is said by its label,
        and none of their names is said raw."""
        purchase, condition = drawn
        text = program_with(condition, purchase, "en").explain()
        facts, values = _named(condition)
        for name in facts | values:
            assert LABELLED_WORDS[name] in text, name
        for raw in {*FACTS_RAW, *ZONES, *KINDS, *OWN, *LINE_CATEGORIES}:
            assert raw not in text
            assert _humanised(raw) not in text

    @given(st.booleans().flatmap(lambda p: st.tuples(st.just(p), fact_conditions(p))))
    def test_other_locales_change_nothing(self, drawn: tuple[bool, Condition]) -> None:
        """Labels in German only leave the English explain as it is without labels."""
        purchase, condition = drawn
        assert (program_with(condition, purchase, "de").explain()
                == program_with(condition, purchase, None).explain())


FACTS_RAW = tuple(fact.name for fact in FACTS)


class TestRandomPrograms:
    @settings(suppress_health_check=[HealthCheck.too_slow])
    @given(full_programs())
    def test_unused_labels_change_nothing(self, program: Program) -> None:
        """Labels of facts and categories a program does not use leave its explain as it was."""
        update: dict[str, object] = {"facts": (
            Fact(name="zz_unused", type="str", values=("a", "b"), labels={"en": "unused"},
                 value_labels={"a": {"en": "value a"}}),)}
        if program.goodwill is not None:
            update["goodwill"] = program.goodwill.model_copy(update={
                "categories": (*program.goodwill.categories, "zz_own"),
                "category_labels": {"zz_own": {"en": "own category"}}})
        labelled = Program.model_validate(program.model_copy(update=update).model_dump())
        assert labelled.explain() == program.explain()


# -- trace lines -------------------------------------------------------------------------------

class TestTraceLines:
    """A decision's trace says a failed condition in the program's words, in every family and
    on both ways a purchase rule is decided (the simple rule's and the general earner's)."""

    def _program(self, labelled: bool) -> Program:
        from reciprocity import PointsForEvent, PointsPerAmount

        zone = Fact(name="shop_zone", type="str",
                    labels={"en": "delivery area"} if labelled else {},
                    value_labels={"eu": {"en": "the EU"}} if labelled else {})
        in_eu = FactIs(fact="shop_zone", value="eu")
        tea = Gift(id="tea", name="tea sample", kind="sample", value=Money("1.00", "EUR"))
        return Program(
            name="Shop", currency="EUR", timezone="Europe/Berlin", facts=(zone,),
            points=PointScheme(
                earn=[PointsPerPurchase(id="simple", points=1, when=in_eu),
                      PointsPerAmount(id="general", points=1, per=Money("1.00", "EUR"),
                                      when=in_eu)],
                events=[PointsForEvent(id="app", on="custom", name="app_install", points=5,
                                       when=in_eu)]),
            gifts=GiftScheme(rules=(OrderOverGift(id="big", amount=Money("1.00", "EUR"),
                                                  gift=tea, when=in_eu),)),
            goodwill=GoodwillPolicy(rules=(GoodwillRule(
                id="sorry", compensation=CreditCompensation(value=Money("5.00", "EUR")),
                when=in_eu),)))

    def _skips(self, program: Program) -> dict[str, str]:
        from datetime import datetime
        from zoneinfo import ZoneInfo

        from reciprocity import Complaint, Custom, Purchase

        at = datetime(2026, 3, 1, 12, tzinfo=ZoneInfo("Europe/Berlin"))
        meta = {"shop_zone": "us"}
        events = [Purchase(id="A-1", member_id="m-1", at=at, amount=Money("20.00", "EUR"),
                           metadata=meta),
                  Custom(id="C-1", member_id="m-1", at=at, name="app_install", metadata=meta),
                  Complaint(id="K-1", member_id="m-1", at=at, category="late_delivery",
                            metadata=meta)]
        state, skips = None, {}
        for event in events:
            decision = program.apply(state, event)
            state = decision.state
            skips.update({t.rule_id: t.detail for t in decision.trace
                          if t.outcome == "skipped"})
        return skips

    def test_labelled(self) -> None:
        said = "condition not met: delivery area is the EU"
        skips = self._skips(self._program(labelled=True))
        assert {rule: skips.get(rule) for rule in ("simple", "general", "app", "big", "sorry")
                } == dict.fromkeys(("simple", "general", "app", "big", "sorry"), said)

    def test_unlabelled_as_describe_says(self) -> None:
        said = "condition not met: shop zone is eu"
        assert FactIs(fact="shop_zone", value="eu").describe() == said[len("condition not met: "):]
        skips = self._skips(self._program(labelled=False))
        assert {rule: skips.get(rule) for rule in ("simple", "general", "app", "big", "sorry")
                } == dict.fromkeys(("simple", "general", "app", "big", "sorry"), said)
