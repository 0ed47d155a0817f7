"""Command line: ``reciprocity demo | explain | schema | replay``.

Only the standard library is used here, so the command works after a plain ``pip install``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import ReciprocityError
from .events import parse_event
from .program import Program, program_json_schema
from .replay import ReplaySummary
from .seed import seed_program
from .synthetic import synthetic_shop

__all__ = ["main"]


def _table(rows: Sequence[tuple[str, str]]) -> str:
    width = max(len(label) for label, _ in rows)
    value_width = max(len(value) for _, value in rows)
    return "\n".join(f"{label:<{width}}  {value:>{value_width}}" for label, value in rows)


def _summary_rows(summary: ReplaySummary) -> list[tuple[str, str]]:
    return [
        ("members", f"{summary.members:,}"),
        ("events applied", f"{summary.events:,}"),
        ("orders", f"{summary.purchases:,}"),
        ("points earned", f"{summary.points_earned:,}"),
        ("points redeemed", f"{summary.points_redeemed:,}"),
        ("points taken back by returns", f"{summary.points_revoked:,}"),
        ("points expired", f"{summary.points_expired:,}"),
        ("points outstanding", f"{summary.points_available + summary.points_pending:,}"),
        ("vouchers issued", f"{summary.vouchers_issued:,}"),
        ("voucher value", str(summary.voucher_value)),
        ("points liability", str(summary.liability)),
        ("events refused", f"{summary.rejected:,}"),
    ]


def _demo(args: argparse.Namespace) -> int:
    program = seed_program()
    shop = synthetic_shop(members=args.members, seed=args.seed)
    replay = program.replay(shop.events, errors="skip")
    summary = replay.summary()
    if args.json:
        print(summary.model_dump_json(indent=2))
        return 0
    print(program.explain())
    print()
    print(f"Synthetic shop: {shop.members:,} members, {shop.days} days from {shop.start}, "
          f"seed {shop.seed}")
    print()
    print(_table(_summary_rows(summary)))
    if replay.rejected:
        event_id, error = replay.rejected[0]
        print(f"\nFirst refused event, {event_id}: {error}")
    return 0


def _explain(args: argparse.Namespace) -> int:
    print(Program.load(args.program).explain())
    return 0


def _schema(args: argparse.Namespace) -> int:
    print(json.dumps(program_json_schema(), indent=2))
    return 0


def _replay(args: argparse.Namespace) -> int:
    program = Program.load(args.program)
    lines = Path(args.events).read_text(encoding="utf-8").splitlines()
    events = [parse_event(line) for line in lines if line.strip()]
    summary = program.replay(events, errors="skip" if args.skip else "raise").summary()
    if args.json:
        print(summary.model_dump_json(indent=2))
    else:
        print(_table(_summary_rows(summary)))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``reciprocity`` command."""
    parser = argparse.ArgumentParser(prog="reciprocity", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run the seed program over a seeded synthetic shop")
    demo.add_argument("--members", type=int, default=3000, help="members (default 3000)")
    demo.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    demo.add_argument("--json", action="store_true", help="print the summary as JSON")
    demo.set_defaults(func=_demo)

    explain = sub.add_parser("explain", help="print a program file in plain words")
    explain.add_argument("program", help="a .json, .toml or .yaml program")
    explain.set_defaults(func=_explain)

    schema = sub.add_parser("schema", help="print the JSON Schema of a program document")
    schema.set_defaults(func=_schema)

    replay = sub.add_parser("replay", help="replay a JSON-lines event file through a program")
    replay.add_argument("program", help="a .json, .toml or .yaml program")
    replay.add_argument("events", help="one JSON event per line")
    replay.add_argument("--skip", action="store_true", help="skip refused events")
    replay.add_argument("--json", action="store_true", help="print the summary as JSON")
    replay.set_defaults(func=_replay)

    args = parser.parse_args(argv)
    try:
        result: int = args.func(args)
    except ReciprocityError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
