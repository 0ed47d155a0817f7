"""The edge checks of an event that need the program (its currency, facts and complaint
categories), done before anything changes (``Program.apply``, a replay's rows).

They do not depend on the families a program has: money in another currency is refused
whether or not a policy would read it.

Imports: the core (``errors``, ``events``, ``facts``) and ``points.stage``'s currency check;
``_pipeline`` only for typing.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from .errors import CurrencyMismatch, UnknownCategory
from .events import Complaint, Event, Purchase, Return
from .facts import check_event_facts
from .points.stage import check_purchase_currency

if TYPE_CHECKING:
    from ._pipeline import Pipeline

__all__ = ["check_event"]


def check_event(event: Event, pipeline: Pipeline, currency: str) -> None:
    """Refuse ``event`` if its facts, its complaint category or its money do not fit the
    program of ``pipeline`` (whose currency is ``currency``)."""
    check_event_facts(event, pipeline.facts, currency)
    if isinstance(event, Complaint) and event.category not in pipeline.categories:
        known = sorted(pipeline.categories)
        near = difflib.get_close_matches(event.category, known, n=1)
        raise UnknownCategory(
            f"Complaint.category={event.category!r} is not a category of this program"
            + (f" (did you mean {near[0]!r}?)" if near else ""),
            hint=f"use one of {', '.join(known)}, or declare it in GoodwillPolicy.categories")
    if isinstance(event, Purchase):
        check_purchase_currency(event, currency)
    elif isinstance(event, Complaint | Return):
        money = event.amount_affected if isinstance(event, Complaint) else event.amount
        if money is not None and money.currency != currency:
            field = "amount_affected" if isinstance(event, Complaint) else "amount"
            raise CurrencyMismatch(
                f"{type(event).__name__}.{field}={money} is in {money.currency} but the "
                f"program uses {currency}",
                hint=f"send amounts in {currency}; reciprocity never converts currencies",
            )
