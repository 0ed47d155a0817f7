"""Command line: ``reciprocity demo | explain | schema | replay | check | simulate | compare``.

Only the standard library is used here, so the command works after a plain ``pip install``
(``simulate`` and ``compare`` need an extra only for Parquet or DataFrames).

Imports: anything (it is the outermost layer); nothing in the package imports it.
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
    from .experiments.commands import read_event_lines

    program = Program.load(args.program)
    events, skipped = read_event_lines(Path(args.events), skip=args.skip)
    summary = program.replay(events, errors="skip" if args.skip else "raise").summary()
    if args.json:
        print(summary.model_dump_json(indent=2))
    else:
        rows = _summary_rows(summary)
        if args.skip:
            rows.append(("unreadable lines skipped", f"{len(skipped):,}"))
        print(_table(rows))
    for message in skipped:
        print(f"skipped: {message}", file=sys.stderr)
    return 0


def _share(text: str) -> str:
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a share between 0 and 1, e.g. 0.25")
    return text


def _check(args: argparse.Namespace) -> int:
    from decimal import Decimal

    from .money import Money
    from .tiers.check import TypicalActivity

    program = Program.load(args.program)
    typical = None
    if args.events is not None:
        lines = Path(args.events).read_text(encoding="utf-8").splitlines()
        events = [parse_event(line) for line in lines if line.strip()]
        typical = TypicalActivity.from_states(program.replay(events, errors="skip").states,
                                              currency=program.currency)
    if args.spend is not None or args.orders is not None or args.points is not None:
        base = typical or TypicalActivity()
        typical = TypicalActivity(
            spend=base.spend if args.spend is None else Money(args.spend, program.currency),
            orders=base.orders if args.orders is None else args.orders,
            points=base.points if args.points is None else args.points)
    findings = program.check(typical=typical, max_first_share=Decimal(args.max_first_share))
    if args.json:
        print(json.dumps([f.model_dump(mode="json") for f in findings], indent=2))
    elif findings:
        if typical is not None:
            print(f"typical member per year: {typical.describe()}")
        for finding in findings:
            print(finding)
    else:
        print("No findings.")
    return 1 if any(f.severity != "info" for f in findings) else 0


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
    replay.add_argument("--skip", action="store_true",
                        help="skip unreadable lines and refused events")
    replay.add_argument("--json", action="store_true", help="print the summary as JSON")
    replay.set_defaults(func=_replay)

    check = sub.add_parser(
        "check", help="pre-launch checks of a program (exit 1 on errors or warnings)")
    check.add_argument("program", help="a .json, .toml or .yaml program")
    check.add_argument("--spend", help="a typical member's yearly spend, e.g. 240.00")
    check.add_argument("--orders", type=int, help="a typical member's orders per year")
    check.add_argument("--points", type=int, help="a typical member's points per year")
    check.add_argument("--events", help="JSON-lines events to measure the median member from")
    check.add_argument("--max-first-share", default="0.25", type=_share,
                       help="largest share of a typical year the first tier may need")
    check.add_argument("--json", action="store_true", help="print the findings as JSON")
    check.set_defaults(func=_check)

    from .experiments.commands import add_commands

    add_commands(sub)

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
