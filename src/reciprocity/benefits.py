"""What a tier brings (:class:`TierBenefits`): data every family reads, so it sits at the top.

The tier ladder declares benefits per tier; the point scheme reads the multiplier, goodwill the
factor, gifts the perks, and :class:`~reciprocity.TierChanged` carries them. Keeping the model
here lets :mod:`reciprocity.effects` and every family use it without importing the tiers family.

Imports: only the core's foundations (``_model``, ``errors``); no family, no stage.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from pydantic import Field, field_validator

from ._model import Frozen, NonEmptyStr
from .errors import InvalidProgram

__all__ = ["TierBenefits"]


def _plural(n: int | Decimal, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


class _Policy(Frozen):
    _error_class: ClassVar[type[InvalidProgram]] = InvalidProgram


class TierBenefits(_Policy):
    """What a tier brings, as data other policies read (``m.tier_benefits`` on the hot path).

    Args:
        points_multiplier: earning is multiplied by this (the point scheme reads it).
        goodwill_factor: goodwill compensation is multiplied by this.
        free_shipping: whether orders ship free.
        perks: tags other policies test, such as gift eligibility (``"birthday-gift"``).
        early_access_days: days of early access to sales and launches.
        points_expire: ``False`` exempts the tier from the point scheme's expiry: while a
            member holds the tier, none of their point lots expire (earned before or during
            it); when they move to a tier whose points expire (a downgrade, or at the end of
            grace), every lot they then hold expires as if it were earned at that moment.
            The scheme needs a lot expiry (``FixedLifetime``, ``EndOfMonthAfter``,
            ``EndOfQuarterAfter``, ``CalendarCutoff``); the default ``True`` is not written
            in a program's JSON.

    >>> from decimal import Decimal
    >>> TierBenefits(points_multiplier=Decimal(2), perks=("birthday-gift",),
    ...              early_access_days=3).describe()
    '2x points, 3 days early access and birthday-gift'
    >>> TierBenefits().describe()
    'no extra benefits'
    >>> TierBenefits(points_multiplier=Decimal("1.2"), points_expire=False).describe("Stars")
    '1.2x Stars and Stars that never expire'
    """

    points_multiplier: Decimal = Field(default=Decimal(1), ge=0)
    goodwill_factor: Decimal = Field(default=Decimal(1), ge=0)
    free_shipping: bool = False
    perks: tuple[NonEmptyStr, ...] = ()
    early_access_days: int = Field(default=0, ge=0)
    points_expire: bool = Field(default=True, exclude_if=lambda value: value is True)
    """Whether the point scheme's expiry applies while a member holds the tier (the default);
    ``False``: their points never expire while they hold it."""

    @field_validator("points_multiplier", "goodwill_factor")
    @classmethod
    def _finite(cls, value: Decimal) -> Decimal:
        if not value.is_finite():
            raise ValueError("must be a finite number such as 1.5")
        return value

    def describe(self, units: str = "points") -> str:
        """The benefits in plain words; ``units``: the point scheme's word for its points
        (``"award miles"``)."""
        parts: list[str] = []
        if self.points_multiplier != 1:
            parts.append(f"{_number(self.points_multiplier)}x {units}")
        if self.free_shipping:
            parts.append("free shipping")
        if self.early_access_days:
            parts.append(f"{_plural(self.early_access_days, 'day')} early access")
        if self.goodwill_factor != 1:
            parts.append(f"goodwill x{_number(self.goodwill_factor)}")
        parts.extend(self.perks)
        if not self.points_expire:
            parts.append(f"{units} that never expire")
        if not parts:
            return "no extra benefits"
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]

    def shortfalls(self, lower: TierBenefits) -> list[str]:
        """What these benefits give less of than ``lower`` (empty when they cover it).

        >>> TierBenefits(free_shipping=False).shortfalls(TierBenefits(free_shipping=True))
        ['no free shipping']
        >>> TierBenefits().shortfalls(TierBenefits(points_expire=False))
        ['points expire']
        """
        out: list[str] = []
        if self.points_multiplier < lower.points_multiplier:
            out.append(f"points multiplier {_number(self.points_multiplier)} < "
                       f"{_number(lower.points_multiplier)}")
        if self.goodwill_factor < lower.goodwill_factor:
            out.append(f"goodwill factor {_number(self.goodwill_factor)} < "
                       f"{_number(lower.goodwill_factor)}")
        if lower.free_shipping and not self.free_shipping:
            out.append("no free shipping")
        if self.early_access_days < lower.early_access_days:
            out.append(f"{self.early_access_days} days early access < "
                       f"{lower.early_access_days}")
        missing = [perk for perk in lower.perks if perk not in self.perks]
        if missing:
            out.append("missing perks " + ", ".join(missing))
        if self.points_expire and not lower.points_expire:
            out.append("points expire")
        return out


def _number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return text

