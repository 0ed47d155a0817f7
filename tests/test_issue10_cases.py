"""Every bad input issue 10 lists, in one table: the input and the error code it must raise.

Sections follow the issue: inputs that crashed outside ``ReciprocityError``, inputs that were
accepted and must be refused, a reused event id with other content, saved states that break
an invariant, and program files. An event is tried through ``parse_event`` and, where a
program is needed to refuse it, through ``Program.apply`` and ``Program.replay`` too, which
must leave the state they were given untouched.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reciprocity import (
    FixedLifetime,
    MemberState,
    Money,
    PointScheme,
    Program,
    ReciprocityError,
    Tier,
    parse_event,
    seed_program,
)
from reciprocity._fastpath import ROW_NAMES

AT = "2026-03-01T12:00:00+01:00"
_SEED = seed_program()
PROGRAM = Program(  # the seed program, with lots that expire
    name=_SEED.name, currency=_SEED.currency, timezone=_SEED.timezone,
    points=PointScheme(earn=_SEED.points.earn, rewards=_SEED.points.rewards,
                       expiry=FixedLifetime(months=12)))


def purchase(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"type": "purchase", "id": "A-1", "member_id": "m-1", "at": AT,
                            "amount": "60.00 EUR"}
    data.update(changes)
    return data


def complaint(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"type": "complaint", "id": "C-1", "member_id": "m-1", "at": AT}
    data.update(changes)
    return data


def program(**points: Any) -> dict[str, Any]:
    return {"name": "P", "currency": "EUR", "timezone": "Europe/Berlin",
            "points": {"earn": [{"type": "points_per_purchase", "id": "r", "points": 1,
                                 **points}]}}


def saved() -> MemberState:
    """A member with two purchases (one with lines, one partly returned), a voucher and a
    lot, as a shop would have saved it."""
    state = None
    for event in [
        purchase(id="A-1", amount="120.00 EUR",
                 lines=[{"sku": "S", "quantity": 2, "unit_price": "60.00 EUR"}]),
        purchase(id="A-2", at="2026-03-02T12:00:00+01:00", amount="60.00 EUR"),
        *[purchase(id=f"A-{n}", at=f"2026-03-{n:02d}T12:00:00+01:00") for n in range(3, 12)],
        {"type": "redemption", "id": "R-1", "member_id": "m-1",
         "at": "2026-03-20T12:00:00+01:00", "reward_id": "voucher-10"},
        {"type": "return", "id": "X-1", "member_id": "m-1", "at": "2026-03-21T12:00:00+01:00",
         "purchase_id": "A-2", "amount": "5.00 EUR"},
        purchase(id="A-30", at="2026-03-30T12:00:00+01:00"),
    ]:
        state = PROGRAM.apply(state, event).state
    assert state is not None
    return state


STATE = saved()


def edited(edit: Callable[[dict[str, Any]], None]) -> str:
    doc: dict[str, Any] = json.loads(STATE.model_dump_json())
    edit(doc)
    return json.dumps(doc)


def _key(target: Any, part: str) -> Any:
    """``part`` of ``target``: an index, a key, or a field of a purchase record's row, named
    as in the object form."""
    if part.isdigit():
        return int(part)
    return ROW_NAMES.index(part) if isinstance(target, list) else part


def put(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = doc
        for part in parents:
            target = target[_key(target, part)]
        target[_key(target, last)] = value
    return edit


def swap_ids(doc: dict[str, Any]) -> None:
    ids = doc["applied_event_ids"]
    ids[0], ids[1] = ids[1], ids[0]


def repeat_id(doc: dict[str, Any]) -> None:
    doc["applied_event_ids"][1] = doc["applied_event_ids"][0]


def duplicate_lot(doc: dict[str, Any]) -> None:
    doc["lots"].append(dict(doc["lots"][0]))


def negative_counter(doc: dict[str, Any]) -> None:
    doc["earn_counters"] = {"over-50@month@2026-03": -3}


# (case as the issue words it, kind, input, expected code)
# kind: "event" parse_event; "apply" apply and replay on the saved member; "state" load a saved
# state document; "program" validate a program document; "file" Program.load of a file
# (content, or None for a missing file); "call" a function.
CASES: list[tuple[str, str, Any, str]] = [
    # -- crashes outside ReciprocityError -------------------------------------------------
    ("year 1 (OverflowError in require_aware)", "event",
     purchase(at="0001-01-01T00:00:00+01:00"), "invalid-event"),
    ("year 9999 (OverflowError in require_aware)", "event",
     purchase(at="9999-12-31T23:59:59-01:00"), "invalid-event"),
    ("year 9999 in a complaint's resolved_at", "event",
     complaint(resolved_at="9999-12-31T23:00:00-05:00"), "invalid-event"),
    ("year 1 birthday (date value out of range)", "event",
     {"type": "signup", "id": "S-1", "member_id": "m-1", "at": AT,
      "birthday": "0001-01-01"}, "invalid-event"),
    ("'1E+27 EUR' (InvalidOperation in Rounding.apply)", "event",
     purchase(amount="1E+27 EUR"), "invalid-event"),
    ("'1E+27 EUR' as a complaint's amount_affected", "event",
     complaint(amount_affected="1E+27 EUR"), "invalid-event"),
    ("'1E+27 EUR' as a reward's value", "program",
     {**program(), "points": {"earn": [], "rewards": [
         {"id": "v", "name": "v", "points": 10, "value": "1E+27 EUR"}]}}, "invalid-program"),
    # -- accepted, should be refused --------------------------------------------------------
    ("negative line unit price", "event",
     purchase(lines=[{"sku": "X", "quantity": 1, "unit_price": "-1.00 EUR"}]),
     "invalid-event"),
    ("a birthday in the future", "event",
     {"type": "signup", "id": "S-1", "member_id": "m-1", "at": AT, "birthday": "2030-01-01"},
     "invalid-event"),
    ("a birthday in the future, in a profile update", "event",
     {"type": "profile_update", "id": "U-1", "member_id": "m-1", "at": AT,
      "birthday": "2026-03-05"}, "invalid-event"),
    ("a complaint resolved before it was made", "event",
     complaint(resolved_at="2026-02-01T00:00:00+00:00"), "invalid-event"),
    ("amount_affected in another currency, program without goodwill", "apply",
     complaint(amount_affected="5.00 USD"), "currency-mismatch"),
    ("an approval for an unknown complaint", "apply",
     {"type": "approval", "id": "AP-1", "member_id": "m-1", "at": "2026-04-01T12:00:00Z",
      "ref_event_id": "C-9"}, "not-awaiting-approval"),
    ("amount finer than the minor unit: 70.001 EUR", "event",
     purchase(amount="70.001 EUR"), "invalid-event"),
    ("amount finer than the minor unit: 1E-30 EUR", "event",
     purchase(amount="1E-30 EUR"), "invalid-event"),
    ("return amount finer than the minor unit", "event",
     {"type": "return", "id": "X-9", "member_id": "m-1", "at": AT, "purchase_id": "A-1",
      "amount": "0.001 EUR"}, "invalid-event"),
    ("id empty after trimming", "event", purchase(id="   "), "invalid-event"),
    ("member id empty after trimming", "event", purchase(member_id="\t "), "invalid-event"),
    ("id with a control character", "event", purchase(id="A\x001"), "invalid-event"),
    ("member id with a newline", "event", purchase(member_id="m\n1"), "invalid-event"),
    ("id megabytes long", "event", purchase(id="x" * 2_000_000), "invalid-event"),
    ("integer epoch time", "event", purchase(at=1_700_000_000), "invalid-event"),
    ("epoch time as a string", "event", purchase(at="1700000000"), "invalid-event"),
    ("float epoch time", "event", purchase(at=1.7e9), "invalid-event"),
    ("points: 10**30 in a program", "program", program(points=10**30), "invalid-program"),
    ("points: 10**30 in a redemption", "event",
     {"type": "redemption", "id": "V-1", "member_id": "m-1", "at": AT, "reward_id": "x",
      "points": 10**30}, "invalid-event"),
    # -- a reused id with other content -----------------------------------------------------
    ("a Return with the id of a purchase", "apply",
     {"type": "return", "id": "A-1", "member_id": "m-1", "at": "2026-04-01T12:00:00Z",
      "purchase_id": "A-2"}, "event-id-conflict"),
    ("a purchase id reused with another amount", "apply",
     purchase(id="A-1", amount="99.00 EUR"), "event-id-conflict"),
    ("a redemption id reused by a complaint", "apply",
     complaint(id="R-1", at="2026-04-01T12:00:00Z"), "event-id-conflict"),
    # -- saved states that break an invariant -----------------------------------------------
    ("negative points_earned", "state", put("points_earned", -1), "invalid-state"),
    ("negative points_redeemed", "state", put("points_redeemed", -10), "invalid-state"),
    ("negative purchase_count", "state", put("purchase_count", -2), "invalid-state"),
    ("negative spend", "state", put("spend", "-45.00"), "invalid-state"),
    ("negative earn counter", "state", negative_counter, "invalid-state"),
    ("totals that do not match the lots", "state", put("points_earned", 5_000),
     "invalid-state"),
    ("a lot with remaining above its points", "state",
     put("lots.0.remaining", 1_000_000_000), "invalid-state"),
    ("pooled points above what was earned", "state", put("pooled_points", 1_000_000_035),
     "invalid-state"),
    ("duplicate lot ids", "state", duplicate_lot, "invalid-state"),
    ("unsorted applied_event_ids", "state", swap_ids, "invalid-state"),
    ("repeated applied_event_ids", "state", repeat_id, "invalid-state"),
    ("spend as a JSON float", "state", put("spend", 45.0), "invalid-state"),
    ("a purchase with a negative amount", "state", put("purchases.0.amount", "-30.00"),
     "invalid-state"),
    ("a purchase returned beyond its amount", "state", put("purchases.1.returned", "99.00"),
     "invalid-state"),
    ("a voucher in a foreign currency", "state", put("vouchers.0.value.currency", "USD"),
     "invalid-state"),
    # -- program files and models -----------------------------------------------------------
    ("TOMLDecodeError", "file", ("p.toml", 'name = "x"\ncurrency = EUR\n'),
     "invalid-program"),
    ("YAML ParserError", "file", ("p.yaml", "name: [x\n"), "invalid-program"),
    ("UnicodeDecodeError", "file", ("p.json", b"\xff\xfe{}"), "invalid-program"),
    ("FileNotFoundError", "file", ("p.json", None), "invalid-program"),
    ("JSON syntax error", "file", ("p.json", '{"name": }'), "invalid-program"),
    ("Tier(min_spend=...)", "call",
     lambda: Tier(id="gold", min_spend=Money("100.00", "EUR")), "invalid-program"),
    ("an unknown event type", "event", {"type": "purchse", "id": "X", "member_id": "m",
                                        "at": AT}, "invalid-event"),
]


def attempt(kind: str, given: Any, tmp_path: Path) -> None:
    """Run one case (see the kinds above ``CASES``)."""
    if kind == "event":
        parse_event(given)
    elif kind == "apply":
        before = STATE.model_dump_json()
        try:
            PROGRAM.apply(STATE, given)
        finally:
            assert STATE.model_dump_json() == before
    elif kind == "state":
        MemberState.model_validate_json(edited(given))
    elif kind == "program":
        Program.model_validate(given)
    elif kind == "file":
        name, content = given
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif content is not None:
            path.write_text(content, encoding="utf-8")
        Program.load(path)
    else:
        given()


@pytest.mark.parametrize(("kind", "given", "code"), [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_issue10_case(kind: str, given: Any, code: str, tmp_path: Path) -> None:
    """Each case raises a ReciprocityError with its code; a refused event leaves the state
    it was applied to as it was, in apply and in replay."""
    with pytest.raises(ReciprocityError) as info:
        attempt(kind, given, tmp_path)
    assert info.value.code == code, str(info.value)
    assert str(info.value).endswith(f"[{code}]")
    if kind == "apply":
        with pytest.raises(ReciprocityError) as again:
            PROGRAM.replay([given], states={"m-1": STATE}).summary()
        assert again.value.code == code


def test_the_saved_member_loads() -> None:
    """The unedited document behind the state cases loads and dumps byte for byte the same,
    so each state case fails on its own edit."""
    text = STATE.model_dump_json()
    assert MemberState.model_validate_json(text).model_dump_json() == text
    assert STATE.lots
    assert STATE.vouchers
    assert len(STATE.purchases) >= 2


def test_every_section_of_the_issue_is_in_the_table() -> None:
    """The table holds each kind of input the issue lists."""
    kinds = {case[1] for case in CASES}
    assert kinds == {"event", "apply", "state", "program", "file", "call"}
    assert len({case[0] for case in CASES}) == len(CASES)
