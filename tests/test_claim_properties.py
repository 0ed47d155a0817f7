"""Property tests of claim gifts and line facts: a claim gift is given at most as its cap
and the stock allow (and exactly that often when nothing else limits it), and a fact no
condition reads never changes a decision."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from reciprocity import (
    Cap,
    ChannelIs,
    ClaimGift,
    Custom,
    Event,
    Fact,
    Gift,
    GiftGranted,
    GiftScheme,
    Line,
    LineFact,
    MemberState,
    Money,
    OrderOverGift,
    Period,
    Program,
    Purchase,
    SharedState,
    Stock,
)

BERLIN = ZoneInfo("Europe/Berlin")
START = datetime(2026, 1, 1, tzinfo=BERLIN)
SAMPLE = Gift(id="sample", name="sample", kind="sample", value=Money("3.00", "EUR"),
              stock="samples")


def program(*rules: Any, units: int) -> Program:
    return Program(name="Samples", version="1", currency="EUR", timezone="Europe/Berlin",
                   facts=(Fact(name="discounted", type="bool", on="line"),),
                   gifts=GiftScheme(rules=rules, stock=(Stock(id="samples", units=units),)))


def run(prog: Program, events: list[Event]) -> tuple[list[Any], dict[str, MemberState]]:
    states: dict[str, MemberState] = {}
    shared: SharedState | None = None
    effects: list[Any] = []
    for event in events:
        decision = prog.apply(states.get(event.member_id), event, shared=shared)
        states[event.member_id], shared = decision.state, decision.shared
        effects += decision.effects
    return effects, states


claims = st.lists(
    st.tuples(st.integers(0, 120 * 24 * 60), st.sampled_from(["a", "b"]),
              st.sampled_from(["store", "web", None])),
    max_size=25)


@settings(max_examples=60, deadline=None)
@given(claims, st.integers(1, 3), st.sampled_from([Period.WEEK, Period.MONTH]),
       st.integers(0, 30))
def test_claims_are_given_as_caps_and_stock_allow(
        drawn: list[tuple[int, str, str | None]], count: int, per: Period, units: int) -> None:
    """Per member and period at most ``count`` claims are given, never more than the stock
    in all; each grant answers a store claim; with stock enough, exactly
    ``min(count, store claims in the period)``."""
    rule = ClaimGift(id="claim", on="sample_claimed", gift=SAMPLE,
                     when=ChannelIs(channels=("store",)), cap=Cap(count=count, per=per))
    events: list[Event] = [
        Custom(id=f"c-{n}", member_id=member, name="sample_claimed", channel=channel,
               at=START + timedelta(minutes=minutes))
        for n, (minutes, member, channel) in enumerate(sorted(drawn, key=lambda d: d[:2]))]
    by_id = {e.id: e for e in events}
    effects, _ = run(program(rule, units=units), events)
    granted = [e for e in effects if isinstance(e, GiftGranted)]
    assert len(granted) <= units
    for grant in granted:
        assert grant.event_id is not None
        assert by_id[grant.event_id].channel == "store"
    per_period = Counter((g.member_id, per.key(g.at, BERLIN)) for g in granted)
    assert all(n <= count for n in per_period.values())
    if units >= len(events):
        wanted = Counter((e.member_id, per.key(e.at, BERLIN)) for e in events
                         if isinstance(e, Custom) and e.channel == "store")
        assert per_period == Counter({key: min(n, count) for key, n in wanted.items()})


unread = st.dictionaries(st.sampled_from(["note", "colour", "till", "campaign"]),
                         st.one_of(st.booleans(), st.integers(-5, 5), st.text(max_size=4)),
                         max_size=2)


@st.composite
def streams(draw: st.DrawFn) -> list[tuple[Event, Event]]:
    """Pairs of the same event without and with facts no condition reads."""
    pairs: list[tuple[Event, Event]] = []
    for n in range(draw(st.integers(1, 12))):
        at = START + timedelta(hours=draw(st.integers(0, 24 * 90)))
        member = draw(st.sampled_from(["a", "b"]))
        extra = draw(unread)
        if draw(st.booleans()):
            channel = draw(st.sampled_from(["store", "web"]))
            pairs.append((Custom(id=f"e-{n}", member_id=member, at=at, name="sample_claimed",
                                 channel=channel),
                          Custom(id=f"e-{n}", member_id=member, at=at, name="sample_claimed",
                                 channel=channel, payload=draw(unread), metadata=extra)))
            continue
        plain, marked = [], []
        for k in range(draw(st.integers(0, 3))):
            flag = draw(st.sampled_from([True, False, None]))
            meta = {} if flag is None else {"discounted": flag}
            price = Money(f"{draw(st.integers(1, 40))}.00", "EUR")
            plain.append(Line(sku=f"s{k}", quantity=1, unit_price=price, metadata=meta))
            marked.append(Line(sku=f"s{k}", quantity=1, unit_price=price,
                               metadata={**draw(unread), **meta}))
        amount = Money(f"{draw(st.integers(1, 80))}.00", "EUR")
        channel = draw(st.sampled_from(["store", "web", None]))
        pairs.append((Purchase(id=f"e-{n}", member_id=member, at=at, amount=amount,
                               channel=channel, lines=tuple(plain)),
                      Purchase(id=f"e-{n}", member_id=member, at=at, amount=amount,
                               channel=channel, lines=tuple(marked), metadata=extra)))
    pairs.sort(key=lambda pair: pair[0].at)
    return pairs


@settings(max_examples=60, deadline=None)
@given(streams())
def test_an_unread_fact_never_changes_a_decision(pairs: list[tuple[Event, Event]]) -> None:
    """Metadata, payload and line metadata that no condition reads change no effect and no
    state (but the events' fingerprints)."""
    prog = program(
        ClaimGift(id="claim", on="sample_claimed", gift=SAMPLE,
                  when=ChannelIs(channels=("store",)), cap=Cap(count=1, per=Period.WEEK)),
        OrderOverGift(id="online", amount=Money("30.00", "EUR"), inclusive=True, gift=SAMPLE,
                      when=ChannelIs(channels=("web",))),
        OrderOverGift(id="full-price", amount=Money("0.00", "EUR"), gift=SAMPLE,
                      when=LineFact(fact="discounted", value=False, match="all")),
        OrderOverGift(id="sale", amount=Money("0.00", "EUR"), gift=SAMPLE,
                      when=LineFact(fact="discounted", value=True)),
        units=20)
    plain_effects, plain_states = run(prog, [p for p, _ in pairs])
    marked_effects, marked_states = run(prog, [m for _, m in pairs])
    assert [e.model_dump() for e in marked_effects] == [e.model_dump() for e in plain_effects]
    # An event's fingerprint covers all it says (a changed resend is a conflict), so it differs.
    assert {m: s.model_copy(update={"applied_event_fingerprints": ()})
            for m, s in marked_states.items()} == {
        m: s.model_copy(update={"applied_event_fingerprints": ()})
        for m, s in plain_states.items()}
