"""Money: exact amounts, one currency at a time, explicit rounding."""

from decimal import Decimal

import pytest

from reciprocity import CurrencyMismatch, InvalidEvent, Money, Rounding, currency_exponent


class TestConstruction:
    def test_from_str_int_decimal(self) -> None:
        """str, int and Decimal all give the same exact amount."""
        assert Money("10.00", "EUR") == Money(10, "EUR") == Money(Decimal("10"), "EUR")

    def test_float_is_refused(self) -> None:
        """A float is refused with a hint to use a string or from_float."""
        with pytest.raises(InvalidEvent, match=r"from_float"):
            Money(0.1, "EUR")  # type: ignore[arg-type]

    def test_from_float_is_explicit_and_rounded(self) -> None:
        """from_float rounds to the currency's minor unit."""
        assert Money.from_float(0.1 + 0.2, "EUR") == Money("0.30", "EUR")
        assert Money.from_float(2.5, "JPY", rounding=Rounding.HALF_UP) == Money("3", "JPY")

    @pytest.mark.parametrize("code", ["eur", "EURO", "XYZ", "", 12])
    def test_unknown_currency(self, code: object) -> None:
        """Anything but an active ISO 4217 code is refused."""
        with pytest.raises(InvalidEvent, match="ISO 4217"):
            Money("1", code)  # type: ignore[arg-type]

    @pytest.mark.parametrize("amount", ["abc", "NaN", "Infinity", True, None])
    def test_bad_amounts(self, amount: object) -> None:
        """Non-numbers, non-finite numbers and bools are refused."""
        with pytest.raises(InvalidEvent):
            Money(amount, "EUR")

    def test_immutable(self) -> None:
        """Money cannot be changed in place."""
        m = Money("1", "EUR")
        with pytest.raises(AttributeError, match="immutable"):
            m.amount = Decimal(2)  # type: ignore[misc]


class TestArithmetic:
    def test_add_sub_mul(self) -> None:
        """Arithmetic within one currency is exact."""
        assert Money("0.10", "EUR") + Money("0.20", "EUR") == Money("0.30", "EUR")
        assert Money("1.00", "EUR") - Money("0.01", "EUR") == Money("0.99", "EUR")
        assert Money("19.99", "EUR") * 3 == Money("59.97", "EUR")
        assert 2 * Money("1.5", "EUR") == Money("3", "EUR")

    def test_mixing_currencies_fails(self) -> None:
        """Adding or comparing EUR and USD raises CurrencyMismatch."""
        with pytest.raises(CurrencyMismatch):
            Money("1", "EUR") + Money("1", "USD")
        with pytest.raises(CurrencyMismatch):
            _ = Money("1", "EUR") < Money("1", "USD")

    def test_equality_across_currencies_is_false(self) -> None:
        """Equal amounts in different currencies are not equal."""
        assert Money("1", "EUR") != Money("1", "USD")

    def test_float_factor_refused(self) -> None:
        """Multiplying by a float is a TypeError."""
        with pytest.raises(TypeError):
            Money("1", "EUR") * 1.5  # type: ignore[operator]


class TestRounding:
    @pytest.mark.parametrize(
        ("mode", "value", "expected"),
        [
            (Rounding.HALF_EVEN, "2.675", "2.68"),
            (Rounding.HALF_EVEN, "2.665", "2.66"),
            (Rounding.HALF_UP, "2.665", "2.67"),
            (Rounding.HALF_DOWN, "2.665", "2.66"),
            (Rounding.DOWN, "2.669", "2.66"),
            (Rounding.UP, "2.661", "2.67"),
            (Rounding.FLOOR, "-2.661", "-2.67"),
            (Rounding.CEILING, "-2.669", "-2.66"),
        ],
    )
    def test_modes(self, mode: Rounding, value: str, expected: str) -> None:
        """Each named mode rounds as documented."""
        assert Money(value, "EUR").quantize(mode).amount == Decimal(expected)

    def test_exponent_from_currency(self) -> None:
        """The minor unit comes from the currency: 2 for EUR, 0 for JPY, 3 for KWD."""
        assert (currency_exponent("EUR"), currency_exponent("JPY"), currency_exponent("KWD")) == (
            2, 0, 3)
        assert str(Money("5", "KWD")) == "5.000 KWD"

    def test_to_int(self) -> None:
        """Points are whole numbers rounded by a declared mode."""
        assert Rounding.DOWN.to_int(Decimal("2.99")) == 2
        assert Rounding.HALF_UP.to_int(Decimal("2.5")) == 3


class TestSerialisation:
    def test_repr_and_str(self) -> None:
        """repr reads like the call; str shows the minor unit."""
        assert repr(Money("10", "EUR")) == "Money('10', 'EUR')"
        assert str(Money("10", "EUR")) == "10.00 EUR"

    def test_hash_and_pickle(self) -> None:
        """Money is hashable and pickles."""
        import pickle

        m = Money("1.50", "EUR")
        assert {m: 1}[Money("1.5", "EUR")] == 1
        assert pickle.loads(pickle.dumps(m)) == m
