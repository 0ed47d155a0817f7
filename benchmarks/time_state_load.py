"""The parts of ``bench_state.py``'s ``load-apply-dump`` row, timed apart.

Run from the repository root, in the project's virtual environment::

    python benchmarks/time_state_load.py                 # the seed member of 1,000 orders
    python benchmarks/time_state_load.py --four-family   # also the four-family member of 100
    PYTHONPATH=<other checkout>/src python benchmarks/time_state_load.py   # another library

It builds the member as ``bench_state.py`` does (same seed, same program) and times, each as
the median of single calls with the cyclic collector paused, the cases interleaved in rounds:
``MemberState.model_validate_json`` (the validated load), ``MemberState.load_trusted``,
``apply`` of the new order on a state made in this process (``bench_state``'s ``apply``) and
on a state just loaded (each sample on another loaded copy), ``model_dump_json`` of the new
state and, beside it, what pydantic's own serializer of the model writes (``BaseModel``'s
``model_dump_json``: the same text, the path the library's dump takes only when an amount
needs an exponent), load + apply, and the row's own work (load + apply + dump); then the
``apply`` and the dump as the row pays them, by difference (a part that runs right after
another costs more than alone: the caches hold the other's code and data). Figures in
microseconds; they say more about the machine than ratios do, so compare two libraries in
one session.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import bench_state

import reciprocity
from reciprocity import MemberState, Program


def timed(work: Callable[[object], object], setup: Callable[[], object] | None,
          samples: int) -> list[int]:
    prepared = [setup() if setup else None for _ in range(samples)]
    gc.disable()
    try:
        out = []
        for item in prepared:
            start = time.perf_counter_ns()
            work(item)
            out.append(time.perf_counter_ns() - start)
    finally:
        gc.enable()
    return out


def run(name: str, program: Program, orders: int, samples: int, rounds: int) -> None:
    built = bench_state.build_member(program, orders, seed=2026)
    text, event, shared = built.state.model_dump_json(), built.new, built.shared
    state = MemberState.model_validate_json(text)
    new_state = program.apply(state, event, shared=shared).state
    cases: dict[str, tuple[Callable[[object], object], Callable[[], object] | None]] = {
        "validated load": (lambda _: MemberState.model_validate_json(text), None),
        "load_trusted": (lambda _: MemberState.load_trusted(text), None),
        "apply (state made here)": (
            lambda _: program.apply(built.state, event, shared=shared), None),
        "apply (state just loaded)": (
            lambda s: program.apply(s, event, shared=shared),  # type: ignore[arg-type]
            lambda: MemberState.model_validate_json(text)),
        "dump of the new state": (lambda _: new_state.model_dump_json(), None),
        "dump, pydantic's serializer": (lambda _: new_state.__pydantic_serializer__.to_json(
            new_state).decode(), None),
        "load + apply": (lambda _: program.apply(
            MemberState.model_validate_json(text), event, shared=shared), None),
        "load + apply + dump": (lambda _: program.apply(
            MemberState.model_validate_json(text), event,
            shared=shared).state.model_dump_json(), None),
    }
    got: dict[str, list[int]] = {case: [] for case in cases}
    for _ in range(rounds):
        for case, (work, setup) in cases.items():
            got[case] += timed(work, setup, samples // rounds)
    print(f"{name}: {orders:,} prior orders, state JSON {len(text.encode()):,} B")
    p50 = {case: statistics.median(values) / 1000 for case, values in got.items()}
    for case, value in p50.items():
        print(f"  {case:28s} {value:8.1f} us")
    # The parts as the row pays them, one after the other (caches as the previous part
    # left them): differences of the medians above.
    print(f"  {'apply, in the row':28s} {p50['load + apply'] - p50['validated load']:8.1f} us"
          "  (load + apply - validated load)")
    print(f"  {'dump and drop, in the row':28s} "
          f"{p50['load + apply + dump'] - p50['load + apply']:8.1f} us"
          "  (load + apply + dump - load + apply)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--four-family", action="store_true")
    args = parser.parse_args()
    print(f"library {Path(reciprocity.__file__).parent}, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    run("seed program", bench_state.seed_with_history(), 1000, args.samples, args.rounds)
    if args.four_family:
        run("four-family program", bench_state.four_family_program(), 100, args.samples,
            args.rounds)
    print(f"load average at the end {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
