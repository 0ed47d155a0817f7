"""The protocol every compiled policy family implements, and the engine's time loop.

A :class:`Stage` is one family (points, tiers, gifts, goodwill) compiled for one program. The
engine runs stages in the program's fixed order:

1. time housekeeping of every stage, in time order across stages (see :func:`run_due`);
2. for the event: every stage's ``check`` (refusals happen here, before anything changes),
   then the member's order facts (count, net spend), then every stage's ``handle``.

Rules a stage must keep:

- ``check`` raises a :class:`~reciprocity.RefusedEvent` (or ``InvalidEvent``) and changes
  nothing; ``handle`` never raises for a valid event that passed every check.
- Whatever changes a balance, a tier or a grant is logged as an effect.
- ``housekeeping(m, until, ...)`` fires everything of this stage due at or before ``until``
  and nothing later; afterwards ``next_due(m)`` is later than ``until`` (or ``None``).
- A stage that adds a due time calls ``m.schedule(when)``.
- A member new to the program starts with its family slot (``m.tier``, ``m.gifts``,
  ``m.goodwill``) at ``None``; the stage creates its part when it first needs it, and
  ``thaw`` is only called for members loaded from a saved state.
- Program-wide data (budgets, stock, rankings) lives in ``m.shared``, a
  :class:`~reciprocity._engine.Shared`, never in module globals; a stage that uses it sets
  ``uses_shared = True`` so replays run in global time order.

Imports: ``_engine`` and ``state`` only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ._engine import Log, Member, Row, Trace
from .state import MemberState

__all__ = ["NEVER", "Kept", "Stage", "run_due", "utc_keys"]

Handler = Callable[[Member, Row, Log, Trace], None]
Check = Callable[[Member, Row], None]


class Stage:
    """A compiled policy family. Subclasses override what they need."""

    name = "stage"
    uses_shared = False

    def checks(self) -> dict[int, Check]:
        """Refusal checks by event kind; run for every stage before any handler."""
        return {}

    def handlers(self) -> dict[int, Handler]:
        """Handlers by event kind, run in stage order after all checks passed."""
        return {}

    def housekeeping(self, m: Member, until: datetime, log: Log, trace: Trace) -> None:
        """Fire this stage's effects due at or before ``until``, in time order."""

    def next_due(self, m: Member) -> datetime | None:
        """The earliest time this stage has something due for ``m``, or ``None``."""
        return None

    def thaw(self, state: MemberState, m: Member) -> None:
        """Copy this family's part of a frozen state into the hot member."""

    def fold_orders(self, m: Member, gone: list[tuple[str, list[Any]]],
                    cutoff: datetime) -> None:
        """Orders ``gone`` (id, record), all before ``cutoff``, are being folded out of
        ``m.purchases``: keep what later decisions read of them (called before
        :meth:`forget_folded`; no later event reads the state before ``cutoff``)."""

    def forget_folded(self, m: Member) -> None:
        """Orders were folded out of ``m.purchases`` (see ``_history``): drop any reference
        to them, as a thaw of the folded state would have none."""

    def freeze(self, m: Member) -> dict[str, Any]:
        """This family's fields of the frozen state, built without validation."""
        return {}


NEVER = datetime.max.replace(tzinfo=UTC)
"""The UTC key of a stage with nothing due: later than every time, so the earliest of a
member's keys is one ``min`` (and its stage one ``index``: the first on a tie)."""

Kept = tuple[list[datetime | None], list[datetime]]
"""Each stage's next due time as it gave it (``None``: nothing due), and its key: the same
in UTC, or :data:`NEVER`. What :func:`run_due` and ``Pipeline.reschedule`` leave exact for a
member, so that a caller who changed nothing of the member since may hand them back."""


def utc_keys(dues: list[datetime | None], kept: Kept | None = None) -> list[datetime]:
    """The keys of ``dues``; a due time that is the very one ``kept`` has for its stage
    keeps its key (no UTC offset looked up again)."""
    if kept is None:
        return [NEVER if due is None else due if due.tzinfo is UTC else due.astimezone(UTC)
                for due in dues]
    return [NEVER if due is None else due if due.tzinfo is UTC else key if due is was
            else due.astimezone(UTC) for due, was, key in zip(dues, *kept, strict=True)]


def run_due(stages: tuple[Stage, ...], m: Member, until: datetime, log: Log,
            trace: Trace, kept: Kept | None = None) -> Kept:
    """Fire every stage's due effects up to ``until``, earliest first across stages.

    A tier review on 31 December therefore happens before a gift due on 1 January that
    depends on the tier, whatever the order of the stages.

    Each stage's next due time is asked once, then kept: after a stage fires, only its own
    is asked again, unless the firing scheduled something (``Member.schedule``, which every
    stage calls when it adds a due time, for itself or through another family, as a gift
    of points adds a lot): then every stage's is. A firing changes no other stage's due
    time without scheduling (``tests/test_run_due.py`` checks the kept times against asking
    every stage at every turn, as this loop did before, on random streams of every family).

    ``kept``: the stages' times as the last run or ``Pipeline.reschedule`` left them, if
    nothing changed the member since (a replay firing a member at its due time): they are
    not asked again. Returns the times it leaves (exact), updated in place when given.
    """
    if until.tzinfo is not UTC:
        until = until.astimezone(UTC)
    if kept is None:
        dues: list[datetime | None] = [stage.next_due(m) for stage in stages]
        keys = utc_keys(dues)
    else:
        dues, keys = kept
    # Compared in UTC (a stage may keep its times in the program's zone: a comparison of
    # two zones looks both offsets up); each stage is handed its own time, as it gave it.
    # The earliest time of all (the first stage's on a tie) is fired if it is due by
    # ``until``, else it is the member's next due time.
    earliest = min(keys) if keys else NEVER
    while earliest <= until:
        chosen = keys.index(earliest)
        stage = stages[chosen]
        when = dues[chosen]
        assert when is not None
        m.next_due = None  # set again below; here it tells whether the firing scheduled
        stage.housekeeping(m, when, log, trace)
        if m.next_due is not None:
            fresh = [other.next_due(m) for other in stages]
            keys[:] = utc_keys(fresh, (dues, keys))
            dues[:] = fresh
            after = keys[chosen]
        else:
            due = dues[chosen] = stage.next_due(m)
            after = keys[chosen] = (NEVER if due is None else due if due.tzinfo is UTC
                                    else keys[chosen] if due is when
                                    else due.astimezone(UTC))
        if after <= earliest:
            raise RuntimeError(  # a bug in a stage, not a user error
                f"stage {stage.name!r} did not move past {when.isoformat()}"
            )
        earliest = min(keys)
    m.next_due = None if earliest == NEVER else earliest  # as Member.schedule of each leaves
    return dues, keys
