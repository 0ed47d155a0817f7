"""A member's goodwill state on the hot path, and the compiled form of a goodwill rule.

Holds the positional slots of complaint records (``C_*``), grant tuples (``G_*``) and pending
tuples (``Q_*``), defined here once; :class:`GoodwillState` (a member's complaints, grants and
pending offers while a program works on it); ``_Rule`` (a rule with its condition compiled),
``_Facts`` (what a complaint is about) and ``_Offer`` (what a rule would give).

Imports: the core and the goodwill declarations; never ``stage``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from .._reason import Msg
from ..conditions import CompileContext
from ..events import COMPLAINT
from ..money import Money, Rounding
from .compensation import _Amount
from .payout import Payout
from .policy import GoodwillRule

__all__ = ["GoodwillState"]


# complaint record slots (a list: the outcome changes when an approval arrives)
C_ID, C_AT, C_ORDER, C_CATEGORY, C_SEVERITY, C_OUTCOME, C_RULE, C_DUP, C_CAUSE, C_KEY = range(10)
# grant tuple slots
(G_CID, G_RULE, G_KIND, G_VALUE, G_POINTS, G_DECIDED, G_GRANTED, G_ORDER, G_CODE, G_GIFT,
 G_EXPIRES, G_BY) = range(12)
# pending tuple slots
(Q_CID, Q_RULE, Q_KIND, Q_VALUE, Q_POINTS, Q_AT, Q_ORDER, Q_CATEGORY, Q_GIFT, Q_VALID,
 Q_RESERVED, Q_NOTES, Q_WHY) = range(13)

_ZERO = Decimal(0)
_ONE = Decimal(1)
_HUNDRED = Decimal(100)
_HOUR = timedelta(hours=1)
_COMPLAINTS = frozenset({COMPLAINT})


def _plural(n: int, word: str = "point") -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


class GoodwillState:
    """A member's goodwill history while a program works on it (``m.goodwill``)."""

    __slots__ = ("by_id", "complaints", "grants", "keys", "pending", "topics")

    def __init__(self) -> None:
        self.complaints: list[list[Any]] = []
        self.by_id: dict[str, list[Any]] = {}
        self.grants: list[tuple[Any, ...]] = []
        self.pending: dict[str, tuple[Any, ...]] = {}
        self.topics: dict[tuple[str, str], str] = {}
        """(order id, category) -> the first complaint about it, to spot duplicates."""
        self.keys: dict[str, str] = {}
        """A declared duplicate key's values -> the first complaint with them."""

    def add(self, record: list[Any]) -> None:
        self.complaints.append(record)
        self.by_id[record[C_ID]] = record
        order = record[C_ORDER]
        if order is not None and record[C_CAUSE] != "unknown_order" and record[C_DUP] is None:
            self.topics.setdefault((order, record[C_CATEGORY]), record[C_ID])
        key = record[C_KEY]
        if key is not None and record[C_CAUSE] != "unknown_order" and record[C_DUP] is None:
            self.keys.setdefault(key, record[C_ID])

    def committed(self) -> list[tuple[datetime, Decimal, str | None]]:
        """(decided at, value, order id) of every grant and pending approval."""
        used = [(g[G_DECIDED], g[G_VALUE], g[G_ORDER]) for g in self.grants]
        used += [(q[Q_AT], q[Q_VALUE], q[Q_ORDER]) for q in self.pending.values()]
        return used


class _Rule:
    """A declared rule with its criteria turned into plain values, once."""

    __slots__ = ("approval", "base_of", "categories", "comp", "factors", "fixed", "id", "kind",
                 "late", "max", "max_percent", "min_order", "min_severity", "minimum",
                 "not_met", "past_window", "payout", "percent", "percent_rounding", "points",
                 "pred", "rule", "tiers")

    def __init__(self, rule: GoodwillRule, ctx: CompileContext) -> None:
        self.rule = rule
        self.id = rule.id
        self.comp = rule.compensation
        self.kind = rule.compensation.type
        comp: Any = rule.compensation
        self.points: int | None = getattr(comp, "points", None)
        value = getattr(comp, "value", None)
        self.fixed: Decimal | None = None if value is None else value.amount
        self.percent: Decimal | None = getattr(comp, "percent", None)
        self.base_of: str = getattr(comp, "of", "order")
        maximum = getattr(comp, "max", None)
        self.max: Money | None = maximum
        self.percent_rounding: Rounding = getattr(comp, "rounding", Rounding.HALF_UP)
        self.categories = frozenset(rule.categories) or None
        self.min_severity = rule.min_severity
        self.factors = rule.by_severity
        self.min_order = None if rule.min_order_value is None else rule.min_order_value.amount
        self.tiers = frozenset(rule.tiers) or None
        self.past_window = rule.past_return_window
        self.late = rule.late_response
        self.pred = None if rule.when is None else ctx.compile_for(
            rule.when, _COMPLAINTS, f"goodwill rule {rule.id!r} when")
        self.not_met = "" if rule.when is None else "condition not met: " + ctx.said(rule.when)
        """Why the rule does not apply when its condition fails, in the program's words."""
        self.approval = rule.approval
        self.payout: Payout | None = None
        self.max_percent: Decimal | None = getattr(comp, "max_percent", None)
        minimum = getattr(comp, "minimum", None)
        self.minimum: Money | None = minimum
        if isinstance(comp, _Amount):
            self.payout = Payout(comp, ctx, f"goodwill rule {rule.id!r} compensation")


class _Facts:
    """What one complaint's decision needs, computed once for every rule."""

    __slots__ = ("affected", "at", "cid", "days_past", "factor", "kept", "late", "limits",
                 "notes", "order_id", "severity")

    def __init__(self) -> None:
        self.cid = ""
        self.at: datetime
        self.order_id: str | None = None
        self.severity = 1
        self.kept: Decimal | None = None
        """What is left of the order's value, or ``None`` without a known order."""
        self.affected: Decimal | None = None
        self.days_past: int | None = None
        self.late: bool | None = None
        self.factor = _ONE
        self.notes: list[Msg | str] = []
        self.limits: list[tuple[Decimal, Msg]] = []


class _Offer:
    __slots__ = ("gift", "kind", "notes", "points", "rule", "steps", "valid_days", "value")

    def __init__(self, rule: _Rule, value: Decimal, points: int | None,
                 notes: list[Msg | str],
                 steps: int) -> None:
        self.rule = rule
        self.steps = steps
        """Index of the first note that changed the value (the ones before say what it is)."""
        self.kind = rule.kind
        self.value = value
        self.points = points
        self.notes = notes
        self.gift: str | None = getattr(rule.comp, "name", None)
        self.valid_days: int | None = getattr(rule.comp, "valid_days", None)


