"""One table of bad events and bad programs, each with the error class and code it must raise."""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from reciprocity import (
    MAX_ID_LENGTH,
    CurrencyMismatch,
    InvalidEvent,
    InvalidProgram,
    Money,
    NaiveDatetime,
    NotAwaitingApproval,
    Program,
    ReciprocityError,
    Tier,
    parse_event,
    seed_program,
)

AT = "2026-03-01T12:00:00+01:00"
EUR = {"amount": "10.00", "currency": "EUR"}


def purchase(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"type": "purchase", "id": "A-1", "member_id": "m-1", "at": AT,
                            "amount": EUR}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


BAD_EVENTS = [
    (purchase(at="2026-03-01T12:00:00"), NaiveDatetime, "naive-datetime", "Purchase.at"),
    (purchase(id=""), InvalidEvent, "invalid-event", "Purchase.id"),
    (purchase(member_id=None), InvalidEvent, "invalid-event", "member_id is missing"),
    (purchase(amount={"amount": "-1", "currency": "EUR"}), InvalidEvent, "invalid-event",
     "negative"),
    (purchase(amount={"amount": "1", "currency": "EURO"}), InvalidEvent, "invalid-event",
     "ISO 4217"),
    (purchase(amount=10.5), InvalidEvent, "invalid-event", "Purchase.amount"),
    (purchase(colour="red"), InvalidEvent, "invalid-event", "metadata"),
    (purchase(lines=[{"sku": "X", "quantity": 1,
                      "unit_price": {"amount": "1", "currency": "USD"}}]),
     CurrencyMismatch, "currency-mismatch", "USD"),
    (purchase(lines=[{"sku": "X", "quantity": 0, "unit_price": EUR}]), InvalidEvent,
     "invalid-event", "quantity"),
    ({"type": "return", "id": "R", "member_id": "m", "at": AT, "purchase_id": "A",
      "amount": {"amount": "0", "currency": "EUR"}, "lines": [{"sku": "X", "quantity": 1}]},
     InvalidEvent, "invalid-event", "must be positive"),
    ({"type": "complaint", "id": "C", "member_id": "m", "at": AT, "severity": 9},
     InvalidEvent, "invalid-event", "severity"),
    ({"type": "complaint", "id": "C", "member_id": "m", "at": AT, "category": "Rude!"},
     InvalidEvent, "invalid-event", "category"),
    ({"type": "redemption", "id": "V", "member_id": "m", "at": AT, "reward_id": "x",
      "quantity": 0}, InvalidEvent, "invalid-event", "quantity"),
    ({"type": "teleport", "id": "X", "member_id": "m", "at": AT}, InvalidEvent,
     "invalid-event", "teleport"),
    ("{not json", InvalidEvent, "invalid-event", "JSON"),
    # the supported range of instants (years 1 and 9999 once overflowed datetime)
    (purchase(at="0001-01-01T00:00:00+01:00"), InvalidEvent, "invalid-event",
     "outside the supported range"),
    (purchase(at="9999-12-31T23:59:59-01:00"), InvalidEvent, "invalid-event",
     "outside the supported range"),
    (purchase(at="1899-12-31T23:59:59+00:00"), InvalidEvent, "invalid-event", "Purchase.at"),
    (purchase(at="3000-01-01T00:00:00+00:00"), InvalidEvent, "invalid-event", "2999-12-31"),
    ({"type": "complaint", "id": "C", "member_id": "m", "at": AT,
      "resolved_at": "9999-12-31T23:00:00-05:00"}, InvalidEvent, "invalid-event",
     "Complaint.resolved_at"),
    # epoch numbers are not times
    (purchase(at=1_700_000_000), InvalidEvent, "invalid-event", "epoch"),
    (purchase(at="1700000000"), InvalidEvent, "invalid-event", "epoch"),
    (purchase(at=1.7e9), InvalidEvent, "invalid-event", "Purchase.at"),
    ({"type": "signup", "id": "S", "member_id": "m", "at": AT, "birthday": 0}, InvalidEvent,
     "invalid-event", "SignUp.birthday"),
    # the supported range of amounts, and the currency's minor unit
    (purchase(amount="1E+27 EUR"), InvalidEvent, "invalid-event", "MAX_AMOUNT"),
    (purchase(amount="1000000000000.01 EUR"), InvalidEvent, "invalid-event", "MAX_AMOUNT"),
    (purchase(amount="70.001 EUR"), InvalidEvent, "invalid-event", "minor unit"),
    (purchase(amount="1E-30 EUR"), InvalidEvent, "invalid-event", "finer than"),
    (purchase(amount="1.5 JPY"), InvalidEvent, "invalid-event", "minor unit of JPY"),
    (purchase(amount="70.001 EUR", lines=[{"sku": "X", "quantity": 1,
                                           "unit_price": "70.00 EUR"}]),
     InvalidEvent, "invalid-event", "not the exact sum of the lines"),
    (purchase(lines=[{"sku": "X", "quantity": 1, "unit_price": "-1.00 EUR"}]), InvalidEvent,
     "invalid-event", "unit_price=-1.00 EUR is negative"),
    (purchase(lines=[{"sku": "X", "quantity": 1, "unit_price": "0.000001 EUR"}]),
     InvalidEvent, "invalid-event", "PRICE_EXTRA_PLACES"),
    (purchase(lines=[{"sku": "X", "quantity": 10**9, "unit_price": EUR}]), InvalidEvent,
     "invalid-event", "quantity"),
    ({"type": "return", "id": "R", "member_id": "m", "at": AT, "purchase_id": "A",
      "amount": "0.001 EUR"}, InvalidEvent, "invalid-event", "Return.amount"),
    ({"type": "complaint", "id": "C", "member_id": "m", "at": AT,
      "amount_affected": "-5.00 EUR"}, InvalidEvent, "invalid-event", "negative"),
    ({"type": "complaint", "id": "C", "member_id": "m", "at": AT,
      "amount_affected": "5E+20 EUR"}, InvalidEvent, "invalid-event", "MAX_AMOUNT"),
    # points
    ({"type": "redemption", "id": "V", "member_id": "m", "at": AT, "reward_id": "x",
      "points": 10**30}, InvalidEvent, "invalid-event", "Redemption.points"),
    # dates that contradict the event
    ({"type": "signup", "id": "S", "member_id": "m", "at": AT, "birthday": "2030-01-01"},
     InvalidEvent, "invalid-event", "birthday=2030-01-01 is after the event's date"),
    ({"type": "profile_update", "id": "U", "member_id": "m", "at": AT,
      "birthday": "2026-03-05"}, InvalidEvent, "invalid-event", "ProfileUpdate.birthday"),
    ({"type": "signup", "id": "S", "member_id": "m", "at": AT, "birthday": "0001-01-01"},
     InvalidEvent, "invalid-event", "outside the supported range"),
    ({"type": "complaint", "id": "C", "member_id": "m", "at": AT,
      "resolved_at": "2026-02-01T00:00:00+00:00"}, InvalidEvent, "invalid-event",
     "resolved_at=2026-02-01T00:00:00+00:00 is before the complaint was made"),
    ({"type": "complaint", "id": "C", "member_id": "m", "at": AT,
      "first_response_at": "2026-03-01T10:59:59+00:00"}, InvalidEvent, "invalid-event",
     "first_response_at"),
    # ids
    (purchase(id="   "), InvalidEvent, "invalid-event", "empty or only spaces"),
    (purchase(member_id="m\x00"), InvalidEvent, "invalid-event", "U+0000"),
    (purchase(id="A\n1"), InvalidEvent, "invalid-event", "non-printable"),
    (purchase(id="x" * (MAX_ID_LENGTH + 1)), InvalidEvent, "invalid-event", "MAX_ID_LENGTH"),
    (purchase(id="x" * 2_000_000), InvalidEvent, "invalid-event", "2,000,000 characters"),
    ({"type": "return", "id": "R", "member_id": "m", "at": AT, "purchase_id": ""},
     InvalidEvent, "invalid-event", "Return.purchase_id"),
    (purchase(lines=[{"sku": "\t", "quantity": 1, "unit_price": EUR}]), InvalidEvent,
     "invalid-event", "lines[0].sku"),
    ({"type": "approval", "id": "AP", "member_id": "m", "at": AT, "ref_event_id": " "},
     InvalidEvent, "invalid-event", "Approval.ref_event_id"),
    # unknown or missing type: the types are listed, the nearest suggested
    ({"type": "purchse", "id": "X", "member_id": "m", "at": AT}, InvalidEvent,
     "invalid-event", "did you mean 'purchase'?"),
    ({"type": "teleport", "id": "X", "member_id": "m", "at": AT}, InvalidEvent,
     "invalid-event", "use one of: purchase, return, complaint"),
    ({"id": "X", "member_id": "m", "at": AT}, InvalidEvent, "invalid-event",
     "event.type is missing; add it, one of: purchase"),
]


def test_a_three_decimal_purchase_that_adds_up_its_lines_is_accepted() -> None:
    """Unit prices may be finer than the minor unit (fuel, real data), and so may an amount
    that is their exact sum; a paid amount alone may not."""
    event = parse_event(purchase(amount="2.033 EUR", lines=[
        {"sku": "PADS", "quantity": 3, "unit_price": "0.001 EUR"},
        {"sku": "A", "quantity": 7, "unit_price": "0.29 EUR"}]))
    assert event.amount == Money("2.033", "EUR")
    assert parse_event(purchase(amount="70.0100 EUR")).amount == Money("70.01", "EUR")


@pytest.mark.parametrize(("data", "error", "code", "mentions"), BAD_EVENTS)
def test_bad_event(data: Any, error: type[ReciprocityError], code: str, mentions: str) -> None:
    """Each bad event raises its error class, carrying its code, naming the problem."""
    with pytest.raises(error) as info:
        parse_event(data)
    assert info.value.code == code
    assert mentions in str(info.value)
    assert str(info.value).endswith(f"[{code}]")


def program(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "P", "currency": "EUR", "timezone": "Europe/Berlin",
        "points": {"earn": [{"type": "points_per_purchase", "id": "r", "points": 1,
                             "min_amount": {"amount": "50", "currency": "EUR"}}],
                   "rewards": [{"id": "v", "name": "voucher", "points": 10, "value": EUR}]},
    }
    for key, value in changes.items():
        target = data
        *path, last = key.split("__")
        for part in path:
            target = target[part]
        target[last] = value
    return data


BAD_PROGRAMS = [
    (program(timezone="Mars/Olympus"), "IANA"),
    (program(currency="XXX1"), "ISO 4217"),
    (program(points__pending_days=-1), "pending_days"),
    (program(points__clawback="forgive"), "clawback"),
    (program(points__earn=[{"type": "points_per_purchase", "id": "r", "points": 0}]), "points"),
    (program(points__earn=[{"type": "points_per_purchase", "id": "r", "points": 1},
                           {"type": "points_per_purchase", "id": "r", "points": 2}]), "unique"),
    (program(points__earn=[{"type": "points_per_purchase", "id": "r", "points": 1,
                            "min_amount": {"amount": "50", "currency": "USD"}}]), "USD"),
    (program(points__rewards=[{"id": "v", "name": "v", "points": 10,
                               "value": {"amount": "10", "currency": "GBP"}}]), "GBP"),
    (program(points__expiry={"type": "fixed_lifetime"}), "months or days"),
    (program(points__earn=[{"type": "points_per_purchase", "id": "r", "points": 1,
                            "when": {"type": "all_of", "conditions": []}}]), "conditions"),
    (program(points__earn=[{"type": "points_per_purchase", "id": "r", "points": 1,
                            "when": {"type": "during", "start": AT,
                                     "end": "2026-01-01T00:00:00+00:00"}}]), "after start"),
    (program(colour="red"), "colour"),
    (program(points__earn=[{"type": "points_per_purchase", "id": "r", "points": 10**30}]),
     "Program.points.earn[0].points=1,000,000,000,000,000,000,000,000,000,000 is more than"),
    (program(points__rewards=[{"id": "v", "name": "v", "points": 10**13, "value": EUR}]),
     "MAX_POINTS"),
    (program(points__expiry={"type": "fixed_lifetime", "months": 10**6}),
     "MAX_HORIZON_MONTHS"),
    (program(points__expiry={"type": "fixed_lifetime", "days": 10**7}), "MAX_HORIZON_DAYS"),
    (program(points__pending_days=40_000), "pending_days"),
    (program(points__rewards=[{"id": "v", "name": "v", "points": 10,
                               "value": "1E+27 EUR"}]), "MAX_AMOUNT"),
    (program(points__earn=[{"type": "points_per_purchase", "id": "r", "points": 1,
                            "min_amount": "1E-30 EUR"}]), "min_amount"),
    (program(points__earn=[{"type": "points_per_purchase", "id": "r", "points": 1,
                            "multipliers": [{"type": "campaign", "name": "c", "factor": "1E+30",
                                             "when": {"type": "always"}}]}]),
     "MAX_FACTOR"),
    (program(points__earn=[{"type": "points_per_purchase", "id": "r", "points": 1,
                            "when": {"type": "during",
                                     "start": "9999-12-31T23:00:00-05:00"}}]),
     "outside the supported range"),
    (program(points__earn=[{"type": "points_per_purchase", "id": "r\x00", "points": 1}]),
     "U+0000"),
    (program(points__earn=[{"type": "points_per_purchas", "id": "r", "points": 1}]),
     "did you mean 'points_per_purchase'?"),
    (program(points__earn=[{"type": "points_per_purchase", "id": "r", "points": 1,
                            "colour": "red"}]),
     "Program.points.earn[0]: PointsPerPurchase has no field 'colour'"),
]


@pytest.mark.parametrize(("data", "mentions"), BAD_PROGRAMS)
def test_bad_program(data: dict[str, Any], mentions: str) -> None:
    """Each bad program raises InvalidProgram naming the problem."""
    with pytest.raises(InvalidProgram) as info:
        Program.model_validate(data)
    assert info.value.code == "invalid-program"
    assert mentions in str(info.value)


def test_naive_datetime_message_says_how_to_fix() -> None:
    """The naive-datetime error shows an aware example."""
    with pytest.raises(NaiveDatetime, match="ZoneInfo"):
        parse_event(purchase(at=datetime(2026, 3, 1, 12)))


def test_aware_datetime_objects_accepted() -> None:
    """An aware datetime object is fine, in any zone."""
    assert parse_event(purchase(at=datetime(2026, 3, 1, tzinfo=UTC))).id == "A-1"


def test_unknown_keyword_names_itself_and_lists_the_fields() -> None:
    """``Tier(min_spend=...)`` names ``min_spend`` (not "Tier is not a field of Tier") and
    points to the requirement it meant."""
    with pytest.raises(InvalidProgram) as info:
        Tier(id="gold", min_spend=Money("100", "EUR"), requires=())
    text = str(info.value)
    assert "Tier has no field 'min_spend'; did you mean requires=MinSpend(...)" in text
    assert "Tier's fields are: id, name, requires, benefits" in text


AT_DT = datetime(2026, 3, 1, 11, tzinfo=UTC)

REFUSED_ON_APPLY = [
    # currency checks do not depend on the families a program has (seed: no goodwill)
    ({"type": "complaint", "id": "C", "member_id": "m-1", "at": AT,
      "amount_affected": "5.00 USD"}, CurrencyMismatch, "currency-mismatch",
     "Complaint.amount_affected=5.00 USD is in USD but the program uses EUR"),
    ({"type": "return", "id": "R", "member_id": "m-1", "at": AT, "purchase_id": "A-1",
      "amount": "5.00 USD"}, CurrencyMismatch, "currency-mismatch", "Return.amount"),
    # an approval for a complaint nobody knows, in a program without goodwill
    ({"type": "approval", "id": "AP", "member_id": "m-1", "at": AT, "ref_event_id": "C-9"},
     NotAwaitingApproval, "not-awaiting-approval", "ref_event_id='C-9'"),
]


@pytest.mark.parametrize(("data", "error", "code", "mentions"), REFUSED_ON_APPLY)
def test_refused_on_apply(data: Any, error: type[ReciprocityError], code: str,
                          mentions: str) -> None:
    """A well-formed event the program must refuse, by apply and by replay alike."""
    program = seed_program()
    with pytest.raises(error) as info:
        program.apply(None, data)
    assert info.value.code == code
    assert mentions in str(info.value)
    with pytest.raises(error):
        program.replay([data]).summary()


PROGRAM_FILES = [
    ("p.toml", 'name = "x"\n[points\n', "not valid TOML at line 2, column 8"),
    ("p.yaml", "name: [x\n", "not valid YAML at line 2, column 1"),
    ("p.json", '{"name": }', "not valid JSON at line 1, column 10"),
    ("p.json", b"\xff\xfe{}", "is not UTF-8 text"),
    ("p.toml", 'name = "x"\ncolour = 1\n', "Program has no field 'colour'"),
    ("p.yaml", "- a list\n", "not a mapping"),
    ("p.json", None, "does not exist"),
]


@pytest.mark.parametrize(("name", "content", "mentions"), PROGRAM_FILES)
def test_bad_program_file(tmp_path: Path, name: str, content: str | bytes | None,
                          mentions: str) -> None:
    """A program file that cannot be read is an InvalidProgram naming the file and, where
    the parser gives them, line and column; never a raw parser or OS error."""
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidProgram) as info:
        Program.load(path)
    assert info.value.code == "invalid-program"
    assert mentions in str(info.value)
    assert str(path) in str(info.value)


def test_amounts_dump_in_fixed_point_and_validate_against_the_schema() -> None:
    """Amounts written in exponent form dump as fixed-point strings, so a program validates
    against its own published JSON Schema."""
    jsonschema = pytest.importorskip("jsonschema")
    from reciprocity import program_json_schema

    data = program(points__earn=[{"type": "points_per_purchase", "id": "r", "points": 1,
                                  "min_amount": "1E+2 EUR"}],
                   points__rewards=[{"id": "v", "name": "v", "points": 10,
                                     "value": {"amount": "1E+1", "currency": "EUR"}}])
    dumped = Program.model_validate(data).model_dump(mode="json")
    assert dumped["points"]["earn"][0]["min_amount"]["amount"] == "100"
    assert dumped["points"]["rewards"][0]["value"]["amount"] == "10"
    jsonschema.validate(dumped, program_json_schema())
    text = Program.model_validate(data).model_dump_json()
    assert "E+" not in text
    assert Program.model_validate_json(text) == Program.model_validate(data)


def test_state_decimals_dump_in_fixed_point() -> None:
    """A state's Decimal fields (spend) dump without exponent."""
    state = seed_program().apply(None, purchase(amount="1E+2 EUR")).state
    assert state.spend == Decimal(100)
    assert '"spend":"100"' in state.model_dump_json()
