"""How much history a member's state keeps: the windows a program's decisions need.

A :class:`History` on a :class:`~reciprocity.Program` bounds the member state. Orders older than
every window a decision reads fold into totals (``MemberState.folded``) and their records go;
applied event ids are kept for a horizon, and an older event is refused
(:class:`~reciprocity.EventTooOld`) instead of being applied twice. Without a ``History`` a
program keeps every order and every event id, as before.

>>> History(return_days=30).describe()
'orders are kept for returns for 30 days; event ids for as long as orders are kept'

Imports: ``_model`` and ``errors``.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from ._model import Frozen
from .errors import InvalidProgram, ReciprocityError

__all__ = ["History"]


class History(Frozen):
    """The windows a program declares where it cannot compute them from its policies.

    The program computes the order window from what it declares: this return window, the
    complaint window, the point scheme's ``pending_days`` and the tier ladder's qualification
    period plus its grace (see :meth:`~reciprocity.Program.history_window`). A program with
    gift rules, or a ladder qualifying over the whole membership, reads every order a member
    ever placed, so it keeps them all.

    Args:
        return_days: a return is decided against the order's record for this many days after
            the order; an order older than every window folds, and a return or complaint
            about it is refused with :class:`~reciprocity.OrderFolded`. ``None`` (the
            default) keeps every order.
        complaint_days: the same for a complaint naming an order; ``None`` means
            ``return_days``.
        event_days: applied event ids are kept this many days behind the member's latest
            time; an event older than that is refused with
            :class:`~reciprocity.EventTooOld`. ``None`` means the days the program reads an
            order back (or forever, when orders are never folded). Orders are kept for
            that read-back plus this horizon.
        fold_orders: ``False`` keeps every order even with a return window (to compare a
            program with its folding twin, or for an audit).
    """

    _error_class: ClassVar[type[ReciprocityError]] = InvalidProgram

    return_days: int | None = Field(default=None, ge=0, le=3660)
    complaint_days: int | None = Field(default=None, ge=0, le=3660)
    event_days: int | None = Field(default=None, ge=1, le=3660)
    fold_orders: bool = True

    def describe(self) -> str:
        """The history the program keeps, in plain words."""
        if self.return_days is None or not self.fold_orders:
            orders = "every order is kept"
        else:
            orders = f"orders are kept for returns for {self.return_days} days"
            if self.complaint_days is not None:
                orders += f", for complaints for {self.complaint_days} days"
        if self.event_days is not None:
            ids = f"event ids for {self.event_days} days"
        elif self.return_days is None or not self.fold_orders:
            ids = "every event id"
        else:
            ids = "event ids for as long as orders are kept"
        return f"{orders}; {ids}"
