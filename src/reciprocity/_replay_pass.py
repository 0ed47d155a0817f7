"""The fast pass of a replay of a program with program-wide state (see ``replay``).

What ``Replay._ordered`` does without a trace or a decision per event: each member's due
effects fire in global time order (a heap of the members' next due times), each firing
what ``Program.advance(state, Program.next_due(state))`` does.

Imports: the core (``_engine``, ``_stage`` for typing); ``replay`` only for typing.
"""

from __future__ import annotations

import gc
import heapq
from datetime import datetime
from typing import TYPE_CHECKING

from ._engine import Member

if TYPE_CHECKING:
    from ._stage import Kept
    from .replay import Replay

__all__ = ["consume_ordered"]

LOG_SPAN = 1024
"""A pass that keeps no effects empties its log once it holds more entries than this (between
events: a refused event's housekeeping is undone by cutting the log back within its step)."""


def consume_ordered(replay: Replay) -> None:
    """The fast pass of a program with program-wide state: what ``_ordered`` does
    without a trace or a decision per event, into one log, with the collector paused."""
    members: dict[str, Member] = {}
    pipeline = replay._pipeline
    log = replay._log
    keep = replay._keep
    dispatch = pipeline.dispatch
    due, reschedule = pipeline.due, pipeline.reschedule
    get = members.get
    skip = replay._skip
    heap: list[tuple[datetime, str]] = []
    for mid in replay._start:
        m = replay._member(members, mid)
        if m.next_due is not None:
            heap.append((m.next_due, mid))
    heapq.heapify(heap)
    push, pop, replace = heapq.heappush, heapq.heappop, heapq.heapreplace
    kept: dict[str, Kept | None] = {}
    """Each member's stages' due times as its last firing or ``reschedule`` left them:
    nothing changes a member between those and its next firing but its own events,
    which ``reschedule`` follows, so a firing does not ask every stage again."""

    def fire_until(when: datetime) -> None:
        while heap:
            due_at, other = heap[0]  # taken off when done: firing pushes no other member
            if due_at > when:
                return
            o = members[other]
            if o.next_due != due_at:
                pop(heap)  # a stale entry (or none due any more)
                continue
            kept[other] = due(o, due_at, log, None, kept.get(other))
            if o.as_of is None or due_at > o.as_of:  # caught_up, inline
                o.as_of = due_at
                o.revision += 1
            if o.next_due is not None:
                replace(heap, (o.next_due, other))  # the pop and the push in one
            else:
                pop(heap)

    applied = duplicates = 0
    collecting = gc.isenabled()
    gc.disable()
    try:
        for row in replay._rows:
            mid = row[2]
            m = get(mid) or replay._member(members, mid)
            if heap and heap[0][0] <= row[3]:
                fire_until(row[3])
            if row[1] in m.applied:
                if replay._repeated(m, row, None):
                    duplicates += 1
                continue
            before = m.next_due
            if skip:
                m = replay._step_or_refuse(members, m, row, log, None)
            else:
                dispatch[row[0]](m, row, log, None)
                applied += 1
            kept[mid] = reschedule(m, kept.get(mid))
            if m.next_due is not None and m.next_due != before:
                push(heap, (m.next_due, mid))
            if not keep and len(log) > LOG_SPAN:
                log.clear()
        if replay._until is not None:
            fire_until(replay._until)
    finally:
        if collecting:
            gc.enable()
        replay._applied += applied
        replay._duplicates += duplicates
    replay._finish(members)

