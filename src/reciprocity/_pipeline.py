"""A program's stages composed into one step function per event kind, built once per program.

Imports: the core and each family's compiled stage: it is the one place that wires declarations
to their stages, one layer above the families; ``program`` only for typing.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ._engine import (
    P_AMOUNT,
    P_CLOSED,
    P_RETURNED,
    Log,
    Member,
    Row,
    Trace,
)
from ._express import Express
from ._frozen import (
    HotForm,
    freeze_fields,
    hot_form,
    keep_hot,
    own_record,
    thaw,
    thaw_applied_times,
    warm_front,
)
from ._history import bounded, settle, windows
from ._stage import NEVER, Check, Handler, Kept, Stage, run_due, utc_keys
from ._trusted import built
from .conditions import CompileContext
from .credit.stage import CompiledCredit
from .errors import InvalidProgram, NotAwaitingApproval
from .events import (
    APPROVAL,
    BUILTIN_CATEGORIES,
    KINDS,
    PROFILE,
    PURCHASE,
    RETURN,
    SIGNUP,
    ProfileUpdate,
    SignUp,
)
from .gifts.stage import CompiledGifts
from .goodwill.stage import CompiledGoodwill
from .points.balances import CompiledBalances, check_balances
from .points.returns import line_record
from .points.stage import CompiledPoints
from .state import MemberState
from .tiers.stage import CompiledTiers

if TYPE_CHECKING:
    from .program import Program

__all__ = ["Pipeline"]

_ZERO = Decimal(0)
_STATE_NAMES = set(MemberState.model_fields)
"""Every field of a state: the fields set of each state a freeze builds."""


def _purchase_facts(m: Member, row: Row) -> None:
    event = row[5]
    lines = None if event is None or not event.lines else line_record(event)
    m.purchases[row[1]] = [row[3], row[4], _ZERO, None, None, lines, False]  # P_* order
    m.purchase_count += 1
    m.spend += row[4]  # type: ignore[operator]


def _return_facts(m: Member, row: Row) -> None:
    assert m.last_return is not None  # set by the points stage's check
    purchase_id, amount = m.last_return
    record = own_record(m, purchase_id)  # the record changes: a copy, frozen anew
    record[P_RETURNED] += amount
    record[P_CLOSED] = record[P_RETURNED] >= record[P_AMOUNT]
    m.spend -= amount


def _profile_facts(m: Member, row: Row) -> None:
    event = row[5]
    if isinstance(event, SignUp):
        if m.joined_at is None or row[3] < m.joined_at:
            m.joined_at = row[3]
        if event.birthday is not None:
            m.birthday = event.birthday
        m.consents.update(event.consents)
    elif isinstance(event, ProfileUpdate):
        if event.birthday is not None:
            m.birthday = event.birthday
        m.consents.update(event.consents_granted)
        m.consents.difference_update(event.consents_revoked)
        m.profile_fields.update(event.fields_completed)


def _no_approvals(m: Member, row: Row) -> None:
    """Refuse an approval when no family of the program ever waits for one."""
    raise NotAwaitingApproval(
        f"Approval {row[1]}: ref_event_id={row[5].ref_event_id!r} names nothing of member "
        f"{m.member_id} that waits for approval: this program has no goodwill policy",
        hint="drop the approval, or send it to the program that asked for it",
    )


def check_tier_expiry(program: Program) -> bool:
    """Whether a tier of ``program`` exempts its points from expiry
    (``TierBenefits.points_expire=False``); refuse one when the point scheme has no lot
    expiry to exempt them from (none at all, or ``Inactivity``, which expires the whole
    balance after quiet months and is not a lot's expiry)."""
    if program.tiers is None:
        return False
    exempt = [tier for tier in program.tiers.tiers if not tier.benefits.points_expire]
    if not exempt:
        return False
    expiry = program.points.expiry
    if expiry is None or program.points.lot_expiry is None:
        tier = exempt[0]
        index = program.tiers.tiers.index(tier)
        field = f"tiers.tiers[{index}].benefits.points_expire"
        if expiry is None:
            raise InvalidProgram(
                f"{field}=False (tier {tier.id!r}), but points.expiry is None: "
                "points never expire, so no tier can exempt them",
                hint="give the point scheme a lot expiry such as "
                "expiry=EndOfMonthAfter(months=6), or drop points_expire=False from "
                f"tier {tier.id!r}")
        raise InvalidProgram(
            f"{field}=False (tier {tier.id!r}), but points.expiry is {expiry!r}, which "
            "expires the whole balance after quiet months: a tier exempts lots from a lot "
            "expiry only",
            hint="use a lot expiry (FixedLifetime, EndOfMonthAfter, EndOfQuarterAfter or "
            f"CalendarCutoff), or drop points_expire=False from tier {tier.id!r}")
    return True


_FACTS = {PURCHASE: _purchase_facts, RETURN: _return_facts, SIGNUP: _profile_facts,
          PROFILE: _profile_facts}


def family_stages(program: Program, ctx: CompileContext,
                  points: CompiledPoints) -> list[Stage]:
    """The stages after points, in the documented order: tiers, gifts, goodwill, credit.

    Each family compiles its declared policy here; ``points`` lets a family grant points
    through the point scheme's own lots (``points.grant``).
    """
    stages: list[Stage] = []
    if program.tiers is not None:
        stages.append(CompiledTiers(program.tiers, ctx, points))
    if program.gifts is not None and program.gifts.rules:
        stages.append(CompiledGifts(program.gifts, ctx, points,
                                    seed=f"{program.name}\x1f{program.version}"))
    if program.goodwill is not None:
        stages.append(CompiledGoodwill(program.goodwill, ctx, points))
    if program.credit is not None:
        stages.append(CompiledCredit(program.credit, ctx))
    return stages


class Pipeline:
    """Every stage of a program, and one composed step function per event kind."""

    __slots__ = ("categories", "cold_kinds", "dispatch", "express", "facts", "horizon", "keeps",
                 "points", "stages", "timed", "uses_shared", "window")

    def __init__(self, program: Program) -> None:
        ctx = CompileContext(program.currency, program.timezone, program.facts,
                             None if program.tiers is None else
                             {tier.id: tier.display_name for tier in program.tiers.tiers},
                             None if program.labels.empty else program.labels,
                             program._words())
        self.facts = ctx.facts
        self.categories = frozenset(BUILTIN_CATEGORIES if program.goodwill is None
                                    else program.goodwill.known_categories)
        check_balances(program.points, program.balances, [] if program.tiers is None else [
            leaf for tier in program.tiers.tiers for leaf in tier.requires.leaves()])
        self.points = CompiledPoints(program.points, ctx, check_tier_expiry(program))
        balances: tuple[Stage, ...] = () if not program.balances else (
            CompiledBalances(program.balances, ctx, self.points),)
        self.stages: tuple[Stage, ...] = (
            self.points, *balances, *family_stages(program, ctx, self.points))
        self.uses_shared = any(stage.uses_shared for stage in self.stages)
        self.keeps = tuple((index, keep) for index, stage in enumerate(self.stages)
                           if (keep := getattr(stage, "keep", None)) is not None)
        """The stages that keep a part of a state they froze for the next thaw (``keep(m)``
        gives it, ``thaw(state, m, kept)`` copies it), by stage index."""
        self.timed = tuple(stage for stage in self.stages
                           if type(stage).next_due is not Stage.next_due)
        """The stages that may have something due (the others never fire)."""
        self.cold_kinds = frozenset({PURCHASE} if self.stages == (self.points,) else ())
        """Event kinds whose step reads no kept purchase record one by one but those
        ``warm_front`` makes hot: a purchase, when the point scheme is the only stage (its
        purchase step reads the new order only; folding reads the oldest, made hot
        before). A thaw for them leaves the other records cold (see ``Member.cold``)."""
        self.window, self.horizon = windows(program)
        """The order window and the event horizon (``None``: unbounded), see ``_history``."""
        complaints = program.goodwill is not None
        self.dispatch = [bounded(self._compose(kind), kind, self.window, self.horizon,
                                 complaints, self.stages) for kind in range(KINDS)]
        self.express = (Express(self, self.points, program.currency)
                        if Express.possible(self) else None)
        """The seed shape's purchase on a state this pipeline froze (``_express``)."""

    def settle(self, m: Member) -> None:
        """After an advance: fold orders and forget event ids past the history windows."""
        settle(m, self.window, self.horizon, self.stages)

    def due(self, m: Member, until: datetime, log: Log, trace: Trace,
            kept: Kept | None = None) -> Kept | None:
        """Fire every stage's due effects up to ``until``, in time order; ``kept``: what
        the last ``due`` or :meth:`reschedule` of ``m`` returned, if nothing changed ``m``
        since (see :func:`~reciprocity._stage.run_due`). Returns the stages' times left."""
        return run_due(self.timed, m, until, log, trace, kept)

    def _compose(self, kind: int) -> Handler:
        checks: list[Check] = []
        handlers: list[Handler] = []
        for stage in self.stages:
            check = stage.checks().get(kind)
            if check is not None:
                checks.append(check)
            handler = stage.handlers().get(kind)
            if handler is not None:
                handlers.append(handler)
        if kind == APPROVAL and not checks:
            checks.append(_no_approvals)
        if kind == PURCHASE and handlers and handlers[0] == self.points.on_purchase \
                and not checks:
            # The hot path: no family refuses purchases, so the point scheme's handler does
            # the whole step in one call (due housekeeping, the order's facts, earning, then
            # the other families' purchase handlers in stage order).
            return self.points.compile_purchase(fused_due=self.due, after=tuple(handlers[1:]))
        facts = _FACTS.get(kind)
        due = self.due
        silent = not handlers and facts is None

        def step(m: Member, row: Row, log: Log, trace: Trace) -> None:
            at = row[3]
            next_due = m.next_due
            if next_due is not None and next_due <= at:
                due(m, at, log, trace)
            for check in checks:
                check(m, row)
            if facts is not None:
                facts(m, row)
            for handler in handlers:
                handler(m, row, log, trace)
            if silent and trace is not None:
                trace.append(("program", "note", f"no policy reacts to {row[5].type} events"))
            m.applied[row[1]] = row  # fingerprinted lazily, see _engine.fingerprints
            as_of = m.as_of
            if as_of is None or at > as_of:
                m.as_of = at
            elif m.next_due is not None and m.next_due <= as_of:
                due(m, as_of, log, trace)  # a late event made something due: fire it now

        return step

    def step(self, m: Member, row: Row, log: Log, trace: Trace) -> None:
        """Apply one row. Raises before changing anything (but due housekeeping) if it must."""
        self.dispatch[row[0]](m, row, log, trace)

    def thaw(self, state: MemberState, row: Row | None = None) -> Member:
        """A hot member from a frozen state, with every stage's part; ``row``, if given, is
        the one event the member will take (a record it does not read may stay cold)."""
        times = self.horizon is not None
        if row is not None and row[0] in self.cold_kinds:
            m = thaw(state, True, times)
            if m.cold:
                warm_front(m, row[1], row[3], self.window)
        else:
            m = thaw(state, False, times)
        if times:
            thaw_applied_times(m, state)
        hot = hot_form(state)
        kept = hot.stages if type(hot) is HotForm and hot[4] is self else None
        if kept:
            for index, stage in enumerate(self.stages):
                form = kept.get(index)
                if form is None:
                    stage.thaw(state, m)
                else:
                    stage.thaw(state, m, form)  # type: ignore[call-arg]
        else:
            for stage in self.stages:
                stage.thaw(state, m)
        self.reschedule(m)
        return m

    def reschedule(self, m: Member, kept: Kept | None = None) -> Kept:
        """Set ``m.next_due`` to the exact next due time. A step only ever moves it earlier
        (``Member.schedule``), so after one it may be a stale lower bound: harmless for
        ``apply`` (firing finds nothing), but a replay with program-wide state advances
        members at their due times, as a backend does with ``Program.next_due``, which
        thaws the saved state and so sees the exact time.

        Returns every stage's time, as :meth:`due` takes them; ``kept``, the times returned
        before, only spares the conversion to UTC of a time a stage gives again."""
        dues = [stage.next_due(m) for stage in self.timed]
        keys = utc_keys(dues, kept)
        earliest = min(keys) if keys else NEVER
        m.next_due = None if earliest == NEVER else earliest
        return dues, keys

    @staticmethod
    def new_member(member_id: str, currency: str) -> Member:
        """A hot member the program has not seen yet; stages create their part lazily."""
        return Member(member_id, currency)

    def freeze(self, m: Member, last: bool = False) -> MemberState:
        """The frozen state of ``m``, built without re-validation (the engine made it).
        ``last``: nothing changes ``m`` any more, so the state keeps its hot parts for the
        next thaw (:func:`~reciprocity._frozen.keep_hot`)."""
        fields: dict[str, Any] = freeze_fields(m)
        for stage in self.stages:
            fields.update(stage.freeze(m))
        state = built(MemberState, fields, _STATE_NAMES)
        if last:
            keeps = bool(self.keeps)
            hot = keep_hot(state, m, self, keeps)
            if hot is not None and keeps:
                hot.stages = {index: form for index, keep in self.keeps
                              if (form := keep(m)) is not None}
        return state
