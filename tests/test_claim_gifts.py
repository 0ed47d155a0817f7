"""Claim gifts (a ``Custom`` event claims a gift, no purchase needed), ``ChannelIs`` on a
claim's channel, and ``LineFact`` over an order's lines: every documented scenario."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from reciprocity import (
    AmountOver,
    Budget,
    Cap,
    ChannelIs,
    ClaimGift,
    ConditionNeverApplies,
    Custom,
    Event,
    Fact,
    FactIs,
    FactTypeMismatch,
    Gift,
    GiftGranted,
    GiftScheme,
    InCategory,
    InvalidFact,
    InvalidProgram,
    Line,
    LineFact,
    MemberState,
    MinSpend,
    Money,
    OrderOverGift,
    Period,
    Program,
    Purchase,
    Return,
    ReturnedLine,
    SharedState,
    Stock,
    Tier,
    TierGift,
    TierLadder,
    UnknownFact,
    gift_eligibility,
    program_json_schema,
)

BERLIN = ZoneInfo("Europe/Berlin")
SAMPLE = Gift(id="sample", name="perfume sample", kind="sample", value=Money("3.00", "EUR"),
              stock="samples")
DISCOUNTED = Fact(name="discounted", type="bool", on="line")


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def at(y: int, mo: int, d: int, h: int = 12) -> datetime:
    return datetime(y, mo, d, h, tzinfo=BERLIN)


def program(*rules: Any, units: int = 100, budgets: Sequence[Budget] = (),
            facts: Sequence[Fact] = ()) -> Program:
    return Program(name="Samples", version="1", currency="EUR", timezone="Europe/Berlin",
                   facts=tuple(facts), gifts=GiftScheme(
                       rules=rules, budgets=tuple(budgets),
                       stock=(Stock(id="samples", units=units),)))


def claim(eid: str, when: datetime, channel: str | None = "store", member: str = "m-1",
          name: str = "sample_claimed", **extra: Any) -> Custom:
    return Custom(id=eid, member_id=member, at=when, name=name, channel=channel, **extra)


def buy(eid: str, amount: str, when: datetime, channel: str | None = None,
        lines: Sequence[Line] = (), member: str = "m-1") -> Purchase:
    return Purchase(id=eid, member_id=member, at=when, amount=eur(amount), channel=channel,
                    lines=tuple(lines))


def line(sku: str, price: str, quantity: int = 1, category: str | None = None,
         **metadata: Any) -> Line:
    return Line(sku=sku, quantity=quantity, unit_price=eur(price), category=category,
                metadata=metadata)


def run(prog: Program, events: Iterable[Event]) -> tuple[list[GiftGranted], list[str],
                                                          dict[str, MemberState],
                                                          SharedState | None]:
    """Apply the events one by one: the grants, the skip reasons, the states, the shared."""
    states: dict[str, MemberState] = {}
    shared = None
    granted: list[GiftGranted] = []
    skipped: list[str] = []
    for event in events:
        decision = prog.apply(states.get(event.member_id), event, shared=shared)
        states[event.member_id], shared = decision.state, decision.shared
        granted += [e for e in decision.effects if isinstance(e, GiftGranted)]
        skipped += [t.detail for t in decision.trace if t.outcome == "skipped"]
    return granted, skipped, states, shared


IN_STORE = ClaimGift(id="claim", on="sample_claimed", gift=SAMPLE,
                     when=ChannelIs(channels=("store",)), cap=Cap(count=1, per=Period.MONTH))
ONLINE = OrderOverGift(id="online", amount=eur("30.00"), inclusive=True, gift=SAMPLE,
                       when=ChannelIs(channels=("web",)), cap=Cap(count=1, per=Period.MONTH))


class TestClaimGift:
    def test_a_claim_gives_the_gift_without_a_purchase(self) -> None:
        """A Custom event with the rule's name gives the gift, explained, sourced by the
        claim's id."""
        granted, _, _, _ = run(program(IN_STORE), [claim("c-1", at(2026, 3, 1))])
        assert [(g.gift_id, g.event_id, g.value) for g in granted] == [
            ("sample", "c-1", eur("3.00"))]
        assert granted[0].reason == "Gift for claim c-1 (sample_claimed): perfume sample " \
            "worth 3.00 EUR"

    def test_another_custom_event_claims_nothing(self) -> None:
        """Only the named event claims the gift; another Custom event is skipped, saying
        why."""
        granted, skipped, _, _ = run(program(IN_STORE),
                                     [claim("c-1", at(2026, 3, 1), name="review_written")])
        assert granted == []
        assert "event c-1 is not a 'sample_claimed' claim" in skipped

    def test_cap_per_month_refuses_a_second_claim(self) -> None:
        """At most 1 per calendar month: the second claim in March gives nothing, April's
        does; the cap counts in the program's zone (1 April 00:30 Berlin is April)."""
        granted, skipped, _, _ = run(program(IN_STORE), [
            claim("c-1", at(2026, 3, 1)), claim("c-2", at(2026, 3, 31, 23)),
            claim("c-3", datetime(2026, 4, 1, 0, 30, tzinfo=BERLIN))])
        assert [g.event_id for g in granted] == ["c-1", "c-3"]
        assert "perfume sample not given: at most 1 per month: 1 used" in skipped

    def test_cooldown(self) -> None:
        """A cooldown counts from the last claim given, in calendar days."""
        rule = ClaimGift(id="claim", on="sample_claimed", gift=SAMPLE, cooldown_days=7)
        granted, _, _, _ = run(program(rule), [
            claim("c-1", at(2026, 3, 1)), claim("c-2", at(2026, 3, 7)),
            claim("c-3", at(2026, 3, 8))])
        assert [g.event_id for g in granted] == ["c-1", "c-3"]

    def test_stock_is_shared_with_the_online_rule(self) -> None:
        """Claims in store and online orders draw on one stock: when it is used up, neither
        gives."""
        granted, skipped, _, shared = run(program(IN_STORE, ONLINE, units=2), [
            claim("c-1", at(2026, 3, 1), member="a"),
            buy("o-1", "30.00", at(2026, 3, 1), channel="web", member="b"),
            claim("c-2", at(2026, 3, 2), member="c"),
            buy("o-2", "45.00", at(2026, 3, 2), channel="web", member="d")])
        assert [g.member_id for g in granted] == ["a", "b"]
        assert shared is not None
        assert shared.stock_used == {"samples": 2}
        assert sum("stock" in s for s in skipped) == 2

    def test_budget(self) -> None:
        """A count budget per month pays for claims; used up, a claim is skipped."""
        rule = ClaimGift(id="claim", on="sample_claimed", gift=SAMPLE, budget="month")
        granted, _, _, _ = run(program(rule, budgets=(
            Budget(id="month", count=1, per=Period.MONTH, when_exhausted="skip"),)), [
            claim("c-1", at(2026, 3, 1), member="a"), claim("c-2", at(2026, 3, 2), member="b"),
            claim("c-3", at(2026, 4, 2), member="b")])
        assert [(g.member_id, g.event_id) for g in granted] == [("a", "c-1"), ("b", "c-3")]

    def test_the_same_claim_twice_counts_once(self) -> None:
        """Idempotent by event id: a claim sent again gives nothing more."""
        prog = program(ClaimGift(id="claim", on="sample_claimed", gift=SAMPLE))
        first = prog.apply(None, claim("c-1", at(2026, 3, 1)), shared=None)
        again = prog.apply(first.state, claim("c-1", at(2026, 3, 1)), shared=first.shared)
        assert [type(e).__name__ for e in first.effects] == ["GiftGranted"]
        assert not any(isinstance(e, GiftGranted) for e in again.effects)
        assert again.state == first.state


class TestChannels:
    def test_online_needs_an_order_in_store_does_not(self) -> None:
        """One program: in store a claim is enough; online an order of at least 30 EUR
        (exactly 30.00 qualifies, 29.99 does not); a store order is no online order, and a
        web claim no store claim."""
        prog = program(IN_STORE, ONLINE)
        granted, _, _, _ = run(prog, [
            claim("c-store", at(2026, 3, 1), member="store"),
            claim("c-web", at(2026, 3, 1), channel="web", member="web-claim"),
            buy("o-low", "29.99", at(2026, 3, 1), channel="web", member="low"),
            buy("o-30", "30.00", at(2026, 3, 1), channel="web", member="exact"),
            buy("o-store", "80.00", at(2026, 3, 1), channel="store", member="till")])
        assert [g.member_id for g in granted] == ["store", "exact"]

    def test_a_claim_without_channel_is_no_store_claim(self) -> None:
        """A Custom event without a channel does not meet ChannelIs."""
        granted, skipped, _, _ = run(program(IN_STORE), [claim("c-1", at(2026, 3, 1),
                                                               channel=None)])
        assert granted == []
        assert "condition not met: channel is store" in skipped

    def test_any_of_channels_in_one_rule(self) -> None:
        """AnyOf: a claim in store or at a pop-up gives it; online does not."""
        rule = ClaimGift(id="claim", on="sample_claimed", gift=SAMPLE,
                         when=ChannelIs(channels=("store",)) | ChannelIs(channels=("popup",)))
        granted, _, _, _ = run(program(rule), [
            claim("c-1", at(2026, 3, 1), member="a"),
            claim("c-2", at(2026, 3, 1), channel="popup", member="b"),
            claim("c-3", at(2026, 3, 1), channel="web", member="c")])
        assert [g.member_id for g in granted] == ["a", "b"]

    def test_channel_is_the_channel_fact(self) -> None:
        """The ``channel`` fact reads a claim's channel too."""
        custom = claim("c-1", at(2026, 3, 1))
        assert Custom.model_validate(custom.model_dump(mode="json")) == custom
        assert custom.channel == "store"

    @pytest.mark.parametrize("when", [
        AmountOver(amount=eur("30.00")),
        LineFact(fact="discounted", value=True),
        ChannelIs(channels=("store",)) & AmountOver(amount=eur("30.00")),
    ], ids=["amount", "line-fact", "all-of"])
    def test_an_order_condition_on_a_claim_is_refused(self, when: Any) -> None:
        """A claim carries no amount and no lines: a condition on them could never hold,
        so the program is refused when it is built, naming the rule and the part."""
        rule = ClaimGift(id="claim", on="sample_claimed", gift=SAMPLE, when=when)
        with pytest.raises(ConditionNeverApplies, match=r"gift rule 'claim' when: .* needs "
                           r"purchase events, but this rule only meets custom events") as info:
            program(rule, facts=(DISCOUNTED,))
        assert info.value.code == "condition-never-applies"


class TestDeclaration:
    def test_describe(self) -> None:
        """The rule describes itself in plain words."""
        assert IN_STORE.describe() == ("perfume sample worth 3.00 EUR when you claim it "
                                       "(sample_claimed); when channel is store; "
                                       "at most 1 per month")

    def test_json_round_trip_and_schema(self) -> None:
        """A program with a claim gift and a line fact saves to JSON and loads back equal;
        the schema knows both type tags."""
        rule = OrderOverGift(id="over", amount=eur("30.00"), gift=SAMPLE,
                             when=LineFact(fact="discounted", value=False, match="all"))
        prog = program(IN_STORE, rule, facts=(DISCOUNTED,))
        again = Program.model_validate_json(prog.model_dump_json())
        assert again == prog
        text = str(program_json_schema())
        assert "'claim'" in text
        assert "'line_fact'" in text

    def test_bad_event_name_refused(self) -> None:
        """``on`` is an id: an empty name is refused with the field named."""
        with pytest.raises(InvalidProgram, match="on"):
            ClaimGift(id="claim", on="", gift=SAMPLE)

    def test_eligibility_lists_the_claim(self) -> None:
        """The eligibility report lists a claim gift with what is missing: a claim, where
        its condition holds."""
        prog = program(IN_STORE)
        _, _, states, shared = run(prog, [buy("o-1", "5.00", at(2026, 3, 1))])
        options = gift_eligibility(prog, states["m-1"], at(2026, 3, 2), shared=shared)
        assert [(o.rule_id, o.missing) for o in options] == [
            ("claim", ("a claim (sample_claimed) where channel is store",))]
        assert options[0].needs[0].key == "claim"


@pytest.mark.skipif(importlib.util.find_spec("babel") is None,
                    reason="terms need Babel: pip install 'reciprocity[i18n]'")
class TestTerms:
    def test_terms_en_and_de(self) -> None:
        """The terms say the claim gift and the line condition in English and German."""
        rule = OrderOverGift(id="over", amount=eur("30.00"), gift=SAMPLE,
                             when=LineFact(fact="discounted", value=False, match="all"))
        prog = program(IN_STORE, rule, facts=(DISCOUNTED,))
        en, de = prog.terms("en"), prog.terms("de")
        assert "When you claim it (“sample_claimed”), you get" in en
        assert "to orders in which for every line “discounted” is no" in en
        assert "Wenn Sie es anfordern („sample_claimed“), erhalten Sie" in de
        assert "für Einkäufe, bei denen für jede Position gilt: „discounted“ ist nein" in de

    @pytest.mark.parametrize(("op", "value", "en", "de"), [
        ("==", 2, "is 2", "ist 2"),
        ("!=", 2, "is not 2", "ist nicht 2"),
        ("<", 2, "is under 2", "liegt unter 2"),
        ("<=", 2, "is at most 2", "ist höchstens 2"),
        (">", 2, "is over 2", "liegt über 2"),
        (">=", 1000, "is at least 1,000", "ist mindestens 1.000"),
        ("in", (1, 2), "is one of 1 or 2", "ist eines von 1 oder 2"),
    ])
    def test_line_fact_terms_every_op(self, op: str, value: Any, en: str, de: str) -> None:
        """Each comparison has a phrase in each locale; numbers in the locale's format."""
        rule = OrderOverGift(id="over", amount=eur("30.00"), gift=SAMPLE,
                             when=LineFact(fact="quantity", op=op, value=value))
        prog = program(rule)
        assert f"to orders with at least one line where “quantity” {en}" in prog.terms("en")
        assert f"Position, bei der gilt: „quantity“ {de}" in prog.terms("de")


class TestLineFact:
    RULE = OrderOverGift(id="full-price", amount=eur("0.00"), gift=SAMPLE,
                         when=LineFact(fact="discounted", value=False, match="all"))
    ANY = OrderOverGift(id="sale", amount=eur("0.00"), gift=SAMPLE,
                        when=LineFact(fact="discounted", value=True))

    def members(self, rule: OrderOverGift, *orders: Sequence[Line]) -> list[str]:
        prog = program(rule, facts=(DISCOUNTED,))
        granted, _, _, _ = run(prog, [buy(f"o-{n}", "10.00", at(2026, 3, 1), lines=lines,
                                          member=f"m{n}") for n, lines in enumerate(orders)])
        return [g.member_id for g in granted]

    def test_all_lines(self) -> None:
        """``all``: every line must carry the fact and meet it; a line not marked does not;
        an order without lines meets nothing."""
        assert self.members(
            self.RULE,
            [line("a", "5.00", discounted=False), line("b", "5.00", discounted=False)],
            [line("a", "5.00", discounted=False), line("b", "5.00", discounted=True)],
            [line("a", "5.00", discounted=False), line("b", "5.00")],
            [],
        ) == ["m0"]

    def test_any_line(self) -> None:
        """``any``: one line meeting it is enough."""
        assert self.members(
            self.ANY,
            [line("a", "5.00", discounted=False), line("b", "5.00", discounted=True)],
            [line("a", "5.00", discounted=False), line("b", "5.00")],
            [line("a", "5.00")],
            [],
        ) == ["m0"]

    def test_line_fields(self) -> None:
        """A line's own fields: category in a list, unit price compared as money."""
        rule = OrderOverGift(id="tea", amount=eur("0.00"), gift=SAMPLE,
                             when=LineFact(fact="category", op="in", value=("tea", "coffee"),
                                           match="all")
                             & LineFact(fact="unit_price", op=">=", value=eur("5.00")))
        assert self.members(
            rule,
            [line("a", "5.00", category="tea"), line("b", "1.00", category="coffee")],
            [line("a", "4.99", category="tea"), line("b", "1.00", category="cake")],
            [line("a", "4.99", category="tea")],
        ) == ["m0"]

    def test_describe(self) -> None:
        """Plain words, any and all."""
        assert self.RULE.describe() == (
            "perfume sample worth 3.00 EUR with every order over 0.00 EUR; when every "
            "order line's discounted is false")

    def test_unknown_fact_refused(self) -> None:
        """A line fact nobody declared is refused when the program is built, with the
        nearest name."""
        rule = OrderOverGift(id="o", amount=eur("0.00"), gift=SAMPLE,
                             when=LineFact(fact="discount", value=True))
        with pytest.raises(UnknownFact, match=r"did you mean 'line\.discounted'"):
            program(rule, facts=(DISCOUNTED,))

    @pytest.mark.parametrize(("when", "match"), [
        (LineFact(fact="discounted", value="yes"), "is true or false"),
        (LineFact(fact="discounted", op="<", value=True), "compares sizes"),
        (LineFact(fact="quantity", value="2"), "is a whole number"),
    ])
    def test_wrong_type_refused(self, when: LineFact, match: str) -> None:
        """A value of the wrong type, or a size comparison of a yes/no fact, is refused."""
        rule = OrderOverGift(id="o", amount=eur("0.00"), gift=SAMPLE, when=when)
        with pytest.raises(FactTypeMismatch, match=match):
            program(rule, facts=(DISCOUNTED,))

    def test_op_and_value_must_agree(self) -> None:
        """``in`` takes a list, the others one value."""
        with pytest.raises(InvalidProgram, match="op 'in' takes a list"):
            LineFact(fact="sku", op="in", value="a")
        with pytest.raises(InvalidProgram, match="use op='in'"):
            LineFact(fact="sku", value=("a", "b"))

    def test_a_wrong_line_value_refuses_the_event(self) -> None:
        """A line that carries a declared fact with a wrong value is refused, and the state
        is unchanged."""
        prog = program(self.RULE, facts=(DISCOUNTED,))
        with pytest.raises(InvalidFact, match=r"lines\[0\].metadata\['discounted'\]"):
            prog.apply(None, buy("o-1", "10.00", at(2026, 3, 1),
                                 lines=[line("a", "10.00", discounted="yes")]))


class TestLineConditionsOnOtherEvents:
    """A tier gift meets every event, so its line condition is asked on returns (whose lines
    name SKUs only) and claims (no lines): false there, never an error."""

    @pytest.mark.parametrize("when", [
        InCategory(categories=("tea",)),
        LineFact(fact="category", value="tea"),
        LineFact(fact="discounted", value=True, match="all"),
        FactIs(fact="line.category", value="tea"),
    ], ids=["in-category", "line-fact", "line-fact-all", "fact-is-line"])
    def test_return_with_lines_and_claim(self, when: Any) -> None:
        """A purchase, a return with lines, a claim: the condition holds only on the
        purchase with a tea line."""
        prog = Program(name="T", currency="EUR", timezone="UTC", facts=(DISCOUNTED,),
                       tiers=TierLadder(id="tiers", tiers=(Tier(
                           id="bronze", name="Bronze", requires=MinSpend(amount=eur("1.00"))),)),
                       gifts=GiftScheme(rules=(TierGift(id="t", reached=("bronze",), when=when,
                                                        gift=SAMPLE.model_copy(
                                                            update={"stock": None})),)))
        when_at = at(2026, 3, 1)
        coffee = (line("SKU-1", "1.00", category="coffee", discounted=False),)
        granted, _, _, _ = run(prog, [
            buy("P-1", "1.00", when_at, lines=coffee),
            Return(id="R-1", member_id="m-1", at=when_at, purchase_id="P-1", amount=eur("1.00"),
                   lines=(ReturnedLine(sku="SKU-1", quantity=1),)),
            claim("C-1", when_at),
            buy("P-2", "3.00", at(2026, 3, 2),
                lines=(line("SKU-2", "3.00", category="tea", discounted=True),))])
        assert [g.event_id for g in granted] == ["P-2"]
