"""Pre-launch checks of a goodwill policy's band tables: gaps and overlaps between bands.

A *gap* is a case inside the span the bands cover (between the lowest and the highest bound
of each key) that no band covers: a delay of 90 minutes when the bands cover 60 to 89 and
120 on. An *overlap*, reported for a first-match table only, is a case two bands cover, where
only the first declared counts. ``Program.check`` (and ``reciprocity check``) reports both.

>>> from reciprocity import (CreditCompensation, Fact, GoodwillPolicy, GoodwillRule, Money,
...                          Program)
>>> from reciprocity.goodwill.tables import Band, BandTable, Range
>>> table = BandTable(keys={"delay": "delay_minutes"}, bands=(
...     Band(when={"delay": Range(at_least=60, below=90)}, value=Money("5.00", "EUR")),
...     Band(when={"delay": Range(at_least=120)}, value=Money("10.00", "EUR"))))
>>> program = Program(name="p", facts=(Fact(name="delay_minutes", type="int"),),
...     goodwill=GoodwillPolicy(rules=(GoodwillRule(
...         id="late", compensation=CreditCompensation(table=table)),)))
>>> for finding in check_tables(program):
...     print(finding)
warning [band-table-gap]: goodwill rule 'late': no band covers delay=90; delay=105 (a gap
between bands)

Imports: the core's facts and the goodwill declarations; ``tiers.check`` for ``Finding``;
``program`` only for typing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from ..facts import EVENT_FIELDS, declared_facts
from ..tiers.check import Finding
from .tables import BandTable

if TYPE_CHECKING:
    from ..program import Program

__all__ = ["check_tables"]

_MAX_REPORTED = 3


def _integral_keys(table: BandTable, program: Program) -> set[str]:
    """The keys whose fact is a whole number (midpoints between bounds are not cases)."""
    facts = declared_facts(program.facts)
    items = {item.name: item.type for fact in program.facts for item in fact.items}
    found = set()
    for key, ref in table.keys.items():
        if isinstance(ref, str):
            kind = (facts[ref].type if ref in facts else items.get(ref)
                    or EVENT_FIELDS.get(ref, ("decimal",))[0])
            if kind == "int":
                found.add(key)
    return found


def table_findings(table: BandTable, where: str, integral: set[str]) -> list[Finding]:
    """Gaps (and overlaps, for a first-match table) of one table."""
    samples = table.samples()
    spans = {key: (values[1], values[-2]) for key, values in samples.items()
             if len(values) > 2}
    gaps: list[str] = []
    overlaps: list[str] = []
    for point in table.grid():
        if any(key in integral and value != value.to_integral_value()
               for key, value in point.items()):
            continue
        inside = all(key not in spans or spans[key][0] <= point[key] <= spans[key][1]
                     for key in point)
        matching = [index for index, band in enumerate(table.bands)
                    if all(rng.contains(point[key]) for key, rng in band.when.items())]
        shown = ", ".join(f"{key}={_num(value)}" for key, value in point.items())
        if not matching and inside:
            gaps.append(shown)
        elif len(matching) > 1 and table.match == "first":
            overlaps.append(f"{shown} (bands {', '.join(str(i) for i in matching)})")
    findings = []
    if gaps:
        findings.append(Finding(
            severity="warning", code="band-table-gap",
            message=f"{where}: no band covers " + "; ".join(gaps[:_MAX_REPORTED])
            + (f" and {len(gaps) - _MAX_REPORTED} more cases" if len(gaps) > _MAX_REPORTED
               else "") + " (a gap between bands)"))
    if overlaps:
        findings.append(Finding(
            severity="warning", code="band-table-overlap",
            message=f"{where}: two bands cover " + "; ".join(overlaps[:_MAX_REPORTED])
            + "; only the first declared counts (declare match='most_generous' if the most "
            "generous should)"))
    return findings


def _num(value: Decimal) -> str:
    return format(value.normalize(), "f")


def check_tables(program: Program) -> list[Finding]:
    """Every band table of ``program``'s goodwill policy, checked for gaps and overlaps."""
    policy = program.goodwill
    if policy is None:
        return []
    findings: list[Finding] = []
    for rule in policy.rules:
        table = getattr(rule.compensation, "table", None)
        if table is not None:
            findings += table_findings(table, f"goodwill rule {rule.id!r}",
                                       _integral_keys(table, program))
    return findings
