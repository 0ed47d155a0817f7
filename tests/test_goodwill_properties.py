"""Property tests of goodwill: bounds are never passed, severity never lowers compensation."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reciprocity import (
    Approval,
    Budget,
    Cap,
    Complaint,
    CreditCompensation,
    Decision,
    Diminishing,
    Event,
    GiftCompensation,
    GoodwillGranted,
    GoodwillPending,
    GoodwillPolicy,
    GoodwillRule,
    LateResponseStep,
    MemberState,
    Money,
    NotAwaitingApproval,
    Period,
    PointScheme,
    PointsCompensation,
    Program,
    Purchase,
    RefundShare,
    ResponseTime,
    Return,
    Reward,
    Rounding,
    SharedState,
    VoucherCompensation,
)

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2026, 3, 20, 9, tzinfo=BERLIN)  # streams cross a DST change and month ends
CATEGORIES = ("late_delivery", "damaged", "quality", "service", "partial_delivery")
SETTINGS = settings(max_examples=80, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def eur_cents(cents: int) -> Money:
    return Money(Decimal(cents).scaleb(-2), "EUR")


cents = st.integers(1, 20_000)
factors = st.lists(st.sampled_from(["0", "0.5", "1", "1.25", "1.5", "2", "3"]), min_size=5,
                   max_size=5).map(lambda xs: tuple(sorted(Decimal(x) for x in xs)))


@st.composite
def rules(draw: st.DrawFn) -> tuple[GoodwillRule, ...]:
    """A non-empty mix of every compensation kind and criterion."""
    def by_severity() -> Any:
        return draw(st.none() | factors)

    pool = [
        GoodwillRule(id="late", categories=("late_delivery",), by_severity=by_severity(),
                     compensation=VoucherCompensation(value=eur_cents(draw(cents)),
                                                      valid_days=draw(st.none() | st.just(30)))),
        GoodwillRule(id="damaged", categories=("damaged", "quality"), by_severity=by_severity(),
                     min_severity=draw(st.integers(1, 5)),
                     compensation=RefundShare(
                         percent=Decimal(draw(st.integers(1, 100))),
                         max=draw(st.none() | cents.map(eur_cents)),
                         rounding=draw(st.sampled_from(list(Rounding))))),
        GoodwillRule(id="points", by_severity=by_severity(),
                     compensation=PointsCompensation(points=draw(st.integers(1, 3000)))),
        GoodwillRule(id="credit", categories=("service", "partial_delivery"),
                     by_severity=by_severity(),
                     compensation=CreditCompensation(percent=Decimal(draw(st.integers(1, 60))),
                                                     of="affected")),
        GoodwillRule(id="gift", min_severity=3, late_response=draw(st.none() | st.booleans()),
                     compensation=GiftCompensation(name="mug", value=eur_cents(draw(cents)))),
        GoodwillRule(id="kulanz", past_return_window=draw(st.integers(1, 40)),
                     approval=draw(st.booleans()),
                     compensation=RefundShare(percent=Decimal(100))),
    ]
    chosen = draw(st.lists(st.sampled_from(range(len(pool))), min_size=1, max_size=4,
                           unique=True))
    return tuple(pool[i] for i in sorted(chosen))


@st.composite
def policies(draw: st.DrawFn, *, lifetime_cap: bool = False,
             budget: bool | None = None) -> GoodwillPolicy:
    """A goodwill policy with drawn rules, steps and bounds."""
    caps = []
    if draw(st.booleans()):
        caps.append(Cap(amount=eur_cents(draw(st.integers(0, 20_000))), per=Period.MONTH,
                        count=draw(st.none() | st.integers(0, 4))))
    if lifetime_cap or draw(st.booleans()):
        caps.append(Cap(amount=eur_cents(draw(st.integers(0, 40_000)))))
    with_budget = draw(st.booleans()) if budget is None else budget
    curve = draw(st.none() | st.lists(st.sampled_from(["0", "0.5", "0.75", "1"]), min_size=1,
                                      max_size=4))
    return GoodwillPolicy(
        rules=draw(rules()),
        return_window_days=draw(st.integers(0, 20)),
        response_time=draw(st.none() | st.builds(
            lambda hours, a, b: ResponseTime(promised_hours=hours, steps=(
                LateResponseStep(factor=Decimal(a)),
                LateResponseStep(late_by_hours=24, factor=Decimal(a) + Decimal(b)))),
            st.integers(1, 48), st.sampled_from(["1", "1.5", "2"]),
            st.sampled_from(["0", "0.5"]))),
        diminishing=None if curve is None else Diminishing(
            window_days=draw(st.integers(1, 40)),
            factors=tuple(sorted((Decimal(x) for x in curve), reverse=True))),
        caps=tuple(caps),
        budget=Budget(id="gw", amount=eur_cents(draw(st.integers(0, 30_000))),
                      count=draw(st.none() | st.integers(0, 6)), per=Period.MONTH)
        if with_budget else None,
        max_per_complaint=draw(st.none() | cents.map(eur_cents)),
        may_exceed_order_value=draw(st.booleans()),
        approval_above=draw(st.none() | st.integers(0, 15_000).map(eur_cents)),
        point_value=draw(st.none() | st.sampled_from(["0.01", "0.07", "0.10", "1.00"]).map(
            lambda x: Money(x, "EUR"))),
        rounding=draw(st.sampled_from(list(Rounding))),
    )


def program_of(policy: GoodwillPolicy) -> Program:
    scheme = PointScheme(rewards=(Reward(id="v", name="voucher", points=10,
                                         value=Money("10.00", "EUR")),))
    return Program(name="p", timezone="Europe/Berlin", points=scheme, goodwill=policy)


@st.composite
def stories(draw: st.DrawFn, member: str = "m-1", max_steps: int = 14) -> list[Event]:
    """One member's purchases, returns, complaints (about known, returned or unknown orders,
    repeated or not) and approvals, in time order."""
    steps = draw(st.lists(st.tuples(
        st.sampled_from(["buy", "complain", "complain", "complain", "return", "approve"]),
        st.integers(0, 30) | st.integers(0, 400)), min_size=1, max_size=max_steps))
    at = START
    events: list[Event] = []
    left: dict[str, int] = {}
    complaints: list[str] = []
    for index, (kind, gap) in enumerate(steps):
        at = at + timedelta(hours=gap)
        eid = f"{member}-{index:02d}"
        open_orders = [oid for oid, rest in left.items() if rest > 0]
        if kind == "buy" or (kind == "return" and not open_orders):
            amount = draw(st.integers(0, 30_000))
            left[eid] = amount
            events.append(Purchase(id=eid, member_id=member, at=at, amount=eur_cents(amount)))
        elif kind == "return":
            oid = draw(st.sampled_from(open_orders))
            part = draw(st.none() | st.integers(1, left[oid]))
            left[oid] = 0 if part is None else left[oid] - part
            events.append(Return(id=eid, member_id=member, at=at, purchase_id=oid,
                                 amount=None if part is None else eur_cents(part)))
        elif kind == "approve" and complaints:
            events.append(Approval(id=eid, member_id=member, at=at,
                                   ref_event_id=draw(st.sampled_from(complaints)),
                                   approved=draw(st.booleans())))
        else:
            order = draw(st.sampled_from([*left, "unknown", None]))
            reply = draw(st.none() | st.integers(0, 120))
            events.append(Complaint(
                id=eid, member_id=member, at=at, order_id=order,
                category=draw(st.sampled_from(CATEGORIES)), severity=draw(st.integers(1, 5)),
                amount_affected=draw(st.none() | st.integers(1, 20_000).map(eur_cents)),
                first_response_at=None if reply is None else at + timedelta(hours=reply)))
            complaints.append(eid)
    return events


def committed(state: MemberState) -> list[tuple[datetime, Decimal, str | None]]:
    """(decided at, value, order) of every grant and pending approval of the member."""
    history = state.goodwill
    if history is None:
        return []
    return ([(g.decided_at, g.value.amount, g.order_id) for g in history.grants]
            + [(p.at, p.value.amount, p.order_id) for p in history.pending])


def check_bounds(policy: GoodwillPolicy, state: MemberState, shared: SharedState | None,
                 bought: dict[str, Decimal]) -> None:
    """Every declared bound holds for this state (and the program-wide state)."""
    used = committed(state)
    for cap in policy.caps:
        by_period: dict[str, list[Decimal]] = defaultdict(list)
        for when, value, _ in used:
            by_period[cap.per.key(when, BERLIN)].append(value)
        for values in by_period.values():
            if cap.count is not None:
                assert len(values) <= cap.count
            if cap.amount is not None:
                assert sum(values) <= cap.amount.amount
    for _, value, _ in used:
        assert value > 0
        if policy.max_per_complaint is not None:
            assert value <= policy.max_per_complaint.amount
    if not policy.may_exceed_order_value:
        by_order: dict[str, Decimal] = defaultdict(Decimal)
        for _, value, order in used:
            if order is not None and order in bought:
                by_order[order] += value
        for order, total in by_order.items():
            assert total <= bought[order]


def check_budget(policy: GoodwillPolicy, states: dict[str, MemberState],
                 shared: SharedState | None) -> None:
    """The program budget holds, counted from every member's history, and the program-wide
    state agrees with that count."""
    budget = policy.budget
    if budget is None:
        return
    by_month: dict[str, list[Decimal]] = defaultdict(list)
    for state in states.values():
        for when, value, _ in committed(state):
            by_month[budget.key(when, BERLIN)].append(value)
    for key, values in by_month.items():
        if budget.count is not None:
            assert len(values) <= budget.count
        if budget.amount is not None:
            assert sum(values) <= budget.amount.amount
        assert shared is not None
        use = shared.budgets[key]
        assert (use.count, use.amount) == (len(values), sum(values))


def offered(decision: Decision) -> Decimal:
    """The value a complaint's decision gives or proposes (0 when it declines)."""
    return sum((e.value.amount for e in decision.effects
                if isinstance(e, GoodwillGranted | GoodwillPending)), Decimal(0))


class TestBoundsNeverPassed:
    """Caps, budgets, per-complaint and order-value bounds hold after every event."""

    @SETTINGS
    @given(policy=policies(), streams=st.lists(st.integers(0, 2), min_size=1, max_size=3,
                                               unique=True).flatmap(
        lambda members: st.tuples(*(stories(f"m-{i}", 10) for i in members))))
    def test_caps_and_budgets_hold_across_members(self, policy: GoodwillPolicy,
                                                  streams: tuple[list[Event], ...]) -> None:
        """Across several members sharing a budget, no bound is passed at any point."""
        program = program_of(policy)
        events = [event for stream in streams for event in stream]
        bought = {e.id: e.amount.amount for e in events if isinstance(e, Purchase)}
        granted_points: dict[str, int] = defaultdict(int)
        states: dict[str, MemberState] = {}
        for decision in program.replay(events, errors="skip"):
            check_bounds(policy, decision.state, decision.shared, bought)
            states[decision.state.member_id] = decision.state
            check_budget(policy, states, decision.shared)
            for effect in decision.effects:
                if isinstance(effect, GoodwillGranted):
                    granted_points[effect.member_id] += effect.points or 0
        # every goodwill point went through the point scheme (the only earner here)
        replay = program.replay(events, errors="skip")
        for mid, state in replay.states.items():
            assert state.points_earned == granted_points[mid]

    @SETTINGS
    @given(policy=policies(budget=False), events=stories())
    def test_every_complaint_is_decided_once(self, policy: GoodwillPolicy,
                                             events: list[Event]) -> None:
        """Each complaint yields one goodwill decision, an approval at most one more."""
        program = program_of(policy)
        state: MemberState | None = None
        for event in events:
            try:
                decision = program.apply(state, event)
            except NotAwaitingApproval:
                continue
            state = decision.state
            kinds = [type(e).__name__ for e in decision.effects if e.type.startswith("goodwill")]
            if isinstance(event, Complaint | Approval):
                assert len(kinds) == 1
            else:
                assert kinds == []
        if state is not None and state.goodwill is not None:
            history = state.goodwill
            pending = {p.complaint_id for p in history.pending}
            granted = [g.complaint_id for g in history.grants]
            assert len(granted) == len(set(granted))
            assert not pending & set(granted)
            for record in history.complaints:
                assert (record.outcome == "pending") == (record.id in pending)
                assert (record.outcome == "granted") == (record.id in granted)


class TestMonotoneInSeverity:
    """For the same member, history and order, a more severe complaint never gets less."""

    @SETTINGS
    @given(policy=policies(), history=stories(max_steps=8), data=st.data())
    def test_more_severity_never_gives_less(self, policy: GoodwillPolicy,
                                            history: list[Event], data: st.DataObject) -> None:
        """Offered value (granted or pending) is non-decreasing in severity 1..5."""
        program = program_of(policy)
        state: MemberState | None = None
        shared: SharedState | None = None
        for event in history:
            try:
                decision = program.apply(state, event, shared=shared)
            except NotAwaitingApproval:
                continue
            state, shared = decision.state, decision.shared
        orders = [e.id for e in history if isinstance(e, Purchase)]
        at = max(e.at for e in history) + timedelta(hours=data.draw(st.integers(0, 400)))
        reply = data.draw(st.none() | st.integers(0, 120))
        base = dict(id="C-final", member_id="m-1", at=at,
                    order_id=data.draw(st.sampled_from([*orders, None])),
                    category=data.draw(st.sampled_from(CATEGORIES)),
                    amount_affected=data.draw(st.none() | cents.map(eur_cents)),
                    first_response_at=None if reply is None else at + timedelta(hours=reply))
        values = [offered(program.apply(state, Complaint(severity=severity, **base),
                                        shared=shared))
                  for severity in range(1, 6)]
        assert values == sorted(values), values


class TestDeclaredMaximumPerMember:
    """No complaint stream yields more than the declared maximum per member."""

    @SETTINGS
    @given(policy=policies(lifetime_cap=True), events=stories(max_steps=20))
    def test_total_never_exceeds_the_lifetime_cap(self, policy: GoodwillPolicy,
                                                  events: list[Event]) -> None:
        """Granted plus pending never exceeds the lifetime cap, whatever the stream."""
        program = program_of(policy)
        [lifetime] = [cap for cap in policy.caps if cap.per is Period.LIFETIME]
        assert lifetime.amount is not None
        replay = program.replay(events, errors="skip")
        total = Decimal(0)
        for effect in replay.effects():
            if isinstance(effect, GoodwillGranted):
                total += effect.value.amount
        state = replay.states["m-1"]
        assert total <= lifetime.amount.amount
        assert sum(value for _, value, _ in committed(state)) <= lifetime.amount.amount
