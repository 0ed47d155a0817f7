"""More than one balance: ``Program.balances``, each a point scheme of its own, compiled.

An airline earns award miles (redeemable) and status miles (they only count towards tiers)
on the same flight; each balance has its own earning rules, pending days, expiry, clawback
and catalogue. :class:`CompiledBalances` is one stage, right after the program's own points:
for each named balance it runs that balance's :class:`~reciprocity.points.stage.CompiledPoints`
on the member with the point slots of the member swapped for the balance's (lots, due times,
totals, debt, caps, last activity), and swaps them back afterwards, also when a check
refuses. So every point feature works per balance with the same code, and the program's own
points never see another balance's.

An order remembers what each balance earned beside the program's own points, under
``<balance>/<rule id>`` (rule ids have no ``/``): a return takes back each balance's points
by its own rules, and a tier requirement ``MinPoints(balance=...)`` counts them. Effects of a
balance carry its name in ``balance``, and trace lines name ``<balance>/<rule id>``.

Imports: the core, the points declarations and compiled stage; never another family.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from .._engine import (
    L_AT,
    L_AVAILABLE_AT,
    L_EXPIRES,
    L_ID,
    L_PENDING,
    L_POINTS,
    L_REMAINING,
    L_RULE,
    L_SOURCE,
    P_EARNED,
    P_REVOKED,
    Log,
    Member,
    Row,
    Trace,
)
from .._model import Frozen
from .._stage import Check, Handler, Stage
from .._trusted import built
from ..conditions import CompileContext
from ..effects import Effect
from ..errors import InvalidProgram, ReciprocityError
from ..events import CUSTOM, PROFILE, PURCHASE, REDEMPTION, RETURN, SIGNUP
from ..money import Money
from ..state import MemberState, PointBalance, PointLot
from .scheme import PointsAsCurrency, PointScheme
from .stage import CompiledPoints

__all__ = ["BalanceTotals", "CompiledBalances", "balance_totals", "check_balances"]

_SLOTS = ("lots", "empty_lots", "lot_due", "available", "pooled", "pending", "debt", "earned",
          "redeemed", "expired", "revoked", "earn_counters", "last_activity")
"""The member's point slots: what a balance has of its own."""
_LOTS, _POOLED, _DEBT, _EARNED, _REDEEMED, _EXPIRED, _REVOKED, _COUNTERS, _ACTIVITY = (
    0, 4, 6, 7, 8, 9, 10, 11, 12)


def _fresh() -> list[Any]:
    """The point slots of a balance with nothing in it, in ``_SLOTS`` order."""
    return [[], 0, [], 0, 0, 0, 0, 0, 0, 0, 0, {}, None]


def _swap(m: Member, values: list[Any]) -> None:
    """Exchange ``m``'s point slots with ``values`` in place (twice restores both)."""
    for index, name in enumerate(_SLOTS):
        kept = getattr(m, name)
        setattr(m, name, values[index])
        values[index] = kept


def _tagged(name: str, entry: tuple[Any, ...]) -> Effect:
    """Build a balance's logged effect with the balance's name on it."""
    effect: Effect = entry[0](*entry[1:])
    if "balance" in type(effect).model_fields:
        effect = effect.model_copy(update={"balance": name})
    return effect


def _known(balances: Mapping[str, PointScheme]) -> str:
    return ", ".join(repr(name) for name in balances) or "none"


def check_balances(points: PointScheme, balances: Mapping[str, PointScheme],
                   tier_leaves: list[Any]) -> None:
    """Refuse balances a program cannot run: a bad name, a reward id two balances share, a
    tier metric naming a balance (or a balance's rule) that is not declared."""
    owners: dict[str, str] = {reward.id: "points" for reward in points.rewards}
    for name, scheme in balances.items():
        if not name or "/" in name or any(ch.isspace() for ch in name):
            raise InvalidProgram(f"balances has the name {name!r}",
                                 hint="name a balance with letters, digits, '-' or '_'")
        for reward in scheme.rewards:
            if reward.id in owners:
                raise InvalidProgram(
                    f"balances[{name!r}].rewards has the id {reward.id!r}, which "
                    f"{owners[reward.id]} has too",
                    hint="give every reward of every balance its own id: a redemption "
                    "names the reward, and the reward its balance")
            owners[reward.id] = f"balances[{name!r}]"
    for leaf in tier_leaves:
        balance = getattr(leaf, "balance", None)
        if balance is None:
            continue
        if balance not in balances:
            raise InvalidProgram(
                f"a tier requires MinPoints(balance={balance!r}), which is not one of "
                f"Program.balances ({_known(balances)})",
                hint="name a declared balance, or declare it in Program.balances")
        ids = {rule.id for rule in (*balances[balance].earn, *balances[balance].events)}
        missing = [rule for rule in leaf.rules or () if rule not in ids]
        if missing:
            raise InvalidProgram(
                f"a tier requires MinPoints(balance={balance!r}, rules={missing}), but "
                f"balances[{balance!r}] has no earning rule with those ids",
                hint=f"use rule ids of that balance: {', '.join(sorted(ids)) or 'none'}")


class CompiledBalances(Stage):
    """Every named balance of a program, as one stage after the program's own points."""

    name = "balances"

    def __init__(self, balances: Mapping[str, PointScheme], ctx: CompileContext,
                 points: CompiledPoints) -> None:
        self.schemes = {name: CompiledPoints(scheme, ctx) for name, scheme in balances.items()}
        self.owner = {reward.id: name for name, compiled in self.schemes.items()
                      for reward in compiled.scheme.rewards}
        """Reward id -> the balance whose catalogue has it."""
        self.not_redeemable = tuple(name for name, scheme in balances.items()
                                    if not scheme.redeemable)
        self.others: dict[int, list[tuple[str, Handler]]] = {
            kind: [(name, handler) for name, compiled in self.schemes.items()
                   if (handler := compiled.handlers().get(kind)) is not None]
            for kind in (SIGNUP, PROFILE, CUSTOM)}
        """Each balance's handlers of sign-up, profile and custom events, by event kind."""
        points.balance_rules = {None: frozenset(rule.id for rule in points.scheme.earn), **{
            name: frozenset(f"{name}/{rule.id}" for rule in compiled.scheme.earn)
            for name, compiled in self.schemes.items()}}
        """What the tier ladder counts as a balance's points in an order's earned points
        (``None``: the program's own), read by ``tiers.periods``."""
        points.balance_units = {name: compiled.unit for name, compiled in self.schemes.items()}
        points.foreign_rewards = frozenset(self.owner)
        points.reward_balance = self.owner  # Redemption.balance is checked against it
        for name, compiled in self.schemes.items():
            compiled.foreign_rewards = frozenset(
                reward for reward, owner in self.owner.items() if owner != name
            ) | frozenset(reward.id for reward in points.scheme.rewards)

    # -- running a balance's code on its own slots ---------------------------------------
    def _values(self, m: Member, name: str) -> list[Any]:
        balances = m.balances
        if balances is None:
            balances = m.balances = {}
        values = balances.get(name)
        if values is None:
            values = balances[name] = _fresh()
        return values  # type: ignore[no-any-return]

    def _run(self, m: Member, name: str, log: Log, trace: Trace, call: Any,
             *args: Any) -> None:
        """``call(*args)`` with ``m``'s point slots swapped for balance ``name``'s; its
        effects tagged with the balance, its trace lines named ``<balance>/<rule>``."""
        values = self._values(m, name)
        logged = len(log)
        traced = 0 if trace is None else len(trace)
        _swap(m, values)
        try:
            call(*args)
        except ReciprocityError as exc:
            exc.amend(before=f"balance {name!r}: ")
            raise
        finally:
            _swap(m, values)
        for index in range(logged, len(log)):
            log[index] = (_tagged, name, log[index])
        if trace is not None:
            for index in range(traced, len(trace)):
                rule, outcome, detail = trace[index]
                trace[index] = (f"{name}/{rule}", outcome, detail)

    # -- the Stage protocol ----------------------------------------------------------------
    def checks(self) -> dict[int, Check]:
        checks: dict[int, Check] = {}
        if self.owner:
            checks[REDEMPTION] = self._check_redemption
        if any(compiled.named_rules for compiled in self.schemes.values()):
            checks[CUSTOM] = self._check_custom
        return checks

    def _check_redemption(self, m: Member, row: Row) -> None:
        name = self.owner.get(row[5].reward_id)
        if name is not None:
            compiled = self.schemes[name]
            self._run(m, name, [], None, compiled.check_redemption, m, row[5])

    def _check_custom(self, m: Member, row: Row) -> None:
        for name, compiled in self.schemes.items():
            if compiled.named_rules:
                self._run(m, name, [], None, compiled._check_named_points, m, row)

    def handlers(self) -> dict[int, Handler]:
        handlers: dict[int, Handler] = {PURCHASE: self._on_purchase, RETURN: self._on_return}
        if self.owner:
            handlers[REDEMPTION] = self._on_redemption
        for kind in (SIGNUP, PROFILE, CUSTOM):
            if self.others[kind]:
                handlers[kind] = self._on_other
        return handlers

    def _on_purchase(self, m: Member, row: Row, log: Log, trace: Trace) -> None:
        record = m.purchases[row[1]]
        for name, compiled in self.schemes.items():
            own = record[P_EARNED]
            record[P_EARNED] = None
            try:
                self._run(m, name, log, trace, compiled.on_purchase, m, row, log, trace)
            finally:
                earned, record[P_EARNED] = record[P_EARNED], own
            if earned:
                merged = dict(own) if own else {}
                for rule_id, points in earned.items():
                    merged[f"{name}/{rule_id}"] = points
                record[P_EARNED] = merged

    def _on_return(self, m: Member, row: Row, log: Log, trace: Trace) -> None:
        event = row[5]
        record = m.purchases[event.purchase_id]
        for name, compiled in self.schemes.items():
            earned_all, revoked_all = record[P_EARNED], record[P_REVOKED]
            prefix = name + "/"
            cut = len(prefix)
            earned = {key[cut:]: points for key, points in (earned_all or {}).items()
                      if key.startswith(prefix)}
            if not earned:
                continue
            revoked = {key[cut:]: points for key, points in (revoked_all or {}).items()
                       if key.startswith(prefix)}
            record[P_EARNED], record[P_REVOKED] = earned, revoked
            try:
                self._run(m, name, log, trace, compiled.on_return, m, event, log, trace,
                          False)
            finally:
                now = record[P_REVOKED] or {}
                record[P_EARNED] = earned_all
                merged = dict(revoked_all) if revoked_all else {}
                for rule_id, points in now.items():
                    merged[prefix + rule_id] = points
                record[P_REVOKED] = merged or None

    def _on_redemption(self, m: Member, row: Row, log: Log, trace: Trace) -> None:
        name = self.owner.get(row[5].reward_id)
        if name is not None:
            self._run(m, name, log, trace, self.schemes[name].redeem, m, row[5], log, trace)

    def _on_other(self, m: Member, row: Row, log: Log, trace: Trace) -> None:
        for name, handler in self.others[row[0]]:
            self._run(m, name, log, trace, handler, m, row, log, trace)

    # -- time ------------------------------------------------------------------------------
    def next_due(self, m: Member) -> datetime | None:
        if not m.balances:
            return None
        earliest: datetime | None = None
        for name, compiled in self.schemes.items():
            values = m.balances.get(name)
            if values is None:
                continue
            _swap(m, values)
            try:
                due = compiled.next_due(m)
            finally:
                _swap(m, values)
            if due is not None and (earliest is None or due < earliest):
                earliest = due
        return earliest

    def housekeeping(self, m: Member, until: datetime, log: Log, trace: Trace) -> None:
        if not m.balances:
            return
        for name, compiled in self.schemes.items():
            if name in m.balances:
                self._run(m, name, log, trace, compiled.housekeeping, m, until, log, trace)

    # -- thaw and freeze -------------------------------------------------------------------
    def thaw(self, state: MemberState, m: Member) -> None:
        if not state.balances:
            return
        m.balances = {}
        for name, saved in state.balances.items():
            if name not in self.schemes:
                m.balances[name] = saved  # a balance the program no longer has: kept as is
                continue
            values = m.balances[name] = _fresh()
            _swap(m, values)
            try:
                for lot in saved.lots:
                    m.add_lot([  # a lot, in L_* order
                        lot.id, lot.rule_id, lot.source_event_id, lot.earned_at, lot.points,
                        lot.remaining, lot.status == "pending", lot.available_at,
                        lot.expires_at])
                m.pooled = saved.pooled_points
                m.available += saved.pooled_points
            finally:
                _swap(m, values)
            values[_DEBT] = saved.debt
            values[_EARNED] = saved.points_earned
            values[_REDEEMED] = saved.points_redeemed
            values[_EXPIRED] = saved.points_expired
            values[_REVOKED] = saved.points_revoked
            values[_COUNTERS] = dict(saved.earn_counters)
            values[_ACTIVITY] = saved.last_activity_at

    def freeze(self, m: Member) -> dict[str, Any]:
        if m.balances is None:
            return {}
        frozen: dict[str, PointBalance] = {}
        for name in sorted(m.balances):
            values = m.balances[name]
            if isinstance(values, PointBalance):
                frozen[name] = values
                continue
            frozen[name] = built(PointBalance, {
                "lots": tuple(built(PointLot, {
                    "id": lot[L_ID], "rule_id": lot[L_RULE], "source_event_id": lot[L_SOURCE],
                    "earned_at": lot[L_AT], "points": lot[L_POINTS],
                    "remaining": lot[L_REMAINING],
                    "status": "pending" if lot[L_PENDING] else "available",
                    "available_at": lot[L_AVAILABLE_AT], "expires_at": lot[L_EXPIRES],
                }) for lot in values[_LOTS]),
                "pooled_points": values[_POOLED], "debt": values[_DEBT],
                "earn_counters": dict(sorted(values[_COUNTERS].items())),
                "last_activity_at": values[_ACTIVITY],
                "points_earned": values[_EARNED], "points_redeemed": values[_REDEEMED],
                "points_expired": values[_EXPIRED], "points_revoked": values[_REVOKED],
            })
        return {"balances": frozen}


class BalanceTotals(Frozen):
    """Totals of one of ``Program.balances`` over the members of a replay
    (``ReplaySummary.balances``); never counted in the summary's ``points_*``."""

    redeemable: bool
    points_earned: int
    points_redeemed: int
    points_expired: int
    points_revoked: int
    points_available: int
    points_pending: int
    points_debt: int
    liability: Money | None
    """Outstanding points (available + pending - debt) at the balance's best reward rate;
    ``None`` for points that buy nothing (status miles are no liability)."""


def point_value(scheme: PointScheme, currency: str) -> Money:
    """What one point of ``scheme`` is worth at its catalogue's best rate."""
    best = Decimal(0)
    for reward in scheme.rewards:
        if isinstance(reward, PointsAsCurrency):
            best = max(best, reward.point_value.amount)
        elif reward.value is not None:
            best = max(best, reward.value.amount / reward.points)
    return Money(best, currency)


def balance_totals(balances: Mapping[str, PointScheme], currency: str,
                   members: Any) -> dict[str, BalanceTotals]:
    """Each balance's totals over hot ``members`` (their ``Member.balances`` slots)."""
    sums = {name: [0] * 7 for name in balances}
    for m in members:
        for name, values in (m.balances or {}).items():
            total = sums.get(name)
            if total is None or isinstance(values, PointBalance):
                continue
            for index, slot in enumerate((_EARNED, _REDEEMED, _EXPIRED, _REVOKED, 3, 5,
                                          _DEBT)):
                total[index] += values[slot]
    out = {}
    for name, scheme in balances.items():
        earned, redeemed, expired, revoked, available, pending, debt = sums[name]
        out[name] = BalanceTotals(
            redeemable=scheme.redeemable, points_earned=earned, points_redeemed=redeemed,
            points_expired=expired, points_revoked=revoked, points_available=available,
            points_pending=pending, points_debt=debt,
            liability=(point_value(scheme, currency) * (available + pending - debt)).quantize()
            if scheme.redeemable else None)
    return out
