"""A shop backend on the ledger store: an order webhook and a member statement, in FastAPI.

- ``POST /webhooks/orders`` receives the shop's order notification (its own JSON shape),
  turns it into a ``Purchase`` and applies it through the store. Webhooks are delivered at
  least once, so the same order may arrive twice, or two workers may get it at once: the
  store applies it once and answers the second delivery with the stored decision
  (``"duplicate": true``), never a second point. An order id reused for another order is
  refused with 409; an order the program cannot take with 422.
- ``POST /webhooks/returns`` does the same for returns.
- ``GET /members/{member_id}/statement`` shows the member's balance, pending points, tier and
  every effect in force, each with its customer-readable reason.

Run it (``pip install 'reciprocity[db]' fastapi uvicorn``)::

    RECIPROCITY_STORE=ledger.db uvicorn --factory fastapi_shop:app_from_env

or build the app in your own code with ``create_app(store)``. ``tests/test_example_fastapi.py``
drives it with FastAPI's ``TestClient``.
"""

from __future__ import annotations

import os
from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

from reciprocity import (
    EventConflict,
    InvalidEvent,
    Money,
    Purchase,
    RefusedEvent,
    Return,
    seed_program,
)
from reciprocity.store import Applied, Store, StoreContention


class OrderHook(BaseModel):
    """The shop's order notification (its shape, not reciprocity's)."""

    order_id: str
    customer_id: str
    created_at: datetime
    total: Decimal = Field(ge=0)
    currency: str = "EUR"


class ReturnHook(BaseModel):
    """The shop's return notification."""

    return_id: str
    order_id: str
    customer_id: str
    created_at: datetime
    refund: Decimal = Field(ge=0)
    currency: str = "EUR"


class EffectOut(BaseModel):
    type: str
    at: datetime
    points: int
    reason: str


class DecisionOut(BaseModel):
    member_id: str
    event_id: str | None
    duplicate: bool
    late: bool
    balance: int
    effects: list[EffectOut]
    corrections: int


class StatementOut(BaseModel):
    member_id: str
    balance: int
    available_points: int
    pending_points: int
    tier: str | None
    effects: list[EffectOut]


def _effect(effect: Any) -> EffectOut:
    return EffectOut(type=effect.type, at=effect.at, points=effect.points_delta,
                     reason=effect.reason)


def _decision(applied: Applied) -> DecisionOut:
    return DecisionOut(member_id=applied.member_id, event_id=applied.event_id,
                       duplicate=applied.duplicate, late=applied.late,
                       balance=applied.state.balance,
                       effects=[_effect(e) for e in applied.effects],
                       corrections=len(applied.corrections))


def create_app(store: Store) -> FastAPI:
    """The shop's loyalty API on ``store``."""
    app = FastAPI(title="Loyalty")

    def apply(event: Any) -> DecisionOut:
        try:
            return _decision(store.apply(event))
        except EventConflict as exc:
            raise HTTPException(status_code=409, detail=str(exc)) from None
        except (InvalidEvent, RefusedEvent) as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from None
        except StoreContention as exc:  # safe to deliver again
            raise HTTPException(status_code=503, detail=str(exc)) from None

    @app.post("/webhooks/orders")
    def order_placed(hook: OrderHook) -> DecisionOut:
        try:
            event = Purchase(id=hook.order_id, member_id=hook.customer_id, at=hook.created_at,
                             amount=Money(hook.total, hook.currency))
        except InvalidEvent as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from None
        return apply(event)

    @app.post("/webhooks/returns")
    def order_returned(hook: ReturnHook) -> DecisionOut:
        try:
            event = Return(id=hook.return_id, member_id=hook.customer_id, at=hook.created_at,
                           purchase_id=hook.order_id, amount=Money(hook.refund, hook.currency))
        except InvalidEvent as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from None
        return apply(event)

    @app.get("/members/{member_id}/statement")
    def statement(member_id: str) -> StatementOut:
        state = store.state(member_id)
        if state is None:
            raise HTTPException(status_code=404, detail=f"no member {member_id!r}")
        return StatementOut(
            member_id=member_id, balance=state.balance,
            available_points=state.available_points, pending_points=state.pending_points,
            tier=None if state.tier is None else state.tier.tier_id,
            effects=[_effect(e) for e in store.effects(member_id)])

    return app


def app_from_env() -> FastAPI:
    """The app on the store named by ``RECIPROCITY_STORE``, with the seed program."""
    return create_app(Store(os.environ.get("RECIPROCITY_STORE", "ledger.db"), seed_program()))
