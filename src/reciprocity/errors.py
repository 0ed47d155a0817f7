"""Every error reciprocity raises, in one tree.

Each class also subclasses the built-in exception it refines, so ``except ValueError`` keeps
working in code that does not know reciprocity::

    ReciprocityError (Exception)
     +-- InvalidEvent (ValueError)            an event failed validation at the edge
     |    +-- CurrencyMismatch                  money in a currency the program does not use
     |    +-- NaiveDatetime                     a datetime without a time zone
     +-- InvalidProgram (ValueError)          a policy or program failed validation
     +-- RefusedEvent (ValueError)            a valid event that the member's state cannot take
     |    +-- InsufficientPoints                a redemption costs more than the balance
     |    +-- UnknownReward                     a redemption names a reward not in the catalogue
     |    +-- UnknownPurchase                   a return references a purchase never seen
     |    |    +-- OrderFolded                    ... or one folded out of the member's state
     |    +-- ReturnExceedsPurchase             more is returned than was bought
     |    +-- NotAwaitingApproval               an approval for nothing that waits for one
     |    +-- EventConflict                     an applied event's id reused with other content
     |    +-- EventTooOld                       an event older than the state's history horizon
     +-- InvalidState (ValueError)            a saved member state breaks an invariant
     +-- MissingDependency (ImportError)      an optional extra is not installed

Every error carries a kebab-case ``code``; ``docs/errors.md`` has a section per code, and
``str()`` ends with the code so a log line can be looked up. Whenever one of these is raised
by :meth:`reciprocity.Program.apply`, the member state passed in is untouched (states are
immutable) and no effect was produced.

>>> from reciprocity import Money
>>> try:
...     Money("10.00", "EUR") + Money("1.00", "USD")
... except CurrencyMismatch as exc:
...     print(exc.code, isinstance(exc, ValueError))
currency-mismatch True

Imports: nothing from the package (every module may import it).
"""

from __future__ import annotations

__all__ = [
    "CurrencyMismatch",
    "EventConflict",
    "EventTooOld",
    "InsufficientPoints",
    "InvalidEvent",
    "InvalidProgram",
    "InvalidState",
    "MissingDependency",
    "NaiveDatetime",
    "NotAwaitingApproval",
    "OrderFolded",
    "ReciprocityError",
    "RefusedEvent",
    "ReturnExceedsPurchase",
    "UnknownPurchase",
    "UnknownReward",
]


class ReciprocityError(Exception):
    """Base class of every error raised by reciprocity.

    Args:
        message: what is wrong, naming the field and the bad value.
        hint: how to fix it; appended to the message.
    """

    code = "reciprocity-error"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        text = message if hint is None else f"{message}; {hint}"
        super().__init__(f"{text} [{self.code}]")


class InvalidEvent(ReciprocityError, ValueError):
    """An event failed validation: a missing field, a wrong type, an impossible value."""

    code = "invalid-event"


class CurrencyMismatch(InvalidEvent):
    """Money in one currency was combined with, or sent to, a program in another."""

    code = "currency-mismatch"


class NaiveDatetime(InvalidEvent):
    """A datetime has no time zone; reciprocity only accepts aware datetimes."""

    code = "naive-datetime"


class InvalidProgram(ReciprocityError, ValueError):
    """A policy or program failed validation."""

    code = "invalid-program"


class RefusedEvent(ReciprocityError, ValueError):
    """A valid event that cannot be applied to this member's state. Nothing changed."""

    code = "refused-event"


class InsufficientPoints(RefusedEvent):
    """A redemption costs more points than the member has available."""

    code = "insufficient-points"

    def __init__(self, message: str, *, shortfall: int, hint: str | None = None) -> None:
        self.shortfall = shortfall
        super().__init__(message, hint=hint)


class UnknownReward(RefusedEvent):
    """A redemption names a reward that the program's catalogue does not have."""

    code = "unknown-reward"


class UnknownPurchase(RefusedEvent):
    """A return references a purchase that this member's state has never seen."""

    code = "unknown-purchase"


class OrderFolded(UnknownPurchase):
    """A return or complaint names an order the member's state no longer keeps: orders older
    than the program's history window are folded into totals (``MemberState.folded``)."""

    code = "order-folded"

    def __init__(self, message: str, *, order_id: str, hint: str | None = None) -> None:
        self.order_id = order_id
        super().__init__(message, hint=hint)


class ReturnExceedsPurchase(RefusedEvent):
    """A return would take back more than what is left of the purchase."""

    code = "return-exceeds-purchase"



class NotAwaitingApproval(RefusedEvent):
    """An ``Approval`` names an event that waits for no approval: unknown, or decided already."""

    code = "not-awaiting-approval"


class EventConflict(RefusedEvent):
    """An event reuses the id of an event already applied to this member, with other content.

    An event id is an idempotency key: the same event delivered again is a no-op, but another
    event under the same id is refused, as payment APIs refuse a reused idempotency key.
    """

    code = "event-id-conflict"

    def __init__(self, message: str, *, event_id: str, hint: str | None = None) -> None:
        self.event_id = event_id
        super().__init__(message, hint=hint)


class EventTooOld(RefusedEvent):
    """An event is older than the member's latest time minus the program's history horizon:
    the state no longer keeps the event ids (or orders) needed to decide it exactly."""

    code = "event-too-old"

    def __init__(self, message: str, *, event_id: str, hint: str | None = None) -> None:
        self.event_id = event_id
        super().__init__(message, hint=hint)


class InvalidState(ReciprocityError, ValueError):
    """A saved :class:`~reciprocity.MemberState` breaks an invariant the engine relies on
    (a negative counter, totals that do not match the lots, unsorted applied ids...)."""

    code = "invalid-state"


class MissingDependency(ReciprocityError, ImportError):
    """An optional extra is needed for this feature and is not installed."""

    code = "missing-dependency"
