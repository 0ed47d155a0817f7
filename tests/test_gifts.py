"""Gift-eligibility triggers: every trigger, limits, revocation, calendar edges, eligibility."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from reciprocity import (
    AnniversaryGift,
    BirthdayGift,
    Budget,
    Cap,
    CategoryGift,
    CategorySample,
    ChannelIs,
    ConditionNeverApplies,
    DriftRule,
    Effect,
    Event,
    FeedbackRequest,
    FirstOrderGift,
    Gift,
    GiftGranted,
    GiftRevoked,
    GiftScheme,
    HasConsent,
    InvalidProgram,
    Line,
    MemberState,
    MessageSuggested,
    Money,
    NthOrderGift,
    OrderOverGift,
    Period,
    ProfileUpdate,
    Program,
    Purchase,
    PurchaseColumns,
    Return,
    ReturnedLine,
    SeasonalGift,
    SharedState,
    SignUp,
    Stock,
    SurpriseGift,
    ThankYouGift,
    TierGift,
    WelcomeGift,
    gift_eligibility,
    program_json_schema,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def a_gift(gid: str = "tea", name: str = "tea sample", kind: str = "sample",
           value: str = "2.50", **extra: Any) -> Gift:
    return Gift(id=gid, name=name, kind=kind, value=eur(value), **extra)


VOUCHER = a_gift("v5", "birthday voucher", "voucher", "5.00")
TEA = a_gift()


def program(*rules: Any, budgets: Sequence[Budget] = (), stock: Sequence[Stock] = (),
            timezone: str = "Europe/Berlin", name: str = "Tea club",
            version: str = "1") -> Program:
    return Program(name=name, version=version, currency="EUR", timezone=timezone,
                   gifts=GiftScheme(rules=rules, budgets=tuple(budgets), stock=tuple(stock)))


def at(y: int, mo: int, d: int, h: int = 12, mi: int = 0, zone: ZoneInfo = BERLIN) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=zone)


def buy(eid: str, amount: str, when: datetime, member: str = "m-1",
        lines: Sequence[Line] = (), channel: str | None = None) -> Purchase:
    return Purchase(id=eid, member_id=member, at=when, amount=eur(amount), lines=tuple(lines),
                    channel=channel)


def line(sku: str, category: str, price: str, quantity: int = 1) -> Line:
    return Line(sku=sku, category=category, quantity=quantity, unit_price=eur(price))


def signup(eid: str, when: datetime, member: str = "m-1", birthday: date | None = None,
           consents: Sequence[str] = ()) -> SignUp:
    return SignUp(id=eid, member_id=member, at=when, birthday=birthday,
                  consents=tuple(consents))


def profile(eid: str, when: datetime, member: str = "m-1", **fields: Any) -> ProfileUpdate:
    return ProfileUpdate(id=eid, member_id=member, at=when, **fields)


def give_back(eid: str, purchase: str, when: datetime, amount: str | None = None,
              member: str = "m-1") -> Return:
    return Return(id=eid, member_id=member, at=when, purchase_id=purchase,
                  amount=None if amount is None else eur(amount))


@dataclass
class Run:
    """Events applied one by one with ``apply`` (and ``advance`` at the end)."""

    states: dict[str, MemberState] = field(default_factory=dict)
    shared: SharedState | None = None
    effects: list[Effect] = field(default_factory=list)
    trace: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def state(self) -> MemberState:
        return self.states["m-1"]

    def granted(self, member: str | None = None) -> list[GiftGranted]:
        return [e for e in self.effects if isinstance(e, GiftGranted)
                and (member is None or e.member_id == member)]

    def skipped(self, rule_id: str) -> list[str]:
        return [d for r, o, d in self.trace if r == rule_id and o == "skipped"]


def run(prog: Program, events: Iterable[Event], until: datetime | None = None,
        into: Run | None = None) -> Run:
    result = into or Run()
    for event in events:
        decision = prog.apply(result.states.get(event.member_id), event, shared=result.shared)
        result.states[event.member_id] = decision.state
        result.shared = decision.shared
        result.effects += decision.effects
        result.trace += [(t.rule_id, t.outcome, t.detail) for t in decision.trace]
    if until is not None:
        for member, state in sorted(result.states.items()):
            decision = prog.advance(state, until, shared=result.shared)
            result.states[member] = decision.state
            result.shared = decision.shared
            result.effects += decision.effects
            result.trace += [(t.rule_id, t.outcome, t.detail) for t in decision.trace]
    return result


def grant_ids(effects: Iterable[Effect]) -> list[str]:
    return [e.grant_id for e in effects if isinstance(e, GiftGranted)]


class TestDeclarations:
    def test_scheme_round_trips_through_json(self) -> None:
        """A program with every kind of gift rule saves to JSON and loads back equal."""
        prog = program(
            FirstOrderGift(id="first", gift=TEA),
            NthOrderGift(id="nth", every=5, gift=TEA),
            OrderOverGift(id="over", amount=eur("80.00"), gift=TEA, on_return="charge_back"),
            CategoryGift(id="cat", samples=(CategorySample(category="tea", gift=TEA),)),
            SurpriseGift(id="luck", probability=Decimal("0.05"), gift=TEA),
            WelcomeGift(id="welcome", gift=VOUCHER, consents=("email",)),
            BirthdayGift(id="bday", gift=VOUCHER, window="month", leap_day="mar1"),
            AnniversaryGift(id="anniv", gift=VOUCHER, years=(1, 5)),
            TierGift(id="gold", reached=("gold",), gift=TEA),
            SeasonalGift(id="xmas", start="12-01", end="12-24", top_percent=Decimal(10),
                         gift=a_gift("basket", "Christmas basket", "physical", "40.00",
                                     stock="baskets"), budget="xmas"),
            ThankYouGift(id="thanks", orders=5, gift=VOUCHER, cap=Cap(count=1, per=Period.YEAR)),
            DriftRule(id="drift", quiet_days=90, message=FeedbackRequest(id="m", text="Hi"),
                      when=HasConsent(consent="email")),
            budgets=(Budget(id="xmas", count=200, per=Period.YEAR),),
            stock=(Stock(id="baskets", units=200),),
        )
        again = Program.model_validate_json(prog.model_dump_json())
        assert again.model_dump() == prog.model_dump()
        assert again.uses_shared_state

    def test_json_schema_has_gift_rules(self) -> None:
        """The published schema knows every gift rule's type tag."""
        text = str(program_json_schema())
        for tag in ("first_order", "nth_order", "order_over", "order_category", "surprise",
                    "welcome", "birthday", "anniversary", "tier_reached", "seasonal",
                    "thank_you", "drift"):
            assert f"'{tag}'" in text

    def test_explain_lists_rules_budgets_and_stock(self) -> None:
        """Program.explain says every gift, budget and stock in plain words."""
        prog = program(
            OrderOverGift(id="over", amount=eur("80.00"), gift=TEA, budget="samples",
                          cap=Cap(count=2, per=Period.MONTH), cooldown_days=7),
            budgets=(Budget(id="samples", amount=eur("100.00"), per=Period.MONTH),),
            stock=(Stock(id="boxes", units=20),),
        )
        assert prog.explain().splitlines()[-6:] == [
            "Gifts:",
            "- tea sample worth 2.50 EUR with every order over 80.00 EUR; at most 2 per month; "
            "at most once every 7 days; while the samples budget lasts",
            "Gift budgets:",
            "- samples: at most 100.00 EUR in value per month",
            "Gift stock:",
            "- boxes: 20 units in stock",
        ]

    def test_program_without_budgets_keeps_no_shared_state(self) -> None:
        """Only budgets, stock or a ranking make a program use shared state."""
        assert not program(OrderOverGift(id="o", amount=eur("1"), gift=TEA)).uses_shared_state
        assert program(OrderOverGift(id="o", amount=eur("1"), gift=TEA, budget="b"),
                       budgets=(Budget(id="b", count=1),)).uses_shared_state
        assert program(SeasonalGift(id="s", start="12-01", end="12-02", gift=TEA,
                                    top_percent=Decimal(5))).uses_shared_state

    @pytest.mark.parametrize(("build", "fragment"), [
        (lambda: GiftScheme(rules=(OrderOverGift(id="o", amount=eur("5"), gift=TEA,
                                                 budget="nope"),)),
         "names budget 'nope', which is not declared"),
        (lambda: GiftScheme(rules=(FirstOrderGift(id="f", gift=a_gift(stock="s")),)),
         "names stock 's', which is not declared"),
        (lambda: GiftScheme(budgets=(Budget(id="b", count=1, when_exhausted="approval"),)),
         "use when_exhausted='skip'"),
        (lambda: GiftScheme(rules=(FirstOrderGift(id="f", gift=TEA),
                                   FirstOrderGift(id="f", gift=TEA))),
         "two entries with id 'f'"),
        (lambda: SeasonalGift(id="s", start="02-29", end="03-01", gift=TEA),
         "use '02-28' or '03-01'"),
        (lambda: SeasonalGift(id="s", start="12/01", end="12-24", gift=TEA),
         "write 'MM-DD'"),
        (lambda: SeasonalGift(id="s", start="13-01", end="12-24", gift=TEA), "is not a date"),
        (lambda: ThankYouGift(id="t", gift=TEA), "give orders, spend or both"),
        (lambda: a_gift(value="-1.00"), "cannot be negative"),
        (lambda: SurpriseGift(id="s", probability=Decimal(0), gift=TEA), "probability"),
        (lambda: SurpriseGift(id="s", probability=Decimal("1.5"), gift=TEA), "probability"),
        (lambda: NthOrderGift(id="n", every=1, gift=TEA), "every"),
        (lambda: OrderOverGift(id="o", amount=eur("5"), gift=TEA, cooldown_days=0),
         "cooldown_days"),
        (lambda: CategoryGift(id="c", samples=(CategorySample(category="tea", gift=TEA),
                                               CategorySample(category="tea", gift=TEA))),
         "category 'tea' twice"),
        (lambda: Program(name="p", currency="USD", gifts=GiftScheme(rules=(
            FirstOrderGift(id="f", gift=TEA),))), "is in EUR but the program uses USD"),
        (lambda: Program(name="p", currency="USD", gifts=GiftScheme(rules=(
            OrderOverGift(id="o", amount=Money("5", "USD"), cap=Cap(amount=eur("5")),
                          gift=Gift(id="g", name="g", kind="sample", value=Money("1", "USD"))),
        ))), "cap amount"),
    ])
    def test_invalid_policies_are_refused(self, build: Any, fragment: str) -> None:
        """Each invalid declaration raises InvalidProgram naming the problem and the fix."""
        with pytest.raises(InvalidProgram, match=re.escape(fragment)) as info:
            build()
        assert info.value.code == "invalid-program"


class TestFirstOrder:
    PROGRAM = program(FirstOrderGift(id="first", gift=a_gift("mug", "mug", "physical", "8.00")))

    def test_first_order_gets_the_gift_once(self) -> None:
        """Only the first order triggers it; the effect names the gift and its value."""
        result = run(self.PROGRAM, [buy("A-1", "10", at(2026, 3, 1)),
                                    buy("A-2", "10", at(2026, 3, 2))])
        [effect] = result.granted()
        assert (effect.rule_id, effect.event_id, effect.value, effect.kind) == (
            "first", "A-1", eur("8.00"), "physical")
        assert effect.reason == "First-order gift with order A-1: mug worth 8.00 EUR"
        assert result.skipped("first") == ["order A-2 is not the member's first order"]

    def test_condition_is_checked(self) -> None:
        """A `when` condition that fails skips the gift, with the reason in the trace."""
        prog = program(FirstOrderGift(id="first", gift=TEA, when=ChannelIs(channels=("web",))))
        result = run(prog, [buy("A-1", "10", at(2026, 3, 1), channel="store")])
        assert result.granted() == []
        assert result.skipped("first") == ["condition not met: channel is web"]

    def test_kept_on_full_return_by_default(self) -> None:
        """on_return defaults to keep for first-order gifts."""
        result = run(self.PROGRAM, [buy("A-1", "10", at(2026, 3, 1)),
                                    give_back("R-1", "A-1", at(2026, 3, 2))])
        assert [type(e) for e in result.effects] == [GiftGranted]

    def test_revoked_on_full_return_when_declared(self) -> None:
        """With on_return='revoke' a full return takes the gift back; a partial one does not."""
        prog = program(FirstOrderGift(id="first", gift=TEA, on_return="revoke"))
        result = run(prog, [buy("A-1", "10", at(2026, 3, 1)),
                            give_back("R-1", "A-1", at(2026, 3, 2), "4.00"),
                            give_back("R-2", "A-1", at(2026, 3, 3))])
        revoked = [e for e in result.effects if isinstance(e, GiftRevoked)]
        assert [(e.event_id, e.reason) for e in revoked] == [
            ("R-2", "tea sample from order A-1 taken back: the order was returned in full")]
        assert result.state.gifts is not None
        assert result.state.gifts.grants[0].revoked


class TestNthOrder:
    def test_every_third_order(self) -> None:
        """Orders 3 and 6 get the gift, the others do not."""
        prog = program(NthOrderGift(id="third", every=3, gift=TEA))
        events = [buy(f"A-{n}", "10", at(2026, 3, n)) for n in range(1, 8)]
        result = run(prog, events)
        assert [e.event_id for e in result.granted()] == ["A-3", "A-6"]
        assert result.granted()[0].reason == ("Gift for your 3rd order (A-3): tea sample worth "
                                              "2.50 EUR")
        assert "the gift comes with every 3rd order" in result.skipped("third")[0]


class TestOrderOver:
    def rule(self, **extra: Any) -> OrderOverGift:
        return OrderOverGift(id="over-80", amount=eur("80.00"), gift=TEA, **extra)

    @pytest.mark.parametrize(("amount", "inclusive", "given"), [
        ("80.00", False, False), ("80.01", False, True), ("80.00", True, True),
        ("79.99", True, False),
    ])
    def test_threshold(self, amount: str, inclusive: bool, given: bool) -> None:
        """'Over' is strict; inclusive=True takes the threshold itself."""
        result = run(program(self.rule(inclusive=inclusive)), [buy("A-1", amount, at(2026, 3, 1))])
        assert bool(result.granted()) is given

    def test_return_under_threshold_revokes(self) -> None:
        """A return that takes the kept amount under the threshold takes the gift back."""
        result = run(program(self.rule()), [
            buy("A-1", "100.00", at(2026, 3, 1)),
            give_back("R-1", "A-1", at(2026, 3, 2), "10.00"),
            give_back("R-2", "A-1", at(2026, 3, 3), "15.00"),
        ])
        assert result.skipped("over-80") == ["kept amount 90.00 EUR of order A-1 still earns tea "
                                             "sample"]
        [revoked] = [e for e in result.effects if isinstance(e, GiftRevoked)]
        assert revoked.reason == ("tea sample from order A-1 taken back: the kept amount "
                                  "75.00 EUR is no longer over 80.00 EUR")
        assert (revoked.grant_id, revoked.purchase_id, revoked.charged_back) == (
            "over-80@A-1", "A-1", False)

    def test_charge_back(self) -> None:
        """on_return='charge_back' keeps the gift and deducts its value from the refund."""
        result = run(program(self.rule(on_return="charge_back")), [
            buy("A-1", "100.00", at(2026, 3, 1)), give_back("R-1", "A-1", at(2026, 3, 2))])
        [revoked] = [e for e in result.effects if isinstance(e, GiftRevoked)]
        assert revoked.charged_back
        assert revoked.value == eur("2.50")
        assert revoked.reason == ("tea sample from order A-1 charged back: 2.50 EUR is deducted "
                                  "from the refund because the order was returned in full")
        assert result.state.gifts is not None
        assert result.state.gifts.grants[0].charged_back

    def test_keep(self) -> None:
        """on_return='keep' never takes the gift back."""
        result = run(program(self.rule(on_return="keep")), [
            buy("A-1", "100.00", at(2026, 3, 1)), give_back("R-1", "A-1", at(2026, 3, 2))])
        assert not [e for e in result.effects if isinstance(e, GiftRevoked)]

    def test_revocation_gives_budget_and_stock_back_per_policy(self) -> None:
        """return_budget gives the budget back; return_stock puts the unit back in stock."""
        gift = a_gift("box", "gift box", "physical", "5.00", stock="boxes")
        budgets = (Budget(id="b", count=10, per=Period.MONTH),)
        stock = (Stock(id="boxes", units=10),)
        for return_stock, used in ((True, 0), (False, 1)):
            prog = program(OrderOverGift(id="over-80", amount=eur("80.00"), gift=gift,
                                         budget="b", return_stock=return_stock),
                           budgets=budgets, stock=stock)
            result = run(prog, [buy("A-1", "100.00", at(2026, 3, 1)),
                                give_back("R-1", "A-1", at(2026, 3, 2))])
            assert result.shared is not None
            assert result.shared.budgets["b@2026-03"].count == 0
            assert result.shared.stock_used["boxes"] == used

    def test_budget_kept_when_not_given_back(self) -> None:
        """return_budget=False leaves the revoked gift counted in the budget."""
        prog = program(self.rule(budget="b", return_budget=False),
                       budgets=(Budget(id="b", count=10, per=Period.MONTH),))
        result = run(prog, [buy("A-1", "100.00", at(2026, 3, 1)),
                            give_back("R-1", "A-1", at(2026, 3, 2))])
        assert result.shared is not None
        assert result.shared.budgets["b@2026-03"].count == 1

    def test_revoked_gift_does_not_count_for_cap(self) -> None:
        """A revoked gift frees its place under the member's cap."""
        prog = program(self.rule(cap=Cap(count=1, per=Period.YEAR)))
        result = run(prog, [buy("A-1", "100.00", at(2026, 3, 1)),
                            give_back("R-1", "A-1", at(2026, 3, 2)),
                            buy("A-2", "100.00", at(2026, 3, 3)),
                            buy("A-3", "100.00", at(2026, 3, 4))])
        assert grant_ids(result.effects) == ["over-80@A-1", "over-80@A-2"]
        assert result.skipped("over-80")[-1] == ("tea sample not given: at most 1 per year: "
                                                 "1 used")


class TestCategorySamples:
    RULE = CategoryGift(id="samples", samples=(
        CategorySample(category="tea", gift=a_gift("tea-s", "tea sample")),
        CategorySample(category="coffee", gift=a_gift("coffee-s", "coffee sample")),
    ))

    def test_sample_of_the_members_top_category(self) -> None:
        """With tea and coffee in the order, the sample follows the member's top category."""
        result = run(program(self.RULE), [
            buy("A-1", "30", at(2026, 3, 1), lines=[line("C1", "coffee", "30")]),
            buy("A-2", "15", at(2026, 3, 2), lines=[line("T1", "tea", "10"),
                                                    line("C2", "coffee", "5")]),
        ])
        assert [e.gift_id for e in result.granted()] == ["coffee-s", "coffee-s"]
        assert result.granted()[1].reason == ("Sample for order A-2, matching your coffee "
                                              "purchases: coffee sample worth 2.50 EUR")

    def test_ties_go_to_the_sample_declared_first(self) -> None:
        """Equal spend: the first declared sample wins."""
        result = run(program(self.RULE), [buy("A-1", "20", at(2026, 3, 1), lines=[
            line("C1", "coffee", "10"), line("T1", "tea", "10")])])
        assert [e.gift_id for e in result.granted()] == ["tea-s"]

    def test_line_returns_change_the_ranking(self) -> None:
        """Returned lines no longer count for the member's top category."""
        result = run(program(self.RULE), [
            buy("A-1", "40", at(2026, 3, 1), lines=[line("C1", "coffee", "20", 2)]),
            Return(id="R-1", member_id="m-1", at=at(2026, 3, 2), purchase_id="A-1",
                   lines=(ReturnedLine(sku="C1", quantity=2),)),
            buy("A-2", "15", at(2026, 3, 3), lines=[line("T1", "tea", "10"),
                                                    line("C2", "coffee", "5")]),
        ])
        assert [e.gift_id for e in result.granted()] == ["coffee-s", "tea-s"]

    def test_orders_without_lines_get_no_sample(self) -> None:
        """An order without lines (or a column replay) has no category to match."""
        prog = program(self.RULE)
        assert run(prog, [buy("A-1", "15", at(2026, 3, 1))]).granted() == []
        columns = PurchaseColumns(ids=["A-1"], member_ids=["m-1"], at=[at(2026, 3, 1)],
                                  amounts=["15"], currency="EUR")
        assert list(prog.replay(columns).effects()) == []


class TestSurprise:
    def rule(self, probability: str) -> SurpriseGift:
        return SurpriseGift(id="luck", probability=Decimal(probability),
                            gift=a_gift("choc", "chocolate", "sample", "3.00"))

    def orders(self, n: int) -> list[Purchase]:
        start = at(2026, 1, 1)
        return [buy(f"A-{i}", "10", start + timedelta(hours=i)) for i in range(n)]

    def test_draw_is_reproducible(self) -> None:
        """The same program, member and orders give the same surprises, every time."""
        first = grant_ids(program(self.rule("0.3")).replay(self.orders(200)).effects())
        again = grant_ids(program(self.rule("0.3")).replay(self.orders(200)).effects())
        assert first == again
        assert 40 <= len(first) <= 80

    def test_draw_depends_on_program_version(self) -> None:
        """Another program version draws differently (the seed includes it)."""
        one = grant_ids(program(self.rule("0.3")).replay(self.orders(200)).effects())
        two = grant_ids(program(self.rule("0.3"), version="2").replay(
            self.orders(200)).effects())
        assert one != two

    def test_probability_one_always_hits(self) -> None:
        """A probability of 1 gives the gift with every order."""
        assert len(grant_ids(program(self.rule("1")).replay(self.orders(20)).effects())) == 20

    def test_miss_is_explained(self) -> None:
        """A missed draw says so in the trace, with the draw."""
        result = run(program(self.rule("0.000001")), self.orders(1))
        assert result.granted() == []
        assert result.skipped("luck")[0].startswith("surprise draw 0.")


class TestWelcome:
    RULE = WelcomeGift(id="welcome", gift=a_gift("ebook", "tea e-book", "e-book", "4.99"),
                       consents=("email",), within_days=30)

    def test_sign_up_with_consent(self) -> None:
        """A sign-up with the consent gets the welcome gift at once."""
        result = run(program(self.RULE), [signup("S-1", at(2026, 3, 1), consents=["email"])])
        [effect] = result.granted()
        assert (effect.kind, effect.reason) == ("e-book", "Welcome gift: tea e-book worth 4.99 EUR")

    def test_consent_given_later(self) -> None:
        """Without the consent it waits; a later consent within the window triggers it."""
        result = run(program(self.RULE), [
            signup("S-1", at(2026, 3, 1)),
            profile("U-1", at(2026, 3, 10), consents_granted=("email",)),
            profile("U-2", at(2026, 3, 11), consents_granted=("sms",)),
        ])
        assert result.skipped("welcome") == ["missing consent to email"]
        assert [e.event_id for e in result.granted()] == ["U-1"]

    def test_consent_after_the_window(self) -> None:
        """A consent more than within_days after joining gets nothing."""
        result = run(program(self.RULE), [
            signup("S-1", at(2026, 3, 1)),
            profile("U-1", at(2026, 4, 1), consents_granted=("email",)),
        ])
        assert result.granted() == []
        assert result.skipped("welcome")[-1] == "more than 30 days after joining on 2026-03-01"


class TestBirthday:
    def prog(self, **extra: Any) -> Program:
        return program(BirthdayGift(id="bday", gift=VOUCHER, **extra))

    def test_on_the_day_at_local_midnight(self) -> None:
        """advance() fires the gift at local midnight of the birthday, with that time as `at`."""
        prog = self.prog()
        result = run(prog, [signup("S-1", at(2026, 1, 10), birthday=date(1990, 5, 17))],
                     until=at(2026, 12, 31))
        [effect] = result.granted()
        assert effect.at == datetime(2026, 5, 17, tzinfo=BERLIN)
        assert effect.event_id is None
        assert effect.reason == "Birthday gift: birthday voucher worth 5.00 EUR, once a year"
        assert result.state.gifts is not None
        assert result.state.gifts.due["bday"] == datetime(2027, 5, 17, tzinfo=BERLIN)

    def test_once_per_year(self) -> None:
        """Over three years the gift comes three times, each on the birthday."""
        result = run(self.prog(), [signup("S-1", at(2026, 1, 10), birthday=date(1990, 5, 17))],
                     until=at(2028, 12, 31))
        assert grant_ids(result.effects) == ["bday@2026", "bday@2027", "bday@2028"]

    def test_month_window_starts_on_the_first(self) -> None:
        """window='month' gives it at the start of the birthday month."""
        result = run(self.prog(window="month"),
                     [signup("S-1", at(2026, 1, 10), birthday=date(1990, 5, 17))],
                     until=at(2026, 12, 31))
        assert [e.at for e in result.granted()] == [datetime(2026, 5, 1, tzinfo=BERLIN)]

    @pytest.mark.parametrize(("leap_day", "expected"), [
        ("feb28", [date(2026, 2, 28), date(2027, 2, 28), date(2028, 2, 29)]),
        ("mar1", [date(2026, 3, 1), date(2027, 3, 1), date(2028, 2, 29)]),
    ])
    def test_29_february(self, leap_day: str, expected: list[date]) -> None:
        """29 February birthdays fall on the declared day in other years, on the 29th in leap
        years."""
        result = run(self.prog(leap_day=leap_day),
                     [signup("S-1", at(2026, 1, 10), birthday=date(2000, 2, 29))],
                     until=at(2028, 12, 31))
        assert [e.at.astimezone(BERLIN).date() for e in result.granted()] == expected

    def test_dst_week(self) -> None:
        """A birthday on the day clocks change is given at that local midnight: UTC+1 on
        29 March 2026 (the change is at 02:00), UTC+2 on 25 October 2026; on 29 March 2027,
        the day after 2027's change, UTC+2."""
        result = run(self.prog(), [
            signup("S-1", at(2026, 1, 10), birthday=date(1990, 3, 29)),
            signup("S-2", at(2026, 1, 10), member="m-2", birthday=date(1990, 10, 25)),
        ], until=at(2027, 12, 31))
        times = {(e.member_id, e.at.year): e.at for e in result.granted()}
        assert times[("m-1", 2026)].astimezone(UTC) == datetime(2026, 3, 28, 23, tzinfo=UTC)
        assert times[("m-2", 2026)].astimezone(UTC) == datetime(2026, 10, 24, 22, tzinfo=UTC)
        assert times[("m-1", 2027)].astimezone(UTC) == datetime(2027, 3, 28, 22, tzinfo=UTC)

    def test_year_boundary_belongs_to_the_new_year_in_program_time(self) -> None:
        """A 1 January gift at local midnight (still 31 December in UTC) counts for the new
        year: a cap of 1 per year does not block it after a December gift."""
        prog = program(
            BirthdayGift(id="bday", gift=VOUCHER, cap=Cap(count=1, per=Period.YEAR)),
        )
        result = run(prog, [signup("S-1", at(2025, 6, 1), birthday=date(1990, 1, 1))],
                     until=at(2027, 1, 2))
        assert grant_ids(result.effects) == ["bday@2026", "bday@2027"]
        first = result.granted()[0].at
        assert first.astimezone(UTC) == datetime(2025, 12, 31, 23, tzinfo=UTC)

    def test_sign_up_on_the_birthday(self) -> None:
        """Signing up on the birthday gives the gift in the same decision."""
        decision = self.prog().apply(None, signup("S-1", at(2026, 5, 17, 15),
                                                  birthday=date(1990, 5, 17)))
        assert grant_ids(decision.effects) == ["bday@2026"]

    def test_recent_change_does_not_trigger(self) -> None:
        """Anti-gaming: a birthday set (at sign-up too) or changed fewer than N days before
        is ignored for that year; the next year it counts."""
        prog = self.prog(ignore_changed_days=30)
        result = run(prog, [
            signup("S-1", at(2026, 1, 10), birthday=date(1990, 1, 20)),
            profile("U-1", at(2026, 5, 10), birthday=date(1990, 5, 20)),
        ], until=at(2027, 12, 31))
        assert grant_ids(result.effects) == ["bday@2027"]
        assert result.skipped("bday") == [
            "birthday 2026: birthday changed on 2026-01-10, less than 30 days before",
            "birthday 2026: birthday changed on 2026-05-10, less than 30 days before"]

    def test_unchanged_birthday_in_profile_update_is_not_a_change(self) -> None:
        """Re-sending the same birthday does not restart the anti-gaming wait."""
        prog = self.prog(ignore_changed_days=30)
        result = run(prog, [
            signup("S-1", at(2026, 1, 10), birthday=date(1990, 5, 20)),
            profile("U-1", at(2026, 5, 10), birthday=date(1990, 5, 20)),
        ], until=at(2026, 12, 31))
        assert grant_ids(result.effects) == ["bday@2026"]

    def test_minimum_order_in_the_month(self) -> None:
        """With min_order the gift comes with the first order of at least that amount in
        the birthday month."""
        prog = self.prog(window="month", min_order=eur("20.00"))
        result = run(prog, [
            signup("S-1", at(2026, 1, 10), birthday=date(1990, 5, 17)),
            buy("A-1", "25.00", at(2026, 4, 30)),
            buy("A-2", "19.99", at(2026, 5, 2)),
            buy("A-3", "20.00", at(2026, 5, 20)),
            buy("A-4", "50.00", at(2026, 5, 21)),
        ], until=at(2026, 12, 31))
        assert [e.event_id for e in result.granted()] == ["A-3"]
        assert result.skipped("bday") == [
            "order A-2 is 19.99 EUR; the birthday gift needs an order of at least 20.00 EUR"]

    def test_replay_fires_birthdays_at_their_time(self) -> None:
        """replay(until=...) fires the birthday with the due time as `at`."""
        replay = self.prog().replay([signup("S-1", at(2026, 1, 10), birthday=date(1990, 5, 17))],
                                    until=at(2026, 6, 1))
        [effect] = [e for e in replay.effects() if isinstance(e, GiftGranted)]
        assert effect.at == datetime(2026, 5, 17, tzinfo=BERLIN)


class TestAnniversary:
    def test_each_anniversary_at_local_midnight(self) -> None:
        """The anniversary of joining, at local midnight, for the declared years only."""
        prog = program(AnniversaryGift(id="anniv", gift=VOUCHER, years=(1, 3)))
        result = run(prog, [signup("S-1", at(2026, 3, 15, 18))], until=at(2030, 1, 1))
        assert [(e.grant_id, e.at) for e in result.granted()] == [
            ("anniv@year-1", datetime(2027, 3, 15, tzinfo=BERLIN)),
            ("anniv@year-3", datetime(2029, 3, 15, tzinfo=BERLIN)),
        ]
        assert result.granted()[0].reason == ("Thank you for 1 year of membership: birthday "
                                              "voucher worth 5.00 EUR")
        assert result.state.gifts is not None
        assert "anniv" not in result.state.gifts.due

    def test_joined_on_29_february(self) -> None:
        """Joining on 29 February: the anniversary is on the declared day in other years."""
        prog = program(AnniversaryGift(id="anniv", gift=VOUCHER, leap_day="mar1"))
        result = run(prog, [signup("S-1", at(2028, 2, 29))], until=at(2030, 12, 31))
        assert [e.at.astimezone(BERLIN).date() for e in result.granted()] == [
            date(2029, 3, 1), date(2030, 3, 1)]


class FakeTiers:
    """A stand-in for the tier ladder: gold from 100 EUR net spend, else bronze."""

    name = "fake-tiers"
    uses_shared = False

    def checks(self) -> dict[int, Any]:
        return {}

    def handlers(self) -> dict[int, Any]:
        from reciprocity.events import PURCHASE, RETURN

        def handle(m: Any, row: Any, log: Any, trace: Any) -> None:
            m.tier_id = "gold" if m.spend >= 100 else "bronze"

        return {PURCHASE: handle, RETURN: handle}

    def housekeeping(self, m: Any, until: datetime, log: Any, trace: Any) -> None:
        pass

    def next_due(self, m: Any) -> None:
        return None

    def thaw(self, state: MemberState, m: Any) -> None:
        m.tier_id = "gold" if m.spend >= 100 else ("bronze" if m.purchase_count else None)

    def freeze(self, m: Any) -> dict[str, Any]:
        return {}


class TestTierGift:
    RULE = TierGift(id="tier-gift", reached=("gold",), gift=a_gift("box", "gold box",
                                                                   "physical", "15.00"))

    def with_fake_tiers(self, monkeypatch: pytest.MonkeyPatch, *rules: Any) -> Program:
        import reciprocity._pipeline as pipeline

        original = pipeline.family_stages

        def stages(prog: Program, ctx: Any, points: Any) -> list[Any]:
            return [FakeTiers(), *original(prog, ctx, points)]

        monkeypatch.setattr(pipeline, "family_stages", stages)
        return program(*rules)

    def test_upgrade_gift_once_per_tier(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Reaching gold gives the gift; dropping and reaching gold again does not."""
        prog = self.with_fake_tiers(monkeypatch, self.RULE)
        result = run(prog, [
            buy("A-1", "60", at(2026, 3, 1)),
            buy("A-2", "60", at(2026, 3, 2)),
            give_back("R-1", "A-2", at(2026, 3, 3)),
            buy("A-3", "60", at(2026, 3, 4)),
        ])
        [effect] = result.granted()
        assert (effect.event_id, effect.grant_id) == ("A-2", "tier-gift@gold")
        assert effect.reason == "Gift for reaching tier gold: gold box worth 15.00 EUR"

    def test_skipped_gift_is_retried_in_the_tier(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A tier gift waiting for a consent comes once the consent is given."""
        prog = self.with_fake_tiers(monkeypatch, self.RULE.model_copy(
            update={"consents": ("email",)}))
        result = run(prog, [
            buy("A-1", "150", at(2026, 3, 1)),
            profile("U-1", at(2026, 3, 5), consents_granted=("email",)),
        ])
        assert result.skipped("tier-gift") == ["tier gold: missing consent to email"]
        assert [e.event_id for e in result.granted()] == ["U-1"]

    def test_with_a_real_ladder(self) -> None:
        """With the tier ladder, the gift follows the member's tier."""
        from reciprocity import MinSpend, Tier, TierLadder

        ladder = TierLadder(tiers=(
            Tier(id="bronze", requires=MinSpend(amount=eur("1.00"))),
            Tier(id="gold", requires=MinSpend(amount=eur("100.00"))),
        ))
        prog = Program(name="Tea club", timezone="Europe/Berlin", tiers=ladder,
                       gifts=GiftScheme(rules=(self.RULE,)))
        result = run(prog, [buy("A-1", "60", at(2026, 3, 1)), buy("A-2", "60", at(2026, 3, 2)),
                            buy("A-3", "60", at(2026, 3, 3))])
        assert [e.event_id for e in result.granted()] == ["A-2"]


class TestSeasonal:
    BASKET = a_gift("basket", "Christmas basket", "physical", "40.00")

    def shop(self, n: int) -> list[Event]:
        """Member m-i spends i * 100 EUR in 2026 (m-1 .. m-n)."""
        return [buy(f"A-{i}", f"{i * 100}", at(2026, 6, 1) + timedelta(minutes=i), f"m-{i}")
                for i in range(1, n + 1)]

    def test_top_ten_percent_by_spend(self) -> None:
        """1 December: the top 10 % of 20 members by 2026 spend (2 members) get the basket,
        as of the trigger time."""
        prog = program(SeasonalGift(id="xmas", start="12-01", end="12-24", gift=self.BASKET,
                                    top_percent=Decimal(10)))
        events = [*self.shop(20), buy("B-1", "5000", at(2026, 12, 1, 10), "m-3")]
        replay = prog.replay(events, until=at(2026, 12, 31))
        effects = [e for e in replay.effects() if isinstance(e, GiftGranted)]
        assert sorted(e.member_id for e in effects) == ["m-19", "m-20"]
        assert {e.at for e in effects} == {datetime(2026, 12, 1, tzinfo=BERLIN)}
        assert effects[0].reason == ("Seasonal gift for 2026: Christmas basket worth 40.00 EUR, "
                                     "for the top 10 % of members by spend in 2026")
        assert replay.shared is not None
        assert replay.shared.metrics["spend@2026"]["m-3"] == Decimal("5300")

    def test_ties_at_the_last_place_qualify(self) -> None:
        """Members tied with the last place of the top group all get it."""
        prog = program(SeasonalGift(id="xmas", start="12-01", end="12-24", gift=self.BASKET,
                                    top_percent=Decimal(10)))
        events = [*self.shop(9), buy("A-10", "900", at(2026, 6, 2), "m-10")]
        replay = prog.replay(events, until=at(2026, 12, 2))
        assert sorted(e.member_id for e in replay.effects()
                      if isinstance(e, GiftGranted)) == ["m-10", "m-9"]

    def test_while_open_reaches_members_who_qualify_later(self) -> None:
        """evaluate='while_open': a member who reaches the tier-like condition in the window
        gets it at that event; 'at_start' would not."""
        rule = SeasonalGift(id="sale", start="11-20", end="11-30", evaluate="while_open",
                            gift=a_gift("early", "early access to the winter sale",
                                        "early-access", "0"),
                            consents=("email",))
        result = run(program(rule), [
            signup("S-1", at(2026, 11, 1)),
            profile("U-1", at(2026, 11, 25), consents_granted=("email",)),
        ], until=at(2026, 12, 31))
        [effect] = result.granted()
        assert (effect.event_id, effect.value, effect.kind) == ("U-1", eur("0"), "early-access")
        assert effect.reason == "Seasonal gift for 2026: early access to the winter sale"
        at_start = run(program(rule.model_copy(update={"evaluate": "at_start"})), [
            signup("S-1", at(2026, 11, 1)),
            profile("U-1", at(2026, 11, 25), consents_granted=("email",)),
        ], until=at(2026, 12, 31))
        assert at_start.granted() == []

    def test_window_across_the_year_end_and_years_filter(self) -> None:
        """A 15 December - 6 January window belongs to the year it starts in; years limits
        it to one campaign."""
        rule = SeasonalGift(id="winter", start="12-15", end="01-06", years=(2026,),
                            evaluate="while_open", gift=TEA)
        result = run(program(rule), [signup("S-1", at(2026, 11, 1)),
                                     buy("A-1", "5", at(2027, 1, 5))], until=at(2028, 12, 31))
        assert grant_ids(result.effects) == ["winter@2026"]
        assert result.granted()[0].at == datetime(2026, 12, 15, tzinfo=BERLIN)
        assert result.state.gifts is not None
        assert "winter" not in result.state.gifts.due


class TestThankYou:
    def test_after_n_orders_in_a_year(self) -> None:
        """The 3rd kept order of a year brings the thank-you voucher, once per year."""
        prog = program(ThankYouGift(id="thanks", orders=3, gift=VOUCHER))
        events = [buy(f"A-{n}", "20", at(2026, 3, n)) for n in range(1, 6)]
        events += [buy("B-1", "20", at(2027, 1, 1)), buy("B-2", "20", at(2027, 1, 2)),
                   buy("B-3", "20", at(2027, 1, 3))]
        result = run(prog, events)
        assert [e.event_id for e in result.granted()] == ["A-3", "B-3"]
        assert result.granted()[0].reason == ("Thank you for 3 orders and 60.00 EUR in 2026: "
                                              "birthday voucher worth 5.00 EUR")

    def test_returned_orders_do_not_count(self) -> None:
        """An order returned in full is not counted."""
        prog = program(ThankYouGift(id="thanks", orders=3, gift=VOUCHER))
        result = run(prog, [buy("A-1", "20", at(2026, 3, 1)), buy("A-2", "20", at(2026, 3, 2)),
                            give_back("R-1", "A-2", at(2026, 3, 3)),
                            buy("A-3", "20", at(2026, 3, 4)), buy("A-4", "20", at(2026, 3, 5))])
        assert [e.event_id for e in result.granted()] == ["A-4"]

    def test_personalised_value(self) -> None:
        """percent_of_spend: worth 5 % of the year's spend, rounded down, at most the value."""
        rule = ThankYouGift(id="thanks", spend=eur("100.00"), percent_of_spend=Decimal(5),
                            gift=a_gift("ty", "thank-you voucher", "voucher", "20.00"),
                            per=Period.MONTH)
        result = run(program(rule), [buy("A-1", "60.00", at(2026, 3, 1)),
                                     buy("A-2", "73.39", at(2026, 3, 2)),
                                     buy("B-1", "999.00", at(2026, 4, 2))])
        assert [e.value for e in result.granted()] == [eur("6.66"), eur("20.00")]
        assert result.granted()[0].reason == ("Thank you for 2 orders and 133.39 EUR in 2026-03: "
                                              "thank-you voucher worth 6.66 EUR")

    def test_any_threshold(self) -> None:
        """match='any': either the orders or the spend is enough."""
        rule = ThankYouGift(id="thanks", orders=5, spend=eur("100.00"), match="any",
                            gift=VOUCHER)
        result = run(program(rule), [buy("A-1", "150.00", at(2026, 3, 1))])
        assert len(result.granted()) == 1


class TestDrift:
    MESSAGE = FeedbackRequest(id="miss-you", text="We miss you. What could we do better?")

    def test_feedback_request_once_per_quiet_spell(self) -> None:
        """A regular buyer quiet for 30 days is asked for feedback once; a new order starts
        a new spell."""
        prog = program(DriftRule(id="drift", quiet_days=30, message=self.MESSAGE))
        result = run(prog, [buy("A-1", "10", at(2026, 1, 1)), buy("A-2", "10", at(2026, 1, 10)),
                            buy("A-3", "10", at(2026, 5, 1))], until=at(2026, 12, 31))
        messages = [e for e in result.effects if isinstance(e, MessageSuggested)]
        assert [m.at for m in messages] == [at(2026, 2, 9), at(2026, 5, 31)]
        assert (messages[0].message_id, messages[0].channel, messages[0].text) == (
            "miss-you", "email", "We miss you. What could we do better?")
        assert messages[0].reason == ("No order for 30 days since 2026-01-10: ask for feedback "
                                      "by email")
        assert result.granted() == []

    @pytest.mark.parametrize(("channel", "english", "german"), [
        ("email", "by email", "per E-Mail"), ("sms", "by text message", "per SMS"),
        ("letter", "by letter", "per Brief"), ("whatsapp", "by whatsapp", "per whatsapp")])
    def test_the_channel_in_each_locales_words(self, channel: str, english: str,
                                                german: str) -> None:
        """A known channel is said in the locale's words ("per E-Mail", not "per email");
        any other as the program names it."""
        pytest.importorskip("babel")
        message = self.MESSAGE.model_copy(update={"channel": channel})
        prog = program(DriftRule(id="drift", quiet_days=30, message=message))
        result = run(prog, [buy("A-1", "10", at(2026, 1, 1)), buy("A-2", "10", at(2026, 1, 10))],
                     until=at(2026, 3, 1))
        [suggested] = [e for e in result.effects if isinstance(e, MessageSuggested)]
        assert suggested.channel == channel
        assert suggested.render("en").endswith(f"ask for feedback {english}")
        assert suggested.render("de").endswith(f"Bitte um Feedback {german}")
        terms = prog.terms("de")
        assert (f"bitten wir Sie {german} um" if channel != "whatsapp"
                else "bitten wir Sie per „whatsapp“ um") in terms

    def test_quiet_days_keep_the_wall_clock_across_dst(self) -> None:
        """7 quiet days from 25 March 10:00 (UTC+1) end 1 April 10:00 (UTC+2)."""
        prog = program(DriftRule(id="drift", quiet_days=7, min_orders=1, message=self.MESSAGE))
        result = run(prog, [buy("A-1", "10", at(2026, 3, 25, 10))], until=at(2026, 5, 1))
        [message] = [e for e in result.effects if isinstance(e, MessageSuggested)]
        assert message.at.astimezone(UTC) == datetime(2026, 4, 1, 8, tzinfo=UTC)

    def test_occasional_buyers_are_not_asked(self) -> None:
        """A single order is not buying regularly: nothing is suggested, and the trace says
        why."""
        prog = program(DriftRule(id="drift", quiet_days=30, min_orders=2, message=self.MESSAGE))
        result = run(prog, [buy("A-1", "10", at(2026, 1, 1))], until=at(2026, 12, 31))
        assert not [e for e in result.effects if isinstance(e, MessageSuggested)]
        assert result.skipped("drift") == [
            "quiet since 2026-01-01, but 1 order before is not buying regularly (at least 2 "
            "needed)"]

    def test_win_back_voucher(self) -> None:
        """An optional win-back gift comes with the request."""
        prog = program(DriftRule(id="drift", quiet_days=30, message=self.MESSAGE,
                                 gift=a_gift("back", "win-back voucher", "voucher", "10.00",
                                             valid_days=30)))
        result = run(prog, [buy("A-1", "10", at(2026, 1, 1)), buy("A-2", "10", at(2026, 1, 10))],
                     until=at(2026, 12, 31))
        [effect] = result.granted()
        assert effect.at == at(2026, 2, 9)
        assert effect.valid_until == at(2026, 3, 11)
        assert effect.reason == ("We miss you: win-back voucher worth 10.00 EUR, valid until "
                                 "2026-03-11")


class TestLimits:
    def test_cooldown(self) -> None:
        """cooldown_days: at most one gift every 30 days."""
        prog = program(OrderOverGift(id="over", amount=eur("10"), gift=TEA, cooldown_days=30))
        result = run(prog, [buy("A-1", "20", at(2026, 3, 1)), buy("A-2", "20", at(2026, 3, 30)),
                            buy("A-3", "20", at(2026, 3, 31))])
        assert [e.event_id for e in result.granted()] == ["A-1", "A-3"]
        assert result.skipped("over") == [
            "tea sample not given: at most once every 30 days: last on 2026-03-01, again from "
            "2026-03-31"]

    def test_budget_exhausted_mid_day(self) -> None:
        """A budget of 2 per day: the third member that day is skipped with the reason; the
        next day the budget is fresh."""
        prog = program(OrderOverGift(id="over", amount=eur("10"), gift=TEA, budget="daily"),
                       budgets=(Budget(id="daily", count=2, per=Period.DAY),))
        result = run(prog, [buy("A-1", "20", at(2026, 3, 1, 9), "m-1"),
                            buy("A-2", "20", at(2026, 3, 1, 11), "m-2"),
                            buy("A-3", "20", at(2026, 3, 1, 13), "m-3"),
                            buy("A-4", "20", at(2026, 3, 2, 0, 30), "m-3")])
        assert [e.event_id for e in result.granted()] == ["A-1", "A-2", "A-4"]
        assert result.skipped("over") == ["tea sample not given: budget 'daily': at most 2 per "
                                          "day: 2 used"]
        assert result.shared is not None
        assert result.shared.budgets["daily@2026-03-01"].count == 2

    def test_money_budget(self) -> None:
        """A value budget stops when the next gift's value does not fit."""
        prog = program(OrderOverGift(id="over", amount=eur("10"), gift=TEA, budget="b"),
                       budgets=(Budget(id="b", amount=eur("6.00"), per=Period.MONTH),))
        result = run(prog, [buy(f"A-{n}", "20", at(2026, 3, n), f"m-{n}") for n in range(1, 4)])
        assert len(result.granted()) == 2
        assert result.skipped("over") == ["tea sample not given: budget 'b': at most 6.00 EUR in "
                                          "value per month: 1.00 EUR left, 2.50 needed"]

    def test_budget_shared_by_rules_serves_the_first_declared(self) -> None:
        """Two rules on one budget: the one declared first is served first."""
        prog = program(
            OrderOverGift(id="big", amount=eur("50"), gift=a_gift("big", "big gift"),
                          budget="b"),
            FirstOrderGift(id="first", gift=TEA, budget="b"),
            budgets=(Budget(id="b", count=1, per=Period.LIFETIME),),
        )
        result = run(prog, [buy("A-1", "60", at(2026, 3, 1))])
        assert [e.rule_id for e in result.granted()] == ["big"]

    def test_stock_runs_out(self) -> None:
        """Physical gifts stop when the stock is given out."""
        prog = program(FirstOrderGift(id="first", gift=a_gift("mug", "mug", "physical", "8",
                                                             stock="mugs")),
                       stock=(Stock(id="mugs", units=2),))
        result = run(prog, [buy(f"A-{n}", "20", at(2026, 3, n), f"m-{n}") for n in range(1, 4)])
        assert len(result.granted()) == 2
        assert result.skipped("first") == ["mug not given: mug is out of stock: all 2 of 'mugs' "
                                           "given"]


class TestStateAndReplay:
    PROGRAM = program(
        OrderOverGift(id="over", amount=eur("50"), gift=TEA),
        BirthdayGift(id="bday", gift=VOUCHER),
        DriftRule(id="drift", quiet_days=30, message=TestDrift.MESSAGE),
    )
    EVENTS: tuple[Event, ...] = (
        signup("S-1", at(2026, 1, 1), birthday=date(1990, 2, 14)),
        buy("A-1", "60", at(2026, 1, 2)), buy("A-2", "20", at(2026, 1, 20)),
        give_back("R-1", "A-1", at(2026, 1, 25), "20"),
        signup("S-2", at(2026, 1, 3), member="m-2", birthday=date(1980, 3, 1)),
        buy("B-1", "80", at(2026, 2, 1), "m-2"),
    )

    def test_state_round_trips_through_json(self) -> None:
        """A state with gift history, due times and spells loads back equal."""
        result = run(self.PROGRAM, sorted(self.EVENTS, key=lambda e: e.at), until=at(2026, 6, 1))
        for state in result.states.values():
            assert state.gifts is not None
            assert MemberState.model_validate_json(state.model_dump_json()) == state

    def test_apply_is_idempotent(self) -> None:
        """Applying an event twice changes nothing the second time."""
        first = self.PROGRAM.apply(None, buy("A-1", "60", at(2026, 1, 2)))
        again = self.PROGRAM.apply(first.state, buy("A-1", "60", at(2026, 1, 2)))
        assert again.effects == ()
        assert again.state == first.state

    def test_replay_equals_apply_then_advance(self) -> None:
        """replay(until=...) gives the same gifts and states as apply + advance."""
        events = sorted(self.EVENTS, key=lambda e: (e.at, e.id))
        applied = run(self.PROGRAM, events, until=at(2026, 12, 31))
        replay = self.PROGRAM.replay(events, until=at(2026, 12, 31))
        assert sorted(e.model_dump_json() for e in replay.effects()) == sorted(
            e.model_dump_json() for e in applied.effects)
        assert replay.states == applied.states

    def test_advance_in_steps_equals_advance_at_once(self) -> None:
        """advance() in two steps fires the same effects as one advance."""
        state = run(self.PROGRAM, self.EVENTS[:4]).state
        once = self.PROGRAM.advance(state, at(2027, 3, 1))
        half = self.PROGRAM.advance(state, at(2026, 8, 1))
        rest = self.PROGRAM.advance(half.state, at(2027, 3, 1))
        assert once.effects == half.effects + rest.effects
        assert rest.state.revision == once.state.revision + 1  # two changes, not one
        assert once.state == rest.state.model_copy(update={"revision": once.state.revision})

    def test_rule_added_later_schedules_from_the_state_time(self) -> None:
        """A date-driven rule added after the state was saved starts from the state's time,
        never in the past."""
        old = program(OrderOverGift(id="over", amount=eur("50"), gift=TEA))
        state = run(old, [signup("S-1", at(2026, 1, 1), birthday=date(1990, 2, 14)),
                          buy("A-1", "60", at(2026, 3, 1))]).state
        decision = self.PROGRAM.advance(state, at(2027, 3, 1))
        assert grant_ids(decision.effects) == ["bday@2027"]


class TestEligibility:
    def test_what_is_missing(self) -> None:
        """Each gift the member can still get, with what is missing in plain words."""
        prog = program(
            FirstOrderGift(id="first", gift=TEA),
            NthOrderGift(id="fifth", every=5, gift=TEA),
            WelcomeGift(id="welcome", gift=VOUCHER, consents=("email",)),
            BirthdayGift(id="bday", gift=VOUCHER, consents=("email",)),
            ThankYouGift(id="thanks", orders=3, spend=eur("100.00"), gift=VOUCHER),
            TierGift(id="gold", reached=("gold",), gift=TEA),
            SurpriseGift(id="luck", probability=Decimal("0.1"), gift=TEA),
        )
        state = run(prog, [signup("S-1", at(2026, 3, 1)), buy("A-1", "30", at(2026, 3, 2))]).state
        options = gift_eligibility(prog, state, at(2026, 3, 3))
        assert [(o.rule_id, o.missing) for o in options] == [
            ("fifth", ("4 more orders",)),
            ("welcome", ("consent to email",)),
            ("bday", ("tell us your birthday", "consent to email")),
            ("thanks", ("2 more orders and 70.00 EUR more spend this year",)),
            ("gold", ("reach tier gold",)),
        ]

    def test_date_driven_gifts_say_when(self) -> None:
        """A birthday on file: the option is ready and says when it comes."""
        prog = program(BirthdayGift(id="bday", gift=VOUCHER))
        state = run(prog, [signup("S-1", at(2026, 3, 1), birthday=date(1990, 2, 14))]).state
        [option] = gift_eligibility(prog, state, at(2026, 3, 3))
        assert option.ready
        assert option.available_from == datetime(2027, 2, 14, tzinfo=BERLIN)

    def test_waiting_for_a_cap_or_cooldown(self) -> None:
        """A period cap says until when to wait; a lifetime cap drops the option."""
        prog = program(
            OrderOverGift(id="yearly", amount=eur("10"), gift=TEA, cap=Cap(count=1,
                                                                         per=Period.YEAR)),
            OrderOverGift(id="once", amount=eur("10"), gift=TEA, cap=Cap(count=1)),
            OrderOverGift(id="cool", amount=eur("10"), gift=TEA, cooldown_days=10),
        )
        state = run(prog, [buy("A-1", "30", at(2026, 3, 2))]).state
        options = {o.rule_id: o.missing for o in gift_eligibility(prog, state, at(2026, 3, 3))}
        assert options == {
            "yearly": ("an order over 10.00 EUR", "wait until 2027-01-01 (at most 1 per year)"),
            "cool": ("an order over 10.00 EUR", "wait until 2026-03-12 (at most once every "
                     "10 days)"),
        }

    def test_ranking_and_budget(self) -> None:
        """A ranked seasonal gift says how much more spend is needed, as of the date."""
        prog = program(SeasonalGift(id="xmas", start="12-01", end="12-24",
                                    top_percent=Decimal(50), gift=TEA))
        replay = prog.replay([buy("A-1", "100", at(2026, 6, 1), "m-1"),
                              buy("A-2", "300", at(2026, 6, 2), "m-2")])
        [option] = gift_eligibility(prog, replay.states["m-1"], at(2026, 6, 3),
                                    shared=replay.shared)
        assert option.missing == ("be among the top 50 % of members by spend in 2026: "
                                  "200.00 EUR more spend, as of 2026-06-03",)
        assert option.available_from == datetime(2026, 12, 1, tzinfo=BERLIN)

    def test_new_member_and_no_gifts(self) -> None:
        """None is a member the program has not seen; a program without gifts lists none."""
        prog = program(WelcomeGift(id="welcome", gift=VOUCHER))
        [option] = gift_eligibility(prog, None, at(2026, 3, 3))
        assert option.missing == ("sign up",)
        assert gift_eligibility(Program(name="plain"), None, at(2026, 3, 3)) == ()


    def test_said_in_the_program_s_words(self) -> None:
        """Tiers by their names, line categories by their labels and fact conditions by the
        facts' labels, as the terms say them; without labels the names as they are."""
        from reciprocity import Fact, FactIs, MinSpend, NameLabels, Tier, TierLadder

        rules = (CategoryGift(id="samples", samples=(CategorySample(category="green_tea",
                                                                    gift=TEA),)),
                 NthOrderGift(id="third", every=3, gift=TEA, tiers=("gold",)),
                 TierGift(id="welcome-gold", reached=("gold",), gift=VOUCHER),
                 OrderOverGift(id="big", amount=eur("50"), gift=TEA,
                               when=FactIs(fact="shop_zone", value="eu")))
        ladder = TierLadder(tiers=(Tier(id="gold", name="Gold Club",
                                        requires=MinSpend(amount=eur("500.00"))),))
        zone = Fact(name="shop_zone", type="str", labels={"en": "delivery area"},
                    value_labels={"eu": {"en": "the EU", "de": "die EU"}})
        prog = Program(name="Tea club", timezone="Europe/Berlin", facts=(zone,),
                       gifts=GiftScheme(rules=rules), tiers=ladder,
                       labels=NameLabels(categories={"green_tea": {"en": "green tea"}}))
        options = {o.rule_id: o for o in gift_eligibility(prog, None, at(2026, 3, 3))}
        assert options["samples"].missing == ("an order with green tea",)
        assert "with green tea), chosen" in options["samples"].description
        assert options["third"].missing == ("3 more orders", "reach tier Gold Club")
        assert options["third"].description.endswith("for members in tier Gold Club")
        assert options["welcome-gold"].missing == ("reach tier Gold Club",)
        assert options["welcome-gold"].description.endswith("when you first reach tier Gold Club")
        assert options["big"].missing == ("an order over 50.00 EUR where delivery area is "
                                          "the EU",)
        assert "with green tea), chosen" in prog.explain()
        bare = prog.model_copy(update={"labels": NameLabels(), "facts": (
            zone.model_copy(update={"labels": {}, "value_labels": {}}),)})
        bare = Program.model_validate(bare.model_dump())
        options = {o.rule_id: o for o in gift_eligibility(bare, None, at(2026, 3, 3))}
        assert options["samples"].missing == ("an order with green_tea",)
        assert options["big"].missing == ("an order over 50.00 EUR where shop zone is eu",)

CAKE = {"id": "cake", "name": "Cake", "kind": "sample", "value": "5.00 EUR"}


class TestConditionsMeetTheRulesEvents:
    """A gift rule's ``when`` may only read what the events it is decided on carry."""

    @pytest.mark.parametrize(("rule", "says"), [
        ({"type": "birthday"}, "is given on a schedule, not on an event"),
        ({"type": "anniversary"}, "is given on a schedule, not on an event"),
        ({"type": "welcome"}, "only meets signup or profile_update events"),
        ({"type": "drift", "quiet_days": 30,
          "message": {"id": "m", "channel": "email", "text": "Hello"}},
         "is given on a schedule, not on an event"),
    ])
    def test_an_order_condition_on_a_rule_without_orders_is_refused(
            self, rule: dict[str, object], says: str) -> None:
        """Refused when the program is built, naming the rule, the condition and the fix."""
        declared = {"id": "r", "gift": CAKE, **rule,
                    "when": {"type": "not", "condition": {"type": "amount_over",
                                                          "amount": "50.00 EUR"}}}
        with pytest.raises(ConditionNeverApplies) as info:
            Program.model_validate({"name": "x", "gifts": {"rules": [declared]}})
        assert "gift rule 'r' when: 'order amount over 50.00 EUR' needs purchase" in str(
            info.value)
        assert says in str(info.value)

    @pytest.mark.parametrize("rule", [
        {"type": "birthday", "min_order": "10.00 EUR"},
        {"type": "first_order"},
        {"type": "tier_reached", "reached": ["gold"]},
        {"type": "seasonal", "start": "12-01", "end": "12-24", "evaluate": "while_open"},
    ])
    def test_rules_decided_on_orders_may_read_them(self, rule: dict[str, object]) -> None:
        """A birthday gift with a minimum order, order gifts, tier and open-season gifts."""
        declared = {"id": "r", "gift": CAKE, **rule,
                    "when": {"type": "amount_over", "amount": "50.00 EUR"}}
        program = Program.model_validate({"name": "x", "gifts": {"rules": [declared]}})
        assert program.gifts is not None
