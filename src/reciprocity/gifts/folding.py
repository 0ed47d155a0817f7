"""The gift family's part of folding: which grants fold with the orders, and when.

A grant is read later by its rule's occurrence check (one gift per occurrence), its cap (the
grants of the current period), its cooldown (the last grant) and a return of its order (to
take it back). When orders fold (see ``reciprocity._history``), a grant goes once none of
these can read it any more:

- its order (if any) has folded, so no return can revoke it;
- it is older than the newest folded order by its rule's *margin*: the time its occurrence
  may come up again, and the length of its cap's period. An order gift (:class:`NthOrderGift`,
  keyed by the member's n-th order, which never comes again; :class:`OrderOverGift`, keyed by
  its order) has none of its own; every other rule a year (:data:`FOLD_MARGIN`: the longest
  period a cap, a thank-you or a calendar gift counts in);
- no limit reads it for ever: not a gift given once in a lifetime (welcome, first order, a
  tier reached), not under a lifetime cap, not the one a cooldown still counts from.

Every decision after a fold is at or after the newest folded order (see
``reciprocity._history``), so a grant past its margin is in a period that is over.

A fold looks only at the grants older than the newest folded order, past the leading ones
it found kept for ever before (``Hot.kept_head``), and updates the occurrences and indexes
for the grants that go, not for all (:func:`fold_grants`; ``Hot.fold`` is its plain form).

Imports: the core (``_engine``, ``limits``), the gift declarations and ``hot``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from .._engine import Member
from ..limits import Period
from .gift import _Rule
from .hot import Grant, Hot
from .order_rules import FirstOrderGift, NthOrderGift, OrderOverGift
from .scheme import TierGift, WelcomeGift

__all__ = ["FOLD_MARGIN", "fold_grants", "holds", "margin"]

FOLD_MARGIN = timedelta(days=366)
"""How much older than the newest folded order a grant of a rule whose occurrence may come
up again must be to fold (a year: the longest period a cap, a thank-you or a calendar gift
counts in)."""

_PERIOD = {Period.DAY: timedelta(days=2), Period.WEEK: timedelta(days=8),
           Period.MONTH: timedelta(days=32), Period.QUARTER: timedelta(days=94),
           Period.YEAR: FOLD_MARGIN}
"""How far back a cap's period can reach from a later time: its longest length and a day
for the zone."""


def margin(rule: _Rule) -> timedelta:
    """How much older than the newest folded order a grant of ``rule`` must be to fold."""
    own = (timedelta(0) if isinstance(rule, NthOrderGift | OrderOverGift) else FOLD_MARGIN)
    if rule.cap is not None and rule.cap.per is not Period.LIFETIME:
        own = max(own, _PERIOD[rule.cap.per])
    return own


def holds(rule: _Rule | None, margin: timedelta) -> timedelta | None:
    """How long after it a grant of ``rule`` is read at least (its margin, or its cooldown
    and a day); ``None`` for always (a gift once in a lifetime, a lifetime cap, an unknown
    rule)."""
    if rule is None or isinstance(rule, WelcomeGift | TierGift | FirstOrderGift):
        return None
    if rule.cap is not None and rule.cap.per is Period.LIFETIME:
        return None
    if rule.cooldown_days is not None:
        return max(margin, timedelta(days=rule.cooldown_days + 1))
    return margin


def fold_grants(held: dict[str, timedelta | None], shortest: timedelta | None,
                m: Member) -> None:
    """Fold the member's grants that no later decision reads (see the module); ``held``
    is :func:`holds` per rule id, ``shortest`` the shortest of them (``None``: every grant
    is kept).

    Looks at the grants older than the newest folded order less ``shortest``, oldest first,
    as :meth:`Hot.fold` does, but skips the leading ones that are kept for ever and were
    looked at before (``Hot.kept_head``: the time they are compared with only grows), and
    decides each in a few comparisons, the rule's limit worked out once per fold."""
    h: Hot | None = m.gifts
    if h is None or not h.grants or m.folded is None or shortest is None:
        return
    through: datetime = m.folded[3]
    before = through - shortest
    grants = h.grants
    purchases = m.purchases
    limits: dict[str, datetime | None] = {}
    start = seen = h.kept_head
    gone: list[Grant] = []
    for g in grants[start:] if start else grants:
        at = g.at
        if at >= before:
            break
        seen += 1
        rule_id = g.rule_id
        if rule_id in limits:
            limit = limits[rule_id]
        else:
            span = held.get(rule_id)
            limit = limits[rule_id] = None if span is None else through - span
        if limit is None or at >= limit or (g.source is not None and g.source in purchases):
            continue  # kept (see :func:`holds`)
        gone.append(g)
    if gone:
        h.drop(gone, seen, start)
    # The leading grants kept for ever, all older than ``before``, need no second look.
    head = h.kept_head
    count = len(grants)
    while (head < count and grants[head].at < before
           and held.get(grants[head].rule_id) is None):
        head += 1
    h.kept_head = head
