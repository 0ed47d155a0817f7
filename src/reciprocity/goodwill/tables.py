"""Band tables and reductions: compensation looked up by the facts of a case, declared.

A :class:`BandTable` names its keys (facts, or the :class:`~reciprocity.Elapsed` time between
two) and lists :class:`Band` rows: each band gives a fixed amount or a percentage of the
compensation's base, for the values of the keys in its :class:`Range` s. The matching rule
is explicit: the ``first`` band that matches, or the ``most_generous`` of those that match.
``reciprocity check`` reports gaps between bands and, for a first-match table, overlaps.

>>> from reciprocity import Money
>>> table = BandTable(keys={"distance": "distance_km"}, bands=(
...     Band(when={"distance": Range(up_to=1500)}, value=Money("250.00", "EUR")),
...     Band(when={"distance": Range(over=1500, up_to=3500)}, value=Money("400.00", "EUR")),
...     Band(when={"distance": Range(over=3500)}, value=Money("600.00", "EUR"))),
...     monotone=True)
>>> print(table.describe())
by distance km (first band that matches): up to 1500 -> 250.00 EUR; over 1500 and up to
3500 -> 400.00 EUR; over 3500 -> 600.00 EUR

A :class:`Reduction` multiplies the compensation by a factor below 1 when its condition holds
(50 % when a re-routed flight arrived within a window).

Imports: the core's models (conditions, fact conditions, money); never a compiled stage.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from itertools import pairwise, product
from typing import TYPE_CHECKING, Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from .._model import Frozen, NonEmptyStr
from ..conditions import Condition
from ..errors import InvalidProgram
from ..fact_conditions import FactRef, fact_words
from ..money import Money

if TYPE_CHECKING:
    from ..names import ProgramWords

__all__ = ["Band", "BandTable", "Range", "Reduction"]

Number = Annotated[Decimal, Field(allow_inf_nan=False)]


class _Declared(Frozen):
    _error_class: ClassVar[type[InvalidProgram]] = InvalidProgram


def _num(value: Decimal) -> str:
    return format(value.normalize(), "f")


class Range(_Declared):
    """The values of one key a band covers: at most one lower bound (``at_least`` or
    ``over``) and one upper bound (``below`` or ``up_to``); leave a side out for no bound.

    >>> Range(at_least=60, below=120).describe()
    'at least 60 and below 120'
    >>> Range(at_least=60).contains(Decimal(60)), Range(over=60).contains(Decimal(60))
    (True, False)
    """

    at_least: Number | None = None
    over: Number | None = None
    below: Number | None = None
    up_to: Number | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Range:
        if self.at_least is not None and self.over is not None:
            raise ValueError("give at_least or over, not both")
        if self.below is not None and self.up_to is not None:
            raise ValueError("give below or up_to, not both")
        low, high = self.low, self.high
        if low is not None and high is not None and (
                high[0] < low[0] or (high[0] == low[0] and not (low[1] and high[1]))):
            raise ValueError(f"{self.describe()} is empty; the lower bound must be below the "
                             "upper one")
        if low is None and high is None:
            raise ValueError("give at least one bound; leave the key out of the band to "
                             "cover every value")
        return self

    @property
    def low(self) -> tuple[Decimal, bool] | None:
        """The lower bound and whether it is included."""
        if self.at_least is not None:
            return self.at_least, True
        return None if self.over is None else (self.over, False)

    @property
    def high(self) -> tuple[Decimal, bool] | None:
        """The upper bound and whether it is included."""
        if self.up_to is not None:
            return self.up_to, True
        return None if self.below is None else (self.below, False)

    def contains(self, value: Decimal) -> bool:
        """Whether ``value`` lies in the range."""
        low, high = self.low, self.high
        if low is not None and (value < low[0] or (value == low[0] and not low[1])):
            return False
        return high is None or value < high[0] or (value == high[0] and high[1])

    def describe(self) -> str:
        """The range in words."""
        words = []
        for name in ("at_least", "over", "below", "up_to"):
            value = getattr(self, name)
            if value is not None:
                words.append(f"{name.replace('_', ' ')} {_num(value)}")
        return " and ".join(words)


class Band(_Declared):
    """One row of a band table: for the keys' values in ``when``, a fixed ``value`` or a
    ``percent`` of the compensation's base. A key left out of ``when`` matches any value.

    >>> Band(when={"delay": Range(at_least=60)}, percent=25).describe()
    'delay at least 60 -> 25 % of the base'
    """

    when: dict[NonEmptyStr, Range] = Field(default_factory=dict)
    value: Money | None = None
    percent: Decimal | None = Field(default=None, ge=0, le=100, allow_inf_nan=False)

    @model_validator(mode="after")
    def _one_way(self) -> Band:
        if (self.value is None) == (self.percent is None):
            raise ValueError("give a band either value or percent, not both and not neither")
        if self.value is not None and self.value.amount < 0:
            raise ValueError(f"value={self.value} cannot be negative")
        return self

    def describe(self, base: str = "the base") -> str:
        """The band in words."""
        where = " and ".join(f"{key.replace('_', ' ')} {r.describe()}"
                             for key, r in self.when.items())
        gives = f"{self.value:,}" if self.value is not None else \
            f"{_num(self.percent or Decimal(0))} % of {base}"
        return f"{where or 'any case'} -> {gives}"


class BandTable(_Declared):
    """An amount looked up by the bands of one or more facts.

    Args:
        keys: the name a band uses for each key -> the fact it reads (a fact name, or an
            ``Elapsed`` time between two datetime facts).
        bands: the rows, in order.
        match: ``"first"``: the first band that matches; ``"most_generous"``: the largest
            amount of the bands that match.
        monotone: the table promises never to give less for a larger value of any key;
            a table that breaks the promise is refused when it is declared.
    """

    keys: dict[NonEmptyStr, FactRef] = Field(min_length=1)
    bands: tuple[Band, ...] = Field(min_length=1)
    match: Literal["first", "most_generous"] = "first"
    monotone: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> BandTable:
        for index, band in enumerate(self.bands):
            for key in band.when:
                if key not in self.keys:
                    raise ValueError(f"bands[{index}] reads key {key!r}, which is not one of "
                                     f"the table's keys ({', '.join(self.keys)})")
        if self.monotone and any(b.percent is not None for b in self.bands) and \
                any(b.value is not None for b in self.bands):
            raise ValueError("a monotone table gives all money or all percentages, so its "
                             "bands can be compared")
        if self.monotone:
            for smaller, larger in self.ordered_pairs():
                a, b = self.lookup(smaller), self.lookup(larger)
                if a is not None and (b is None or self._size(b) < self._size(a)):
                    where = ", ".join(f"{k}={_num(v)}" for k, v in larger.items())
                    raise ValueError(f"the table is declared monotone but gives less at {where} "
                                     "than for smaller values")
        return self

    @staticmethod
    def _size(band: Band) -> Decimal:
        return band.value.amount if band.value is not None else band.percent or Decimal(0)

    def lookup(self, values: dict[str, Decimal]) -> Band | None:
        """The band that applies to the keys' ``values`` (a missing key matches no band
        that reads it), or ``None``.

        >>> from reciprocity import Money
        >>> table = BandTable(keys={"d": "delay_minutes"}, match="most_generous", bands=(
        ...     Band(when={"d": Range(at_least=60)}, percent=25),
        ...     Band(when={"d": Range(at_least=120)}, percent=50)))
        >>> table.lookup({"d": Decimal(130)}).percent, table.lookup({"d": Decimal(59)})
        (Decimal('50'), None)
        """
        best: Band | None = None
        for band in self.bands:
            if all(key in values and rng.contains(values[key]) for key, rng in band.when.items()):
                if self.match == "first":
                    return band
                if best is None or self._size(band) > self._size(best):
                    best = band
        return best

    def samples(self) -> dict[str, list[Decimal]]:
        """Per key, every bound of the bands and the midpoints between them: a set of
        points that meets every region the bands divide the keys into."""
        points: dict[str, list[Decimal]] = {}
        for key in self.keys:
            found: set[Decimal] = set()
            for band in self.bands:
                rng = band.when.get(key)
                if rng is not None:
                    found.update(b[0] for b in (rng.low, rng.high) if b is not None)
            bounds = sorted(found)
            mids = [(a + b) / 2 for a, b in pairwise(bounds)]
            edge = [bounds[0] - 1, bounds[-1] + 1] if bounds else [Decimal(0)]
            points[key] = sorted({*bounds, *mids, *edge})
        return points

    def grid(self, limit: int = 20000) -> Iterator[dict[str, Decimal]]:
        """Every combination of :meth:`samples` (at most ``limit``)."""
        samples = self.samples()
        keys = list(samples)
        for count, values in enumerate(product(*(samples[k] for k in keys))):
            if count >= limit:
                return
            yield dict(zip(keys, values, strict=True))

    def ordered_pairs(self) -> Iterator[tuple[dict[str, Decimal], dict[str, Decimal]]]:
        """Pairs of sample points that differ in one key, the second one larger."""
        samples = self.samples()
        for point in self.grid():
            for key, values in samples.items():
                index = values.index(point[key])
                if index + 1 < len(values):
                    yield point, {**point, key: values[index + 1]}

    def describe(self, base: str = "the base", words: ProgramWords | None = None) -> str:
        """The table in words; ``words`` says its facts by the program's labels."""
        keys = ", ".join(fact_words(f, words) for f in self.keys.values())
        how = "first band that matches" if self.match == "first" else "most generous band"
        bands = []
        for band in self.bands:
            text = band.describe(base)
            for key, fact in self.keys.items():
                text = text.replace(key.replace("_", " ") + " ", "", 1) if len(self.keys) == 1 \
                    else text.replace(key.replace("_", " "), fact_words(fact, words), 1)
            bands.append(text)
        return f"by {keys} ({how}): " + "; ".join(bands)


class Reduction(_Declared):
    """A factor below 1 on the compensation when ``when`` holds (several multiply).

    >>> from reciprocity import FactIs
    >>> Reduction(when=FactIs(fact="ticket", value="return"), factor="0.5",
    ...           reason="half the fare of a return ticket").describe()
    'x0.5: half the fare of a return ticket'
    >>> Reduction(when=FactIs(fact="ticket", value="return"), factor="0.5").describe()
    'x0.5 when ticket is return'
    """

    when: Condition
    factor: Decimal = Field(ge=0, lt=1, allow_inf_nan=False)
    reason: str = ""

    def describe(self, words: ProgramWords | None = None) -> str:
        """The reduction in words; ``words`` says the facts of its condition by the
        program's labels (a declared ``reason`` is said as it is)."""
        if self.reason:
            return f"x{_num(self.factor)}: {self.reason}"
        return f"x{_num(self.factor)} when {self.when.describe_with(words)}"
