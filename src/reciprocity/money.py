"""Exact money: a ``Decimal`` amount with an ISO 4217 currency, and named rounding modes.

Money never comes from a ``float`` by accident: ``Money(0.1, "EUR")`` is refused, because the
float is already wrong (``Decimal(0.1)`` is ``0.1000000000000000055...``). Use a string, an
``int`` or a ``Decimal``, or :meth:`Money.from_float` when you really hold a float.

>>> Money("19.99", "EUR") * 3
Money('59.97', 'EUR')
>>> Money("10", "EUR").quantize()
Money('10.00', 'EUR')
>>> Money("2.675", "EUR").quantize(Rounding.HALF_UP)
Money('2.68', 'EUR')

Imports: ``_bounds``, ``_fastpath`` and ``errors``.
"""

from __future__ import annotations

import decimal
import enum
from decimal import Decimal
from typing import Any

import iso4217
from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from ._bounds import MAX_AMOUNT
from ._fastpath import fast_or_checked
from .errors import CurrencyMismatch, InvalidEvent

__all__ = ["Money", "Rounding", "check_amount", "currency_exponent", "validate_currency"]


class Rounding(enum.StrEnum):
    """A named rounding mode. Every rule that rounds declares one of these.

    >>> from decimal import Decimal
    >>> Rounding.DOWN.apply(Decimal("2.9"))
    Decimal('2')
    >>> Rounding.HALF_EVEN.apply(Decimal("2.5"))
    Decimal('2')
    """

    DOWN = "down"
    """Towards zero: 2.9 -> 2, -2.9 -> -2."""
    UP = "up"
    """Away from zero: 2.1 -> 3."""
    FLOOR = "floor"
    """Towards negative infinity."""
    CEILING = "ceiling"
    """Towards positive infinity."""
    HALF_UP = "half-up"
    """Nearest, ties away from zero (the school rule): 2.5 -> 3."""
    HALF_DOWN = "half-down"
    """Nearest, ties towards zero: 2.5 -> 2."""
    HALF_EVEN = "half-even"
    """Nearest, ties to even (banker's rounding): 2.5 -> 2, 3.5 -> 4."""

    @property
    def decimal_mode(self) -> str:
        """The matching constant of the :mod:`decimal` module."""
        return _DECIMAL_MODES[self]

    def apply(self, value: Decimal, exponent: Decimal = Decimal(1)) -> Decimal:
        """Round ``value`` to the places of ``exponent`` (default: a whole number).

        Exact for every finite value: a result wider than the current context's precision
        is computed with the digits it needs instead of raising ``InvalidOperation``.
        """
        try:
            return value.quantize(exponent, rounding=_DECIMAL_MODES[self])
        except decimal.InvalidOperation:
            if not value.is_finite():
                raise
            digits = max(value.adjusted(), 0) - exponent.as_tuple().exponent + 2  # type: ignore[operator]
            context = decimal.Context(prec=digits, Emax=decimal.MAX_EMAX,
                                      Emin=decimal.MIN_EMIN)
            return value.quantize(exponent, rounding=_DECIMAL_MODES[self], context=context)

    def to_int(self, value: Decimal) -> int:
        """Round ``value`` to an ``int`` with this mode (points are always integers)."""
        return int(self.apply(value))


_ONE = Decimal(1)
_DECIMAL_MODES = {
    Rounding.DOWN: decimal.ROUND_DOWN,
    Rounding.UP: decimal.ROUND_UP,
    Rounding.FLOOR: decimal.ROUND_FLOOR,
    Rounding.CEILING: decimal.ROUND_CEILING,
    Rounding.HALF_UP: decimal.ROUND_HALF_UP,
    Rounding.HALF_DOWN: decimal.ROUND_HALF_DOWN,
    Rounding.HALF_EVEN: decimal.ROUND_HALF_EVEN,
}

_EXPONENTS: dict[str, int] = {}


def validate_currency(code: object, *, field: str = "currency") -> str:
    """Return ``code`` if it is an active ISO 4217 alphabetic code, else raise.

    >>> validate_currency("EUR")
    'EUR'
    """
    if not isinstance(code, str) or len(code) != 3 or not code.isupper():
        raise InvalidEvent(
            f"{field}={code!r} is not an ISO 4217 code",
            hint='use three upper-case letters, e.g. "EUR"',
        )
    if code not in _EXPONENTS:
        try:
            currency = iso4217.Currency(code)
        except ValueError:
            raise InvalidEvent(
                f"{field}={code!r} is not an active ISO 4217 currency",
                hint='use a code such as "EUR", "USD" or "GBP"',
            ) from None
        # Funds and metals (XAU, XDR, ...) have no minor unit; treat them as whole units.
        _EXPONENTS[code] = currency.exponent or 0
    return code


def currency_exponent(code: str) -> int:
    """Number of minor-unit digits of a currency: 2 for EUR, 0 for JPY, 3 for KWD.

    >>> currency_exponent("JPY")
    0
    """
    validate_currency(code)
    return _EXPONENTS[code]


def _to_decimal(value: object, *, field: str = "amount") -> Decimal:
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, bool):
        raise InvalidEvent(f"{field}={value!r} is a bool", hint="pass a str, int or Decimal")
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except decimal.InvalidOperation:
            raise InvalidEvent(
                f"{field}={value!r} is not a number", hint='write it like "12.50"'
            ) from None
    elif isinstance(value, float):
        raise InvalidEvent(
            f"{field}={value!r} is a float, which cannot hold money exactly",
            hint=f'pass a string such as "{value}" or use Money.from_float(..., places=2)',
        )
    else:
        raise InvalidEvent(
            f"{field}={value!r} has type {type(value).__name__}",
            hint="pass a str, int or Decimal",
        )
    if not result.is_finite():
        raise InvalidEvent(f"{field}={value!r} is not finite", hint="pass a finite amount")
    return result


def check_amount(value: Money, field: str, *, extra_places: int = 0,
                 negative: bool = True) -> Money:
    """Refuse an amount outside the supported range: more than ``MAX_AMOUNT`` in absolute
    value, or finer than the currency's minor unit (``extra_places`` allows that many more
    decimal places, as unit prices may have). Returns ``value``.

    >>> check_amount(Money("70.001", "EUR"), "Purchase.amount")
    Traceback (most recent call last):
    ...
    reciprocity.InvalidEvent: Purchase.amount=70.001 EUR is finer than the minor unit of EUR ...
    """
    amount = value.amount
    if not negative and amount < 0:
        raise InvalidEvent(f"{field}={value} is negative", hint="send an amount of 0 or more")
    if abs(amount) > MAX_AMOUNT:
        raise InvalidEvent(
            f"{field}={value} is larger than the supported maximum "
            f"MAX_AMOUNT={MAX_AMOUNT:,} {value.currency}",
            hint="check the amount's unit (major units, not cents) and its exponent",
        )
    places = currency_exponent(value.currency) + extra_places
    exponent = amount.as_tuple().exponent
    if exponent < -places and amount != amount.quantize(Decimal(1).scaleb(-places)):  # type: ignore[operator]
        step = Decimal(1).scaleb(-places)
        if extra_places:
            raise InvalidEvent(
                f"{field}={value} is finer than {step} {value.currency} (the minor unit "
                f"with {extra_places} more places, PRICE_EXTRA_PLACES)",
                hint=f"round it to {places} decimal places",
            )
        raise InvalidEvent(
            f"{field}={value} is finer than the minor unit of {value.currency} ({step})",
            hint=f"round it to {places} decimal places with the shop's own rounding rule",
        )
    return value


class Money:
    """An exact amount of one currency. Immutable and hashable.

    Args:
        amount: a ``str``, ``int`` or ``Decimal`` (never a ``float``; see :meth:`from_float`).
        currency: an active ISO 4217 code such as ``"EUR"``.

    Arithmetic works within one currency; mixing currencies raises
    :class:`~reciprocity.CurrencyMismatch`. Multiplying by a number keeps every digit;
    call :meth:`quantize` with a named :class:`Rounding` to round to the currency's minor unit.

    >>> Money("50.00", "EUR") < Money("50.01", "EUR")
    True
    >>> Money("10", "EUR") == Money("10.00", "EUR")
    True
    """

    __slots__ = ("amount", "currency")

    amount: Decimal
    currency: str

    def __init__(self, amount: object, currency: str) -> None:
        object.__setattr__(self, "amount", _to_decimal(amount))
        object.__setattr__(self, "currency", validate_currency(currency))

    @classmethod
    def from_float(
        cls, amount: float, currency: str, *, places: int | None = None,
        rounding: Rounding = Rounding.HALF_EVEN,
    ) -> Money:
        """Explicit opt-in for a float: round it to ``places`` (default: the currency's).

        >>> Money.from_float(0.1 + 0.2, "EUR")
        Money('0.30', 'EUR')
        """
        digits = currency_exponent(currency) if places is None else places
        exact = Decimal(repr(float(amount)))
        return cls(rounding.apply(exact, Decimal(1).scaleb(-digits)), currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Zero in ``currency``, with the currency's minor-unit places.

        >>> Money.zero("EUR")
        Money('0.00', 'EUR')
        """
        return cls(Decimal(0).scaleb(-currency_exponent(currency)), currency)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(
            "Money is immutable; build a new one, e.g. m + Money('1.00', m.currency)"
        )

    def __delattr__(self, name: str) -> None:
        raise AttributeError("Money is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (Money, (str(self.amount), self.currency))

    # -- arithmetic -----------------------------------------------------------------------
    def _same(self, other: Money, op: str) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(
                f"cannot {op} {other} and {self}: currencies differ",
                hint="convert one amount first; reciprocity never converts currencies",
            )

    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "add")
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        self._same(other, "subtract")
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: object) -> Money:
        if isinstance(factor, bool) or not isinstance(factor, int | Decimal):
            return NotImplemented
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def __bool__(self) -> bool:
        return bool(self.amount)

    def _cmp(self, other: object, op: str) -> Decimal | None:
        if not isinstance(other, Money):
            return None
        self._same(other, op)
        return other.amount

    def __lt__(self, other: object) -> bool:
        value = self._cmp(other, "compare")
        return NotImplemented if value is None else self.amount < value

    def __le__(self, other: object) -> bool:
        value = self._cmp(other, "compare")
        return NotImplemented if value is None else self.amount <= value

    def __gt__(self, other: object) -> bool:
        value = self._cmp(other, "compare")
        return NotImplemented if value is None else self.amount > value

    def __ge__(self, other: object) -> bool:
        value = self._cmp(other, "compare")
        return NotImplemented if value is None else self.amount >= value

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        return self.currency == other.currency and self.amount == other.amount

    def __hash__(self) -> int:
        return hash((self.amount, self.currency))

    # -- rounding and display -------------------------------------------------------------
    @property
    def exponent(self) -> Decimal:
        """The currency's minor unit as a ``Decimal`` exponent: ``0.01`` for EUR."""
        return Decimal(1).scaleb(-currency_exponent(self.currency))

    def quantize(self, rounding: Rounding = Rounding.HALF_EVEN) -> Money:
        """Round to the currency's minor unit with a named mode."""
        return Money(rounding.apply(self.amount, self.exponent), self.currency)

    def __repr__(self) -> str:
        return f"Money({str(self.amount)!r}, {self.currency!r})"

    def __str__(self) -> str:
        return self.__format__("")

    def __format__(self, spec: str) -> str:
        """``str(money)`` for an empty ``spec``: ``1050.00 EUR``, the amount in (at least)
        the currency's minor unit; ``","`` groups thousands as customers read amounts
        (``1,050.00 EUR``, as the terms, reasons and ``explain`` write them).

        >>> m = Money("1050", "EUR")
        >>> str(m), f"{m:,}", f"{Money('0.5', 'JPY'):,}"
        ('1050.00 EUR', '1,050.00 EUR', '0.5 JPY')
        """
        if spec not in ("", ","):
            raise ValueError(f"Money takes the format spec '' or ',', not {spec!r}")
        shown = self.amount
        if -shown.as_tuple().exponent < currency_exponent(self.currency):  # type: ignore[operator]
            shown = Rounding.HALF_EVEN.apply(shown, self.exponent)  # exact: only adds zeros
        return f"{shown:{spec}f} {self.currency}"

    # -- pydantic -------------------------------------------------------------------------
    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        serialization = core_schema.plain_serializer_function_ser_schema(
            _dump_money, when_used="always")
        checked = core_schema.no_info_plain_validator_function(
            _validate_money, serialization=serialization)
        return fast_or_checked(_FAST_MONEY, checked, serialization)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "type": "object",
            "title": "Money",
            "description": "An exact amount with an ISO 4217 currency.",
            "properties": {
                "amount": {"type": "string", "pattern": r"^-?\d+(\.\d+)?$",
                           "examples": ["50.00"]},
                "currency": {"type": "string", "pattern": "^[A-Z]{3}$", "examples": ["EUR"]},
            },
            "required": ["amount", "currency"],
            "additionalProperties": False,
        }


def _validate_money(value: Any) -> Money:
    if isinstance(value, Money):
        return value
    if isinstance(value, dict):
        extra = set(value) - {"amount", "currency"}
        if extra or "amount" not in value or "currency" not in value:
            raise ValueError(
                'money must be {"amount": "12.50", "currency": "EUR"}'
                + (f"; unexpected keys {sorted(extra)}" if extra else "")
            )
        return Money(value["amount"], value["currency"])
    if isinstance(value, str) and " " in value.strip():
        amount, _, currency = value.strip().partition(" ")
        return Money(amount, currency.strip())
    raise ValueError(
        f"{value!r} is not money; write {{'amount': '12.50', 'currency': 'EUR'}} "
        "or '12.50 EUR'"
    )


def _money_from_doc(doc: dict[str, str]) -> Money:
    """The money of ``{"amount": "12.50", "currency": "EUR"}`` whose texts passed
    :data:`_FAST_MONEY`'s patterns: what ``Money(amount, currency)`` makes, without its type
    checks (an unknown currency raises, and the checked path says why)."""
    money = _new(Money)
    _set(money, "amount", Decimal(doc["amount"]))
    code = doc["currency"]  # three upper-case letters: known ones need no call
    _set(money, "currency", code if code in _EXPONENTS else validate_currency(code))
    return money


_new = object.__new__
_set = object.__setattr__
_FAST_MONEY = core_schema.no_info_after_validator_function(
    _money_from_doc, core_schema.typed_dict_schema(
        {"amount": core_schema.typed_dict_field(core_schema.str_schema(
            strict=True, pattern=r"^-?[0-9]+(\.[0-9]+)?$")),
         "currency": core_schema.typed_dict_field(core_schema.str_schema(
             strict=True, pattern=r"^[A-Z]{3}$"))},
        extra_behavior="forbid"))
"""Money in JSON as the library writes it, read in pydantic-core but for one call
(``_fastpath``); anything else takes :func:`_validate_money`."""


def _dump_money(value: Money) -> dict[str, str]:
    return {"amount": format(value.amount, "f"), "currency": value.currency}
