"""The FastAPI example (docs/examples/fastapi_shop.py), driven by FastAPI's TestClient."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from _load import load_example
from reciprocity import seed_program
from reciprocity.store import Store


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    example = load_example("fastapi_shop")  # FastAPI resolves annotations by module
    with Store(tmp_path / "ledger.db", seed_program()) as store, \
            TestClient(example.create_app(store)) as client:
        yield client


def order(order_id: str = "A-17", total: str = "59.90", **extra: Any) -> dict[str, Any]:
    return {"order_id": order_id, "customer_id": "c-1", "created_at": "2026-03-01T12:00:00+01:00",
            "total": total, **extra}


def test_order_webhook_awards_points(client: TestClient) -> None:
    """An order over 50 EUR earns a point, with its reason."""
    reply = client.post("/webhooks/orders", json=order())
    assert reply.status_code == 200
    body = reply.json()
    assert (body["duplicate"], body["balance"]) == (False, 1)
    assert body["effects"][0]["reason"] == "1 point for order A-17 over 50.00 EUR"


def test_redelivered_webhook_awards_nothing_twice(client: TestClient) -> None:
    """The same webhook delivered three times: one point, and the same answer each time."""
    first = client.post("/webhooks/orders", json=order()).json()
    for _ in range(2):
        again = client.post("/webhooks/orders", json=order()).json()
        assert again["duplicate"] is True
        assert again["effects"] == first["effects"]
    statement = client.get("/members/c-1/statement").json()
    assert statement["balance"] == 1
    assert len(statement["effects"]) == 1


def test_reused_order_id_is_a_conflict(client: TestClient) -> None:
    """Another order under an applied id gets 409 and changes nothing."""
    client.post("/webhooks/orders", json=order())
    reply = client.post("/webhooks/orders", json=order(total="99.00"))
    assert reply.status_code == 409
    assert "event-id-conflict" in reply.json()["detail"]
    assert client.get("/members/c-1/statement").json()["balance"] == 1


def test_bad_and_refused_events(client: TestClient) -> None:
    """A naive time is 422 from the library; a return of an unknown order is 422 too."""
    naive = order(created_at="2026-03-01T12:00:00")
    reply = client.post("/webhooks/orders", json=naive)
    assert reply.status_code == 422
    assert "naive" in reply.json()["detail"]
    reply = client.post("/webhooks/returns", json={
        "return_id": "R-1", "order_id": "A-404", "customer_id": "c-1",
        "created_at": "2026-03-02T12:00:00+01:00", "refund": "10.00"})
    assert reply.status_code == 422
    assert "unknown-purchase" in reply.json()["detail"]


def test_statement(client: TestClient) -> None:
    """The statement lists every effect in force; a late order is placed in history."""
    for number, day in ((1, "05"), (2, "03")):  # the second order arrives late
        client.post("/webhooks/orders", json=order(
            order_id=f"A-{number}", created_at=f"2026-03-{day}T12:00:00+01:00"))
    reply = client.post("/webhooks/returns", json={
        "return_id": "R-1", "order_id": "A-1", "customer_id": "c-1",
        "created_at": "2026-03-06T12:00:00+01:00", "refund": "59.90"})
    assert reply.status_code == 200
    statement = client.get("/members/c-1/statement").json()
    assert statement["balance"] == 1
    assert [e["type"] for e in statement["effects"]] == [
        "points_earned", "points_earned", "points_revoked"]
    assert client.get("/members/nobody/statement").status_code == 404
