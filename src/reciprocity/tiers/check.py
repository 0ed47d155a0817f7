"""Pre-launch checks of a tier ladder, a typical member's activity, and member progress.

>>> from reciprocity import Money, TierLadder, Tier, MinSpend
>>> eur = lambda amount: Money(amount, "EUR")
>>> ladder = TierLadder(tiers=(
...     Tier(id="bronze", name="Bronze", requires=MinSpend(amount=eur("100"))),
...     Tier(id="silver", name="Silver", requires=MinSpend(amount=eur("80"))),
... ))
>>> findings = check_ladder(ladder, typical=TypicalActivity(spend=eur("200")))
>>> [(finding.severity, finding.code, finding.tier_id) for finding in findings]
[('warning', 'first-tier-too-high', 'bronze'), ('warning', 'thresholds-not-increasing', 'silver')]
>>> print(findings[0].message)
Bronze needs spend 100.00 EUR: 50% of a typical member's activity in a calendar year ...

Imports: the core, the tiers declarations, ``report`` and ``stage`` (it reads the compiled
ladder); ``program`` only for typing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator

from .._bounds import MAX_POINTS
from .._model import Frozen, require_aware
from ..errors import InvalidEvent, InvalidProgram
from ..money import Money, check_amount
from ..shared import Shared
from ..state import MemberState
from .ladder import Lifetime, RollingMonths, TierLadder, TierProgress
from .report import progress
from .requirements import MinOrders, MinPoints, MinSpend, RequireAll, RequireAny, _RequirementBase
from .stage import CompiledTiers

if TYPE_CHECKING:
    from ..points.scheme import PointScheme
    from ..program import Program

__all__ = ["Finding", "TypicalActivity", "check_ladder", "tier_progress"]

_Key = tuple[Any, ...]
"""("spend",), ("orders",) or ("points", frozenset of rule ids or None)."""


class Finding(Frozen):
    """One result of a pre-launch check: how serious, a stable code, and plain words.

    ``severity`` is ``"error"`` (the program cannot work as meant), ``"warning"`` (it works
    but probably not as meant) or ``"info"`` (something the check could not verify).

    >>> print(Finding(severity="warning", code="first-tier-too-high", tier_id="bronze",
    ...               message="Bronze needs too much"))
    warning [first-tier-too-high] bronze: Bronze needs too much
    """

    severity: Literal["error", "warning", "info"]
    code: str
    message: str
    tier_id: str | None = None
    rule_id: str | None = None
    """The rule (an earning rule, a reward, a gift or goodwill rule) the finding is about."""

    def __str__(self) -> str:
        named = self.tier_id if self.tier_id is not None else self.rule_id
        where = f" {named}" if named is not None else ""
        return f"{self.severity} [{self.code}]{where}: {self.message}"


class TypicalActivity(Frozen):
    """A typical member's activity in one year, for the first-threshold check.

    Give what you know (spend, orders, points earned on orders); a missing figure is not
    checked. :meth:`from_states` measures the median active member from replayed states.

    >>> TypicalActivity(spend=Money("240", "EUR"), orders=4).describe()
    '240.00 EUR, 4 orders'
    """

    spend: Money | None = None
    orders: int | None = Field(default=None, ge=0, le=MAX_POINTS)
    points: int | None = Field(default=None, ge=0, le=MAX_POINTS)

    @field_validator("spend")
    @classmethod
    def _bounded(cls, value: Money | None) -> Money | None:
        return None if value is None else check_amount(value, "spend",
                                                         negative=False)

    def describe(self) -> str:
        """The figures in words."""
        parts = []
        if self.spend is not None:
            parts.append(f"{self.spend:,}")
        if self.orders is not None:
            parts.append(f"{self.orders} order" + ("" if self.orders == 1 else "s"))
        if self.points is not None:
            parts.append(f"{self.points} point" + ("" if self.points == 1 else "s"))
        return ", ".join(parts) or "nothing"

    @classmethod
    def from_states(cls, states: Mapping[str, MemberState] | Iterable[MemberState], *,
                    currency: str | None = None, until: datetime | None = None,
                    ) -> TypicalActivity:
        """The median member's net spend, orders and order points over the year to ``until``.

        Only members with at least one order in that year count (a typical *active*
        member). ``until`` defaults to the latest order in the states; the year is the 365
        days before it.

        >>> TypicalActivity.from_states([], currency="EUR")
        TypicalActivity(spend=Money('0', 'EUR'), orders=0, points=0)
        """
        from datetime import timedelta

        members = list(states.values()) if isinstance(states, Mapping) else list(states)
        if currency is None:
            if not members:
                raise InvalidEvent("TypicalActivity.from_states got no states and no currency",
                                   hint="pass currency=... or at least one state")
            currency = members[0].currency
        if until is None:
            times = [p.at for state in members for p in state.purchases]
            if not times:
                return cls(spend=Money(0, currency), orders=0, points=0)
            until = max(times)
        require_aware(until)
        start = until - timedelta(days=365)
        spends: list[Decimal] = []
        orders: list[int] = []
        points: list[int] = []
        for state in members:
            bought = [p for p in state.purchases if start < p.at <= until]
            if not bought:
                continue
            spends.append(sum((p.amount - p.returned for p in bought), Decimal(0)))
            orders.append(sum(1 for p in bought if not p.fully_returned))
            revoked = [dict(p.revoked) for p in bought]
            points.append(sum(points - gone.get(rule, 0)
                              for p, gone in zip(bought, revoked, strict=True)
                              for rule, points in p.earned))
        if not spends:
            return cls(spend=Money(0, currency), orders=0, points=0)
        return cls(spend=Money(_median(spends), currency), orders=int(_median(orders)),
                   points=int(_median(points)))


def _median(values: Sequence[Decimal] | Sequence[int]) -> Decimal:
    ordered = sorted(Decimal(v) for v in values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


# ---------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------


def _dnf(requirement: _RequirementBase) -> list[dict[_Key, Any]]:
    if isinstance(requirement, MinSpend):
        return [{("spend",): requirement.amount.amount}]
    if isinstance(requirement, MinOrders):
        return [{("orders",): requirement.count}]
    if isinstance(requirement, MinPoints):
        rules = None if requirement.rules is None else frozenset(requirement.rules)
        if requirement.balance is not None:  # another balance's points: checked when built
            return [{("balance", rules, requirement.balance): requirement.points}]
        return [{("points", rules): requirement.points}]
    if isinstance(requirement, RequireAny):
        return [alt for part in requirement.requirements for alt in _dnf(part)]
    assert isinstance(requirement, RequireAll)
    out: list[dict[_Key, Any]] = [{}]
    for part in requirement.requirements:
        out = [{**left, **{key: max(need, left.get(key, need)) for key, need in right.items()}}
               for left in out for right in _dnf(part)]
    return out


def _covers(high: _Key, low: _Key) -> bool:
    """Whether meeting a threshold on ``high`` counts towards the same one on ``low``."""
    if high[0] != low[0]:
        return False
    if high[0] not in ("points", "balance"):
        return True
    if high[2:] != low[2:]:  # points of two balances (see MinPoints.balance)
        return False
    return low[1] is None or (high[1] is not None and high[1] <= low[1])


def _implies(high: list[dict[_Key, Any]], low: list[dict[_Key, Any]]) -> bool:
    """Whether every member meeting ``high`` also meets ``low``."""
    def alt_implies(h: dict[_Key, Any], lo: dict[_Key, Any]) -> bool:
        spends = h.get(("spend",), 0) > 0  # a positive spend takes at least one order
        return all(need <= 0 or (key == ("orders",) and need == 1 and spends)
                   or any(_covers(key_h, key) and need_h >= need for key_h, need_h in h.items())
                   for key, need in lo.items())
    return all(any(alt_implies(h, lo) for lo in low) for h in high)


def _share(alternatives: list[dict[_Key, Any]], typical: TypicalActivity,
           scale: Decimal) -> tuple[Decimal, str] | None:
    """The smallest share of typical activity an alternative needs, with words for it."""
    spend = typical.spend
    bases: dict[str, tuple[Decimal, str] | None] = {
        "spend": None if spend is None else (
            spend.amount * scale, str(Money(spend.amount * scale, spend.currency).quantize())),
        "orders": None if typical.orders is None else (
            typical.orders * scale, f"{_num(typical.orders * scale)} orders"),
        "points": None if typical.points is None else (
            typical.points * scale, f"{_num(typical.points * scale)} points"),
        "balance": None,  # a typical member's points of another balance are not known
    }
    orders = typical.orders
    per_order: dict[str, Decimal | None] = {
        "spend": None if spend is None or not orders else spend.amount / orders,
        "orders": Decimal(1),
        "points": None if typical.points is None or not orders else Decimal(typical.points)
        / orders,
        "balance": None,
    }
    best: tuple[Decimal, str] | None = None
    for alternative in alternatives:
        if all(per_order[key[0]] is not None and need <= per_order[key[0]]
               for key, need in alternative.items()):
            return (Decimal(0), "a typical first order reaches it")
        share = Decimal(0)
        words: list[str] = []
        for key, need in alternative.items():
            base = bases[key[0]]
            if base is None:
                break
            words.append(base[1])
            if need > 0:
                share = max(share, Decimal("Infinity") if base[0] <= 0
                            else Decimal(need) / base[0])
        else:
            if best is None or share < best[0]:
                best = (share, ", ".join(words))
    return best


def _num(value: Decimal) -> str:
    return format(value.normalize(), "f")


def check_ladder(
    ladder: TierLadder, points: PointScheme | None = None, *,
    currency: str | None = None, typical: TypicalActivity | None = None,
    max_first_share: Decimal | str = Decimal("0.25"),
) -> list[Finding]:
    """Check a ladder before launch; returns findings, most serious first.

    Args:
        ladder: the tier ladder.
        points: the program's point scheme, to check points requirements against its
            earning rules (skipped when ``None``).
        currency: the program's currency, to check spend thresholds against it.
        typical: a typical member's activity in one year. The first tier must be reached
            by a typical member's first order (an average order: spend and points divided
            by orders), or need at most ``max_first_share`` of their activity in the
            qualification window (1/12 of the year per month of a rolling window, one year
            for calendar, membership and lifetime ladders).
        max_first_share: the largest share of a typical member's activity the first tier
            may need (default 25%, about one order of a member who orders four times a year).

    The checks: the first threshold is low enough (``first-tier-too-high``), every tier
    can be reached (``tier-unreachable``, ``requirement-unreachable``,
    ``unknown-earn-rule``), thresholds increase (``thresholds-not-increasing``), benefits
    increase (``benefits-not-increasing``), and tier multipliers are read by some earning
    rule (``multiplier-unused``).

    >>> from reciprocity import MinOrders, Tier, TierLadder
    >>> ladder = TierLadder(tiers=(Tier(id="a", requires=MinOrders(count=1)),
    ...                            Tier(id="b", requires=MinOrders(count=1))))
    >>> [f.code for f in check_ladder(ladder, typical=TypicalActivity(orders=4))]
    ['thresholds-not-increasing']
    """
    try:
        share_limit = Decimal(max_first_share)
    except (InvalidOperation, TypeError):
        share_limit = Decimal(-1)
    if not share_limit.is_finite() or not 0 <= share_limit <= 1:
        raise InvalidProgram(f"max_first_share={max_first_share!r} is not a share",
                             hint='give a number between 0 and 1, e.g. "0.25" for 25%')
    findings: list[Finding] = []
    tiers = ladder.tiers
    dnfs = [_dnf(tier.requires) for tier in tiers]

    known = None if points is None else {rule.id for rule in points.earn}
    for tier, alternatives in zip(tiers, dnfs, strict=True):
        name = tier.display_name
        for leaf in tier.requires.leaves():
            if isinstance(leaf, MinSpend) and currency is not None \
                    and leaf.amount.currency != currency:
                findings.append(Finding(
                    severity="error", code="currency-mismatch", tier_id=tier.id,
                    message=f"{name} needs {leaf.describe()} but the program uses {currency}"))
            if (isinstance(leaf, MinPoints) and known is not None and leaf.rules is not None
                    and leaf.balance is None):
                unknown = [rule for rule in leaf.rules if rule not in known]
                if unknown and len(unknown) < len(leaf.rules):
                    findings.append(Finding(
                        severity="warning", code="unknown-earn-rule", tier_id=tier.id,
                        message=f"{name} counts points of {', '.join(unknown)}, which the "
                        "point scheme has no earning rule for; check the ids"))
        if known is None:
            continue
        dead = [alt for alt in alternatives if any(
            key[0] == "points" and need > 0 and not (known if key[1] is None
                                                     else key[1] & known)
            for key, need in alt.items())]
        if dead and len(dead) == len(alternatives):
            findings.append(Finding(
                severity="error", code="tier-unreachable", tier_id=tier.id,
                message=f"{name} can never be reached: it needs points that no earning rule "
                f"of the point scheme gives ({tier.requires.describe()}); points from "
                "goodwill, gifts and event rules do not qualify"))
        elif dead:
            findings.append(Finding(
                severity="warning", code="requirement-unreachable", tier_id=tier.id,
                message=f"part of {name}'s requirement can never be met: no earning rule "
                "gives the points it counts"))

    first = tiers[0]
    if typical is None:
        findings.append(Finding(
            severity="info", code="first-tier-not-checked", tier_id=first.id,
            message="give a typical member's activity (TypicalActivity) to check that the "
            "first tier is reached almost at once"))
    else:
        period = ladder.period
        scale = (Decimal(period.months) / 12 if isinstance(period, RollingMonths)
                 else Decimal(1))
        where = ("the rolling window" if isinstance(period, RollingMonths) else
                 "the first year" if isinstance(period, Lifetime) else
                 f"a {period.describe()}")
        share = _share(dnfs[0], typical, scale)
        if share is not None and share[0] > share_limit:
            amount = "more than all" if share[0] > 1 else f"{_percent(share[0])}"
            findings.append(Finding(
                severity="warning", code="first-tier-too-high", tier_id=first.id,
                message=f"{first.display_name} needs {first.requires.describe()}: {amount} of "
                f"a typical member's activity in {where} ({share[1]}); keep the first tier "
                f"within {_percent(share_limit)} so it is reached almost at once"))

    for lower, higher, low_dnf, high_dnf in zip(tiers, tiers[1:], dnfs, dnfs[1:], strict=False):
        low_name, high_name = lower.display_name, higher.display_name
        if not _implies(high_dnf, low_dnf):
            findings.append(Finding(
                severity="warning", code="thresholds-not-increasing", tier_id=higher.id,
                message=f"{high_name} can be reached without reaching {low_name} "
                f"({high_name}: {higher.requires.describe()}; {low_name}: "
                f"{lower.requires.describe()}); raise {high_name}'s thresholds"))
        elif _implies(low_dnf, high_dnf):
            findings.append(Finding(
                severity="warning", code="thresholds-not-increasing", tier_id=higher.id,
                message=f"{high_name} needs no more than {low_name} "
                f"({higher.requires.describe()}); make it harder or merge the two"))
        shortfalls = higher.benefits.shortfalls(lower.benefits)
        if shortfalls:
            findings.append(Finding(
                severity="warning", code="benefits-not-increasing", tier_id=higher.id,
                message=f"{high_name} brings less than {low_name}: " + "; ".join(shortfalls)))

    if points is not None and any(tier.benefits.points_multiplier != 1 for tier in tiers):
        reads = any(getattr(multiplier, "type", None) == "tier"
                    for rule in points.earn for multiplier in getattr(rule, "multipliers", ()))
        if not reads:
            findings.append(Finding(
                severity="warning", code="multiplier-unused",
                message="tiers declare a points multiplier but no earning rule applies it; "
                "add multipliers=(TierMultiplier(),) to the earning rules that should"))

    rank = {"error": 0, "warning": 1, "info": 2}
    findings.sort(key=lambda finding: rank[finding.severity])
    return findings


def _percent(share: Decimal) -> str:
    return f"{_num((share * 100).quantize(Decimal(1)))}%"


def check_program(program: Program, *, typical: TypicalActivity | None = None,
                  max_first_share: Decimal | str = Decimal("0.25")) -> list[Finding]:
    """Every pre-launch check of ``program``'s families (today: its tier ladder)."""
    if program.tiers is None:
        return []
    return check_ladder(program.tiers, program.points, currency=program.currency,
                        typical=typical, max_first_share=max_first_share)


# ---------------------------------------------------------------------------------------
# Progress
# ---------------------------------------------------------------------------------------


def tier_progress(program: Program, state: MemberState, at: datetime | None = None
                  ) -> TierProgress:
    """Where a member stands at ``at``: next tier, what is missing per metric and by when.

    Reviews due up to ``at`` are taken into account (as :meth:`Program.advance` would), but
    nothing is changed: the state passed in stays as it is.

    Args:
        program: a program with a tier ladder.
        state: the member's state.
        at: the time to report for; defaults to the state's time (``as_of``).

    Missing money is rounded up to the currency's minor unit, so spending it is enough.

    >>> from datetime import datetime, timezone
    >>> from reciprocity import MinSpend, Money, Program, Purchase, Tier, TierLadder
    >>> program = Program(name="p", tiers=TierLadder(tiers=(
    ...     Tier(id="silver", name="Silver", requires=MinSpend(amount=Money("350", "EUR"))),)))
    >>> at = datetime(2026, 5, 1, tzinfo=timezone.utc)
    >>> state = program.apply(None, Purchase(id="A", member_id="m", at=at,
    ...                                      amount=Money("337.60", "EUR"))).state
    >>> tier_progress(program, state).message
    '12.40 EUR to Silver by 31 Dec 2026'
    """
    pipeline = program._pipeline
    stage = next((s for s in pipeline.stages if isinstance(s, CompiledTiers)), None)
    if stage is None:
        raise InvalidProgram(f"program {program.name!r} has no tier ladder",
                             hint="add tiers=TierLadder(...) to the program")
    if not isinstance(state, MemberState):
        raise InvalidEvent(f"state has type {type(state).__name__}", hint="pass a MemberState")
    if at is None:
        at = state.as_of
        if at is None:
            raise InvalidEvent("tier_progress needs a time: the state has seen no event",
                               hint="pass at=datetime(..., tzinfo=...)")
    require_aware(at)
    m = pipeline.thaw(state)
    if pipeline.uses_shared:
        m.shared = Shared(program.currency)
    if state.as_of is None or at > state.as_of:
        pipeline.due(m, at, [], None)
    return progress(stage, m, at)

