"""More than one balance (``Program.balances``): award points and status points, each with
its own earning, pending days, expiry, clawback and catalogue; tiers reading a balance."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from reciprocity import (
    BalanceTotals,
    CalendarYear,
    Custom,
    EndOfQuarterAfter,
    FixedLifetime,
    InsufficientPoints,
    InvalidProgram,
    MemberState,
    MinPoints,
    MinSpend,
    Money,
    PointBalance,
    PointScheme,
    PointsEarned,
    PointsForEvent,
    PointsPerAmount,
    PointsPerPurchase,
    PointsRedeemed,
    Program,
    Purchase,
    Redemption,
    Return,
    Reward,
    Tier,
    TierLadder,
    UnknownReward,
    seed_program,
    tier_progress,
)

BERLIN = ZoneInfo("Europe/Berlin")
T0 = datetime(2026, 3, 2, 10, tzinfo=BERLIN)


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def buy(ident: str, amount: str, at: datetime = T0) -> Purchase:
    return Purchase(id=ident, member_id="m", at=at, amount=eur(amount))


def airline(**status: object) -> Program:
    """Award points (redeemable, 4 per euro) and status points (1 per euro, tiers only)."""
    return Program(
        name="Air", currency="EUR", timezone="Europe/Berlin",
        points=PointScheme(
            earn=[PointsPerAmount(id="award", points=4, per=eur("1.00"))],
            rewards=[Reward(id="upgrade", name="Upgrade", points=1_000,
                            value=eur("50.00"))]),
        balances={"status": PointScheme(
            earn=[PointsPerAmount(id="flown", points=1, per=eur("1.00"))],
            redeemable=False, **status)},  # type: ignore[arg-type]
        tiers=TierLadder(tiers=(
            Tier(id="ftl", name="Frequent Traveller",
                 requires=MinPoints(points=500, balance="status", label="status miles")),
        ), period=CalendarYear()),
    )


class TestEarning:
    def test_each_balance_earns_by_its_own_rules(self) -> None:
        """One order earns award points into the program's balance and status points into
        the named one; neither counts the other's."""
        d = airline().apply(None, buy("F1", "300.00"))
        assert d.state.available_points == 1_200
        status = d.state.balances["status"]  # type: ignore[index]
        assert (status.available_points, status.points_earned) == (300, 300)
        assert d.state.points_earned == 1_200

    def test_effects_name_their_balance(self) -> None:
        """A balance's effects carry its name; the program's own carry none, and their JSON
        has no ``balance`` key (as before balances existed)."""
        effects = airline().apply(None, buy("F1", "300.00")).effects
        earned = [e for e in effects if isinstance(e, PointsEarned)]
        assert [(e.rule_id, e.balance, e.points) for e in earned] == [
            ("award", None, 1_200), ("flown", "status", 300)]
        assert "balance" not in json.loads(earned[0].model_dump_json())
        assert json.loads(earned[1].model_dump_json())["balance"] == "status"

    def test_trace_names_the_balance_rule(self) -> None:
        """Trace lines of a balance name ``<balance>/<rule>``."""
        trace = airline().apply(None, buy("F1", "300.00")).trace
        assert ("status/flown", "applied") in {(t.rule_id, t.outcome) for t in trace}

    def test_a_custom_event_names_status_miles(self) -> None:
        """A flight credit names its award and its status miles, each within bounds, each
        into its own balance."""
        program = Program(
            name="Air", currency="EUR",
            points=PointScheme(events=[PointsForEvent(
                id="miles", on="custom", name="flight", points_from="miles", min_points=1,
                max_points=60_000)]),
            balances={"status": PointScheme(redeemable=False, events=[PointsForEvent(
                id="status-miles", on="custom", name="flight", points_from="status_miles",
                min_points=1, max_points=20_000)])})
        d = program.apply(None, Custom(id="LH1", member_id="m", at=T0, name="flight",
                                       payload={"miles": 2_500, "status_miles": 1_000}))
        assert d.state.available_points == 2_500
        assert d.state.balances["status"].available_points == 1_000  # type: ignore[index]

    def test_a_program_without_balances_dumps_its_state_as_before(self) -> None:
        """Without ``Program.balances`` the state's JSON has no ``balances`` key, and a saved
        state without one loads and dumps unchanged."""
        state = seed_program().apply(None, buy("A", "60.00")).state
        text = state.model_dump_json()
        assert "balances" not in json.loads(text)
        assert MemberState.model_validate_json(text).model_dump_json() == text
        assert MemberState.load_trusted(text).model_dump_json() == text


class TestTimePerBalance:
    def test_pending_and_expiry_are_per_balance(self) -> None:
        """Status points wait 14 days and expire after 30; award points neither."""
        program = airline(pending_days=14, expiry=FixedLifetime(days=30))
        state = program.apply(None, buy("F1", "100.00")).state
        status = state.balances["status"]  # type: ignore[index]
        assert (status.available_points, status.pending_points) == (0, 100)
        assert state.available_points == 400
        assert program.next_due(state) is not None
        d = program.advance(state, T0 + timedelta(days=15))
        assert [(type(e).__name__, e.balance) for e in d.effects] == [
            ("PointsReleased", "status")]
        status = d.state.balances["status"]  # type: ignore[index]
        assert (status.available_points, status.pending_points) == (100, 0)
        later = program.advance(d.state, T0 + timedelta(days=31)).state
        status = later.balances["status"]  # type: ignore[index]
        assert (status.available_points, status.points_expired) == (0, 100)
        assert later.available_points == 400
        assert later.points_expired == 0


class TestReturns:
    def test_a_return_takes_back_each_balance_by_its_rules(self) -> None:
        """Half returned: half of the award points and half of the status points go back,
        each from its own balance."""
        program = airline()
        state = program.apply(None, buy("F1", "300.00")).state
        d = program.apply(state, Return(id="R1", member_id="m", at=T0 + timedelta(days=1),
                                        purchase_id="F1", amount=eur("150.00")))
        revoked = [(e.rule_id, e.balance, e.points) for e in d.effects
                   if e.type == "points_revoked"]
        assert revoked == [("award", None, 600), ("flown", "status", 150)]
        assert d.state.available_points == 600
        assert d.state.balances["status"].available_points == 150  # type: ignore[index]

    def test_a_per_order_rule_of_a_balance_is_taken_back_when_the_order_no_longer_qualifies(
            self) -> None:
        """A status bonus for orders over 100 goes back when a return leaves 80."""
        program = Program(name="P", currency="EUR", balances={"status": PointScheme(
            redeemable=False, earn=[PointsPerPurchase(id="bonus", points=50,
                                                      min_amount=eur("100.00"))])})
        state = program.apply(None, buy("A", "120.00")).state
        after = program.apply(state, Return(id="R", member_id="m", at=T0 + timedelta(hours=1),
                                            purchase_id="A", amount=eur("40.00"))).state
        status = after.balances["status"]  # type: ignore[index]
        assert (status.available_points, status.points_revoked) == (0, 50)

    def test_spent_points_of_a_redeemable_balance_become_debt_there(self) -> None:
        """Award points in a named balance, spent, then the order returned: the debt is that
        balance's, the program's own points owe nothing."""
        program = Program(
            name="P", currency="EUR",
            points=PointScheme(earn=[PointsPerPurchase(id="base", points=1)]),
            balances={"award": PointScheme(
                earn=[PointsPerAmount(id="miles", points=1, per=eur("1.00"))],
                rewards=[Reward(id="lounge", name="Lounge pass", points=100)])})
        state = program.apply(None, buy("A", "150.00")).state
        state = program.apply(state, Redemption(id="V", member_id="m", at=T0 + timedelta(
            hours=1), reward_id="lounge")).state
        award = state.balances["award"]  # type: ignore[index]
        assert (award.available_points, award.points_redeemed) == (50, 100)
        after = program.apply(state, Return(id="R", member_id="m", at=T0 + timedelta(hours=2),
                                            purchase_id="A")).state
        award = after.balances["award"]  # type: ignore[index]
        assert (award.available_points, award.debt, award.balance) == (0, 100, -100)
        assert (after.available_points, after.debt) == (0, 0)


class TestRedemption:
    def test_a_reward_is_paid_from_its_balance(self) -> None:
        """A reward of a named redeemable balance spends that balance's points."""
        program = Program(
            name="P", currency="EUR",
            points=PointScheme(earn=[PointsPerPurchase(id="base", points=10)],
                               rewards=[Reward(id="coffee", name="Coffee", points=10)]),
            balances={"award": PointScheme(
                earn=[PointsPerAmount(id="miles", points=1, per=eur("1.00"))],
                rewards=[Reward(id="lounge", name="Lounge pass", points=100)])})
        state = program.apply(None, buy("A", "150.00")).state
        d = program.apply(state, Redemption(id="V", member_id="m", at=T0, reward_id="lounge"))
        redeemed = [e for e in d.effects if isinstance(e, PointsRedeemed)]
        assert [(e.reward_id, e.balance, e.points) for e in redeemed] == [
            ("lounge", "award", 100)]
        assert d.state.available_points == 10
        assert d.state.balances["award"].available_points == 50  # type: ignore[index]
        d = program.apply(d.state, Redemption(id="W", member_id="m", at=T0,
                                              reward_id="coffee"))
        assert d.state.available_points == 0
        assert d.state.balances["award"].available_points == 50  # type: ignore[index]

    def test_a_shortfall_names_the_balance_and_changes_nothing(self) -> None:
        """Too few points in the named balance: refused, the message names the balance."""
        program = Program(
            name="P", currency="EUR",
            points=PointScheme(earn=[PointsPerPurchase(id="base", points=500)]),
            balances={"award": PointScheme(
                earn=[PointsPerAmount(id="miles", points=1, per=eur("1.00"))],
                rewards=[Reward(id="lounge", name="Lounge pass", points=100)])})
        state = program.apply(None, buy("A", "50.00")).state
        with pytest.raises(InsufficientPoints, match="balance 'award'") as caught:
            program.apply(state, Redemption(id="V", member_id="m", at=T0, reward_id="lounge"))
        assert caught.value.shortfall == 50
        assert state.balances["award"].available_points == 50  # type: ignore[index]

    def test_status_points_buy_nothing(self) -> None:
        """A non-redeemable balance has no catalogue: no redemption names its points."""
        program = airline()
        state = program.apply(None, buy("F1", "3000.00")).state
        with pytest.raises(UnknownReward, match="use one of: upgrade"):
            program.apply(state, Redemption(id="V", member_id="m", at=T0, reward_id="flown"))


class TestDeclarations:
    @pytest.mark.parametrize(("build", "match"), [
        (lambda: PointScheme(redeemable=False, rewards=[Reward(id="r", name="R", points=1)]),
         "redeemable=False but rewards"),
        (lambda: Program(name="P", points=PointScheme(rewards=[Reward(id="r", name="R",
                                                                         points=1)]),
                         balances={"b": PointScheme(rewards=[Reward(id="r", name="R2",
                                                                    points=2)])}),
         "rewards has the id 'r'"),
        (lambda: Program(name="P", balances={"a/b": PointScheme()}), "name 'a/b'"),
        (lambda: Program(name="P", tiers=TierLadder(tiers=(Tier(
            id="t", name="T", requires=MinPoints(points=1, balance="status")),))),
         r"MinPoints\(balance='status'\), which is not one of Program.balances"),
        (lambda: Program(name="P", balances={"status": PointScheme(earn=[PointsPerPurchase(
            id="flown", points=1)])}, tiers=TierLadder(tiers=(Tier(
                id="t", name="T", requires=MinPoints(points=1, balance="status",
                                                     rules=("award",))),))),
         r"has no earning rule with those ids"),
    ])
    def test_a_balance_a_program_cannot_run_is_refused(self, build: object,
                                                       match: str) -> None:
        """Each refusal names the field and the fix."""
        with pytest.raises(InvalidProgram, match=match):
            build()  # type: ignore[operator]

    def test_the_program_round_trips_through_json(self) -> None:
        program = airline(pending_days=14, expiry=EndOfQuarterAfter(months=12))
        assert Program.model_validate_json(program.model_dump_json()) == program
        assert "balances" in Program.model_json_schema()["properties"]

    def test_explain_lists_each_balance(self) -> None:
        text = airline().explain()
        assert "Balance 'Status', only counted for tiers:" in text
        assert "Status points never expire." in text


class TestTiers:
    def test_a_tier_qualifies_on_a_balance(self) -> None:
        """Frequent Traveller at 500 status points: 499 is not enough, the order that
        crosses it reaches the tier."""
        program = airline()
        state = program.apply(None, buy("F1", "499.00")).state
        assert state.tier is None or state.tier.tier_id is None
        state = program.apply(state, buy("F2", "1.00", T0 + timedelta(hours=1))).state
        assert state.tier is not None
        assert state.tier.tier_id == "ftl"

    def test_default_points_metric_does_not_count_status_points(self) -> None:
        """``MinPoints()`` without a balance counts the program's own points only."""
        program = Program(
            name="P", currency="EUR",
            points=PointScheme(earn=[PointsPerPurchase(id="base", points=1)]),
            balances={"status": PointScheme(redeemable=False, earn=[PointsPerPurchase(
                id="flown", points=100)])},
            tiers=TierLadder(tiers=(Tier(id="t", name="T", requires=MinPoints(points=2)),),
                             period=CalendarYear()))
        state = program.apply(None, buy("A", "10.00")).state
        assert state.tier is None or state.tier.tier_id is None
        state = program.apply(state, buy("B", "10.00")).state
        assert state.tier is not None
        assert state.tier.tier_id == "t"

    def test_either_a_balance_or_spend_qualifies(self) -> None:
        """Status points or spend, whichever comes first; the progress shows both metrics,
        with the status points' current value."""
        program = Program(
            name="P", currency="EUR", timezone="Europe/Berlin",
            balances={"status": PointScheme(redeemable=False, earn=[PointsPerAmount(
                id="flown", points=1, per=eur("1.00"))])},
            tiers=TierLadder(tiers=(Tier(id="t", name="T", requires=MinPoints(
                points=1_000, balance="status") | MinSpend(amount=eur("5000.00"))),),
                period=CalendarYear()))
        state = program.apply(None, buy("A", "400.00")).state
        progress = tier_progress(program, state, T0 + timedelta(hours=1))
        values = {(v.metric, v.unit): v.current for v in progress.metrics}
        assert values[("points", "status points")] == 400
        assert values[("spend", "spend")] == eur("400.00")


class TestReplay:
    def test_the_summary_counts_each_balance_apart(self) -> None:
        """Status points are never points liability: the summary's points are the award
        points, and each balance has its own totals."""
        program = airline()
        summary = program.replay([buy("F1", "300.00"), Return(
            id="R1", member_id="m", at=T0 + timedelta(days=1), purchase_id="F1",
            amount=eur("100.00"))]).summary()
        assert (summary.points_earned, summary.points_available) == (1_200, 800)
        status = summary.balances["status"]
        assert isinstance(status, BalanceTotals)
        assert (status.points_earned, status.points_revoked, status.points_available) == (
            300, 100, 200)
        assert status.liability is None
        assert not status.redeemable

    def test_replayed_states_equal_applied_ones(self) -> None:
        program = airline(pending_days=3)
        events = [buy("F1", "300.00"), buy("F2", "80.00", T0 + timedelta(days=1)),
                  Return(id="R1", member_id="m", at=T0 + timedelta(days=2), purchase_id="F1",
                         amount=eur("100.00"))]
        state = None
        for event in events:
            state = program.apply(state, event).state
        assert state is not None
        assert program.replay(events).states["m"] == state
        assert isinstance(state.balances["status"], PointBalance)  # type: ignore[index]


class TestSimulate:
    def test_status_points_are_never_points_liability(self) -> None:
        """``simulate`` totals and metrics count the program's own points only; a balance's
        effects are listed under ``<balance>/<rule>`` and move no points column."""
        from reciprocity import simulate

        program = airline()
        events = [buy("F1", "300.00"), buy("F2", "200.00", T0 + timedelta(days=3))]
        totals = simulate(program, events, progress=False).totals
        alone = simulate(Program(name="Air", currency="EUR", timezone="Europe/Berlin",
                                 points=program.points), events, progress=False).totals
        assert (totals.points_earned, totals.points_outstanding, totals.liability) == (
            alone.points_earned, alone.points_outstanding, alone.liability)
        assert totals.points_earned == 2_000
        table = simulate(program, events, progress=False).effects.columns
        status = [i for i, rule in enumerate(table["rule_id"]) if rule == "status/flown"]
        assert [table["points"][i] for i in status] == [300, 200]
        assert [table["outstanding_delta"][i] for i in status] == [0, 0]

    def test_a_redemption_model_redeems_from_the_programs_own_points(self) -> None:
        """The model draws redemptions of the program's own rewards from the program's own
        balance: status points never make a member look richer."""
        from decimal import Decimal

        from reciprocity import RedemptionModel, simulate

        program = airline().model_copy(update={"balances": {"status": PointScheme(
            earn=[PointsPerAmount(id="flown", points=10, per=eur("1.00"))],
            redeemable=False)}})
        program = Program.model_validate(program.model_dump())
        events = [buy(f"F{i}", "100.00", T0 + timedelta(days=i)) for i in range(5)]
        model = RedemptionModel(probability=Decimal("1"), breakage=Decimal("0"),
                                max_per_period=10)
        run = simulate(program, events, redemption=model, until=T0 + timedelta(days=70),
                       progress=False)
        alone = simulate(Program(name="Air", currency="EUR", timezone="Europe/Berlin",
                                 points=program.points), events, redemption=model,
                         until=T0 + timedelta(days=70), progress=False)
        assert run.rejected == alone.rejected == []
        from reciprocity.experiments.periods import Periods
        from reciprocity.experiments.progress import Progress

        with Progress(9, "test", enabled=False) as bar:
            passes = model.run(program, events, {}, T0 + timedelta(days=70), "raise",
                               Periods("M", "Europe/Berlin"), bar)
        assert passes.refused_redemptions == 0  # drawn from the award points alone
        assert (run.totals.points_redeemed, run.totals.vouchers) == (
            alone.totals.points_redeemed, alone.totals.vouchers)
        assert run.totals.points_redeemed == 2_000


def test_the_terms_show_each_balance_in_en_and_de() -> None:
    """Each balance's sections are headed by its name; status points say they buy nothing."""
    pytest.importorskip("babel", reason="terms need Babel: pip install 'reciprocity[i18n]'")
    program = airline(expiry=FixedLifetime(days=30))
    english = program.terms("en")
    assert "Earning points: “Status”" in english
    assert "These points cannot be redeemed; they only count towards tiers." in english
    assert "Expiry of points: “Status”" in english
    german = program.terms("de")
    assert "Punkte sammeln: „Status“" in german
    assert "Diese Punkte können nicht eingelöst werden; sie zählen nur für Stufen." in german
    assert "„Status“" not in seed_program().terms("de")


def test_the_ledger_store_keeps_status_points_out_of_the_points_liability(
        tmp_path: Path) -> None:
    """The store's liability sums ``points_delta``: a balance's effects change only their own
    balance (``balance_delta``), never the program's points."""
    from reciprocity.store import Store

    with Store(str(tmp_path / "ledger.db"), airline()) as store:
        store.apply(buy("F1", "300.00"))
        result = store.apply(Return(id="R1", member_id="m", at=T0 + timedelta(days=1),
                                    purchase_id="F1", amount=eur("100.00")))
        owed = store.liability(T0 + timedelta(days=2))
        state = store.states()["m"]
    assert owed.points == state.available_points == 800
    assert state.balances["status"].available_points == 200  # type: ignore[index]
    assert result.points_delta == -400
    status = [e for e in result.effects if e.balance == "status"]  # type: ignore[union-attr]
    assert [(e.points_delta, e.balance_delta) for e in status] == [(0, -100)]


def test_the_statement_shows_each_balance() -> None:
    """The member statement has a section per balance, and its figures in ``to_dict``; a
    program without balances has neither."""
    pytest.importorskip("babel", reason="statements need Babel: pip install 'reciprocity[i18n]'")
    program = airline(pending_days=14)
    state = program.apply(None, buy("F1", "300.00")).state
    statement = program.statement(state, T0 + timedelta(days=1))
    assert "Points: “Status”" in statement.to_text()
    assert "300 points from" in statement.to_text()
    assert statement.to_dict()["balances"]["status"]["pending"] == 300
    assert "Punkte: „Status“" in program.statement(state, T0 + timedelta(days=1), "de").to_text()
    seed = seed_program()
    plain = seed.statement(seed.apply(None, buy("A", "60.00")).state, T0 + timedelta(days=1))
    assert "balances" not in plain.to_dict()


def test_the_pre_launch_checks_read_a_balance_apart() -> None:
    """A tier on status points is reachable when only the status balance earns; a higher
    tier on more status points increases; one on another balance's points does not cover it."""
    from reciprocity import TypicalActivity

    def ladder(*tiers: Tier) -> Program:
        return Program(name="P", currency="EUR", balances={
            "status": PointScheme(redeemable=False, earn=[PointsPerPurchase(
                id="flown", points=100)]),
            "award": PointScheme(earn=[PointsPerPurchase(id="miles", points=10)])},
            tiers=TierLadder(tiers=tiers))

    low = Tier(id="a", name="A", requires=MinPoints(points=100, balance="status"))
    high = Tier(id="b", name="B", requires=MinPoints(points=1_000, balance="status"))
    other = Tier(id="c", name="C", requires=MinPoints(points=5_000, balance="award"))
    typical = TypicalActivity(orders=4, points=10)
    assert [f.code for f in ladder(low, high).check(typical=typical)] == []
    assert "thresholds-not-increasing" in [f.code for f in ladder(low, other).check()]


@pytest.mark.parametrize(("edit", "match"), [
    (lambda b: b["lots"][0].update(remaining=b["lots"][0]["points"] + 1),
     r"MemberState.balances\['status'\].lots\[0\].remaining=301 is above"),
    (lambda b: b.update(points_earned=b["points_earned"] + 5),
     r"MemberState.balances\['status'\].points_earned=305 but the lots and totals"),
])
def test_a_hand_edited_balance_is_refused_on_load(edit: Any, match: str) -> None:
    """A saved state's balances are checked as the program's own points are: no lot above
    its points, points conserved; the error names the balance."""
    from reciprocity import InvalidState

    state = airline(pending_days=14).apply(None, buy("F1", "300.00")).state
    data = json.loads(state.model_dump_json())
    edit(data["balances"]["status"])
    with pytest.raises(InvalidState, match=match):
        MemberState.model_validate_json(json.dumps(data))


def test_a_return_lowers_the_status_points_a_tier_counts() -> None:
    """Status points taken back by a return no longer count towards the tier."""
    program = airline()
    state = program.apply(None, buy("F1", "400.00")).state
    state = program.apply(state, Return(id="R1", member_id="m", at=T0 + timedelta(days=1),
                                        purchase_id="F1", amount=eur("100.00"))).state
    values = {v.unit: v.current for v in tier_progress(program, state,
                                                       T0 + timedelta(days=2)).metrics}
    assert values["status miles"] == 300
    state = program.apply(state, buy("F2", "199.00", T0 + timedelta(days=3))).state
    assert state.tier is None or state.tier.tier_id is None
    state = program.apply(state, buy("F3", "1.00", T0 + timedelta(days=4))).state
    assert state.tier is not None
    assert state.tier.tier_id == "ftl"


def test_a_balance_label_heads_its_sections_in_each_locale() -> None:
    """A balance's ``labels`` head its terms, statement and explain; a program without
    labels dumps the JSON it did before (no ``labels`` key)."""
    pytest.importorskip("babel", reason="terms need Babel: pip install 'reciprocity[i18n]'")
    base = airline()
    assert '"labels"' not in base.model_dump_json()
    labelled = Program.model_validate({**base.model_dump(), "balances": {"status": {
        **base.balances["status"].model_dump(),
        "labels": {"en": "Status miles", "de": "Statusmeilen"}}}})
    assert '"labels":{"en":"Status miles","de":"Statusmeilen"}' in labelled.model_dump_json()
    assert "Earning points: “Status miles”" in labelled.terms("en")
    assert "Punkte sammeln: „Statusmeilen“" in labelled.terms("de")
    assert "Balance 'Status miles', only counted for tiers:" in labelled.explain()
    state = labelled.apply(None, buy("F1", "300.00")).state
    assert "Punkte: „Statusmeilen“" in labelled.statement(
        state, T0 + timedelta(days=1), "de").to_text()
