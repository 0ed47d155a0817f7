"""Every error reciprocity raises, in one tree.

Each class also subclasses the built-in exception it refines, so ``except ValueError`` keeps
working in code that does not know reciprocity::

    ReciprocityError (Exception)
     +-- InvalidEvent (ValueError)            an event failed validation at the edge
     |    +-- CurrencyMismatch                  money in a currency the program does not use
     |    +-- NaiveDatetime                     a datetime without a time zone
     |    +-- InvalidFact                       a declared fact of the wrong type or value
     |    +-- UnknownCategory                   a complaint category the program does not know
     +-- InvalidProgram (ValueError)          a policy or program failed validation
     |    +-- UnknownFact                       a condition reads a fact nobody declared
     |    +-- FactTypeMismatch                  a condition compares a fact with a wrong value
     |    +-- ConditionNeverApplies             a condition reads what its events never carry
     +-- RefusedEvent (ValueError)            a valid event that the member's state cannot take
     |    +-- InsufficientPoints                a redemption costs more than the balance
     |    +-- BelowMinimumBalance               a redemption before the minimum balance
     |    +-- PointsOutOfBounds                 an event names points outside the rule's bounds
     |    +-- InsufficientCredit                a store credit spend over the credit balance
     |    +-- UnknownReward                     a redemption names a reward not in the catalogue
     |    +-- UnknownPurchase                   a return references a purchase never seen
     |    |    +-- OrderFolded                    ... or one folded out of the member's state
     |    +-- ReturnExceedsPurchase             more is returned than was bought
     |    +-- ReturnMismatch                    a return's amount and lines disagree
     |    +-- NotAwaitingApproval               an approval for nothing that waits for one
     |    +-- EventConflict                     an applied event's id reused with other content
     |    +-- EventTooOld                       an event older than the state's history horizon
     +-- InvalidState (ValueError)            a saved member state breaks an invariant
     +-- MissingDependency (ImportError)      an optional extra is not installed
     +-- UnknownLocale (ValueError)           no message catalogue for a locale

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

from decimal import Decimal

__all__ = [
    "BelowMinimumBalance",
    "ConditionNeverApplies",
    "CurrencyMismatch",
    "EventConflict",
    "EventTooOld",
    "FactTypeMismatch",
    "InsufficientCredit",
    "InsufficientPoints",
    "InvalidEvent",
    "InvalidFact",
    "InvalidProgram",
    "InvalidState",
    "LateEvent",
    "MissingDependency",
    "NaiveDatetime",
    "NotAwaitingApproval",
    "OrderFolded",
    "PointsOutOfBounds",
    "ReciprocityError",
    "RefusedEvent",
    "ReturnExceedsPurchase",
    "ReturnMismatch",
    "StoreContention",
    "StoreError",
    "UnknownCategory",
    "UnknownFact",
    "UnknownLocale",
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
    fields: tuple[str, ...] = ()
    """Names of the structured attributes this error carries (numbers a caller may show)."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(self._text())

    def _text(self) -> str:
        text = self.message if self.hint is None else f"{self.message}; {self.hint}"
        return f"{text} [{self.code}]"

    def amend(self, *, before: str | None = None, hint: str | None = None) -> None:
        """Say more where the error is caught on its way up: ``before`` goes before the
        message (``"balance 'status': "``), ``hint`` after the hint it has (how else to go
        on). The error keeps its class, code and fields."""
        if before is not None:
            self.message = before + self.message
        if hint is not None:
            self.hint = hint if self.hint is None else f"{self.hint}; {hint}"
        self.args = (self._text(),)

    def to_dict(self) -> dict[str, object]:
        """The error as JSON-ready data: ``code``, ``message``, ``hint`` and its fields.

        >>> InsufficientPoints("9 short", shortfall=9, hint="get 9 more").to_dict()
        {'code': 'insufficient-points', 'message': '9 short', 'hint': 'get 9 more', 'shortfall': 9}
        """
        out: dict[str, object] = {"code": self.code, "message": self.message,
                                  "hint": self.hint}
        for name in self.fields:
            out[name] = getattr(self, name)
        return out


class InvalidEvent(ReciprocityError, ValueError):
    """An event failed validation: a missing field, a wrong type, an impossible value."""

    code = "invalid-event"


class CurrencyMismatch(InvalidEvent):
    """Money in one currency was combined with, or sent to, a program in another."""

    code = "currency-mismatch"


class NaiveDatetime(InvalidEvent):
    """A datetime has no time zone; reciprocity only accepts aware datetimes."""

    code = "naive-datetime"


class InvalidFact(InvalidEvent):
    """An event carries a fact the program declares, with the wrong type or value."""

    code = "invalid-fact"


class UnknownCategory(InvalidEvent):
    """A complaint names a category that is neither built in nor declared by the program."""

    code = "unknown-category"


class InvalidProgram(ReciprocityError, ValueError):
    """A policy or program failed validation."""

    code = "invalid-program"


class UnknownFact(InvalidProgram):
    """A condition or table reads a fact that is neither an event field nor declared."""

    code = "unknown-fact"


class FactTypeMismatch(InvalidProgram):
    """A condition compares a fact with a value (or an operator) its type does not take."""

    code = "fact-type-mismatch"


class ConditionNeverApplies(InvalidProgram):
    """A condition reads facts that the events its rule meets never carry (an order amount
    in a goodwill rule, which only meets complaints)."""

    code = "condition-never-applies"


class RefusedEvent(ReciprocityError, ValueError):
    """A valid event that cannot be applied to this member's state. Nothing changed."""

    code = "refused-event"


class InsufficientPoints(RefusedEvent):
    """A redemption costs more points than the member has available."""

    code = "insufficient-points"
    fields = ("shortfall",)

    def __init__(self, message: str, *, shortfall: int, hint: str | None = None) -> None:
        self.shortfall = shortfall
        super().__init__(message, hint=hint)


class BelowMinimumBalance(RefusedEvent):
    """A redemption while the member's available balance is below the program's minimum
    balance for any redemption (``PointScheme.min_balance``)."""

    code = "below-minimum-balance"
    fields = ("balance", "minimum")

    def __init__(self, message: str, *, balance: int, minimum: int,
                 hint: str | None = None) -> None:
        self.balance = balance
        self.minimum = minimum
        super().__init__(message, hint=hint)


class PointsOutOfBounds(RefusedEvent):
    """A custom event names the points it gives (``PointsForEvent.points_from``) and the
    value is missing, not a whole number, or outside the rule's ``min_points`` and
    ``max_points``. ``field`` is the payload path (``payload.miles``); ``points`` is the
    value when it is a whole number, else ``None``."""

    code = "points-out-of-bounds"
    fields = ("field", "points", "minimum", "maximum")

    def __init__(self, message: str, *, field: str, points: int | None, minimum: int,
                 maximum: int, hint: str | None = None) -> None:
        self.field = field
        self.points = points
        self.minimum = minimum
        self.maximum = maximum
        super().__init__(message, hint=hint)


class InsufficientCredit(RefusedEvent):
    """A store credit spend (``StoreCredit.spend_event``) asks for more than the member's
    credit balance; ``balance`` and ``amount`` are the two amounts (``Decimal``, in the
    program's currency)."""

    code = "insufficient-credit"
    fields = ("balance", "amount")

    def __init__(self, message: str, *, balance: Decimal, amount: Decimal,
                 hint: str | None = None) -> None:
        self.balance = balance
        self.amount = amount
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



class ReturnMismatch(RefusedEvent):
    """A return gives both ``amount`` and ``lines`` and they disagree: the lines, priced at
    the purchase's unit prices, are worth ``lines_amount``, not ``amount`` (both decimal
    strings in ``currency``)."""

    code = "return-mismatch"
    fields = ("amount", "lines_amount", "currency")

    def __init__(self, message: str, *, amount: str, lines_amount: str, currency: str,
                 hint: str | None = None) -> None:
        self.amount = amount
        self.lines_amount = lines_amount
        self.currency = currency
        super().__init__(message, hint=hint)


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


class LateEvent(RefusedEvent):
    """A ledger store refused an event older than the member's newest applied one: the store
    was opened with ``late="refuse"``, or re-deriving the member with the event in its place
    would refuse an event applied before (so the late event cannot be placed in history)."""

    code = "late-event"

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


class UnknownLocale(ReciprocityError, ValueError):
    """Terms or a statement were asked for in a locale that has no message catalogue."""

    code = "unknown-locale"
class StoreError(ReciprocityError, RuntimeError):
    """A ledger store (:mod:`reciprocity.store`) cannot do what was asked: a program it does
    not support, a program version reused with other content, a database schema newer than
    this package."""

    code = "store-error"


class StoreContention(StoreError):
    """Other workers kept changing one member while a store tried to apply an event to it,
    through every retry. Nothing was written; sending the event again is safe."""

    code = "store-contention"
