"""The tier ladder's per-order work, compiled once per program (see :mod:`reciprocity.tiers.stage`).

A replay meets the ladder on every order, and almost always in the same case: a period (or
lifetime) ladder, an order later than every order the member has, a tier that is only held.
:func:`purchase_handler` compiles that case into one closure and hands every other case to
the stage's general ``_on_purchase``; :func:`level_function` compiles the tiers'
requirements into one loop.

Imports: ``_engine``, ``_stage`` and ``report``; ``periods`` and ``stage`` only for typing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import TYPE_CHECKING

from .._engine import P_AMOUNT, P_CLOSED, P_RETURNED, Log, Member, Row, Trace
from .._stage import Handler
from .report import _MONTH_END, _REST, _ROLLING, M_ORDERS, M_SPEND, Alternative, Metrics

if TYPE_CHECKING:
    from .periods import _Hot
    from .stage import CompiledTiers

__all__ = ["level_function", "purchase_handler"]


def level_function(dnfs: list[list[Alternative]],
                   preds: list[Callable[[Metrics], bool]]) -> Callable[[Metrics], int]:
    """``metrics -> index of the highest tier whose requirement they meet, or -1``."""
    n = len(dnfs)
    if all(len(dnf) == 1 and len(dnf[0]) == 1 for dnf in dnfs):
        # One threshold per tier (the usual ladder): no predicate call per tier.
        needs = tuple((index, *next(iter(dnfs[index][0].items())))
                      for index in range(n - 1, -1, -1))

        def level(metrics: Metrics) -> int:
            for index, key, need in needs:
                if metrics[key] >= need:
                    return index
            return -1

        return level

    def level_any(metrics: Metrics) -> int:
        for index in range(n - 1, -1, -1):
            if preds[index](metrics):
                return index
        return -1

    return level_any


def purchase_handler(stage: CompiledTiers) -> Handler:
    """The stage's purchase handler: ``stage._on_purchase``, with the usual case compiled.

    The usual case is a period or lifetime ladder and an order later than every order seen:
    the period is found by one UTC comparison, its totals are updated in place, the tier's
    validity is read from the period, and nothing more happens when the tier is only held.
    A member new to the ladder, a late order and a rolling ladder take the general path.
    """
    general = stage._on_purchase
    if stage.kind == _ROLLING:
        return general
    periodic, rest = stage.periodic, stage.valid_kind in (_REST, _MONTH_END)
    simple = stage.width == 2 and not stage.filters_spend
    key_of, level_of, validity = stage.key, stage.level_of, stage.validity
    add, zero, reach = stage.add, stage.zero, stage._reach

    def on_purchase(m: Member, row: Row, log: Log, trace: Trace) -> None:
        h: _Hot | None = m.tier
        if h is None:
            general(m, row, log, trace)
            return
        pid, at = row[1], row[3]
        order = h.order
        entry = (at, pid)
        if order and entry < order[-1]:
            general(m, row, log, trace)  # a late order: counted again
            return
        order.append(entry)
        bounds = h.bounds
        if periodic:
            if not (bounds is not None and at.tzinfo is UTC and bounds[3] <= at < bounds[4]):
                key_of(h, at)  # the same comparison, and the next period when it is over
                bounds = h.bounds
            assert bounds is not None
            key = bounds[0]
        else:
            key = 0
        metrics = h.acc.get(key)
        if metrics is None:
            metrics = h.acc[key] = zero()
        record = m.purchases[pid]
        if simple:  # stage.add, inline: spend and orders only
            metrics[M_SPEND] += record[P_AMOUNT] - record[P_RETURNED]
            if not record[P_CLOSED]:
                metrics[M_ORDERS] += 1
        else:
            add(metrics, record)
        level = level_of(metrics)
        if level >= 0 and level >= h.index:
            until = bounds[5] if rest and bounds is not None else validity(h, at, key)
            if level == h.index and (until is None or h.valid_until is None
                                     or until <= h.valid_until):
                return  # the tier is held, and no later than it already lasts (_reach)
            reach(m, h, level, until, at, pid, metrics, None, key, log, trace)

    return on_purchase
