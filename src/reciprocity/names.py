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

Imports: ``_model``, ``_reason_data`` and ``facts`` (the locale tags of labels).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from ._model import Frozen
from ._reason_data import Named
from .errors import InvalidProgram
from .facts import Labels, label_in

__all__ = ["NameLabels"]

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
