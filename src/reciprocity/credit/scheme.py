"""The store credit declaration: :class:`StoreCredit`.

Store credit is money the shop owes a member (a refund as credit, a dividend, a goodwill
gesture), kept as a balance in the program's currency. The shop sends two custom events: one
that issues credit and one that spends it, each naming its amount in the payload.

>>> credit = StoreCredit(expires_after_years=3)
>>> credit.describe().endswith("(oldest credit first), valid 3 years from issue")
True
>>> StoreCredit(expires_after_years=1, until_end_of="year").describe().endswith(
...     "valid 1 year from issue, to the end of that calendar year")
True

Imports: the core only (``_model``, ``errors``) and ``credit.periodic``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar, Literal
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from pydantic import Field, model_validator

from .._model import Frozen, Id
from ..errors import InvalidProgram
from .periodic import PeriodicReward

if TYPE_CHECKING:
    from ..names import ProgramWords

__all__ = ["StoreCredit"]


class StoreCredit(Frozen):
    """A store credit balance, declared as data (``Program.credit``).

    Attributes:
        issue_event: the ``Custom`` event name that issues credit.
        spend_event: the ``Custom`` event name that spends credit.
        amount_field: the payload key that holds the amount, a decimal string in the
            program's currency (``{"amount": "25.00"}``), greater than 0 and no finer than
            the currency's minor unit.
        expires_after_years: credit expires this many years after its issue (wall-clock
            time in the program's zone; credit issued on 29 February expires on 28 February);
            ``None``: it never expires.
        until_end_of: ``"month"`` or ``"year"``: credit stays valid to the end of the
            calendar month or year in which its ``expires_after_years`` end ("valid one year,
            to the end of that year": credit of 15 March 2027 expires at the start of
            1 January 2029; credit of 00:00 on 1 January 2027 at the start of 1 January 2028,
            already the end of a year); ``None``: it expires when the years end.
        periodic: a reward paid as store credit per period, a year, half-year, quarter or
            month (:class:`~reciprocity.PeriodicReward`, e.g. an annual member dividend).

    A spend takes the oldest credit first. A spend over the balance is refused
    (:class:`~reciprocity.InsufficientCredit`) and changes nothing: the balance is never
    negative.
    """

    _error_class: ClassVar[type[InvalidProgram]] = InvalidProgram

    type: Literal["store_credit"] = "store_credit"
    issue_event: Id = "credit_issued"
    spend_event: Id = "credit_spent"
    amount_field: Id = "amount"
    expires_after_years: int | None = Field(default=None, ge=1, le=100)
    until_end_of: Literal["month", "year"] | None = None
    periodic: PeriodicReward | None = None

    @model_validator(mode="after")
    def _two_events(self) -> StoreCredit:
        if self.issue_event == self.spend_event:
            raise ValueError(
                f"issue_event and spend_event are both {self.issue_event!r}; give the "
                "spending event another name, e.g. spend_event=\"credit_spent\"")
        if self.until_end_of is not None and self.expires_after_years is None:
            raise ValueError(
                f"until_end_of={self.until_end_of!r} rounds an expiry up, but credit never "
                "expires without expires_after_years; give e.g. expires_after_years=1")
        return self

    def expires_at(self, issued_at: datetime, zone: ZoneInfo) -> datetime | None:
        """When credit issued at ``issued_at`` expires, or ``None`` for never.

        >>> from zoneinfo import ZoneInfo
        >>> zone = ZoneInfo("Europe/Berlin")
        >>> StoreCredit(expires_after_years=1).expires_at(
        ...     datetime(2028, 2, 29, 12, tzinfo=zone), zone).isoformat()
        '2029-02-28T11:00:00+00:00'
        >>> StoreCredit(expires_after_years=1, until_end_of="month").expires_at(
        ...     datetime(2028, 2, 29, 12, tzinfo=zone), zone).astimezone(zone).isoformat()
        '2029-03-01T00:00:00+01:00'
        """
        if self.expires_after_years is None:
            return None
        local = issued_at.astimezone(zone) + relativedelta(years=self.expires_after_years)
        if self.until_end_of is not None:  # up to the next month's (year's) start, if not on it
            month = datetime(local.year, local.month, 1, tzinfo=zone)
            if self.until_end_of == "year":
                month = datetime(local.year, 1, 1, tzinfo=zone)
            if month != local:
                step = relativedelta(months=1 if self.until_end_of == "month" else 12)
                local = month + step
        return local.astimezone(UTC)

    def describe(self) -> str:
        """One line in English, for ``Program.explain``."""
        return self.describe_with(None)

    def describe_with(self, words: ProgramWords | None) -> str:
        """:meth:`describe`, saying event names and line categories by their English
        labels (``Program.labels``) where the program declares them."""
        def event(name: str) -> str:
            return name if words is None else words.event_name(name)

        validity = ("never expires" if self.expires_after_years is None else
                    f"valid {self.expires_after_years} year"
                    f"{'' if self.expires_after_years == 1 else 's'} from issue")
        if self.until_end_of is not None:
            validity += f", to the end of that calendar {self.until_end_of}"
        periodic = "" if self.periodic is None else f"; {self.periodic.describe_with(words)}"
        return (f"store credit from custom event {event(self.issue_event)}, spent by custom "
                f"event {event(self.spend_event)} (oldest credit first), {validity}{periodic}")
