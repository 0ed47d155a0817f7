"""The gift family's hot state and effect builders (see :mod:`reciprocity.gifts.stage`).

Imports: the core (``_engine``, ``effects``, ``limits``, ``money``, ``state``) and
``gifts.gift``; never ``grants`` or ``stage``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from .._engine import Text
from .._reason import Msg, fields
from ..effects import GiftGranted, GiftRevoked, MessageSuggested
from ..limits import Budget, Period
from ..money import Money
from ..state import GiftKind
from .gift import Gift, _Rule

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..conditions import Predicate

__all__ = [
    "TIME",
    "Compiled",
    "Grant",
    "Hot",
    "build_granted",
    "build_message",
    "build_revoked",
    "days",
    "fmt_date",
    "period_key",
]

_ZERO = Decimal(0)
TIME = -1
"""Kind code of the synthetic row a date-driven rule evaluates its condition with."""

K_ORDERS, K_SPEND = 0, 1
"""Slots of a period counter in ``Hot.counters`` (a plain list, updated in place on every
order: see ``reciprocity._engine`` for why hot records are lists)."""


def period_key(per: Period, local: datetime) -> tuple[int, ...]:
    """A cheap key of the calendar period of ``local`` (already in the program's zone)."""
    if per is Period.YEAR:
        return (local.year,)
    if per is Period.MONTH:
        return (local.year, local.month)
    if per is Period.DAY:
        return (local.year, local.month, local.day)
    if per is Period.WEEK:
        year, week, _ = local.isocalendar()
        return (year, week)
    if per is Period.QUARTER:
        return (local.year, (local.month - 1) // 3)
    return ()


def fmt_date(when: datetime, zone: ZoneInfo) -> str:
    return when.astimezone(zone).strftime("%Y-%m-%d")


def days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


class Grant:
    """A gift given, in the hot state."""

    __slots__ = ("at", "charged_back", "frozen", "gift_id", "id", "kind", "name", "occurrence",
                 "revoked_at", "rule_id", "source", "valid_until", "value")

    def __init__(self, rule_id: str, gift_id: str, name: str, kind: GiftKind, value: Decimal,
                 at: datetime, occurrence: str, source: str | None,
                 valid_until: datetime | None) -> None:
        self.id = f"{rule_id}@{occurrence}"
        self.rule_id = rule_id
        self.gift_id = gift_id
        self.name = name
        self.kind = kind
        self.value = value
        self.at = at
        self.occurrence = occurrence
        self.source = source
        self.valid_until = valid_until
        self.revoked_at: datetime | None = None
        self.charged_back = False
        self.frozen: Any = None
        """The frozen ``GiftGrant`` this grant was thawed from or last frozen into: a freeze
        reuses it while the grant's revocation and charge-back are as it says."""

    def copy(self) -> Grant:
        """A private copy (see ``Hot.shared``)."""
        g = _new_grant(Grant)
        g.id, g.rule_id, g.gift_id, g.name = self.id, self.rule_id, self.gift_id, self.name
        g.kind, g.value, g.at, g.occurrence = self.kind, self.value, self.at, self.occurrence
        g.source, g.valid_until = self.source, self.valid_until
        g.revoked_at, g.charged_back, g.frozen = self.revoked_at, self.charged_back, self.frozen
        return g


_new_grant = Grant.__new__


class Hot:
    """A member's gift history while a program works on it (``Member.gifts``)."""

    __slots__ = ("_by_order", "_by_rule", "birthday_changed_at", "birthday_seen", "categories",
                 "counters", "current", "due", "grants", "kept_head", "last_order", "occurrences",
                 "saved", "shared", "spells")

    def __init__(self) -> None:
        self.grants: list[Grant] = []
        self._by_rule: dict[str, list[Grant]] | None = None
        self._by_order: dict[str, list[Grant]] | None = None
        self.occurrences: set[tuple[str, str]] = set()
        self.due: dict[str, datetime] = {}
        self.spells: dict[str, datetime] = {}
        self.birthday_seen: date | None = None
        self.birthday_changed_at: datetime | None = None
        # Derived from the member's purchases, never saved:
        self.last_order: datetime | None = None
        self.counters: dict[tuple[Period, tuple[int, ...]], list[Any]] = {}
        """(period, key) -> [orders kept, net spend] (slots ``K_ORDERS``, ``K_SPEND``), for
        thank-you rules."""
        self.current: dict[Period, tuple[tuple[int, ...], list[Any]]] = {}
        """period -> (key, its ``counters`` entry) of the order being handled, set by the
        purchase handler before the rules run (empty when the state was just derived)."""
        self.categories: dict[str, Decimal] | None = None
        """Net spend per sample category; ``None`` until needed (rebuilt after a return)."""
        self.kept_head = 0
        """How many leading grants a fold found kept for ever (see ``gifts.folding``)."""
        self.saved: Any = None
        """The ``GiftHistory`` a thaw shared the grants of (``gifts.frozen.thaw_kept_grants``):
        a freeze that finds nothing changed returns it."""
        self.shared = False
        """Whether the grants are (some of them) shared with the state this history was
        thawed from (``gifts.frozen.thaw_kept_grants``): copy on write, so nothing changes a
        grant in place before :meth:`own` made every grant private."""

    def own(self) -> None:
        """Make every grant a private copy (before one is changed in place: a return's
        revocation), and drop the indexes that held the shared ones (built again when read)."""
        if self.shared:
            self.grants = [g.copy() for g in self.grants]
            self._by_rule = self._by_order = None
            self.shared = False
            self.saved = None  # a grant may change: no longer the saved history's

    def add(self, grant: Grant) -> None:
        self.grants.append(grant)
        # The indexes by rule and by order are built when first read (a cap, a cooldown,
        # a return), then kept up to date; most grants are never looked up.
        if self._by_rule is not None:
            same = self._by_rule.get(grant.rule_id)
            if same is None:
                self._by_rule[grant.rule_id] = [grant]
            else:
                same.append(grant)
        if self._by_order is not None and grant.source is not None:
            same = self._by_order.get(grant.source)
            if same is None:
                self._by_order[grant.source] = [grant]
            else:
                same.append(grant)
        self.occurrences.add((grant.rule_id, grant.occurrence))

    def of_rule(self, rule_id: str) -> list[Grant] | tuple[()]:
        """The rule's grants (revoked ones too), oldest first."""
        index = self._by_rule
        if index is None:
            index = self._by_rule = {}
            for g in self.grants:
                same = index.get(g.rule_id)
                if same is None:
                    index[g.rule_id] = [g]
                else:
                    same.append(g)
        return index.get(rule_id, ())

    def of_order(self, order_id: str) -> list[Grant] | tuple[()]:
        """The grants that came with order ``order_id``, oldest first."""
        index = self._by_order
        if index is None:
            index = self._by_order = {}
            for g in self.grants:
                if g.source is not None:
                    same = index.get(g.source)
                    if same is None:
                        index[g.source] = [g]
                    else:
                        same.append(g)
        return index.get(order_id, ())

    def fold(self, before: datetime, keep: Callable[[Grant], bool]) -> None:
        """Drop the grants older than ``before`` that ``keep`` lets go (oldest first, up to
        the first grant at or after ``before``). ``gifts.folding.fold_grants`` does the same
        scan with the rules' limits inline; this one is its plain form (and test oracle)."""
        gone: list[Grant] = []
        seen = 0
        for g in self.grants:
            if g.at >= before:
                break
            seen += 1
            if not keep(g):
                gone.append(g)
        if gone:
            self.drop(gone, seen)

    def drop(self, gone: list[Grant], seen: int, start: int = 0) -> None:
        """Drop the grants ``gone``, all among ``grants[start:seen]``; the indexes and
        occurrences follow, in O(grants looked at): a rule grants once per occurrence, so an
        occurrence goes with its grant. A fold starts after the kept head (``kept_head``:
        grants kept for ever), which therefore stays as it is."""
        grants = self.grants
        dropped = {id(g) for g in gone}
        grants[start:seen] = [g for g in grants[start:seen] if id(g) not in dropped]
        occurrences = self.occurrences
        by_rule, by_order = self._by_rule, self._by_order
        for g in gone:
            occurrences.discard((g.rule_id, g.occurrence))
            if by_order is not None and g.source is not None:
                same = by_order.get(g.source)
                if same is not None:
                    same[:] = [other for other in same if other is not g]
                    if not same:
                        del by_order[g.source]
        if by_rule is not None:
            for rule_id in {g.rule_id for g in gone}:
                same_rule = by_rule.get(rule_id)
                if same_rule is not None:
                    same_rule[:] = [other for other in same_rule if id(other) not in dropped]

    def kept(self, rule_id: str) -> list[Grant]:
        """The rule's grants that were not revoked, oldest first."""
        return [g for g in self.of_rule(rule_id) if g.revoked_at is None]


class Compiled:
    """One declared rule with its compiled parts."""

    __slots__ = ("budget", "consents", "index", "limited", "phrase", "pred", "rule", "threshold",
                 "tiers", "when_text")

    def __init__(self, rule: _Rule, index: int, pred: Predicate | None,
                 budget: Budget | None, when_text: str = "") -> None:
        self.rule = rule
        self.index = index
        self.pred = pred
        self.budget = budget
        self.consents = rule.consents
        self.tiers = frozenset(rule.tiers)
        self.when_text = when_text
        """The rule's condition in the program's words (``CompileContext.said``)."""
        gift = getattr(rule, "gift", None)
        self.phrase = None if gift is None else gift.message()
        """The rule's gift as a part of a reason (a message), built once."""
        threshold = getattr(rule, "threshold_text", None)
        self.threshold = "" if threshold is None else threshold()
        self.limited = (rule.cap is not None or rule.cooldown_days is not None
                        or budget is not None)
        """Whether a cap, a cooldown or a budget may refuse a grant (stock is the gift's)."""



# -- effect builders (called lazily) ------------------------------------------------------------

def build_granted(mid: str, rule_id: str, grant_id: str, gift: Gift, value: Decimal,
                  currency: str, at: datetime, source: str | None, valid_until: datetime | None,
                  reason: Text) -> GiftGranted:
    return GiftGranted.model_construct(
        rule_id=rule_id, **fields(reason), member_id=mid, event_id=source, at=at,
        grant_id=grant_id, gift_id=gift.id, name=gift.name, kind=gift.kind,
        value=value_money(gift, value, currency), valid_until=valid_until,
    )


def value_money(gift: Gift, value: Decimal, currency: str) -> Money:
    """The gift's declared value, or the personalised one, as Money."""
    return gift.value if value == gift.value.amount else Money(value, currency)


def build_revoked(mid: str, rule_id: str, eid: str, at: datetime, grant_id: str,
                   gift_id: str, name: str, value: Money, purchase_id: str, charged_back: bool,
                   reason: Msg) -> GiftRevoked:
    return GiftRevoked.model_construct(
        rule_id=rule_id, **fields(reason), member_id=mid, event_id=eid, at=at, grant_id=grant_id,
        gift_id=gift_id, name=name, value=value, purchase_id=purchase_id,
        charged_back=charged_back,
    )


def build_message(mid: str, rule_id: str, at: datetime, message_id: str, channel: str,
                   text: str, reason: Msg) -> MessageSuggested:
    return MessageSuggested.model_construct(
        rule_id=rule_id, **fields(reason), member_id=mid, event_id=None, at=at,
        message_id=message_id, channel=channel, text=text,
    )

