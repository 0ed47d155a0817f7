"""A program's terms, built from its declared policies: :func:`program_terms`.

Imports: ``program`` only for typing, and the ``terms`` modules.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from ..facts import label_in
from ..points.scheme import PointScheme
from ..points.units import unit_in
from ..tiers.requirements import MinPoints
from .catalog import Catalogue, catalogue
from .credit import credit_section
from .document import Document, Item, Section, check_format
from .families import gift_section, goodwill_section, tier_section
from .phrases import Ctx
from .points import point_sections

if TYPE_CHECKING:
    from ..program import Program

__all__ = ["balance_heading", "context", "program_terms", "terms_document"]


def context(program: Program, locale: str) -> Ctx:
    """The phrase context of ``program`` in ``locale``."""
    names = {} if program.tiers is None else {
        tier.id: tier.display_name for tier in program.tiers.tiers}
    facts: dict[str, str] = {}
    values: dict[str, dict[str, str]] = {}
    for fact in program.facts:
        key = f"line.{fact.name}" if fact.on == "line" else fact.name
        label = label_in(fact.labels, locale)
        if label is not None:
            facts[key] = label
        said = {value: label for value in fact.value_labels
                if (label := fact.value_label(value, locale)) is not None}
        if said:
            values[key] = said
    categories = {} if program.goodwill is None else {
        name: label for name, labels in program.goodwill.category_labels.items()
        if (label := label_in(labels, locale)) is not None}
    balances = {name: label for name, scheme in program.balances.items()
                if (label := label_in(scheme.labels, locale)) is not None}
    unit_labels = {leaf.label: balances[leaf.balance]
             for tier in (() if program.tiers is None else program.tiers.tiers)
             for leaf in tier.requires.leaves()
             if isinstance(leaf, MinPoints) and leaf.label is not None
             and leaf.balance in balances}
    words = {name: (found.one, found.other) for name, scheme in
             ((None, program.points), *program.balances.items())
             if (found := unit_in(scheme.unit, locale)) is not None}
    counted = {leaf.unit: words[leaf.balance]
               for tier in (() if program.tiers is None else program.tiers.tiers)
               for leaf in tier.requires.leaves()
               if isinstance(leaf, MinPoints) and leaf.balance in words and leaf.rules is None
               and (leaf.balance is not None or leaf.label is None)}
    own = program.labels
    x = Ctx(catalogue(locale), ZoneInfo(program.timezone), names, facts, categories, balances,
            unit_labels, value_labels=values, units=words, progress_units=counted,
            line_categories={name: label for name in own.categories
                             if (label := own.category(name, locale)) is not None},
            event_names={name: label for name in own.events
                         if (label := own.event(name, locale)) is not None})
    if locale == "en" or program.goodwill is None:
        return x
    conditions = {reduction.when.describe(): x.condition(reduction.when)
                  for rule in program.goodwill.rules
                  for reduction in getattr(rule.compensation, "reductions", ())
                  if not reduction.reason}
    return replace(x, conditions=conditions) if conditions else x


def terms_document(program: Program, locale: str = "en") -> Document:
    """The terms as a :class:`~reciprocity.terms.document.Document`."""
    x = context(program, locale)
    c = x.c
    intro = [program.description] if program.description else []
    intro.append(c.t("terms.intro", currency=program.currency, timezone=program.timezone))
    goodwill_points = program.goodwill is not None and program.goodwill.gives_points
    exempt = () if program.tiers is None else tuple(
        tier.id for tier in program.tiers.tiers if not tier.benefits.points_expire)
    sections: list[Section] = point_sections(x.for_balance(None), program.points,
                                             goodwill_points, exempt)
    if label_in(program.points.labels, locale) is not None:  # the own points, if labelled
        sections = [Section(balance_heading(c, part.heading, program.points, "", locale),
                            part.items) for part in sections]
    for name, scheme in program.balances.items():  # each of Program.balances, by name
        own = x.for_balance(name)
        for index, part in enumerate(point_sections(own, scheme)):
            items = part.items if index or scheme.redeemable else (
                Item(own.c.t("balance.tiers_only")), *part.items)
            sections.append(Section(balance_heading(c, part.heading, scheme, name, locale),
                                    items))
    if program.tiers is not None:
        sections.append(tier_section(x, program.tiers))
    if program.gifts is not None:
        gifts = gift_section(x, program.gifts)
        if gifts is not None:
            sections.append(gifts)
    if program.goodwill is not None:
        sections.append(goodwill_section(x, program.goodwill))
    if program.credit is not None:
        sections.append(credit_section(x, program.credit, program.currency))
    return Document(c.t("terms.title", name=program.name), tuple(sections), tuple(intro))


def balance_heading(c: Catalogue, heading: str, scheme: PointScheme, name: str,
                    locale: str) -> str:
    """A balance's section heading with its label (``Punkte sammeln: „Statusmeilen“``),
    unless the heading says it already, in the unit's words (``Statusmeilen sammeln``)."""
    label = scheme.label(name, locale)
    if label.casefold() in heading.casefold():
        return heading
    return c.t("heading.balance", heading=heading, balance=label)


def program_terms(program: Program, locale: str = "en", format: str = "text") -> str:
    """The terms as text or Markdown (see :meth:`reciprocity.Program.terms`)."""
    check_format(format)
    return terms_document(program, locale).render(format)

