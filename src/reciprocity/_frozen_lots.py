"""A state's point lots, between frozen :class:`~reciprocity.PointLot` models and the hot
member's lot lists (``Member.lots``, ``Member.lot_due``).

A state made by ``apply`` or ``advance`` keeps its member's very lot lists beside its
models (``_frozen.keep_hot``): the next thaw copies those lists instead of reading every
model's fields (:func:`thaw_kept_lots`), which is what :func:`thaw_lots` of the same
models makes (property-tested in ``tests/test_stage_thaw.py``).

Imports: ``_engine``, ``_trusted`` and ``state``.
"""

from __future__ import annotations

from datetime import datetime
from heapq import heapify
from operator import itemgetter
from typing import Any

from ._engine import (
    DUE_EXPIRY,
    DUE_RELEASE,
    L_AT,
    L_AVAILABLE_AT,
    L_EXPIRES,
    L_ID,
    L_PENDING,
    L_POINTS,
    L_REMAINING,
    L_RULE,
    L_SOURCE,
    Member,
)
from ._trusted import built
from .state import PointLot

__all__ = ["frozen_lot", "frozen_lots", "thaw_kept_lots", "thaw_lots"]


def thaw_lots(m: Member, frozen: tuple[PointLot, ...]) -> None:
    """``m``'s lots from a state's (oldest first, as a state keeps them): what adding them
    one by one (``Member.add_lot``) makes, with the due heap built at once. The frozen
    lots are kept by id in ``m.lot_models``, for a freeze to reuse the unchanged ones.
    (``Pipeline.thaw`` sets ``next_due`` afterwards, so nothing is scheduled here.)"""
    lots = m.lots
    due = m.lot_due
    models = m.lot_models = {}
    available = pending = empty = 0
    in_order = True
    last: tuple[datetime, str] | None = None
    for model in frozen:
        values = model.__dict__
        lid, at, remaining = values["id"], values["earned_at"], values["remaining"]
        is_pending = values["status"] == "pending"
        available_at, expires_at = values["available_at"], values["expires_at"]
        lot = [lid, values["rule_id"], values["source_event_id"], at, values["points"],
               remaining, is_pending, available_at, expires_at]  # L_* order
        lots.append(lot)
        models[lid] = model
        key = (at, lid)
        if last is not None and key < last:
            in_order = False
        last = key
        if not remaining:
            empty += 1
        if is_pending:
            pending += remaining
            if available_at is not None:
                due.append((available_at, DUE_RELEASE, lid, len(due), lot))
        else:
            available += remaining
        if expires_at is not None:
            due.append((expires_at, DUE_EXPIRY, lid, len(due), lot))
    if not in_order:  # not as a state keeps them: sorted as add_lot would insert them
        lots.sort(key=lambda lot: (lot[L_AT], lot[L_ID]))
    heapify(due)
    m.available += available
    m.pending += pending
    m.empty_lots += empty


def frozen_lot(models: dict[str, PointLot] | None, lot: list[Any]) -> PointLot:
    """The frozen model of a hot lot: the one it was thawed from while its points and
    status are as they were (nothing else of a lot ever changes), else a new one."""
    if models is not None:
        model = models.get(lot[L_ID])
        if model is not None:
            values = model.__dict__
            if (values["remaining"] == lot[L_REMAINING]
                    and (values["status"] == "pending") == lot[L_PENDING]):
                return model
    return built(PointLot, {
        "id": lot[L_ID], "rule_id": lot[L_RULE], "source_event_id": lot[L_SOURCE],
        "earned_at": lot[L_AT], "points": lot[L_POINTS], "remaining": lot[L_REMAINING],
        "status": "pending" if lot[L_PENDING] else "available",
        "available_at": lot[L_AVAILABLE_AT], "expires_at": lot[L_EXPIRES],
    })


def thaw_kept_lots(m: Member, kept: list[list[Any]], frozen: tuple[PointLot, ...],
                   by_id: dict[str, PointLot] | None = None) -> None:
    """What :func:`thaw_lots` makes of ``frozen``, from ``kept``: the hot lots the state was
    frozen from, one per model, in the same order (sorted: ``Member.add_lot`` and
    :func:`thaw_lots` keep them so), equal to them, never changed (each is copied).
    ``by_id``: the models by id as :func:`frozen_lots` left them (never changed: shared)."""
    lots = m.lots
    due = m.lot_due
    if by_id is not None and len(by_id) == len(frozen):
        m.lot_models = by_id
        models = None
    else:
        models = m.lot_models = {}
    available = pending = empty = 0
    for source, model in zip(kept, frozen, strict=True):
        lot = source.copy()
        lots.append(lot)
        lid = lot[L_ID]
        if models is not None:
            models[lid] = model
        remaining = lot[L_REMAINING]
        if not remaining:
            empty += 1
        if lot[L_PENDING]:
            pending += remaining
            available_at = lot[L_AVAILABLE_AT]
            if available_at is not None:
                due.append((available_at, DUE_RELEASE, lid, len(due), lot))
        else:
            available += remaining
        expires_at = lot[L_EXPIRES]
        if expires_at is not None:
            due.append((expires_at, DUE_EXPIRY, lid, len(due), lot))
    heapify(due)
    m.available += available
    m.pending += pending
    m.empty_lots += empty


def frozen_lots(m: Member) -> tuple[PointLot, ...]:
    """The frozen models of ``m.lots``, in order: :func:`frozen_lot` of each, with its test
    inline (every apply of a program with lots freezes every lot).

    ``m.lot_models`` becomes the models made, by id (a new dict: the one it was may be a
    kept state's, see :func:`thaw_kept_lots`): when every lot thawed is still there, the
    thawed dict copied with the lots made anew, else built from every lot."""
    lots = m.lots
    models = m.lot_models
    if models is None:
        made = [frozen_lot(None, lot) for lot in lots]
        m.lot_models = dict(zip(map(_lot_id, lots), made, strict=True))
        return tuple(made)
    get = models.get
    made = []
    append = made.append
    anew: list[tuple[str, PointLot]] = []
    found = 0  # lots whose id was thawed
    for lot in lots:
        lid = lot[L_ID]
        model = get(lid)
        if model is not None:
            found += 1
            values = model.__dict__
            if (values["remaining"] == lot[L_REMAINING]
                    and (values["status"] == "pending") == lot[L_PENDING]):
                append(model)
                continue
        model = frozen_lot(None, lot)
        append(model)
        anew.append((lid, model))
    if found == len(models):  # no lot thawed is gone: its id's model is the one made
        by_id = models.copy()
        by_id.update(anew)
        if len(by_id) == len(lots):  # no id twice (it never is; else built below)
            m.lot_models = by_id
            return tuple(made)
    m.lot_models = dict(zip(map(_lot_id, lots), made, strict=True))
    return tuple(made)


_lot_id = itemgetter(L_ID)
