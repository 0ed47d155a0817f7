"""Program-wide state: what crosses members (budgets, gift stock, rankings).

A member's state cannot hold "200 Christmas baskets for the whole shop", so a program that has
budgets, stock or rankings keeps them in a :class:`SharedState` that ``apply`` takes and
returns beside the member's state (``Decision.shared``). A shop stores it next to its member
states and must lock it: two workers applying events of different members at once would
otherwise both spend the last basket. Persist the member state and the shared state in one
transaction.

A program without program-wide state (``Program.uses_shared_state`` is ``False``) can be
replayed member by member, in any partitioning, with identical results.

>>> shared = SharedState.new("EUR")
>>> SharedState.model_validate_json(shared.model_dump_json()) == shared
True

Imports: ``_model``, ``_trusted`` and ``money``.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from ._model import Frozen
from ._trusted import built
from .money import validate_currency

__all__ = ["BudgetUse", "SharedState"]


class BudgetUse(Frozen):
    """How much of one budget one period has used."""

    count: int = Field(default=0, ge=0)
    amount: Decimal = Decimal(0)


class SharedState(Frozen):
    """Program-wide state. Immutable; a new one comes from ``apply``/``replay``."""

    currency: str
    budgets: dict[str, BudgetUse] = Field(default_factory=dict)
    """Use per ``"<budget id>@<period>"``, e.g. ``"xmas-baskets@2026"``."""
    stock_used: dict[str, int] = Field(default_factory=dict)
    """Units given per stock id (physical gifts)."""
    metrics: dict[str, dict[str, Decimal]] = Field(default_factory=dict)
    """Per-member figures that rankings need, per ``"<metric>@<period>"``: e.g. the spend
    of every member in 2026 under ``"spend@2026"``."""

    def model_post_init(self, context: object, /) -> None:
        validate_currency(self.currency, field="SharedState.currency")

    @classmethod
    def new(cls, currency: str) -> SharedState:
        """An empty program-wide state."""
        return cls(currency=currency)


class Shared:
    """The hot, mutable form of :class:`SharedState` used while a program runs."""

    __slots__ = ("budgets", "currency", "frozen", "metrics", "stock_used")

    def __init__(self, currency: str) -> None:
        self.currency = currency
        self.budgets: dict[str, list[int | Decimal]] = {}
        self.stock_used: dict[str, int] = {}
        self.metrics: dict[str, dict[str, Decimal]] = {}
        self.frozen: dict[str, BudgetUse] = {}
        """The budget uses thawed, by key: a freeze reuses each one whose count and amount
        are still the very values it holds."""

    @classmethod
    def thaw(cls, state: SharedState) -> Shared:
        hot = cls(state.currency)
        budgets = hot.frozen = state.budgets
        hot.budgets = {key: [use.count, use.amount] for key, use in budgets.items()}
        hot.stock_used = dict(state.stock_used)
        hot.metrics = {key: dict(values) for key, values in state.metrics.items()}
        return hot

    def freeze(self) -> SharedState:
        # what model_construct makes of every field (tests/test_express.py), without its
        # per-field machinery: every apply of a program with budgets freezes one
        frozen = self.frozen
        budgets: dict[str, BudgetUse] = {}
        for key, use in sorted(self.budgets.items()):
            # the thawed use while its count and amount are the very values it holds
            count, amount = use
            model = frozen.get(key)
            if model is not None:
                values = model.__dict__
                if amount is values["amount"] and type(count) is int and count == values["count"]:
                    budgets[key] = model
                    continue
            budgets[key] = built(BudgetUse, {"count": int(count), "amount": Decimal(amount)})
        stock, metrics = self.stock_used, self.metrics
        return built(SharedState, {
            "currency": self.currency,
            "budgets": budgets,
            "stock_used": dict(sorted(stock.items())) if stock else {},
            "metrics": {key: dict(sorted(values.items()))
                        for key, values in sorted(metrics.items())} if metrics else {},
        })
