"""A worker process for the store tests: applies events from a file to a ledger store.

    python tests/store_worker.py URL PROGRAM.json EVENTS.jsonl OUT.json [KILL_STEP [KILL_AT]]

Applies each event (one JSON document per line) in file order and writes to OUT.json the
positions of the events the program refused (a return whose order has not arrived yet; a
queue would deliver them again). With KILL_STEP, the process dies with ``os._exit`` at that
step of ``Store.apply`` (see ``reciprocity.store.STEPS``) of its KILL_AT-th event (default 0):
no exception handler, no rollback by Python, as when a worker is killed.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from reciprocity import Program, RefusedEvent
from reciprocity.store import Store


def main(argv: list[str]) -> int:
    url, program_path, events_path, out_path = argv[:4]
    kill_step = argv[4] if len(argv) > 4 else None
    kill_at = int(argv[5]) if len(argv) > 5 else 0
    program = Program.model_validate_json(Path(program_path).read_text(encoding="utf-8"))
    lines = Path(events_path).read_text(encoding="utf-8").splitlines()
    position = 0

    def fault(step: str) -> None:
        if step == kill_step and position == kill_at:
            os._exit(17)

    refused: list[int] = []
    with Store(url, program, fault=fault if kill_step else None) as store:
        for position, line in enumerate(lines):
            try:
                store.apply(line)
            except RefusedEvent as exc:
                refused.append(position)
                print(f"refused #{position}: {exc}", file=sys.stderr)
    Path(out_path).write_text(json.dumps(refused), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
