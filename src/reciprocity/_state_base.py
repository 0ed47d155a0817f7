"""What every part of a saved member state is built from: the base model (invalid data is an
``InvalidState``) and the field types of counts, amounts and fingerprints.

Imports: ``_fastpath``, ``_model``, ``_state_check`` and ``errors``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field, StringConstraints

from ._fastpath import FastPath
from ._model import Frozen
from ._state_check import REBUILD
from .errors import InvalidState, ReciprocityError

__all__ = ["Amount", "Count", "Fingerprint"]


def _no_float(value: Any) -> Any:
    if isinstance(value, float):
        raise ValueError(
            f"{value!r} is a float, which cannot hold an exact amount; write the amount as a "
            "string, e.g. \"12.50\""
        )
    return value


Count = Annotated[int, Field(ge=0, strict=True)]
"""A count or a number of points in a saved state: an integer (never ``1.0`` or ``"1"``),
never negative."""
Amount = Annotated[Decimal, FastPath("amount", Annotated[
    Decimal, BeforeValidator(_no_float), Field(ge=0, allow_inf_nan=False)])]
"""An amount of money in a saved state: exact (never a JSON float), finite, never negative.
In JSON, a fixed-point text as the library writes it is read in pydantic-core alone
(``_fastpath``)."""
Fingerprint = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{16}$")]
"""An applied event's fingerprint: 16 lower-case hex digits (see ``EventConflict``)."""


class _StateModel(Frozen):
    """A part of a member's state: invalid data is an :class:`~reciprocity.InvalidState`."""

    _error_class: ClassVar[type[ReciprocityError]] = InvalidState
    _error_hint: ClassVar[str | None] = REBUILD
