"""A member state that stays small: declared windows, folded orders, a horizon for event ids.

The property tests run a program that folds against the same program keeping everything, on
random streams: every decision of the folding program is the keeping program's, and the only
events it decides otherwise are refused with a typed error (``order-folded``,
``event-too-old``). Its states round-trip through JSON at every step.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reciprocity import (
    CategoryGift,
    CategorySample,
    Complaint,
    DriftRule,
    EventConflict,
    EventTooOld,
    FeedbackRequest,
    FirstOrderGift,
    Gift,
    GiftScheme,
    GoodwillPolicy,
    GoodwillRule,
    History,
    InvalidProgram,
    InvalidState,
    Lifetime,
    MembershipYear,
    MemberState,
    MinOrders,
    Money,
    MonthsFromQualifying,
    NoExpiry,
    OrderFolded,
    Period,
    Program,
    Purchase,
    PurchaseColumns,
    RefusedEvent,
    Return,
    RollingMonths,
    SharedState,
    ThankYouGift,
    Tier,
    TierLadder,
    UnknownPurchase,
    VoucherCompensation,
    seed_program,
)
from reciprocity.gifts.folding import margin
from reciprocity.testing import full_programs, member_streams

T0 = datetime(2026, 1, 5, 10, tzinfo=UTC)


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def with_history(program: Program, history: History | None) -> Program:
    data = program.model_dump()
    data["history"] = None if history is None else history.model_dump()
    return Program.model_validate(data)


SEED = with_history(seed_program(), History(return_days=30))


def order(n: int, days: float, amount: str = "60.00") -> Purchase:
    return Purchase(id=f"A-{n:04}", member_id="m", at=T0 + timedelta(days=days),
                    amount=eur(amount))


def orders(program: Program, count: int, every: float = 2) -> MemberState:
    state = None
    for n in range(count):
        state = program.apply(state, order(n, n * every)).state
    assert state is not None
    return state


def roundtrip(state: MemberState) -> MemberState:
    loaded = MemberState.model_validate_json(state.model_dump_json())
    assert loaded == state
    return loaded


# -- the windows a program computes ------------------------------------------------------

def test_no_history_keeps_everything() -> None:
    assert seed_program().history_window() == (None, None)
    state = orders(seed_program(), 40)
    assert len(state.purchases) == 40
    assert state.folded is None
    assert len(state.applied_event_ids) == 40
    assert state.applied_event_times == ()


def test_windows_are_computed_from_the_families() -> None:
    assert SEED.history_window() == (62, 31)
    pending = SEED.points.model_copy(update={"pending_days": 45})
    assert with_history(SEED.model_copy(update={"points": pending}),
                        SEED.history).history_window() == (92, 46)
    assert with_history(seed_program(), History(return_days=30, event_days=7)
                        ).history_window() == (38, 7)
    assert with_history(seed_program(), History(return_days=30, event_days=90)
                        ).history_window() == (121, 90)
    assert with_history(seed_program(), History(return_days=30, fold_orders=False)
                        ).history_window() == (None, None)
    assert with_history(seed_program(), History(event_days=10)).history_window() == (None, 10)


def ladder(period: Any, validity: Any = None) -> TierLadder:
    bronze = Tier(id="bronze", name="Bronze", requires=MinOrders(count=1))
    return TierLadder(tiers=(bronze,), period=period,
                      validity=validity or MonthsFromQualifying(months=2))


def test_a_rolling_ladder_widens_the_window_and_a_period_ladder_keeps_totals() -> None:
    """A rolling ladder reads its orders one by one; a calendar-year, membership-year or
    lifetime ladder keeps totals per period, so its orders fold with the return window."""
    rolling = with_history(seed_program().model_copy(update={"tiers": ladder(
        RollingMonths(months=3))}), History(return_days=30))
    assert rolling.history_window() == (2 * (6 * 31 + 1), 6 * 31 + 1)
    forever = with_history(seed_program().model_copy(update={"tiers": ladder(
        RollingMonths(months=3), NoExpiry())}), History(return_days=30))
    assert forever.history_window() == (None, None)
    yearly = with_history(seed_program().model_copy(update={"tiers": TierLadder(
        tiers=ladder(Lifetime()).tiers)}), History(return_days=30))
    assert yearly.history_window() == (62, 31)
    for period, validity in ((Lifetime(), None), (Lifetime(), NoExpiry()),
                             (MembershipYear(), NoExpiry())):
        program = with_history(seed_program().model_copy(update={"tiers": ladder(
            period, validity)}), History(return_days=30))
        assert program.history_window() == (62, 31)


def gifts(*rules: Any) -> GiftScheme:
    return GiftScheme(rules=rules)


MUG = Gift(id="mug", name="mug", kind="physical", value=Money("5.00", "EUR"))


@pytest.mark.parametrize(("scheme", "days"), [
    (gifts(FirstOrderGift(id="first", gift=MUG)), 31),
    (gifts(ThankYouGift(id="thanks", orders=5, gift=MUG)), 366 + 31 + 1),
    (gifts(ThankYouGift(id="thanks", orders=5, per=Period.MONTH, gift=MUG)), 31 + 31 + 1),
    (gifts(ThankYouGift(id="thanks", orders=5, per=Period.LIFETIME, gift=MUG)), None),
    (gifts(CategoryGift(id="fav", samples=(CategorySample(category="tea", gift=MUG),))), None),
    (gifts(DriftRule(id="drift", quiet_days=90, lookback_days=200, message=FeedbackRequest(
        id="ask", text="How are we doing?"))), 90 + 200 + 31 + 1),
    (gifts(DriftRule(id="drift", quiet_days=90, lookback_days=None, message=FeedbackRequest(
        id="ask", text="How are we doing?"))), None),
])
def test_gift_rules_widen_the_window_or_keep_every_order(scheme: GiftScheme,
                                                          days: int | None) -> None:
    program = with_history(seed_program().model_copy(update={"gifts": scheme}),
                           History(return_days=30))
    assert program.history_window()[1] == days


def test_the_complaint_window_counts_with_a_goodwill_policy() -> None:
    policy = GoodwillPolicy(rules=(GoodwillRule(
        id="late", categories=("late_delivery",),
        compensation=VoucherCompensation(value=eur("5.00"))),))
    program = with_history(seed_program().model_copy(update={"goodwill": policy}),
                           History(return_days=14, complaint_days=60))
    assert program.history_window() == (122, 61)


def test_a_history_is_validated() -> None:
    with pytest.raises(InvalidProgram, match="return_days"):
        History(return_days=-1)
    assert "every order is kept" in History().describe()


# -- folding ------------------------------------------------------------------------------

def test_a_thousand_orders_leave_a_small_state() -> None:
    state = orders(SEED, 1000)
    assert len(state.model_dump_json()) < 8_000
    assert len(state.purchases) <= 32
    assert len(state.applied_event_ids) <= 16
    assert state.folded is not None
    assert state.folded.count + len(state.purchases) == state.purchase_count == 1000
    assert state.spend == eur("60.00").amount * 1000
    assert state.available_points == 1000
    assert state.revision == 1000
    assert roundtrip(state).folded == state.folded


def test_a_return_inside_the_window_is_decided_with_the_order() -> None:
    state = orders(SEED, 100)
    decision = SEED.apply(state, Return(id="R-1", member_id="m", at=T0 + timedelta(days=200),
                                        purchase_id="A-0099"))
    assert [effect.points for effect in decision.effects] == [1]  # type: ignore[attr-defined]


def test_a_return_about_a_folded_order_is_refused_with_its_code() -> None:
    state = orders(SEED, 100)
    with pytest.raises(OrderFolded, match="A-0003") as caught:
        SEED.apply(state, Return(id="R-1", member_id="m", at=T0 + timedelta(days=200),
                                 purchase_id="A-0003"))
    assert caught.value.code == "order-folded"
    assert caught.value.order_id == "A-0003"
    assert isinstance(caught.value, UnknownPurchase)
    with pytest.raises(UnknownPurchase):  # before anything folded: unknown, as before
        SEED.apply(orders(SEED, 3), Return(id="R-1", member_id="m", at=T0,
                                            purchase_id="A-9999"))


def test_a_complaint_about_a_folded_order_is_refused() -> None:
    policy = GoodwillPolicy(rules=(GoodwillRule(
        id="late", categories=("late_delivery",),
        compensation=VoucherCompensation(value=eur("5.00"))),))
    program = with_history(seed_program().model_copy(update={"goodwill": policy}),
                           History(return_days=14))
    state = orders(program, 30)
    complaint = Complaint(id="C-1", member_id="m", at=T0 + timedelta(days=60),
                          category="late_delivery", order_id="A-0001", severity=2)
    with pytest.raises(OrderFolded):
        program.apply(state, complaint)
    kept = complaint.model_copy(update={"order_id": "A-0029"})
    assert program.apply(state, kept).effects
    no_order = complaint.model_copy(update={"order_id": None})
    assert program.apply(state, no_order).effects


def test_advance_folds_too() -> None:
    state = orders(SEED, 5)
    later = SEED.advance(state, T0 + timedelta(days=100)).state
    assert later.purchases == ()
    assert later.folded is not None
    assert later.folded.count == 5
    assert later.applied_event_ids == ()
    assert later.revision == state.revision + 1


def test_replay_folds_as_apply_does() -> None:
    events = [order(n, n * 3) for n in range(60)]
    chain = None
    for event in events:
        chain = SEED.apply(chain, event).state
    replayed = SEED.replay(events).states["m"]
    assert replayed == chain
    columns = PurchaseColumns.from_events(events) if hasattr(PurchaseColumns, "from_events") \
        else None
    if columns is not None:
        assert SEED.replay(columns).states["m"] == chain


# -- event ids kept for a horizon ---------------------------------------------------------

def test_a_redelivered_event_inside_the_horizon_is_a_duplicate() -> None:
    state = orders(SEED, 50)
    again = SEED.apply(state, order(49, 49 * 2))
    assert again.effects == ()
    assert again.trace[0].outcome == "duplicate"
    assert again.state == state
    with pytest.raises(EventConflict):
        SEED.apply(state, order(49, 49 * 2, amount="70.00"))


def test_an_event_older_than_the_horizon_is_refused() -> None:
    state = orders(SEED, 50)
    with pytest.raises(EventTooOld) as caught:  # applied long ago, forgotten since
        SEED.apply(state, order(3, 6))
    assert caught.value.code == "event-too-old"
    assert caught.value.event_id == "A-0003"
    with pytest.raises(EventTooOld):  # never applied, but as old
        SEED.apply(state, Purchase(id="B-1", member_id="m", at=T0, amount=eur("60.00")))
    late = SEED.apply(state, Purchase(id="B-2", member_id="m", at=T0 + timedelta(days=80),
                                      amount=eur("60.00")))  # late, but inside the horizon
    assert late.state.purchase_count == 51


def test_a_state_written_without_event_times_forgets_its_ids_from_its_own_time() -> None:
    old = orders(seed_program(), 20)  # no history: no times
    assert old.applied_event_times == ()
    state = SEED.apply(old, order(20, 40)).state
    assert len(state.applied_event_times) == len(state.applied_event_ids) == 21
    assert SEED.apply(state, order(3, 6)).trace[0].outcome == "duplicate"
    state = SEED.apply(state, order(21, 120)).state
    assert state.applied_event_ids == ("A-0021",)
    with pytest.raises(EventTooOld):
        SEED.apply(state, order(3, 6))


def test_saved_times_and_folded_totals_are_checked_on_load() -> None:
    state = orders(SEED, 40)
    data = state.model_dump(mode="json")
    with pytest.raises(InvalidState, match="applied_event_times"):
        MemberState.model_validate({**data, "applied_event_times":
                                    data["applied_event_times"][1:]})
    with pytest.raises(InvalidState, match="purchase_count"):
        MemberState.model_validate({**data, "purchase_count": 3})
    folded = {**data["folded"], "returned": "1000000"}
    with pytest.raises(InvalidState, match=r"folded\.returned"):
        MemberState.model_validate({**data, "folded": folded})


# -- folding never changes a decision -----------------------------------------------------

STATE_ONLY = {"purchases", "folded", "applied_event_ids", "applied_event_fingerprints",
              "applied_event_times"}
"""Fields where a folding state differs from a keeping one by design."""


def _outcome(program: Program, state: MemberState | None, event: Any,
             shared: SharedState | None) -> tuple[Any, Any]:
    try:
        return program.apply(state, event, shared=shared), None
    except RefusedEvent as exc:
        return None, exc


@st.composite
def folding_cases(draw: st.DrawFn, *, tiers: bool | None = None,
                  start: datetime | None = None) -> tuple[Program, Program, list[Any]]:
    base = draw(full_programs(tiers=tiers))
    history = History(return_days=draw(st.integers(0, 60)),
                      complaint_days=draw(st.none() | st.integers(0, 90)),
                      event_days=draw(st.none() | st.integers(1, 90)))
    folding = with_history(base, history)
    keeping = with_history(base, None)
    events = draw(member_streams(program=base, max_size=25) if start is None
                  else member_streams(program=base, max_size=25, start=start))
    if events:  # a re-delivery of an earlier event, at the end
        events.append(draw(st.sampled_from(events)))
    return folding, keeping, events


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(folding_cases())
def test_folding_never_changes_a_decision(case: tuple[Program, Program, list[Any]]) -> None:
    check_folding(case)


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(folding_cases(tiers=True, start=datetime(2019, 1, 1, tzinfo=UTC)))
def test_folding_under_a_tier_ladder_over_years(case: tuple[Program, Program, list[Any]]
                                                ) -> None:
    """Streams over eight years, so that orders fold past a ladder's long window too."""
    check_folding(case)


def assert_gifts_folded(fstate: MemberState, kstate: MemberState, program: Program) -> None:
    """The folding state's gift history is the keeping one's without the grants that
    folded, each older than the newest folded order by its rule's margin (a year, or for
    an order gift only its cap's period)."""
    if fstate.gifts is None or kstate.gifts is None:
        assert fstate.gifts == kstate.gifts
        return
    assert fstate.gifts.model_dump(exclude={"grants"}) == \
        kstate.gifts.model_dump(exclude={"grants"})
    kept = {g.id for g in fstate.gifts.grants}
    assert fstate.gifts.grants == tuple(g for g in kstate.gifts.grants if g.id in kept)
    gone = [g for g in kstate.gifts.grants if g.id not in kept]
    if gone:
        assert fstate.folded is not None
        assert program.gifts is not None
        margins = {rule.id: margin(rule) for rule in program.gifts.rules}
        assert all(g.at < fstate.folded.through - margins[g.rule_id] for g in gone)


def assert_tier_folded(fstate: MemberState, kstate: MemberState) -> None:
    """The folding state's tier is the keeping one's; its folded periods hold the totals of
    folded orders only, each period at most once, oldest first."""
    if fstate.tier is None or kstate.tier is None:
        assert fstate.tier == kstate.tier
        return
    assert fstate.tier.model_dump(exclude={"folded"}) == \
        kstate.tier.model_dump(exclude={"folded"})
    assert kstate.tier.folded == ()
    periods = [period.period for period in fstate.tier.folded]
    assert periods == sorted(set(periods))
    if fstate.tier.folded:
        assert fstate.folded is not None
        assert sum(period.orders for period in fstate.tier.folded) <= fstate.folded.count
        assert all(period.through <= fstate.folded.through for period in fstate.tier.folded)


def check_folding(case: tuple[Program, Program, list[Any]]) -> None:
    folding, keeping, events = case
    fstate: MemberState | None = None
    kstate: MemberState | None = None
    fshared: SharedState | None = None
    kshared: SharedState | None = None
    taken = []
    for event in events:
        fdecision, ferror = _outcome(folding, fstate, event, fshared)
        if isinstance(ferror, OrderFolded | EventTooOld):
            continue  # the one difference folding makes: a typed refusal
        taken.append(event)
        kdecision, kerror = _outcome(keeping, kstate, event, kshared)
        assert type(ferror) is type(kerror), (ferror, kerror)
        if fdecision is None or kdecision is None:
            continue
        assert fdecision.effects == kdecision.effects
        assert [t.outcome for t in fdecision.trace] == [t.outcome for t in kdecision.trace]
        fstate, kstate = roundtrip(fdecision.state), kdecision.state
        fshared, kshared = fdecision.shared, kdecision.shared
        assert fstate.model_dump(exclude=STATE_ONLY | {"gifts", "tier"}) == \
            kstate.model_dump(exclude=STATE_ONLY | {"gifts", "tier"})
        assert_tier_folded(fstate, kstate)
        assert_gifts_folded(fstate, kstate, folding)
        kept = len(fstate.purchases) + (0 if fstate.folded is None else fstate.folded.count)
        assert kept == fstate.purchase_count
    if fstate is not None and not folding.uses_shared_state:
        # replay applies in (at, id) order: a refused event delivered again later at the same
        # instant sits beside its first delivery there, so fold apply in that order too
        ordered = sorted(taken, key=lambda event: (event.at, event.id))
        state = None
        for event in ordered:
            try:
                state = roundtrip(folding.apply(state, event).state)
            except RefusedEvent:
                continue
        if ordered == taken:
            assert state == fstate
        replayed = folding.replay(taken, errors="skip").states.get(fstate.member_id)
        assert replayed == state
