"""One table of bad events and bad programs, each with the error class and code it must raise."""

from datetime import UTC, datetime
from typing import Any

import pytest

from reciprocity import (
    CurrencyMismatch,
    InvalidEvent,
    InvalidProgram,
    NaiveDatetime,
    Program,
    ReciprocityError,
    parse_event,
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
      "amount": EUR, "lines": [{"sku": "X", "quantity": 1}]}, InvalidEvent, "invalid-event",
     "not both"),
    ({"type": "complaint", "id": "C", "member_id": "m", "at": AT, "severity": 9},
     InvalidEvent, "invalid-event", "severity"),
    ({"type": "complaint", "id": "C", "member_id": "m", "at": AT, "category": "rude"},
     InvalidEvent, "invalid-event", "category"),
    ({"type": "redemption", "id": "V", "member_id": "m", "at": AT, "reward_id": "x",
      "quantity": 0}, InvalidEvent, "invalid-event", "quantity"),
    ({"type": "teleport", "id": "X", "member_id": "m", "at": AT}, InvalidEvent,
     "invalid-event", "teleport"),
    ("{not json", InvalidEvent, "invalid-event", "JSON"),
]


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
