"""Tier requirements, declared: the metrics a tier asks for and their combinations.

Holds the public models :class:`MinSpend`, :class:`MinOrders`, :class:`MinPoints`,
:class:`RequireAll`, :class:`RequireAny` (built with ``&`` and ``|`` too), the ``Requirement``
union, :func:`require_all` and :func:`require_any`, and text helpers the tiers modules share.

>>> from reciprocity import Money
>>> (MinSpend(amount=Money("350.00", "EUR")) | MinOrders(count=10)).describe()
'spend 350.00 EUR or 10 orders'

Imports: the core's models only (``_model``, ``errors``, ``money``); never a compiled stage.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Annotated, ClassVar, Literal, Union

from pydantic import Field, field_validator

from .._model import Frozen, NonEmptyStr
from ..errors import InvalidProgram
from ..money import Money

__all__ = [
    "MinOrders",
    "MinPoints",
    "MinSpend",
    "RequireAll",
    "RequireAny",
    "Requirement",
    "require_all",
    "require_any",
]


_MAX_ALTERNATIVES = 256
"""Most alternatives a tier's requirement may expand to ("a or b" and "c or d": 4)."""


def _plural(n: int | Decimal, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


class _Policy(Frozen):
    _error_class: ClassVar[type[InvalidProgram]] = InvalidProgram


def _number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text


# ---------------------------------------------------------------------------------------
# Requirements: metrics and their combinations
# ---------------------------------------------------------------------------------------


UnitNames = Mapping[str | None, tuple[str, str]]
"""English ``(singular, plural)`` of a balance's unit by balance name (``None``: the
program's own points): see :meth:`_RequirementBase.describe_in`."""


class _RequirementBase(_Policy):
    """Operators shared by every requirement: ``&`` (all of) and ``|`` (any of)."""

    def __and__(self, other: object) -> RequireAll:
        if not isinstance(other, _RequirementBase):
            return NotImplemented
        return require_all(self, other)  # type: ignore[arg-type]

    def __or__(self, other: object) -> RequireAny:
        if not isinstance(other, _RequirementBase):
            return NotImplemented
        return require_any(self, other)  # type: ignore[arg-type]

    def __bool__(self) -> bool:
        raise TypeError(
            "a requirement has no truth value; combine requirements with & and |, "
            "not and/or, and test for presence with 'is not None'"
        )

    def describe(self) -> str:
        """The requirement in plain words."""
        return self.describe_in({})

    def describe_in(self, words: UnitNames) -> str:
        """:meth:`describe`, saying points in the English words of their balance's unit:
        ``words`` maps a balance name (``None`` for the program's own points) to its
        ``(singular, plural)`` (``"Star"``, ``"Stars"``); a balance without words says
        "points"."""
        raise NotImplementedError

    def leaves(self) -> list[MinSpend | MinOrders | MinPoints]:
        """Every metric threshold in the requirement, in declared order."""
        raise NotImplementedError

    def __str__(self) -> str:
        return self.describe()


class MinSpend(_RequirementBase):
    """Net spend in the qualification period (purchases less returns) of at least ``amount``.

    >>> MinSpend(amount=Money("350", "EUR")).describe()
    'spend 350.00 EUR'
    """

    type: Literal["min_spend"] = "min_spend"
    amount: Money

    @field_validator("amount")
    @classmethod
    def _not_negative(cls, value: Money) -> Money:
        if value.amount < 0:
            raise ValueError("a spend threshold cannot be negative")
        return value

    def describe_in(self, words: UnitNames) -> str:
        return f"spend {self.amount:,}"

    def leaves(self) -> list[MinSpend | MinOrders | MinPoints]:
        return [self]


class MinOrders(_RequirementBase):
    """At least ``count`` orders in the period; an order returned in full does not count.

    >>> MinOrders(count=1).describe()
    '1 order'
    """

    type: Literal["min_orders"] = "min_orders"
    count: int = Field(ge=0)

    def describe_in(self, words: UnitNames) -> str:
        return _plural(self.count, "order")

    def leaves(self) -> list[MinSpend | MinOrders | MinPoints]:
        return [self]


class MinPoints(_RequirementBase):
    """At least ``points`` points earned in the period, never the redeemable balance.

    Points count when a purchase earns them (pending ones too) and stop counting when a
    return takes them back. Points granted by other families (goodwill, gifts) do not
    qualify. ``rules`` counts only the points of those earning rules: airline-style
    "qualifying points". ``label`` names them for customers.

    >>> MinPoints(points=650).describe()
    '650 points'
    >>> MinPoints(points=325, rules=("flights",), label="qualifying points").describe()
    '325 qualifying points'
    >>> MinPoints(points=325, rules=("flights", "rail")).describe()
    '325 points from flights, rail'
    >>> MinPoints(points=35_000, balance="status").describe()
    '35,000 status points'
    """

    type: Literal["min_points"] = "min_points"
    points: int = Field(ge=0)
    rules: tuple[NonEmptyStr, ...] | None = Field(default=None, min_length=1)
    """Earning rule ids whose points count; ``None`` counts every earning rule."""
    label: NonEmptyStr | None = None
    balance: NonEmptyStr | None = None
    """Count the points earned into this one of ``Program.balances`` (status miles), by
    ``rules`` of that balance or all of its earning rules; ``None``: the program's own."""

    @property
    def unit(self) -> str:
        """What is counted, in words: ``"points"``, ``"qualifying points"``..."""
        return self.unit_in({})

    def unit_in(self, words: UnitNames, n: int | None = None) -> str:
        """What is counted, in words, with the balance's unit said in ``words`` (see
        :meth:`describe_in`): ``"Stars"``, ``"Stars from r1"``; the singular when ``n`` is
        1. A ``label`` is said as it is."""
        if self.label is not None:
            return self.label[:-1] if n == 1 and self.label.endswith("points") else self.label
        said = words.get(self.balance)
        if said is not None:
            unit = said[0] if n == 1 else said[1]
        elif self.balance is not None:
            unit = f"{self.balance} point" if n == 1 else f"{self.balance} points"
        else:
            unit = "point" if n == 1 else "points"
        return unit if self.rules is None else f"{unit} from " + ", ".join(self.rules)

    def describe_in(self, words: UnitNames) -> str:
        """``"500 Stars"``; see :meth:`_RequirementBase.describe_in`.

        >>> MinPoints(points=1).describe_in({None: ("Star", "Stars")})
        '1 Star'
        """
        return f"{self.points:,} {self.unit_in(words, self.points)}"

    def leaves(self) -> list[MinSpend | MinOrders | MinPoints]:
        return [self]


class RequireAll(_RequirementBase):
    """Every one of ``requirements``; build it with ``a & b``.

    >>> (MinPoints(points=650) & MinOrders(count=2)).describe()
    '650 points and 2 orders'
    """

    type: Literal["require_all"] = "require_all"
    requirements: tuple[Requirement, ...] = Field(min_length=1)

    def describe_in(self, words: UnitNames) -> str:
        return " and ".join(_wrap(r, RequireAny, words) for r in self.requirements)

    def leaves(self) -> list[MinSpend | MinOrders | MinPoints]:
        return [leaf for r in self.requirements for leaf in r.leaves()]


class RequireAny(_RequirementBase):
    """At least one of ``requirements``; build it with ``a | b``.

    >>> (MinSpend(amount=Money("350", "EUR")) | MinOrders(count=10)).describe()
    'spend 350.00 EUR or 10 orders'
    """

    type: Literal["require_any"] = "require_any"
    requirements: tuple[Requirement, ...] = Field(min_length=1)

    def describe_in(self, words: UnitNames) -> str:
        return " or ".join(_wrap(r, RequireAll, words) for r in self.requirements)

    def leaves(self) -> list[MinSpend | MinOrders | MinPoints]:
        return [leaf for r in self.requirements for leaf in r.leaves()]


def _wrap(requirement: _RequirementBase, other: type, words: UnitNames) -> str:
    text = requirement.describe_in(words)
    return f"({text})" if isinstance(requirement, other) else text


Requirement = Annotated[
    Union["MinSpend", "MinOrders", "MinPoints", "RequireAll", "RequireAny"],
    Field(discriminator="type"),
]
"""Any requirement; the ``type`` field picks the class. There is no "not": a tier must
never be lost by buying more."""

for _model in (RequireAll, RequireAny):
    _model.model_rebuild()


def require_all(*requirements: Requirement) -> RequireAll:
    """All of ``requirements``; nested ``RequireAll`` are flattened (``a & b & c``).

    >>> len(require_all(MinOrders(count=1), MinOrders(count=2) & MinOrders(count=3))
    ...     .requirements)
    3
    """
    flat: list[Requirement] = []
    for requirement in requirements:
        if not isinstance(requirement, _RequirementBase):
            raise TypeError(f"require_all() takes requirements, got {type(requirement).__name__}")
        flat.extend(requirement.requirements if isinstance(requirement, RequireAll)
                    else (requirement,))
    return RequireAll(requirements=tuple(flat))


def require_any(*requirements: Requirement) -> RequireAny:
    """Any of ``requirements``; nested ``RequireAny`` are flattened (``a | b | c``).

    >>> require_any(MinOrders(count=10), MinOrders(count=1) | MinOrders(count=2)).describe()
    '10 orders or 1 order or 2 orders'
    """
    flat: list[Requirement] = []
    for requirement in requirements:
        if not isinstance(requirement, _RequirementBase):
            raise TypeError(f"require_any() takes requirements, got {type(requirement).__name__}")
        flat.extend(requirement.requirements if isinstance(requirement, RequireAny)
                    else (requirement,))
    return RequireAny(requirements=tuple(flat))
