"""Consistency of the terms: what a program promises must be stated, and hold.

:func:`check_terms` reads a program's declarations and returns
:class:`~reciprocity.tiers.check.Finding` s, each with a stable code, the rule (or tier) it
is about and how to fix it (listed in ``docs/transparency.md``):

- a value not stated: ``reward-value-not-stated``, ``gift-value-not-stated``;
- a condition the terms cannot state in words in some locale: ``condition-not-stated``
  (``terms-not-checked`` when Babel is missing, so the phrases could not be tried);
- terms that contradict each other: ``reward-below-min-balance``, ``gift-never-given``,
  ``multiplier-below-one``, ``expiry-before-release``;
- a program's own words given for part of what they name: ``value-label-missing`` (a fact
  labels some of its values in a locale, not all), ``unit-words-missing`` (a scheme's unit
  has words in some catalogue locales, not all), ``category-label-missing`` and
  ``event-label-missing`` (``Program.labels`` labels some of the line categories or event
  names the terms name in a locale, not all).

>>> from reciprocity import seed_program
>>> check_terms(seed_program())
[]

Imports: the families' declarations, ``tiers.check`` (the ``Finding`` model) and
``terms.catalog`` / ``terms.phrases`` (lazily, to try each condition's phrase); ``program``
only for typing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..errors import MissingDependency
from ..points.scheme import FixedLifetime, Reward
from ..points.units import unit_in
from ..tiers.check import Finding

if TYPE_CHECKING:
    from ..program import Program

__all__ = ["check_terms"]

_RANK = {"error": 0, "warning": 1, "info": 2}
_LONGEST_MONTH = 31


def check_terms(program: Program) -> list[Finding]:
    """Every consistency finding of ``program``'s terms, most serious first."""
    findings = [*_values(program), *_conditions(program), *_contradictions(program),
                *_words(program), *_names(program)]
    findings.sort(key=lambda finding: _RANK[finding.severity])
    return findings


# -- values not stated ----------------------------------------------------------------------

def _values(program: Program) -> Iterator[Finding]:
    unit = unit_in(program.points.unit, "en")
    for reward in program.points.rewards:
        if isinstance(reward, Reward) and reward.value is None:
            yield Finding(
                severity="warning", code="reward-value-not-stated", rule_id=reward.id,
                message=f"reward {reward.id!r} ({reward.describe(unit)}) does not state what it "
                f"is worth; give value=Money(...) so the terms and every voucher say it")
    if program.gifts is None:
        return
    for rule in program.gifts.rules:
        for gift in rule.gifts():
            if gift.value.amount == 0 and gift.kind != "early-access":
                yield Finding(
                    severity="warning", code="gift-value-not-stated", rule_id=rule.id,
                    message=f"gift {gift.id!r} ({gift.name}) of rule {rule.id!r} is a "
                    f"{gift.kind} worth 0 {gift.value.currency}; state its value "
                    f"(value=Money(...)) so the customer knows what it is worth")


# -- conditions the terms cannot state ------------------------------------------------------

def _whens(program: Program) -> Iterator[tuple[str, Any]]:
    """(rule id, condition) of every declared condition."""
    for rule in (*program.points.earn, *program.points.events):
        when = getattr(rule, "when", None)
        if when is not None:
            yield rule.id, when
        for multiplier in getattr(rule, "multipliers", ()):
            when = getattr(multiplier, "when", None)
            if when is not None:
                yield rule.id, when
    others: list[Any] = [*(() if program.gifts is None else program.gifts.rules),
                         *(() if program.goodwill is None else program.goodwill.rules)]
    for other in others:
        if other.when is not None:
            yield other.id, other.when


def _conditions(program: Program) -> Iterator[Finding]:
    whens = list(_whens(program))
    if not whens:
        return
    from zoneinfo import ZoneInfo

    from .catalog import available_locales, catalogue
    from .phrases import Ctx

    try:
        contexts = [(locale, Ctx(catalogue(locale), ZoneInfo(program.timezone)))
                    for locale in available_locales()]
    except MissingDependency:
        yield Finding(severity="info", code="terms-not-checked",
                      message="the phrases of conditions were not tried: install Babel "
                      "(pip install 'reciprocity[i18n]') to check that the terms can state "
                      "every condition")
        return
    for rule_id, when in whens:
        missing = []
        for locale, x in contexts:
            try:
                x.condition(when)
            except KeyError:
                missing.append(locale)
        if missing:
            yield Finding(
                severity="warning", code="condition-not-stated", rule_id=rule_id,
                message=f"rule {rule_id!r}: the terms cannot state its condition "
                f"({when.describe()}) in {', '.join(missing)}: no phrase in the message "
                "catalogue for it; use a condition the terms can state, or add its phrase "
                "to the catalogue (terms/phrases.py and reciprocity.pot)")


# -- terms that contradict each other --------------------------------------------------------

def _contradictions(program: Program) -> Iterator[Finding]:
    scheme = program.points
    for reward in scheme.rewards:
        if isinstance(reward, Reward) and reward.points < scheme.min_balance:
            yield Finding(
                severity="warning", code="reward-below-min-balance", rule_id=reward.id,
                message=f"reward {reward.id!r} costs {reward.points} points, but a "
                f"redemption needs a balance of {scheme.min_balance} points (min_balance): "
                f"{reward.points} points never buy it as the terms say; lower min_balance "
                f"to {reward.points} or raise the reward's points to {scheme.min_balance}")
    expiry = scheme.expiry
    if isinstance(expiry, FixedLifetime) and scheme.pending_days and (
            expiry.months * _LONGEST_MONTH + expiry.days <= scheme.pending_days):
        yield Finding(
            severity="error", code="expiry-before-release", rule_id="expiry",
            message=f"points expire {expiry.describe()} but wait {scheme.pending_days} days "
            "before they are available: every point expires before it can be used; make "
            "the lifetime longer than pending_days")
    if program.tiers is not None:
        for tier in program.tiers.tiers:
            if tier.benefits.points_multiplier < 1:
                yield Finding(
                    severity="warning", code="multiplier-below-one", tier_id=tier.id,
                    message=f"{tier.display_name} earns {tier.benefits.points_multiplier}x "
                    "points: fewer than without a tier, though a tier should be more "
                    "attractive; raise points_multiplier to 1 or more")
    if program.gifts is not None:
        yield from _gifts_never_given(program)


def _gifts_never_given(program: Program) -> Iterator[Finding]:
    scheme = program.gifts
    assert scheme is not None
    budgets = {budget.id: budget for budget in scheme.budgets}
    stock = {item.id: item.units for item in scheme.stock}
    for rule in scheme.rules:
        gifts = rule.gifts()
        why = None
        cap = rule.cap
        if cap is not None and (cap.count == 0 or (
                cap.amount is not None and all(cap.amount.amount < gift.value.amount
                                               for gift in gifts))):
            why = f"its cap ({cap.describe()}) allows none"
        budget = None if rule.budget is None else budgets.get(rule.budget)
        if why is None and budget is not None and (budget.count == 0 or (
                budget.amount is not None and all(budget.amount.amount < gift.value.amount
                                                  for gift in gifts))):
            why = f"its budget {budget.id!r} ({budget.describe()}) pays for none"
        if why is None and gifts and all(
                gift.stock is not None and stock.get(gift.stock) == 0 for gift in gifts):
            why = "its gift has no stock (0 units)"
        if why is not None:
            yield Finding(
                severity="error", code="gift-never-given", rule_id=rule.id,
                message=f"gift rule {rule.id!r} is stated in the terms but can never give "
                f"its gift: {why}; raise the limit or remove the rule")


# -- the program's own words, given in part ---------------------------------------------------

def _words(program: Program) -> Iterator[Finding]:
    from .catalog import available_locales

    for fact in program.facts:
        locales = sorted({locale for labels in fact.value_labels.values() for locale in labels})
        for locale in locales if fact.values else ():
            bare = [v for v in fact.values if locale not in fact.value_labels.get(v, {})]
            if bare:
                yield Finding(
                    severity="warning", code="value-label-missing", rule_id=fact.name,
                    message=f"fact {fact.name!r} labels its values in {locale} but not "
                    f"{', '.join(map(repr, bare))}: the {locale} terms would say those as "
                    f"they are, beside the labels of the others; label them in "
                    f"value_labels too")
    catalogues = available_locales()
    for name, scheme in (("", program.points), *program.balances.items()):
        if not scheme.unit:
            continue
        said = {locale.replace("-", "_").split("_")[0] for locale in scheme.unit}
        missing = [locale for locale in catalogues if locale not in said]
        if missing:
            which = "Program.points" if not name else f"Program.balances[{name!r}]"
            yield Finding(
                severity="info", code="unit-words-missing", rule_id=name or None,
                message=f"{which}.unit has words in {', '.join(sorted(scheme.unit))} but "
                f"not in {', '.join(missing)}: terms and statements in "
                f"{', '.join(missing)} count \"points\"; add UnitWords for "
                f"{', '.join(missing)} if you show them")


# -- the program's own names: line categories and event names --------------------------------

def named_in(program: Program) -> tuple[list[str], list[str]]:
    """The order-line categories and the event names ``program``'s terms name, each once,
    in the order they are declared."""
    categories: dict[str, None] = {}
    events: dict[str, None] = {}
    for scheme in (program.points, *program.balances.values()):
        for rule in scheme.earn:
            for name in ("include_categories", "exclude_categories"):
                categories.update(dict.fromkeys(getattr(rule, name, None) or ()))
            for multiplier in rule.multipliers:
                categories.update(dict.fromkeys(getattr(multiplier, "categories", None) or ()))
        for event_rule in scheme.events:
            if event_rule.on == "custom" and event_rule.name:
                events[event_rule.name] = None
        if scheme.release_on:
            events[scheme.release_on] = None
    if program.tiers is not None:
        categories.update(dict.fromkeys(program.tiers.include_categories or ()))
        categories.update(dict.fromkeys(program.tiers.exclude_categories or ()))
    if program.gifts is not None:
        for gift_rule in program.gifts.rules:
            for sample in getattr(gift_rule, "samples", ()):
                categories[sample.category] = None
            if gift_rule.type == "claim":  # a ClaimGift names its Custom event
                events[str(getattr(gift_rule, "on", ""))] = None
    periodic = None if program.credit is None else program.credit.periodic
    if periodic is not None:
        categories.update(dict.fromkeys(periodic.exclude_categories or ()))
    return list(categories), list(events)


def _names(program: Program) -> Iterator[Finding]:
    labels = program.labels
    categories, events = named_in(program)
    for kind, names, declared in (("category", categories, labels.categories),
                                  ("event", events, labels.events)):
        locales = sorted({locale for said in declared.values() for locale in said})
        for locale in locales:
            bare = [name for name in names if locale not in declared.get(name, {})]
            if not bare:
                continue
            what = "line categories" if kind == "category" else "event names"
            field = "categories" if kind == "category" else "events"
            yield Finding(
                severity="warning", code=f"{kind}-label-missing", rule_id=None,
                message=f"Program.labels labels {what} in {locale} but not "
                f"{', '.join(map(repr, bare))}: the {locale} terms and reasons would say "
                f"those as they are, beside the labels of the others; label them in "
                f"Program.labels.{field} too")
