"""Plots of simulations and comparisons, for a manager to read: titles, units, legends.

Each function returns a :class:`matplotlib.figure.Figure` built without ``pyplot`` (no global
state, no window): show it in a notebook, or ``figure.savefig("liability.png")``. Money is
exact in the tables and converted to floats only here, to draw. Needs ``reciprocity[plot]``.

Imports: ``experiments.sources`` (``require``), ``experiments.simulate`` and
``experiments.compare`` (typing); matplotlib only inside functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .sources import require

if TYPE_CHECKING:
    from .compare import Comparison
    from .simulate import Simulation

__all__ = ["plot_comparison", "plot_cost_by_family", "plot_liability", "plot_tier_mix"]

_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2")


def _figure(rows: int = 1, height: float = 4.2) -> tuple[Any, Any]:
    require("matplotlib", "plot", "plots")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, height * rows), layout="constrained")
    axes = figure.subplots(rows, 1, squeeze=False)[:, 0]
    return figure, axes


def _floats(values: Sequence[Any]) -> list[float]:
    return [float(v) if isinstance(v, Decimal | int | float) else float("nan") for v in values]


def _periods(axis: Any, labels: Sequence[str]) -> None:
    axis.set_xticks(range(len(labels)))
    step = max(1, len(labels) // 14)
    axis.set_xticklabels([label if i % step == 0 else "" for i, label in enumerate(labels)],
                         rotation=45 if len(labels) > 6 else 0, ha="right"
                         if len(labels) > 6 else "center")
    axis.set_xlabel("Period")
    axis.grid(axis="y", alpha=0.3)


def _count_axis(axis: Any, label: str) -> None:
    """Whole numbers with thousands separators (no "1e6" offset), ticks on whole numbers."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    axis.set_ylabel(label)
    axis.yaxis.set_major_locator(MaxNLocator(integer=True))
    axis.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))


def _money_axis(axis: Any, currency: str, what: str) -> None:
    _count_axis(axis, f"{what} ({currency})")


def plot_liability(result: Simulation) -> Any:
    """Points liability at each period's end, in money, with the points outstanding.

    >>> plot_liability  # doctest: +ELLIPSIS
    <function plot_liability at ...>
    """
    m = result.metrics
    currency = result.program.currency
    figure, (axis,) = _figure()
    x = range(len(m))
    axis.plot(x, _floats(m["liability"]), marker="o", color=_COLOURS[0],
              label=f"Liability ({currency})")
    _money_axis(axis, currency, "Liability at period end")
    _periods(axis, m["period"])
    points = axis.twinx()
    points.bar(x, _floats(m["points_outstanding"]), alpha=0.2, color=_COLOURS[1],
               label="Points outstanding")
    _count_axis(points, "Points outstanding")
    axis.set_ylim(bottom=0)
    rate = float(result.program.point_value().amount)
    if rate > 0:  # one scale for both: a point is worth ``rate``, so the bars meet the line
        points.set_ylim(0, axis.get_ylim()[1] / rate)
    axis.set_zorder(points.get_zorder() + 1)
    axis.patch.set_visible(False)
    lines = axis.get_legend_handles_labels()
    bars = points.get_legend_handles_labels()
    axis.legend(lines[0] + bars[0], lines[1] + bars[1], loc="upper left")
    axis.set_title(f"{result.program.name}: points liability over time")
    return figure


def plot_tier_mix(result: Simulation) -> Any:
    """Members in each tier at each period's end, stacked (members without a tier on top)."""
    m = result.metrics
    figure, (axis,) = _figure()
    tiers = [name for name in m.names if name.startswith("tier_")]
    program = result.program
    names = {t.id: t.name for t in program.tiers.tiers} if program.tiers else {}
    x = list(range(len(m)))
    bottom = [0.0] * len(m)
    for index, column in enumerate(tiers):
        values = _floats(m[column])
        axis.bar(x, values, bottom=bottom, color=_COLOURS[index % len(_COLOURS)],
                 label=names.get(column[5:], column[5:]))
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    untiered = [float(total) - b for total, b in zip(m["members"], bottom, strict=True)]
    if any(untiered):
        axis.bar(x, untiered, bottom=bottom, color="#cccccc", label="No tier")
    axis.set_ylim(0, max([*_floats(m["members"]), 1.0]) * 1.05)  # headroom above the bars
    _count_axis(axis, "Members at period end")
    _periods(axis, m["period"])
    axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1), title="Tier")
    axis.set_title(f"{program.name}: tier mix over time")
    return figure


def plot_cost_by_family(result: Simulation) -> Any:
    """Programme cost per period by what it is made of: vouchers, gifts, goodwill, and the
    change of the points liability (points earned minus points spent, expired or revoked)."""
    m = result.metrics
    currency = result.program.currency
    figure, (axis,) = _figure()
    liability = _floats(m["liability"])
    change = [b - a for a, b in zip([0.0, *liability[:-1]], liability, strict=True)]
    parts = [("Vouchers issued", _floats(m["voucher_value"])),
             ("Gifts", _floats(m["gift_cost"])),
             ("Goodwill", _floats(m["goodwill_paid"])),
             ("Change of points liability", change)]
    x = list(range(len(m)))
    up = [0.0] * len(m)
    down = [0.0] * len(m)
    for index, (label, values) in enumerate(parts):
        if not any(values):
            continue
        base = [u if v >= 0 else d for u, d, v in zip(up, down, values, strict=True)]
        axis.bar(x, values, bottom=base, color=_COLOURS[index], label=label)
        up = [u + max(v, 0) for u, v in zip(up, values, strict=True)]
        down = [d + min(v, 0) for d, v in zip(down, values, strict=True)]
    axis.plot(x, _floats(m["cost"]), color="black", marker="o", label="Total cost")
    axis.axhline(0, color="black", linewidth=0.8)
    _money_axis(axis, currency, "Cost")
    _periods(axis, m["period"])
    axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1))
    axis.set_title(f"{result.program.name}: programme cost per period")
    return figure


_MARKERS = ("o", "s", "^", "D", "v")
_DASHES = ("-", "--", "-.", ":")


def plot_comparison(comparison: Comparison,
                    metrics: Sequence[str] = ("liability", "cost", "points_earned")) -> Any:
    """One panel per metric, one line per program, over the periods."""
    money = {"revenue", "liability", "voucher_value", "gift_cost", "goodwill_paid", "cost"}
    figure, axes = _figure(len(metrics), height=3.2)
    currency = comparison.currency
    for axis, metric in zip(axes, metrics, strict=True):
        labels: list[str] = sorted({p for r in comparison.results.values()
                                    for p in r.metrics["period"]})
        for index, (name, result) in enumerate(comparison.results.items()):
            by_period = dict(zip(result.metrics["period"], result.metrics[metric],
                                 strict=True))
            # A marker and a dash of its own per program: two programs that agree on a
            # metric draw one line over the other, and both must stay visible.
            axis.plot(range(len(labels)), _floats([by_period.get(p) for p in labels]),
                      marker=_MARKERS[index % len(_MARKERS)],
                      linestyle=_DASHES[index % len(_DASHES)],
                      markersize=max(3.0, 7.0 - 1.5 * index), linewidth=1.6,
                      color=_COLOURS[index % len(_COLOURS)], label=name)
        title = metric.replace("_", " ").capitalize()
        if metric in money:
            _money_axis(axis, currency, title)
        else:
            _count_axis(axis, title)
        _periods(axis, labels)
        axis.set_title(title + (" at period end" if metric in ("liability",
                                                              "points_outstanding") else
                                " per period"))
        axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1), title="Program")
    figure.suptitle("Programs compared: " + " vs ".join(comparison.names))
    return figure
