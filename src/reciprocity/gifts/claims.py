"""The gift stage's claim rules compiled: a ``Custom`` event that claims a gift.

A :class:`~reciprocity.gifts.order_rules.ClaimGift` is compiled into a step with the
stage's signature ``(c, m, h, row, log, trace)``; :func:`claim_handler` is the stage's
handler of ``Custom`` events when the scheme has claim rules: the claim steps whose event
name matches, then what every event runs (tier and season gifts, the timers due). Each claim
is its own occurrence (keyed by the event id), so the rule's caps, cooldown, budget and the
gift's stock decide how often it is given, in ``CompiledGifts.grant`` as for every gift.

Imports: the core, the gifts declarations and ``hot``; ``stage`` only for typing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._engine import Log, Member, Row, Trace
from .._reason import Msg
from .._stage import Handler
from .hot import Compiled, Hot
from .order_rules import ClaimGift

if TYPE_CHECKING:
    from .orders import Step
    from .stage import CompiledGifts

__all__ = ["claim_handler", "claim_step"]


def _claim_reason(eid: str, name: str, phrase: Msg) -> Msg:
    return Msg("reason.gift.claim", {"claim": eid, "name": name, "gift": phrase})


def claim_step(stage: CompiledGifts, c: Compiled, rule: ClaimGift) -> Step:
    """The compiled step of a claim rule: a ``Custom`` event named ``rule.on`` claims it."""
    rid, gift, phrase, name = rule.id, rule.gift, c.phrase, rule.on
    assert phrase is not None  # a claim rule has one gift
    grant = stage.grant

    def step(_: Compiled, m: Member, h: Hot, row: Row, log: Log, trace: Trace) -> None:
        eid = row[1]
        event = row[5]
        if event is None or event.name != name:
            if trace is not None:
                trace.append((rid, "skipped", f"event {eid} is not a {name!r} claim"))
            return
        why = stage.blocked(c, m, row)
        if why is not None:
            if trace is not None:
                trace.append((rid, "skipped", why))
            return
        grant(c, m, h, gift, row[3], eid, eid, (_claim_reason, eid, name, phrase), log,
              trace)

    return step


def claim_handler(stage: CompiledGifts, steps: tuple[tuple[Step, Compiled], ...]) -> Handler:
    """The handler of ``Custom`` events: the claim ``steps``, then what every event runs."""
    hot, finish = stage._hot, stage._finish

    def on_custom(m: Member, row: Row, log: Log, trace: Trace) -> None:
        h, _ = hot(m, row[3])
        for step, c in steps:
            step(c, m, h, row, log, trace)
        finish(m, h, row, log, trace)

    return on_custom
