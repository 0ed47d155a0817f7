"""``simulate``: replay a history through a program and return its tables and metrics.

The run is :meth:`Program.replay <reciprocity.Program.replay>`, unchanged: the effects it
produced and the orders it applied make the tables (:mod:`reciprocity.experiments.metrics`).
The members table is built from the effects, not from frozen member states, so it costs no
more than the effects do.

Imports: ``effects``, ``errors``, ``program`` (typing), ``replay``, ``state``,
``experiments.metrics``, ``.periods``, ``.prepared``, ``.progress``, ``.redemption``,
``.table``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._engine import Log
from ..effects import Effect
from ..errors import InvalidEvent, ReciprocityError, RefusedEvent
from ..replay import Replay, ReplaySummary
from ..state import MemberState
from .metrics import Totals, build_tables
from .periods import Periods
from .prepared import Prepared
from .progress import Progress
from .redemption import RedemptionModel
from .table import Table, format_value

if TYPE_CHECKING:
    from ..program import Program

__all__ = ["Simulation", "simulate"]



class Simulation:
    """What :func:`simulate` returns: the tables, the totals, and what ran.

    Attributes:
        program: the program simulated.
        freq: the period of :attr:`metrics`.
        model: the redemption model that ran, or ``None``.
        effects: one row per effect (time, member, family, effect type, rule id, points,
            the change of available and outstanding points, money value, reason).
        members: one row per member at the end (balance, pending, debt, tier, orders, spend,
            vouchers, gifts, goodwill paid, when they reached the first tier).
        metrics: one row per period (flows in the period, stocks at its end, tier mix, cost).
        totals: the flows summed, the stocks at the end.
        summary: :meth:`Replay.summary <reciprocity.Replay.summary>` of the run.
        rejected: ``(event id, error)`` of events refused with ``errors="skip"``.
        states: every member's final state (see :attr:`states`).
    """

    def __init__(self, program: Program, freq: str, model: RedemptionModel | None,
                 effects: Table,
                 members: Table, metrics: Table, totals: Totals, summary: ReplaySummary,
                 rejected: list[tuple[str, ReciprocityError]],
                 replay: Replay | None = None) -> None:
        self.program = program
        self._replay = replay
        self.freq = freq
        self.model = model
        self.effects = effects
        self.members = members
        self.metrics = metrics
        self.totals = totals
        self.summary = summary
        self.rejected = rejected

    @property
    def states(self) -> dict[str, MemberState]:
        """Every member's final state, by member id, as :attr:`Replay.states
        <reciprocity.Replay.states>` gives it (frozen when first read; until then the run's
        hot members are kept, not frozen)."""
        if self._replay is None:
            raise RuntimeError("this Simulation was built without its run")
        return self._replay.states

    def tables(self) -> dict[str, Table]:
        """The tables by name: ``effects``, ``members``, ``metrics``."""
        return {"effects": self.effects, "members": self.members, "metrics": self.metrics}

    def to_pandas(self) -> dict[str, Any]:
        """Every table as a pandas DataFrame, by name. Needs ``reciprocity[data]``."""
        return {name: table.to_pandas() for name, table in self.tables().items()}

    def to_polars(self) -> dict[str, Any]:
        """Every table as a polars DataFrame, by name. Needs ``reciprocity[data]``."""
        return {name: table.to_polars() for name, table in self.tables().items()}

    def write(self, directory: str | PathLike[str], *, format: str = "csv",
              prefix: str = "") -> list[Path]:
        """Write every table to ``directory`` as ``<prefix><name>.csv`` (or ``.parquet``).

        CSV needs nothing; Parquet needs ``reciprocity[data]``.
        """
        if format not in ("csv", "parquet"):
            raise InvalidEvent(f"format={format!r}", hint='use "csv" or "parquet"')
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)
        written = []
        for name, table in self.tables().items():
            path = target / f"{prefix}{name}.{format}"
            written.append(table.to_csv(path) if format == "csv" else table.to_parquet(path))
        return written

    def describe(self) -> list[tuple[str, str]]:
        """The totals as (label, formatted value) pairs, money with its currency."""
        t = self.totals
        cur = t.currency

        def money(value: Decimal) -> str:
            return format_value(value, True, cur)

        days = t.median_days_to_first_tier
        return [
            ("Program", self.program.name),
            ("Redemption model", "none (no redemptions generated)" if self.model is None
             else self.model.describe()),
            ("Members", format_value(t.members)),
            ("Orders", format_value(t.orders)),
            ("Events refused", format_value(len(self.rejected))),
            ("Revenue (net of returns)", money(t.revenue)),
            ("Points earned", format_value(t.points_earned)),
            ("Points redeemed", format_value(t.points_redeemed)),
            ("Points expired", format_value(t.points_expired)
             + ("" if t.breakage_pct is None else f" ({t.breakage_pct}% of earned)")),
            ("Points revoked", format_value(t.points_revoked)),
            ("Points outstanding", format_value(t.points_outstanding)),
            ("Liability at the end", money(t.liability)),
            ("Vouchers", f"{t.vouchers:,} worth {money(t.voucher_value)}"),
            ("Gifts", f"{t.gifts:,} costing {money(t.gift_cost)}"),
            ("Goodwill", f"{t.goodwill_grants:,} grants, {money(t.goodwill_paid)} paid"),
            ("Reached the first tier", f"{t.first_tier_reached:,}" + (
                "" if days is None else f" (median {days:,.1f} days after their first order)")),
            ("Programme cost", money(t.cost) + (
                "" if t.cost_pct is None else f" ({t.cost_pct}% of revenue)")),
        ]

    def __repr__(self) -> str:
        width = max(len(label) for label, _ in self.describe())
        lines = [f"Simulation of {self.program.name!r}, {self._periods()} ({self.freq})"]
        lines += [f"  {label.ljust(width)}  {value}" for label, value in self.describe()[1:]]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><th style='text-align:left'>{html.escape(label)}</th>"
                       f"<td style='text-align:right'>{html.escape(value)}</td></tr>"
                       for label, value in self.describe())
        return (f"<div><strong>Simulation</strong> ({self._periods()}, "
                f"freq {self.freq})<table>{rows}</table></div>")

    def _periods(self) -> str:
        count = len(self.metrics)
        return f"{count:,} period" + ("" if count == 1 else "s")


def simulate(program: Program, events: Any, *, states: Mapping[str, MemberState] | None = None,
             until: datetime | None = None, freq: str = "M",
             redemption: RedemptionModel | None = None,
             errors: str = "raise", progress: bool | None = None) -> Simulation:
    """Replay ``events`` through ``program`` and return the tables, metrics and totals.

    Args:
        program: the program to simulate.
        events: events (models or dicts), :class:`~reciprocity.PurchaseColumns`, or loaded
            orders (what :func:`~reciprocity.load_orders` or
            :func:`~reciprocity.load_online_retail` return).
        states: members' states before the history; others start empty.
        until: after the last event, advance every member to this time (expiry, reviews).
        freq: the period of the metrics: ``"D"``, ``"W"``, ``"M"``, ``"Q"`` or ``"Y"``, in the
            program's time zone.
        redemption: a :class:`~reciprocity.RedemptionModel` that generates redemptions, or
            ``None`` for none (real histories have none).
        errors: ``"raise"`` or ``"skip"``, as for :meth:`~reciprocity.Program.replay`.
        progress: show a progress bar; ``None`` shows it in interactive sessions only.

    Returns:
        A :class:`Simulation`.

    >>> from datetime import datetime, timezone
    >>> from reciprocity import Money, Purchase, seed_program
    >>> at = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
    >>> orders = [Purchase(id=f"A-{i}", member_id="m-1", at=at.replace(day=i),
    ...                    amount=Money("60.00", "EUR")) for i in (1, 2, 3)]
    >>> result = simulate(seed_program(), orders)
    >>> result.totals.points_earned, str(result.totals.revenue)
    (3, '180.00')
    >>> result.metrics["period"], result.metrics["points_outstanding"]
    (['2026-03'], [3])
    """
    return run_simulation(program, Prepared(events, states), until=until, freq=freq,
                          redemption=redemption, errors=errors, progress=progress)


def run_simulation(program: Program, prepared: Prepared, *, until: datetime | None,
                   freq: str, redemption: RedemptionModel | None, errors: str,
                   progress: bool | None) -> Simulation:
    """:func:`simulate` over a history prepared once (``compare`` shares it)."""
    periods = Periods(freq, program.timezone)
    steps = 3 if redemption is None else 3 + redemption.steps(prepared.source, periods, until)
    try:
        return _run(program, prepared, until, periods, redemption, errors, progress, steps)
    except RefusedEvent as exc:
        if errors == "raise":  # a real history holds events a program refuses: say so
            exc.amend(hint="or pass errors=\"skip\" to go on without refused events (listed "
                      "in the result's rejected)")
        raise


def _run(program: Program, prepared: Prepared, until: datetime | None, periods: Periods,
         redemption: RedemptionModel | None, errors: str, progress: bool | None,
         steps: int) -> Simulation:
    start = prepared.start
    freq = periods.freq
    replay: Replay | None
    with Progress(steps, "simulate", enabled=progress) as bar:
        if redemption is None:
            replay = prepared.replay(program, until=until, errors=errors, keep_effects=True)
            summary = replay.summary()
            bar.step("effects")
            # The tables read the log's rows; models only for the effect types without one.
            log: Log | None = replay.effect_log()
            effects: Iterable[Effect] = ()
            rejected = list(replay.rejected)
        else:
            run = redemption.run(program, prepared, start, until, errors, periods, bar)
            summary, effects, rejected = run.summary, run.effects, run.rejected
            replay, log = run.replay, None
        bar.step("tables")
        facts = prepared.facts((eid for eid, _ in rejected), as_events=redemption is not None)
        effects_table, members, metrics, totals = build_tables(
            program, effects, facts, start, periods, log)
        bar.step("done")
    return Simulation(program, freq, redemption, effects_table, members, metrics, totals,
                      summary, rejected, replay)
