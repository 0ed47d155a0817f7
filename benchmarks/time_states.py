"""Reading final states after a replay of the Online Retail event stream, timed on its own.

Process CPU time (``time.process_time``), best of N rounds, the cyclic collector paused, the
caches of reading states emptied before each round (and what the engine keeps on each order
line, as ``bench_simulate.cold`` does), so each round is a first replay and a first read. Prints
the bare replay (``replay(...).summary()``), the read of ``.states`` after it, and two parts
of the read: the applied events' fingerprints and the frozen purchase records.

Run it on any tree to compare (the caches it empties are looked up by name, so an older tree
works too)::

    PYTHONPATH=src python benchmarks/time_states.py 3 branch
    PYTHONPATH=/work/main/src python benchmarks/time_states.py 3 main
"""

from __future__ import annotations

import gc
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import contextlib

from bench_real import UNTIL, rich_program

from reciprocity import _engine, _fingerprint, _frozen, load_online_retail
from reciprocity import events as _events

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def cold(events: list[Any]) -> None:
    """Empty every cache of reading states this tree has, and the lines' slots."""
    for module, names in ((_fingerprint, ("_LINES", "_LINE_OBJECTS", "_LINE_HELD")),
                          (_engine, ("_RECORD_LINES", "_HOT_RECORDS", "_HOT_HELD"))):
        for name in names:
            if hasattr(module, name):
                getattr(module, name).clear()
    slots = _events.Line.__dict__.get("__slots__", ())
    for event in events:
        for line in getattr(event, "lines", ()):
            for slot in slots:
                with contextlib.suppress(AttributeError):
                    _events.Line.__dict__[slot].__delete__(line)


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    label = sys.argv[2] if len(sys.argv) > 2 else ""
    spent = {"fingerprints": 0.0, "records": 0.0}
    fingerprints, records = _frozen.applied_fingerprints, _frozen._frozen_records

    def timed_fingerprints(m: Any) -> Any:
        start = time.process_time()
        try:
            return fingerprints(m)
        finally:
            spent["fingerprints"] += time.process_time() - start

    def timed_records(m: Any) -> Any:
        start = time.process_time()
        try:
            return records(m)
        finally:
            spent["records"] += time.process_time() - start

    _frozen.applied_fingerprints = timed_fingerprints  # type: ignore[assignment]
    _frozen._frozen_records = timed_records  # type: ignore[assignment]
    events = load_online_retail(DATA).events
    rich = rich_program()
    best: dict[str, float] = {}
    for _ in range(rounds):
        cold(events)
        gc.collect()
        gc.disable()
        start = time.process_time()
        replay = rich.replay(events, until=UNTIL)
        replay.summary()
        replayed = time.process_time()
        spent.update(fingerprints=0.0, records=0.0)
        states = replay.states
        read = time.process_time()
        gc.enable()
        for name, seconds in (("replay", replayed - start), ("read", read - replayed),
                              *spent.items()):
            best[name] = min(best.get(name, seconds), seconds)
        del replay, states
    print(label, " ".join(f"{name} {seconds:.3f}" for name, seconds in best.items()),
          f"read/replay {best['read'] / best['replay']:.3f}", flush=True)


if __name__ == "__main__":
    main()
