"""``compare``: two or more programs over the same history, side by side, with the differences.

The events are validated, made engine rows and sorted once (:mod:`.prepared`); every
program's run replays the same rows. Each program's
:class:`~reciprocity.Simulation` is kept; the comparison adds:

- ``metrics``: one row per period and metric, a column per program, and the difference of
  each program from the first (the baseline);
- ``totals``: the same for the totals;
- ``members``: one row per member: each program's *member value* (what the member received:
  points earned at the program's point value, plus gifts and goodwill paid), its difference
  from the baseline, and each program's final tier;
- ``deciles``: how the difference of member value is spread (one row per decile);
- ``tier_moves``: how many members end a tier higher or lower than under the baseline.

Imports: ``errors``, ``program`` (typing), ``state``, ``experiments.prepared``,
``.simulate``, ``.redemption``, ``.table``, ``.progress``.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..errors import InvalidProgram
from ..state import MemberState
from .prepared import Prepared
from .progress import Progress
from .redemption import RedemptionModel
from .simulate import Simulation, run_simulation
from .table import Table, format_value

if TYPE_CHECKING:
    from ..program import Program

__all__ = ["Comparison", "compare"]

_ZERO = Decimal(0)
_METRICS = ("orders", "revenue", "points_earned", "points_redeemed", "points_expired",
            "points_revoked", "points_outstanding", "liability", "vouchers", "voucher_value",
            "gifts", "gift_cost", "goodwill_paid", "first_tier_reached", "cost", "cost_pct")
_MONEY = ("revenue", "liability", "voucher_value", "gift_cost", "goodwill_paid", "cost")


def _difference(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    return b - a


class Comparison:
    """What :func:`compare` returns.

    Attributes:
        names: the programs' names as given, the baseline first.
        results: each program's :class:`~reciprocity.Simulation`, by name.
        metrics, totals, members, deciles, tier_moves: the tables (see
            :mod:`reciprocity.experiments.compare`).
    """

    def __init__(self, results: dict[str, Simulation]) -> None:
        self.names = list(results)
        self.results = results
        first = results[self.names[0]]
        self.currency = first.program.currency
        self.metrics = self._metrics()
        self.totals = self._totals()
        self.members = self._members()
        self.deciles = self._deciles()
        self.tier_moves = self._tier_moves()

    @property
    def baseline(self) -> str:
        """The first program's name: differences are taken from it."""
        return self.names[0]

    def _diff_names(self) -> list[str]:
        return [f"{name} - {self.baseline}" for name in self.names[1:]]

    def _metrics(self) -> Table:
        periods: list[str] = sorted({p for r in self.results.values()
                                     for p in r.metrics["period"]})
        by_program = {name: {row["period"]: row for row in r.metrics.rows()}
                      for name, r in self.results.items()}
        cols: dict[str, list[Any]] = {"period": [], "metric": [], **{n: [] for n in self.names},
                                      **{d: [] for d in self._diff_names()}}
        for period in periods:
            for metric in _METRICS:
                values = [by_program[n].get(period, {}).get(metric) for n in self.names]
                cols["period"].append(period)
                cols["metric"].append(metric)
                for name, value in zip(self.names, values, strict=True):
                    cols[name].append(value)
                for diff, value in zip(self._diff_names(), values[1:], strict=True):
                    cols[diff].append(_difference(values[0], value))
        return Table(cols, currency=self.currency, title="Metrics per period, side by side")

    def _totals(self) -> Table:
        totals = {name: r.totals.model_dump() for name, r in self.results.items()}
        metrics = [k for k in totals[self.baseline] if k != "currency"]
        cols: dict[str, list[Any]] = {"metric": metrics}
        for name in self.names:
            cols[name] = [totals[name][k] for k in metrics]
        for diff, name in zip(self._diff_names(), self.names[1:], strict=True):
            cols[diff] = [_difference(totals[self.baseline][k], totals[name][k])
                          for k in metrics]
        return Table(cols, currency=self.currency, title="Totals, side by side")

    def _members(self) -> Table:
        values: dict[str, dict[str, Decimal]] = {}
        tiers: dict[str, dict[str, str | None]] = {}
        ids: set[str] = set()
        for name, r in self.results.items():
            rate = r.program.point_value().amount
            values[name] = {row["member_id"]: (rate * row["points_earned"]
                                                + row["gift_value"] + row["goodwill_paid"])
                            for row in r.members.rows()}
            tiers[name] = {row["member_id"]: row["tier"] for row in r.members.rows()}
            ids.update(values[name])
        order = sorted(ids)
        cols: dict[str, list[Any]] = {"member_id": order}
        for name in self.names:
            cols[f"value {name}"] = [values[name].get(m, _ZERO) for m in order]
        for diff, name in zip(self._diff_names(), self.names[1:], strict=True):
            cols[f"value {diff}"] = [values[name].get(m, _ZERO)
                                     - values[self.baseline].get(m, _ZERO) for m in order]
        for name in self.names:
            cols[f"tier {name}"] = [tiers[name].get(m) for m in order]
        return Table(cols, money=[k for k in cols if k.startswith("value ")],
                     currency=self.currency, title="Member value, side by side")

    def _deciles(self) -> Table:
        cols: dict[str, list[Any]] = {"program": [], "decile": [], "members": [],
                                      "lowest": [], "median": [], "highest": [],
                                      "better_off": [], "worse_off": []}
        for diff in self._diff_names():
            changes = sorted(self.members[f"value {diff}"])
            n = len(changes)
            for decile in range(10):
                part = changes[decile * n // 10:(decile + 1) * n // 10]
                cols["program"].append(diff)
                cols["decile"].append(decile + 1)
                cols["members"].append(len(part))
                cols["lowest"].append(part[0] if part else None)
                cols["median"].append(part[len(part) // 2] if part else None)
                cols["highest"].append(part[-1] if part else None)
                cols["better_off"].append(sum(1 for v in part if v > 0))
                cols["worse_off"].append(sum(1 for v in part if v < 0))
        return Table(cols, money=("lowest", "median", "highest"), currency=self.currency,
                     title="Difference of member value by decile")

    def _tier_moves(self) -> Table:
        cols: dict[str, list[Any]] = {"program": [], "gain_a_tier": [], "lose_a_tier": [],
                                      "same_tier": []}
        base = self.results[self.baseline]
        base_rank = _ranks(base.program)
        for name in self.names[1:]:
            rank = _ranks(self.results[name].program)
            up = down = same = 0
            for before, after in zip(self.members[f"tier {self.baseline}"],
                                     self.members[f"tier {name}"], strict=True):
                a, b = base_rank.get(before, 0), rank.get(after, 0)
                if b > a:
                    up += 1
                elif b < a:
                    down += 1
                else:
                    same += 1
            cols["program"].append(name)
            cols["gain_a_tier"].append(up)
            cols["lose_a_tier"].append(down)
            cols["same_tier"].append(same)
        return Table(cols, currency=self.currency, title="Members ending a tier higher or lower")

    def difference(self, metric: str, name: str | None = None) -> list[Any]:
        """Per period, ``metric`` of ``name`` (default: the second program) minus the baseline's."""
        name = name or self.names[1]
        column = f"{name} - {self.baseline}"
        return [value for value, m in zip(self.metrics[column], self.metrics["metric"],
                                          strict=True) if m == metric]

    def describe(self) -> list[list[str]]:
        """The main totals as rows of text: label, one value per program, the differences."""
        rows = []
        money = {"revenue", "liability", "voucher_value", "gift_cost", "goodwill_paid", "cost"}
        for row in self.totals.rows():
            metric = row["metric"]
            if metric not in (*_METRICS, "members", "breakage_pct"):
                continue
            cells = [row[n] for n in self.names] + [row[d] for d in self._diff_names()]
            rows.append([metric.replace("_", " ")] + [
                format_value(c, metric in money, self.currency) for c in cells])
        return rows

    def __repr__(self) -> str:
        header = ["", *self.names, *self._diff_names()]
        rows = [header, *self.describe()]
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        return "\n".join("  ".join(c.rjust(w) if i else c.ljust(w)
                                   for i, (c, w) in enumerate(zip(r, widths, strict=True)))
                         .rstrip() for r in rows)

    def _repr_html_(self) -> str:
        header = "".join(f"<th>{html.escape(h)}</th>"
                         for h in ["", *self.names, *self._diff_names()])
        body = "".join("<tr>" + "".join(
            f"<td style='text-align:{'left' if i == 0 else 'right'}'>{html.escape(c)}</td>"
            for i, c in enumerate(r)) + "</tr>" for r in self.describe())
        return (f"<div><strong>Comparison</strong> (baseline: {html.escape(self.baseline)})"
                f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table></div>")


def _ranks(program: Program) -> dict[str | None, int]:
    if program.tiers is None:
        return {}
    return {tier.id: index + 1 for index, tier in enumerate(program.tiers.tiers)}


def compare(programs: Mapping[str, Program], events: Any, *,
            states: Mapping[str, MemberState] | None = None, until: datetime | None = None,
            freq: str = "M", redemption: RedemptionModel | None = None, errors: str = "raise",
            progress: bool | None = None) -> Comparison:
    """Simulate two or more programs over the same events and put them side by side.

    Args:
        programs: name -> program; the first is the baseline the differences start from.
        events, states, until, freq, redemption, errors: as for :func:`~reciprocity.simulate`.
        progress: show a progress bar (one step per program); ``None``: interactive only.

    >>> from datetime import datetime, timezone
    >>> from reciprocity import Money, PointScheme, PointsPerPurchase, Program, Purchase
    >>> def program(points):
    ...     return Program(name=f"{points} per order", currency="EUR", points=PointScheme(
    ...         earn=[PointsPerPurchase(id="order", points=points)]))
    >>> at = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
    >>> orders = [Purchase(id=f"A-{i}", member_id="m-1", at=at.replace(day=i),
    ...                    amount=Money("20.00", "EUR")) for i in (1, 2)]
    >>> comparison = compare({"today": program(1), "richer": program(3)}, orders)
    >>> comparison.difference("points_earned")
    [4]
    """
    if len(programs) < 2:
        raise InvalidProgram(f"compare needs two programs or more, got {len(programs)}",
                             hint='pass a mapping such as {"today": a, "candidate": b}')
    currencies = {p.currency for p in programs.values()}
    if len(currencies) > 1:
        raise InvalidProgram(f"the programs use different currencies: {sorted(currencies)}",
                             hint="compare programs of one currency")
    prepared = Prepared(events, states)  # validated, made rows and sorted once, for all
    results: dict[str, Simulation] = {}
    with Progress(len(programs), "compare", enabled=progress) as bar:
        for name, program in programs.items():
            results[name] = run_simulation(program, prepared, until=until, freq=freq,
                                           redemption=redemption, errors=errors,
                                           progress=False)
            bar.step(name)
    return Comparison(results)
