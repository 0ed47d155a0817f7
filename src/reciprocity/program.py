"""The program: a named, versioned, immutable set of policies, and the engine that applies it.

``Program.apply(state, event)`` runs the stages below, in this fixed order, and returns a
:class:`~reciprocity.Decision` with the new state, the effects and a trace:

1. time housekeeping, in time order across families: release pending points, expire lots,
   and every other time-driven effect due up to the event's ``at``;
2. the event's checks, for every family: a refusal (too few points, an unknown purchase)
   raises here, before anything changes;
3. the member's facts: an order's count and net spend, a return's amount, sign-up time,
   birthday and consents;
4. point schemes: earn on purchases, claw back on returns, redeem rewards;
5. the other families, in this order: tier ladder, gift triggers, goodwill, store credit.

The engine is pure: no clock (time comes from events or :meth:`Program.advance`), no I/O,
no global state. An event whose id the state has seen is a no-op with a note in the trace;
another event under that id is refused (:class:`~reciprocity.EventConflict`).

>>> from datetime import datetime
>>> from zoneinfo import ZoneInfo
>>> from reciprocity import Money, Purchase, seed_program
>>> program = seed_program()
>>> at = datetime(2026, 3, 1, 12, tzinfo=ZoneInfo("Europe/Berlin"))
>>> d = program.apply(None, Purchase(id="A-17", member_id="m-1", at=at,
...                                  amount=Money("50.01", "EUR")))
>>> d.state.available_points, d.effects[0].reason
(1, '1 point for order A-17 over 50.00 EUR')
>>> program.apply(d.state, Purchase(id="A-17", member_id="m-1", at=at,
...                                 amount=Money("50.01", "EUR"))).trace[0].outcome
'duplicate'

Imports: the core, the families' declarations, ``_edge``, ``_pipeline``, ``_program_file`` and
``replay``, and the checks of ``tiers.check``.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, PrivateAttr, field_validator

from ._declared_bounds import check_bounds
from ._edge import check_event
from ._engine import Log, TraceLine
from ._fingerprint import event_fingerprint
from ._model import Frozen, NonEmptyStr, require_in_range
from ._pipeline import Pipeline
from ._program_file import read_program_file
from .credit.scheme import StoreCredit
from .effects import Decision, TraceEntry
from .errors import (
    InvalidEvent,
    InvalidProgram,
    MissingDependency,
    ReciprocityError,
)
from .events import Event, Purchase, PurchaseColumns, parse_event
from .facts import Fact
from .gifts.scheme import GiftScheme
from .goodwill.check import check_tables
from .goodwill.policy import GoodwillPolicy
from .history import History
from .money import Money, validate_currency
from .names import NameLabels, ProgramWords
from .points.scheme import PointsAsCurrency, PointScheme
from .points.units import english_units
from .replay import Replay, conflict, decision
from .shared import Shared, SharedState
from .state import MemberState
from .tiers.check import Finding, TypicalActivity, check_program
from .tiers.ladder import TierLadder

if TYPE_CHECKING:
    from .effects import Effect
    from .terms.statement import Statement

__all__ = ["Program", "program_json_schema"]


class Program(Frozen):
    """A loyalty program: policies plus the currency and time zone they work in.

    Attributes:
        name: the program's name, shown to customers.
        version: your version label; saved with the program.
        currency: ISO 4217 code of every amount the program handles.
        timezone: IANA zone for calendar rules (expiry dates, birthday months).
        points: the point scheme.
        balances: more point balances by name (:class:`~reciprocity.PointScheme` each).
        tiers: the tier ladder (:class:`~reciprocity.TierLadder`), if any.
        gifts: gift triggers, budgets and stock (:class:`~reciprocity.GiftScheme`), if any.
        goodwill: compensation after a complaint (:class:`~reciprocity.GoodwillPolicy`).
        facts: the shop's own facts its events carry (:class:`~reciprocity.Fact`), with their
            types: conditions read them by name, and events carrying them are checked.
    """

    _error_class: ClassVar[type[ReciprocityError]] = InvalidProgram

    name: NonEmptyStr
    version: str = "1"
    description: str = ""
    currency: str = "EUR"
    timezone: str = "UTC"
    points: PointScheme = Field(default_factory=PointScheme)
    tiers: TierLadder | None = None
    gifts: GiftScheme | None = None
    goodwill: GoodwillPolicy | None = None
    facts: tuple[Fact, ...] = ()
    history: History | None = None
    """How long member states keep orders and event ids (:class:`~reciprocity.History`);
    ``None`` keeps everything."""
    credit: StoreCredit | None = None
    """Store credit (:class:`~reciprocity.StoreCredit`): a money balance, spent oldest first."""
    balances: dict[str, PointScheme] = Field(default_factory=dict)
    """More point balances by name, each a scheme of its own (award and status miles): its
    points never mix with ``points``; ``redeemable=False`` for points that only count for
    tiers (``MinPoints(balance=...)``). See docs/points.md."""
    labels: NameLabels = Field(default_factory=NameLabels, exclude_if=lambda v: v.empty)
    """The words of each locale for the order-line categories and event names the program
    uses (:class:`~reciprocity.NameLabels`), for the terms, reasons and ``explain``."""

    _pipeline: Pipeline = PrivateAttr()

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return validate_currency(value, field="currency")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone; use a name such as "
                             "'Europe/Berlin'") from None
        return value

    def model_post_init(self, context: object, /) -> None:
        check_bounds(self, "Program")
        self._pipeline = Pipeline(self)

    def __eq__(self, other: object) -> bool:
        """Programs are equal when their declarations are (the compiled engine is derived)."""
        if not isinstance(other, Program):
            return NotImplemented
        return self.__dict__ == other.__dict__

    __hash__ = Frozen.__hash__

    @property
    def uses_shared_state(self) -> bool:
        """Whether the program keeps program-wide state (budgets, stock, rankings): then
        pass and persist a :class:`~reciprocity.SharedState` with every ``apply``."""
        return self._pipeline.uses_shared

    # -- describing ---------------------------------------------------------------------
    def explain(self) -> str:
        """The whole program in plain words, as it could be shown to customers.

        >>> from reciprocity import seed_program
        >>> print(seed_program().explain())
        Seed program (version 1), amounts in EUR, calendar in Europe/Berlin
        Earning:
        - 1 point for every order over 50.00 EUR
        Rewards:
        - 10 points buy a 10 EUR fuel voucher worth 10.00 EUR
        Points never expire.
        """
        lines = [f"{self.name} (version {self.version}), amounts in {self.currency}, "
                 f"calendar in {self.timezone}"]
        if self.description:
            lines.append(self.description)
        said, names = self._words(), self._tier_names()
        gives = self.goodwill is not None and self.goodwill.gives_points  # else no expiry line
        lines += self.points.explain_lines(None, self.labels, said, gives)
        for name, scheme in self.balances.items():
            lines += scheme.explain_lines(name, self.labels, said)
        if self.tiers is not None:
            words = self.points.unit.get("en")  # a tier's multiplier counts the own points
            lines += self.tiers.explain_lines("points" if words is None else words.other,
                                              self.labels, english_units(self))
        lines += [] if self.gifts is None else self.gifts.explain_lines(names, said)
        if self.goodwill is not None:
            lines.append("Goodwill after a complaint (the most generous matching rule applies):")
            lines += self.goodwill.explain_lines(names, said)
        lines += [f"Store credit: {self.credit.describe_with(said)}."] if self.credit else []
        return "\n".join(lines)

    def _words(self) -> ProgramWords:
        """The English words the program declares (``explain``, ``gift_eligibility``)."""
        return ProgramWords(self.facts, None if self.goodwill is None
                            else self.goodwill.category_labels, self.labels)

    def _tier_names(self) -> dict[str, str] | None:
        """The tiers' names by id; ``None`` without a ladder."""
        return None if self.tiers is None else {t.id: t.display_name for t in self.tiers.tiers}

    def terms(self, locale: str = "en", format: str = "text") -> str:
        """The program's conditions for customers, built from its declared policies, in
        ``locale`` (``"en"``, ``"de"``, or any catalogue in ``reciprocity/locales``) as
        ``"text"`` or ``"markdown"``; needs ``reciprocity[i18n]``. See docs/transparency.md.
        """
        from .terms.render import program_terms

        return program_terms(self, locale, format)

    def statement(self, state: MemberState, at: datetime, locale: str = "en", *,
                  effects: Iterable[Effect] = (), shared: SharedState | None = None
                  ) -> Statement:
        """A member's statement at ``at``: points by lot with expiry, pending points, tier
        progress, vouchers, gifts within reach and ``effects`` (with those that advancing
        the state to ``at`` fires); ``.to_text()``, ``.to_markdown()``, ``.to_dict()``.
        """
        from .terms.statement import member_statement

        return member_statement(self, state, at, locale, effects=effects, shared=shared)

    def render_effect(self, effect: Effect, locale: str = "en") -> str:
        """An effect's reason in ``locale``: ``effect.render(locale)``, with the conditions
        of goodwill reductions said with this program's fact labels. An effect stored
        before reasons were data (no ``reason_key``) is said from its fields, with tier and
        reward names from this program."""
        if locale == "en":
            return effect.render(locale)
        from .terms.effects import render_effect
        from .terms.render import context

        rewards = {reward.id: reward.name for reward in self.points.rewards}
        return render_effect(context(self, locale), effect, rewards)
    def history_window(self) -> tuple[int | None, int | None]:
        """``(order days, event days)``: how long member states keep an order's record and
        an applied event id (``None``: for ever), computed from the declared windows: the
        event horizon is ``History.event_days``, or else the days the program's decisions
        read an order back; orders are kept for the two together, so that an event up to
        the horizon late still finds every order it reads.

        >>> from reciprocity import History, seed_program
        >>> seed_program().history_window()
        (None, None)
        >>> seed = seed_program().model_dump()
        >>> Program.model_validate({**seed, "history": {"return_days": 30}}).history_window()
        (62, 31)
        """
        window, horizon = self._pipeline.window, self._pipeline.horizon
        return (None if window is None else window.days,
                None if horizon is None else horizon.days)

    def point_value(self) -> Money:
        """What one point is worth at the catalogue's best rate (for liability figures).

        >>> from reciprocity import seed_program
        >>> str(seed_program().point_value())
        '1.00 EUR'
        """
        best = Decimal(0)
        for reward in self.points.rewards:
            if isinstance(reward, PointsAsCurrency):
                best = max(best, reward.point_value.amount)
            elif reward.value is not None:
                best = max(best, reward.value.amount / reward.points)
        return Money(best, self.currency)

    def check(self, *, typical: TypicalActivity | None = None,
              max_first_share: Decimal | str = Decimal("0.25")) -> list[Finding]:
        """Pre-launch checks of the program's policies, most serious first (see
        :func:`~reciprocity.check_ladder`); an empty list means nothing was found.

        >>> from reciprocity import seed_program
        >>> seed_program().check()
        []
        """
        from .terms.check import check_terms

        findings = check_program(self, typical=typical, max_first_share=max_first_share)
        findings += check_tables(self) + check_terms(self)
        rank = {"error": 0, "warning": 1, "info": 2}
        return sorted(findings, key=lambda finding: rank[finding.severity])

    # -- the engine ---------------------------------------------------------------------
    def _state_for(self, state: MemberState | None, event: Event) -> MemberState:
        if state is None:
            return MemberState.new(event.member_id, currency=self.currency)
        if not isinstance(state, MemberState):
            raise InvalidEvent(f"state has type {type(state).__name__}", hint="pass a MemberState "
                               "(MemberState.model_validate_json(saved)) or None")
        if state.member_id != event.member_id:
            raise InvalidEvent(
                f"{type(event).__name__}.member_id={event.member_id!r} but the state is of "
                f"member {state.member_id!r}", hint="pass that member's own state",
            )
        if state.currency != self.currency:
            raise InvalidEvent(
                f"MemberState.currency={state.currency!r} but the program uses {self.currency}",
                hint="use a state made by a program with the same currency",
            )
        return state

    def _check(self, event: Event, pipeline: Pipeline | None = None) -> None:
        """Edge checks that need the program (currency); done before anything changes
        (:func:`~reciprocity._edge.check_event`)."""
        check_event(event, self._pipeline if pipeline is None else pipeline, self.currency)

    def apply(self, state: MemberState | None, event: Event | Mapping[str, Any] | str, *,
              shared: SharedState | None = None) -> Decision:
        """Apply one event to one member's state; the input state is never changed.

        Args:
            state: the member's current state, or ``None`` for a member not seen before.
            event: an event model, or a dict / JSON document that validates as one.
            shared: the program-wide state, for programs that have one
                (:attr:`uses_shared_state`); ``None`` starts an empty one.

        Returns:
            The new state, the effects (each with rule id and reason), the trace, and the
            new program-wide state in ``Decision.shared``.

        Raises:
            InvalidEvent: the event is malformed or in another currency.
            RefusedEvent: the state cannot take it (too few points, unknown purchase...).
            EventConflict: the state applied another event under this id.
        """
        event = parse_event(event)
        state = self._state_for(state, event)
        # A private attribute, read past pydantic's __getattr__ (it costs a microsecond)
        pipeline: Pipeline = self.__pydantic_private__["_pipeline"]  # type: ignore[index]
        hot_shared = None if shared is None and not pipeline.uses_shared \
            else self._shared_for(shared, pipeline)
        # state.applied_fingerprint(event.id), inline: the express purchase reads the index
        ids = state.__dict__["applied_event_ids"]
        eid = event.id
        index = bisect_left(ids, eid)
        if index < len(ids) and ids[index] == eid:
            if state.applied_event_fingerprints[index] != event_fingerprint(event):
                raise conflict(event.id, type(event).__name__, state.member_id)
            note = TraceEntry(rule_id="program", outcome="duplicate",
                              detail=f"event {event.id} was applied before; nothing changed")
            return Decision(state=state, effects=(), trace=(note,),
                            shared=None if hot_shared is None else hot_shared.freeze())
        plain = (type(event) is Purchase and not pipeline.facts
                 and event.amount.currency == self.currency)
        if not plain:
            self._check(event, pipeline)  # what it checks of a plain purchase, done
        row = event._row()
        if plain and pipeline.express is not None:
            decided = pipeline.express(state, row, index)
            if decided is not None:
                return decided
        m = pipeline.thaw(state, row)
        m.shared = hot_shared
        log: Log = []
        trace: list[TraceLine] = []
        late = state.as_of is not None and event.at < state.as_of
        if late and state.as_of is not None:
            trace.append(("program", "note", f"late event: at {self._local(event.at)} is "
                          f"before the state's time {self._local(state.as_of)}"))
        pipeline.step(m, row, log, trace)
        # a late event's state keeps no hot form: see _frozen.keep_hot
        return decision(pipeline, m, log, trace, hot_shared, last=not late)

    def advance(self, state: MemberState, until: datetime, *,
                shared: SharedState | None = None) -> Decision:
        """Fire the time-driven effects due up to ``until`` (expiry, pending release, ...).

        Time never runs backwards: ``until`` at or before the state's time changes nothing.
        """
        until = require_in_range(until)
        if not isinstance(state, MemberState):
            raise InvalidEvent(f"state has type {type(state).__name__}",
                               hint="pass a MemberState")
        pipeline = self._pipeline
        hot_shared = self._shared_for(shared, pipeline)
        m = pipeline.thaw(state)
        m.shared = hot_shared
        log: Log = []
        trace: list[TraceLine] = []
        if state.as_of is not None and until <= state.as_of:
            trace.append(("program", "note", f"state is already at {self._local(state.as_of)}"))
        else:
            pipeline.due(m, until, log, trace)
            m.as_of = until
            m.revision += 1
            pipeline.settle(m)
        return decision(pipeline, m, log, trace, hot_shared, last=True)

    def next_due(self, state: MemberState) -> datetime | None:
        """When ``state`` next has something due (a release, an expiry, a gift's date, a
        tier review), in UTC; ``None`` if nothing is. A backend's scheduler calls
        ``advance(state, program.next_due(state))`` then; with program-wide state (budgets,
        stock), in time order across members, which is what a replay does.
        """
        if not isinstance(state, MemberState):
            raise InvalidEvent(f"state has type {type(state).__name__}",
                               hint="pass a MemberState")
        return self._pipeline.thaw(state).next_due

    def _local(self, when: datetime) -> str:
        """An instant as ISO text in the program's zone (how traces show times)."""
        return when.astimezone(ZoneInfo(self.timezone)).isoformat()

    def _shared_for(self, shared: SharedState | None,
                    pipeline: Pipeline | None = None) -> Shared | None:
        """The hot program-wide state of ``shared`` (``pipeline``: the program's, if the
        caller has it: ``self._pipeline`` costs a microsecond through pydantic)."""
        if not (self._pipeline if pipeline is None else pipeline).uses_shared:
            return None
        if shared is None:
            return Shared(self.currency)
        if not isinstance(shared, SharedState):
            raise InvalidEvent(f"shared has type {type(shared).__name__}",
                               hint="pass a SharedState or None")
        if shared.currency != self.currency:
            raise InvalidEvent(f"SharedState.currency={shared.currency!r} but the program "
                               f"uses {self.currency}", hint="use this program's shared state")
        return Shared.thaw(shared)

    def replay(
        self,
        events: Iterable[Event | Mapping[str, Any]] | PurchaseColumns,
        states: Mapping[str, MemberState] | None = None,
        *,
        shared: SharedState | None = None,
        until: datetime | None = None,
        errors: str = "raise",
        keep_effects: bool = False,
    ) -> Replay:
        """Apply a stream of events of many members, sorted by ``(at, id)``.

        Args:
            events: event models or dicts (validated here, once), or :class:`PurchaseColumns`
                (the fast, already-validated form).
            states: the members' states before the stream; others start empty.
            shared: the program-wide state before the stream, if the program has one.
            until: after the last event, advance every member to this time.
            errors: ``"raise"`` stops at the first refused event; ``"skip"`` leaves it out,
                records it in :attr:`Replay.rejected` and goes on.
            keep_effects: keep every effect during any pass; by default only a pass that
                ``effects()`` starts keeps them (memory grows with members, not events).

        Returns:
            A :class:`Replay`: iterating it builds a ``Decision`` (and a state) per event;
            ``states``, ``effects()`` or ``summary()`` run one fast pass building nothing per event.
        """
        if errors not in ("raise", "skip"):
            raise InvalidEvent(f"errors={errors!r}", hint='use "raise" or "skip"')
        until = None if until is None else require_in_range(until)
        return Replay.of(self, events, states, shared, until, errors == "skip", keep_effects)

    # -- loading and saving ---------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path) -> Program:
        """Read a program from a ``.json``, ``.toml`` or ``.yaml``/``.yml`` file.

        Raises:
            InvalidProgram: the file is missing, unreadable, not UTF-8, not valid JSON, TOML
                or YAML (naming line and column), or not a valid program.
        """
        path = Path(path)
        text, data = read_program_file(path)
        try:
            if path.suffix.lower() == ".json":  # JSON mode: numbers mean what the text says
                return cls.model_validate_json(text)
            return cls.model_validate(data)
        except InvalidProgram as exc:
            raise InvalidProgram(f"program file {str(path)!r}: {exc.message}",
                                 hint=exc.hint) from None

    def save(self, path: str | Path) -> None:
        """Write the program as JSON or YAML (by suffix); :meth:`load` reads it back."""
        path = Path(path)
        data = self.model_dump(mode="json")
        if path.suffix.lower() in (".yaml", ".yml"):
            try:
                import yaml
            except ImportError:
                raise MissingDependency("writing YAML needs PyYAML",
                                        hint="pip install 'reciprocity[yaml]'") from None
            path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        elif path.suffix.lower() == ".json":
            path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        else:
            raise InvalidProgram(f"path={str(path)!r} has suffix {path.suffix!r}",
                                 hint="save as .json or .yaml (TOML cannot hold null values)")


def program_json_schema() -> dict[str, Any]:
    """The JSON Schema of a program document, for editors and validation in other languages.

    >>> program_json_schema()["title"]
    'Program'
    """
    return Program.model_json_schema()
