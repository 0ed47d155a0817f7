"""A member's goodwill history in the saved state: complaints, compensation given, and
compensation waiting for approval.

Imports: ``_model``, ``_reason``, ``_state_base`` and ``money``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field

from ._model import Instant, NonEmptyStr
from ._reason import decode_text, encode_text
from ._state_base import _StateModel
from .money import Money

__all__ = ["CompensationKind", "ComplaintRecord", "GoodwillGrant", "GoodwillHistory",
           "PendingGoodwill", "StoredText"]


CompensationKind = Literal["points", "voucher", "gift", "credit", "refund_share"]
"""What a goodwill compensation is: points, a voucher, a small gift, a credit on the account,
or a share of the order refunded."""


class ComplaintRecord(_StateModel):
    """A complaint the goodwill policy has seen, and what came of it."""

    id: NonEmptyStr
    at: Instant
    order_id: str | None = None
    category: str
    severity: int = Field(ge=1, le=5)
    outcome: Literal["granted", "pending", "declined", "no_compensation", "refer_to_service"]
    """``pending`` waits for an approval; ``declined`` means a person declined it."""
    rule_id: str | None = None
    """The goodwill rule that decided it, if one did."""
    duplicate_of: str | None = None
    """The earlier complaint about the same order and category, for a duplicate."""
    cause: Literal[
        "unknown_order", "returned_order", "duplicate", "no_rule", "cap_reached",
        "budget_used_up", "nothing_left",
    ] | None = None
    """Why it got no compensation, when it got none before any approval."""
    key: str | None = None
    """The values of the goodwill policy's ``duplicate_key`` facts, when it declares one."""


class GoodwillGrant(_StateModel):
    """Compensation given for one complaint."""

    complaint_id: NonEmptyStr
    rule_id: NonEmptyStr
    kind: CompensationKind
    value: Money
    """Its worth; for points, the points at the policy's point value."""
    points: int | None = None
    decided_at: Instant
    """When the complaint was made: caps and budgets count it in that period."""
    granted_at: Instant
    """When it was given: the complaint's time, or the approval's."""
    order_id: str | None = None
    code: str | None = None
    """Voucher code, for vouchers."""
    gift: str | None = None
    """Name of the gift, for gifts."""
    expires_at: Instant | None = None
    approved_by: str | None = None
    """Who approved it, when it waited for approval."""


def _stored_text(value: str | list[Any]) -> str | list[Any]:
    if isinstance(value, list):
        try:  # a message's pair must read back, and write again (no null argument)
            encode_text(decode_text(value))
        except (TypeError, ArithmeticError) as exc:  # a null or a bad number in it
            raise ValueError(f"{value!r} is not a stored message: {exc!r}") from None
    return value


StoredText = Annotated[str | list[Any], AfterValidator(_stored_text)]
"""A part of a reason kept in the state: a message as its JSON pair ``["msg", [key, args]]``
(:func:`reciprocity._reason.encode_text`; :func:`~reciprocity._reason.decode_text` reads it
back), or a plain text, said as it is in every locale (a state saved before reasons were
data holds English texts)."""


class PendingGoodwill(_StateModel):
    """Compensation decided for a complaint, waiting for a person to approve it."""

    complaint_id: NonEmptyStr
    rule_id: NonEmptyStr
    kind: CompensationKind
    value: Money
    points: int | None = None
    at: Instant
    """When the complaint was made."""
    order_id: str | None = None
    category: str
    gift: str | None = None
    valid_days: int | None = None
    """Days a voucher stays valid after it is granted."""
    budget_reserved: bool = False
    """Whether the program budget already counts it (given back if it is declined)."""
    notes: tuple[StoredText, ...] = ()
    """How the value came about, for the reason of the eventual grant: messages (a state
    saved before reasons were data holds English texts, said as they are)."""
    why: StoredText = ""
    """Why it waits for approval: a message, or an English text in an older state."""


class GoodwillHistory(_StateModel):
    """A member's goodwill history: complaints, compensation given, approvals pending.

    >>> history = GoodwillHistory()
    >>> GoodwillHistory.model_validate_json(history.model_dump_json()) == history
    True
    """

    complaints: tuple[ComplaintRecord, ...] = ()
    grants: tuple[GoodwillGrant, ...] = ()
    pending: tuple[PendingGoodwill, ...] = ()
