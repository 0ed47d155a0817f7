"""The program-wide spend ranking of the gift rules ("top 10 % of members by spend").

Each member's net spend per calendar year of the order date (program time zone) is kept in
``Shared.metrics["spend@<year>"]``, updated on purchases and returns; a ranked rule reads it
when it fires ("as of the trigger time").

Imports: the core (``_engine``, ``money``, ``shared``) and the gifts declarations.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from .._engine import P_AMOUNT, P_AT, P_RETURNED, Member
from ..money import Money
from ..shared import Shared
from .gift import percent
from .scheme import SeasonalGift

__all__ = ["SpendRanking"]

_ZERO = Decimal(0)


class SpendRanking:
    """The spend table in ``m.shared`` and the top-group thresholds read from it."""

    def __init__(self, zone: ZoneInfo, currency: str) -> None:
        self.zone = zone
        self.currency = currency
        self._cache: tuple[Shared, dict[str, Decimal | None]] | None = None
        """Thresholds of one hot shared state, until its spend table changes. A hot shared
        state belongs to one ``apply``/``replay`` at a time, so only that call writes it."""

    def add_spend(self, m: Member, bought: datetime, amount: Decimal) -> None:
        """Count ``amount`` (negative for a return) in the year the order was placed."""
        shared = m.shared
        assert shared is not None
        key = f"spend@{bought.astimezone(self.zone).year}"
        table = shared.metrics.setdefault(key, {})
        table[m.member_id] = table.get(m.member_id, _ZERO) + amount
        self._invalidate(shared)

    def enter(self, m: Member) -> None:
        """Put a member new to the gift rules into the table, from their purchases."""
        shared = m.shared
        assert shared is not None
        years: dict[int, Decimal] = {}
        for record in m.purchases.values():
            year = record[P_AT].astimezone(self.zone).year
            years[year] = years.get(year, _ZERO) + record[P_AMOUNT] - record[P_RETURNED]
        for year, spend in years.items():
            shared.metrics.setdefault(f"spend@{year}", {})[m.member_id] = spend
        if years:
            self._invalidate(shared)

    def _invalidate(self, shared: Shared) -> None:
        cache = self._cache
        if cache is not None and cache[0] is shared:
            self._cache = None

    def threshold(self, shared: Shared, year: int, rule: SeasonalGift) -> Decimal | None:
        """The spend of the last place in the top ``rule.top_percent`` % of ``year``.

        Cached until the spend table changes: a season's start fires for every member at one
        instant, with no purchase in between.
        """
        assert rule.top_percent is not None
        cache = self._cache
        if cache is None or cache[0] is not shared:
            cache = (shared, {})
            self._cache = cache
        key = f"{year}|{rule.top_percent}|{rule.ranking_rounding.value}"
        if key in cache[1]:
            return cache[1][key]
        values = sorted((v for v in shared.metrics.get(f"spend@{year}", {}).values() if v > 0),
                        reverse=True)
        places = rule.ranking_rounding.to_int(Decimal(len(values)) * rule.top_percent / 100)
        threshold = values[min(places, len(values)) - 1] if places > 0 and values else None
        cache[1][key] = threshold
        return threshold

    def spend(self, shared: Shared, year: int, member_id: str) -> Decimal:
        """A member's net spend in ``year``."""
        return shared.metrics.get(f"spend@{year}", {}).get(member_id, _ZERO)

    def refusal(self, rule: SeasonalGift, m: Member, year: int) -> str | None:
        """Why the member is not in the rule's top group as of now, or ``None``."""
        shared = m.shared
        assert shared is not None
        assert rule.top_percent is not None
        mine = self.spend(shared, year, m.member_id)
        threshold = self.threshold(shared, year, rule)
        if threshold is not None and mine > 0 and mine >= threshold:
            return None
        text = (f"not among the top {percent(rule.top_percent)} of members by spend in {year}: "
                f"{Money(mine, self.currency)}")
        if threshold is not None:
            text += f", the top group starts at {Money(threshold, self.currency)}"
        return text
