"""A program's own names in its customers' words: :class:`NameLabels` (``Program.labels``).

Order lines carry the shop's categories (``fare``, ``deposit``) and a ``Custom`` event its
name (``partner_credit``): identifiers, not words a customer reads. As Talon.One gives each
custom attribute a ``name`` for the API and a ``title`` for people, a program declares,
once, the words of each locale for the categories and event names it uses; the terms, the
effects' reasons and ``Program.explain`` then say them. A name without a label in a locale
is said as it is (the terms quote it, as before), and ``Program.check()`` warns
(``category-label-missing``, ``event-label-missing``) when a locale labels some names and
not others.

>>> labels = NameLabels(categories={"fare": {"en": "fares", "de": "Flugpreise"}},
...                     events={"partner_credit": {"en": "partner credit"}})
>>> labels.category("fare", "de_AT"), labels.event("partner_credit", "de")
('Flugpreise', None)
>>> labels.named("events", "partner_credit")
Named(name='partner_credit', by_locale=(('en', 'partner credit'),))
>>> labels.named("categories", "tax")
'tax'

:class:`ProgramWords` gathers, for ``Program.explain``, the English words of everything a
program labels: its own names, its declared facts and their values, and its own complaint
categories.

Imports: ``_model``, ``_reason_data`` and ``facts`` (the locale tags of labels).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from ._model import Frozen
from ._reason_data import Named
from .errors import InvalidProgram
from .facts import Fact, Labels, declared_facts, label_in

__all__ = ["NameLabels", "ProgramWords"]

_Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class NameLabels(Frozen):
    """The words a customer reads for a program's own names, per locale.

    Args:
        categories: order-line categories (``Line.category``: the categories of earning
            rules, multipliers, the tier ladder's spend, gift samples and store credit)
            in the words of each locale: ``{"fare": {"en": "fares", "de": "Flugpreise"}}``.
        events: ``Custom`` event names (``PointsForEvent(name=...)``, a scheme's
            ``release_on``) in the words of each locale.

    A regional locale (``de_AT``) uses its language's label when it has none of its own.
    """

    _error_class = InvalidProgram

    categories: dict[_Name, Labels] = Field(default_factory=dict)
    events: dict[_Name, Labels] = Field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """Whether nothing is labelled (then ``Program`` leaves ``labels`` out of its JSON)."""
        return not self.categories and not self.events

    def category(self, name: str, locale: str) -> str | None:
        """The label of the line category ``name`` in ``locale``, or ``None``."""
        labels = self.categories.get(name)
        return None if labels is None else label_in(labels, locale)

    def event(self, name: str, locale: str) -> str | None:
        """The label of the event name ``name`` in ``locale``, or ``None``."""
        labels = self.events.get(name)
        return None if labels is None else label_in(labels, locale)

    def named(self, kind: Literal["categories", "events"], name: str) -> Named | str:
        """``name`` as a reason argument: with its labels (a :class:`Named`, said in each
        locale's words) when it has any, else the name itself (a reason as before)."""
        labels = (self.categories if kind == "categories" else self.events).get(name)
        if not labels:
            return name
        return Named(name, tuple(sorted(labels.items())))

    def english(self, kind: Literal["categories", "events"], name: str) -> str:
        """What ``Program.explain`` calls ``name``: its English label, or the name."""
        labels = (self.categories if kind == "categories" else self.events).get(name)
        found = None if labels is None else label_in(labels, "en")
        return name if found is None else found


class ProgramWords:
    """The English words ``Program.explain`` says a program's names with, where it declares
    them: a fact by its label (``Fact.labels``), a labelled value of a ``str`` fact by its
    label (``Fact.value_labels``), a complaint category by ``GoodwillPolicy.category_labels``,
    and a line category or event name compared in a condition by ``Program.labels``.

    Each lookup gives ``None`` for a name without an English label, and the caller says it
    as it did before, so a program without labels explains exactly as it did. The labels
    are read with the terms' own helpers (:func:`~reciprocity.facts.label_in`,
    :meth:`Fact.value_label`, :meth:`NameLabels.category`); ``Program.explain`` builds one
    and passes it down (no global state).

    >>> words = ProgramWords(facts=(Fact(name="zone", type="str", labels={"en": "zone"},
    ...     value_labels={"eu": {"en": "within the EU"}}),),
    ...     categories={"flight_delayed": {"en": "delayed flight"}})
    >>> words.fact("zone"), words.value("zone", "eu"), words.category("flight_delayed")
    ('zone', 'within the EU', 'delayed flight')
    >>> words.fact("distance_km") is None, words.value("zone", "other") is None
    (True, True)
    """

    __slots__ = ("_categories", "_facts", "_labels")

    LOCALE = "en"

    def __init__(self, facts: Iterable[Fact] = (),
                 categories: Mapping[str, Labels] | None = None,
                 labels: NameLabels | None = None) -> None:
        self._facts: Mapping[str, Fact] = declared_facts(facts)
        self._categories: Mapping[str, Labels] = {} if categories is None else categories
        self._labels = NameLabels() if labels is None else labels

    def fact(self, name: str) -> str | None:
        """The label of the declared fact ``name`` (``line.<name>`` for a line's), or
        ``None``."""
        fact = self._facts.get(name)
        return None if fact is None else label_in(fact.labels, self.LOCALE)

    def value(self, fact: str, value: object) -> str | None:
        """The label of ``value`` compared with the fact ``fact``, or ``None``: a complaint
        category (``category``), a line category (``line.category``), an event name
        (``name``) or a value of a declared ``str`` fact."""
        if not isinstance(value, str):
            return None
        if fact == "category":
            return self.category(value)
        if fact == "line.category":
            return self._labels.category(value, self.LOCALE)
        if fact == "name":
            return self._labels.event(value, self.LOCALE)
        declared = self._facts.get(fact)
        return None if declared is None else declared.value_label(value, self.LOCALE)

    def line_category(self, name: str) -> str:
        """The order-line category ``name`` as a customer reads it: its English label in
        ``Program.labels`` (:meth:`NameLabels.english`), else the name."""
        return self._labels.english("categories", name)

    def event_name(self, name: str) -> str:
        """The custom event name ``name`` as a customer reads it: its English label in
        ``Program.labels``, else the name."""
        return self._labels.english("events", name)

    def category(self, name: str) -> str | None:
        """The label of the complaint category ``name``, or ``None``."""
        labels = self._categories.get(name)
        return None if labels is None else label_in(labels, self.LOCALE)
