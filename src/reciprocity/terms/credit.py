"""The store credit section of the terms: currency, oldest first, validity, refusal.

Imports: ``credit.scheme`` and the ``terms`` modules.
"""

from __future__ import annotations

from ..credit.scheme import StoreCredit
from .document import Item, Section
from .phrases import Ctx

__all__ = ["credit_section"]


def credit_section(x: Ctx, credit: StoreCredit, currency: str) -> Section:
    """What store credit is worth, how it is used, how long it is valid."""
    c = x.c
    years = credit.expires_after_years
    validity = c.t("credit.forever") if years is None else c.t("credit.valid", n=years)
    items = (Item(c.t("credit.intro", currency=currency)), Item(validity),
             Item(c.t("credit.refused")))
    return Section(c.t("heading.credit"), items)
