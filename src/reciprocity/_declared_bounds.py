"""The supported range of a declared program: every int, amount, factor and instant in it.

Holds ``check_bounds``, which ``Program`` runs once when it is built: points, counts and
horizons too large, amounts too large or too fine, factors too large and instants out of
range are refused with an ``InvalidProgram`` that names the field, the value and the bound.

Imports: ``_bounds``, ``_model``, ``errors`` and ``money`` only; no family.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from ._bounds import (
    LATEST_INSTANT,
    MAX_AMOUNT,
    MAX_FACTOR,
    MAX_HORIZON_DAYS,
    MAX_HORIZON_MONTHS,
    MAX_POINTS,
    PRICE_EXTRA_PLACES,
)
from ._model import require_in_range
from .errors import InvalidEvent, InvalidProgram
from .money import Money, check_amount

__all__ = ["check_bounds"]


_HORIZON_YEARS = MAX_HORIZON_MONTHS // 12


def _bound_of(owner: BaseModel, name: str) -> tuple[int, str]:
    """The largest value an int field of a policy may hold, and the constant's name."""
    if name == "years":
        if type(owner).__name__ == "SeasonalGift":
            return LATEST_INSTANT.year, "LATEST_INSTANT.year"
        return _HORIZON_YEARS, "MAX_HORIZON_MONTHS // 12"
    if name == "months" or name.endswith("_months"):
        return MAX_HORIZON_MONTHS, "MAX_HORIZON_MONTHS"
    if name == "days" or name.endswith("_days") or name in ("past_return_window",):
        return MAX_HORIZON_DAYS, "MAX_HORIZON_DAYS"
    if name.endswith("_hours"):
        return MAX_HORIZON_DAYS * 24, "MAX_HORIZON_DAYS * 24"
    return MAX_POINTS, "MAX_POINTS"  # points, counts, steps, units


def check_bounds(model: BaseModel, path: str) -> None:
    """Refuse a declaration outside the supported range: points, counts and horizons too
    large, amounts too large or too fine, factors too large, instants out of range."""
    for name in type(model).model_fields:
        _check_value(model, name, getattr(model, name), f"{path}.{name}")


def _check_value(owner: BaseModel, name: str, value: Any, where: str) -> None:
    problem = hint = None
    if isinstance(value, BaseModel):
        check_bounds(value, where)
    elif isinstance(value, tuple | list):
        for index, item in enumerate(value):
            _check_value(owner, name, item, f"{where}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_value(owner, name, item, f"{where}[{key!r}]")
    elif isinstance(value, Money):
        try:
            check_amount(value, where, extra_places=PRICE_EXTRA_PLACES)
        except InvalidEvent as exc:
            error = InvalidProgram(exc.message, hint=exc.hint)
            error.located = True  # type: ignore[attr-defined]
            raise error from None
    elif isinstance(value, bool):
        pass
    elif isinstance(value, int):
        bound, constant = _bound_of(owner, name)
        if value > bound:
            problem = f"{where}={value:,} is more than the supported {bound:,} ({constant})"
            hint = "declare a smaller value"
    elif isinstance(value, Decimal):
        if type(owner).__name__ == "Range":  # a band's bound on a fact (km, minutes, money)
            if value.is_finite() and abs(value) > MAX_AMOUNT:
                problem = f"{where}={value} is more than the supported {MAX_AMOUNT} (MAX_AMOUNT)"
                hint = "declare a smaller bound"
        elif value.is_finite() and abs(value) > MAX_FACTOR:
            problem = f"{where}={value} is more than the supported {MAX_FACTOR} (MAX_FACTOR)"
            hint = "declare a smaller factor"
    elif isinstance(value, datetime):
        try:
            require_in_range(value)
        except InvalidEvent as exc:
            problem, hint = f"{where}: {exc.message}", exc.hint
    if problem is not None:
        error = InvalidProgram(problem, hint=hint)
        error.located = True  # type: ignore[attr-defined]
        raise error
