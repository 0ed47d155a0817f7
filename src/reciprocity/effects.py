"""Effects: every change a program makes, each naming its rule and a customer-readable reason.

Nothing changes a balance without an effect, so a member's balance always equals the sum of
their effects (see ``tests/test_program.py``).

>>> from datetime import datetime, timezone
>>> e = PointsEarned(rule_id="seed", reason="1 point for order A-17 over 50.00 EUR",
...                  member_id="m-1", event_id="A-17", lot_id="A-17/seed", points=1,
...                  at=datetime(2026, 3, 1, tzinfo=timezone.utc))
>>> e.points_delta
1

Every reason is data: ``reason_key`` names a message of the catalogue and ``reason_args``
holds its values (see ``reciprocity._reason``); ``reason`` is its English text and
:meth:`~PointsEarned.render` says it in any catalogue locale. An effect stored before reasons
were data has only ``reason``; it still loads, and renders in another locale from its fields.

Imports: the core's data modules (``_model``, ``_reason``, ``money``, ``state``, ``shared``,
``benefits``); never a family or a stage; the ``terms`` renderer lazily, for an effect
without a reason key.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, PlainSerializer

from ._model import Frozen, Instant, NonEmptyStr
from ._reason import LazyField, as_text, decode_args, encode_args, render
from .benefits import TierBenefits
from .money import Money
from .shared import SharedState
from .state import CompensationKind, GiftKind, MemberState, Voucher

__all__ = [
    "CreditExpired",
    "CreditIssued",
    "CreditSpent",
    "Decision",
    "Effect",
    "GiftGranted",
    "GiftRevoked",
    "GoodwillDeclined",
    "GoodwillGranted",
    "GoodwillPending",
    "MessageSuggested",
    "PointsEarned",
    "PointsExpired",
    "PointsRedeemed",
    "PointsReleased",
    "PointsRevoked",
    "TierChanged",
    "TierGraceStarted",
    "TraceEntry",
    "VoucherCancelled",
    "VoucherIssued",
]


ReasonArgs = Annotated[
    dict[str, Any], BeforeValidator(decode_args), PlainSerializer(encode_args),
]
"""A reason's arguments: typed values in Python, ``[tag, value]`` pairs in JSON."""

Text = Annotated[str, PlainSerializer(as_text, return_type=str)]
"""A text field that the engine may fill with a ``reciprocity._reason.LazyText`` (the
English text of a message, rendered when first read): read as ``str`` through a
``LazyField`` set on the class, dumped as the text."""


class _EffectBase(Frozen):
    rule_id: NonEmptyStr
    """The rule that produced the effect."""
    reason: Text
    """Why, in English words a customer can read (``reason_key`` rendered with
    ``reason_args``)."""
    reason_key: str | None = None
    """The catalogue message of the reason; ``None`` for an effect stored before reasons
    were data."""
    reason_args: ReasonArgs | None = None
    """The values of the reason's message: ids and names, counts, money, dates, nested
    messages."""
    member_id: NonEmptyStr
    event_id: str | None = None
    """The event that caused it; ``None`` for time-driven effects (expiry, release)."""
    at: Instant

    @property
    def points_delta(self) -> int:
        """Change of the available balance caused by this effect."""
        return 0

    def render(self, locale: str = "en") -> str:
        """The reason in ``locale`` (a catalogue locale: ``"en"``, ``"de"``); in English it
        is :attr:`reason`.

        An effect without a ``reason_key`` (stored before reasons were data) is said from its
        fields instead, as :meth:`reciprocity.Program.render_effect` says it.

        Raises:
            UnknownLocale: there is no catalogue for ``locale``.
            MissingDependency: a locale other than English needs Babel (``reciprocity[i18n]``).
        """
        if self.reason_key is None:
            if locale == "en":
                return self.reason
            from zoneinfo import ZoneInfo

            from .terms.catalog import catalogue
            from .terms.effects import render_effect
            from .terms.phrases import Ctx

            return render_effect(Ctx(catalogue(locale), ZoneInfo("UTC"), {}), self)
        return render(self.reason_key, self.reason_args or {}, locale)


setattr(_EffectBase, "reason", LazyField("reason"))  # noqa: B010  (after pydantic built it)


def _is_none(value: object) -> bool:
    return value is None


class _PointsEffect(_EffectBase):
    balance: str | None = Field(default=None, exclude_if=_is_none)
    """The one of ``Program.balances`` whose points these are (or which paid the voucher);
    ``None`` (and left out of the JSON) for the program's own points."""

    @property
    def points_delta(self) -> int:
        """Change of the program's own available points: :attr:`balance_delta`, or 0 for an
        effect of another balance (status miles are never the points a member can spend,
        nor points liability)."""
        return self.balance_delta if self.balance is None else 0

    @property
    def balance_delta(self) -> int:
        """Change of the available points of the effect's own balance (``balance``)."""
        return 0


class PointsEarned(_PointsEffect):
    """Points credited to a new lot (pending or available)."""

    type: Literal["points_earned"] = "points_earned"
    points: int
    lot_id: str | None = None
    """The lot that holds the points; ``None`` when the scheme pools points."""
    status: Literal["pending", "available"] = "available"
    available_at: Instant | None = None
    expires_at: Instant | None = None

    @property
    def balance_delta(self) -> int:
        return self.points if self.status == "available" else 0


class PointsReleased(_PointsEffect):
    """Pending points became available (the return window closed)."""

    type: Literal["points_released"] = "points_released"
    points: int
    lot_id: NonEmptyStr

    @property
    def balance_delta(self) -> int:
        return self.points


class PointsRedeemed(_PointsEffect):
    """Points spent on a reward."""

    type: Literal["points_redeemed"] = "points_redeemed"
    points: int
    reward_id: NonEmptyStr

    @property
    def balance_delta(self) -> int:
        return -self.points


class PointsRevoked(_PointsEffect):
    """Points taken back (a return) or withheld to repay debt.

    ``points`` left the balance now (available or pending, per ``from_pending``);
    ``debt_added`` is what could not be taken and is owed from future earnings.
    """

    type: Literal["points_revoked"] = "points_revoked"
    points: int
    from_pending: int = 0
    debt_added: int = 0
    purchase_id: str | None = None

    @property
    def balance_delta(self) -> int:
        return -(self.points - self.from_pending)


class PointsExpired(_PointsEffect):
    """Points of a lot expired unused."""

    type: Literal["points_expired"] = "points_expired"
    points: int
    lot_id: str | None = None
    """The lot that expired; ``None`` when all points expired at once (inactivity)."""
    from_pending: int = 0
    """How many of the expired points were still pending (never available)."""

    @property
    def balance_delta(self) -> int:
        return -(self.points - self.from_pending)


class VoucherIssued(_PointsEffect):
    """A voucher, with its value and validity, issued for a redemption."""

    type: Literal["voucher_issued"] = "voucher_issued"
    voucher: Voucher


class VoucherCancelled(_PointsEffect):
    """A voucher that an order issued automatically is cancelled because the order was
    returned; its points come back to the balance (and are then taken back with the order's
    points). Void the voucher in the shop, or deduct its value from the refund if it was used.
    """

    type: Literal["voucher_cancelled"] = "voucher_cancelled"
    voucher: Voucher
    points: int

    @property
    def balance_delta(self) -> int:
        return self.points


class GoodwillGranted(_EffectBase):
    """Compensation given for a complaint, at once or after an approval.

    ``value`` is what it is worth (for points, their worth at the policy's point value);
    points themselves are credited by a :class:`PointsEarned` effect beside this one, so
    this effect does not change the balance.
    """

    type: Literal["goodwill_granted"] = "goodwill_granted"
    complaint_id: NonEmptyStr
    order_id: str | None = None
    kind: CompensationKind
    value: Money
    points: int | None = None
    approval_required: bool = False
    """Whether it waited for a person's approval before it was given."""
    approved_by: str | None = None
    code: str | None = None
    """The voucher code, for a voucher."""
    gift: str | None = None
    """The gift's name, for a gift."""
    expires_at: Instant | None = None
    """When a voucher stops being valid."""


class GoodwillPending(_EffectBase):
    """Compensation decided for a complaint that waits for a person's approval.

    Nothing is given until an :class:`~reciprocity.Approval` event with ``ref_event_id``
    set to the complaint's id arrives; then a :class:`GoodwillGranted` (or a
    :class:`GoodwillDeclined`) follows.
    """

    type: Literal["goodwill_pending"] = "goodwill_pending"
    complaint_id: NonEmptyStr
    order_id: str | None = None
    kind: CompensationKind
    value: Money
    points: int | None = None
    approval_required: Literal[True] = True
    why: str = ""
    """Why a person must approve it (a limit, the rule, the budget)."""


class GoodwillDeclined(_EffectBase):
    """A complaint that gets no compensation, with the declared outcome and why.

    ``outcome`` is ``"no_compensation"``, ``"refer_to_service"`` (a person should look at
    it) or ``"declined"`` (a person declined compensation that waited for approval).
    """

    type: Literal["goodwill_declined"] = "goodwill_declined"
    complaint_id: NonEmptyStr
    order_id: str | None = None
    outcome: Literal["no_compensation", "refer_to_service", "declined"]


class GiftGranted(_EffectBase):
    """A gift given by a gift rule: what it is, what it is worth, and why.

    Gifts do not change the points balance. ``grant_id`` (``<rule id>@<occurrence>``) names
    the grant in ``MemberState.gifts`` and in a later :class:`GiftRevoked`.
    """

    type: Literal["gift_granted"] = "gift_granted"
    grant_id: NonEmptyStr
    gift_id: NonEmptyStr
    name: NonEmptyStr
    kind: GiftKind
    value: Money
    valid_until: Instant | None = None
    """When a voucher stops being valid."""


class GiftRevoked(_EffectBase):
    """A gift taken back because a return means its order no longer qualifies.

    With ``charged_back`` the member keeps the gift and its ``value`` is deducted from the
    refund instead.
    """

    type: Literal["gift_revoked"] = "gift_revoked"
    grant_id: NonEmptyStr
    gift_id: NonEmptyStr
    name: NonEmptyStr
    value: Money
    purchase_id: str | None = None
    charged_back: bool = False


class MessageSuggested(_EffectBase):
    """A message the shop should send (a feedback request to a member who drifts away).

    Not a gift: it gives nothing and costs nothing; the shop's own messaging sends it.
    """

    type: Literal["message_suggested"] = "message_suggested"
    message_id: NonEmptyStr
    channel: NonEmptyStr
    text: str


class TierChanged(_EffectBase):
    """A member's tier changed: an upgrade, a downgrade at a review, or a renewal.

    ``benefits`` are what the new tier brings (``None`` when the member has no tier now);
    ``valid_until`` is when it runs out and is reviewed (``None`` for never).
    """

    type: Literal["tier_changed"] = "tier_changed"
    change: Literal["upgrade", "downgrade", "renewal"]
    from_tier: str | None = None
    to_tier: str | None = None
    benefits: TierBenefits | None = None
    valid_until: Instant | None = None


class TierGraceStarted(_EffectBase):
    """A tier ran out without being earned again; the member keeps it until ``grace_until``,
    when it is reviewed again. Buying enough before then keeps it."""

    type: Literal["tier_grace_started"] = "tier_grace_started"
    tier_id: NonEmptyStr
    expired_at: Instant
    grace_until: Instant


class CreditIssued(_EffectBase):
    """Store credit issued to a new lot (``lot_id`` is the issuing event's id)."""

    type: Literal["credit_issued"] = "credit_issued"
    amount: Money
    lot_id: NonEmptyStr
    expires_at: Instant | None = None


class CreditSpent(_EffectBase):
    """Store credit spent, oldest lots first; ``taken`` says how much came from each lot."""

    type: Literal["credit_spent"] = "credit_spent"
    amount: Money
    taken: tuple[tuple[str, Money], ...] = ()
    balance: Money
    """The credit left after the spend."""


class CreditExpired(_EffectBase):
    """The rest of a store credit lot expired unspent."""

    type: Literal["credit_expired"] = "credit_expired"
    amount: Money
    lot_id: NonEmptyStr


Effect = Annotated[
    PointsEarned | PointsReleased | PointsRedeemed | PointsRevoked | PointsExpired
    | VoucherIssued | VoucherCancelled
    | GoodwillGranted | GoodwillPending | GoodwillDeclined
    | GiftGranted | GiftRevoked | MessageSuggested
    | TierChanged | TierGraceStarted
    | CreditIssued | CreditSpent | CreditExpired,
    Field(discriminator="type"),
]
"""Any effect; the ``type`` field picks the class."""


class TraceEntry(Frozen):
    """One line of a decision's explanation: what a rule did with the event and why."""

    rule_id: str
    outcome: Literal["applied", "skipped", "duplicate", "refused", "note"]
    detail: Text


setattr(TraceEntry, "detail", LazyField("detail"))  # noqa: B010  (after pydantic built it)


class Decision(Frozen):
    """What :meth:`~reciprocity.Program.apply` decided: the new state, effects and trace.

    ``shared`` is the new program-wide state for programs that have one (budgets, stock,
    rankings), else ``None``. Persist ``state`` and ``shared`` together.
    """

    state: MemberState
    effects: tuple[Effect, ...] = ()
    trace: tuple[TraceEntry, ...] = ()
    shared: SharedState | None = None

    @property
    def approval_required(self) -> bool:
        """Whether part of this decision waits for a person's approval (goodwill above a
        limit): nothing of that part is given until an ``Approval`` event confirms it."""
        return any(isinstance(e, GoodwillPending) for e in self.effects)

    def explain(self) -> str:
        """The trace and effects as readable lines."""
        lines = [f"{t.rule_id}: {t.outcome}: {t.detail}" for t in self.trace]
        lines += [f"-> {e.reason}" for e in self.effects]
        return "\n".join(lines)
