"""Command line: ``reciprocity demo | explain | schema | replay | check | simulate | compare``.

Only the standard library is used here, so the command works after a plain ``pip install``.
The help the command prints is :data:`DESCRIPTION`, written for users; this docstring is for
developers. Bad input (a missing or malformed file, an invalid event) prints one ``error:``
line and exits with 2, never a traceback.

Imports: anything (it is the outermost layer); nothing in the package imports it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from ._bounds import MAX_AMOUNT, MAX_POINTS
from ._eventfile import read_event_file, refusals
from .cli_terms import register as register_terms
from .errors import ReciprocityError
from .money import Money
from .program import Program, program_json_schema
from .replay import ReplaySummary
from .seed import seed_program
from .synthetic import synthetic_shop

__all__ = ["main"]


def _table(rows: Sequence[tuple[str, str]]) -> str:
    width = max(len(label) for label, _ in rows)
    value_width = max(len(value) for _, value in rows)
    return "\n".join(f"{label:<{width}}  {value:>{value_width}}" for label, value in rows)


def _money(value: Money) -> str:
    """Money with thousands grouped, like the point counts beside it: "5,722.00 EUR"."""
    return f"{value.amount:,f} {value.currency}"


def _summary_rows(summary: ReplaySummary) -> list[tuple[str, str]]:
    outstanding = summary.points_available + summary.points_pending
    return [
        ("members", f"{summary.members:,}"),
        ("events applied", f"{summary.events:,}"),
        ("orders", f"{summary.purchases:,}"),
        ("points earned", f"{summary.points_earned:,}"),
        ("points redeemed", f"{summary.points_redeemed:,}"),
        ("points taken back by returns", f"{summary.points_revoked:,}"),
        ("points expired", f"{summary.points_expired:,}"),
        ("points outstanding (available + pending)", f"{outstanding:,}"),
        ("points owed back by members (debt)", f"{summary.points_debt:,}"),
        ("vouchers issued", f"{summary.vouchers_issued:,}"),
        ("voucher value", _money(summary.voucher_value)),
        (f"points liability ({outstanding - summary.points_debt:,} "
         f"point{'' if outstanding - summary.points_debt == 1 else 's'}: "
         "outstanding less debt)", _money(summary.liability)),
        ("events refused", f"{summary.rejected:,}"),
    ]


def _demo(args: argparse.Namespace) -> int:
    program = seed_program()
    shop = synthetic_shop(members=args.members, seed=args.seed)
    if args.store is not None:
        return _demo_store(args, program, shop)
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


def _demo_store(args: argparse.Namespace, program: Program, shop: Any) -> int:
    """The demo through a ledger store: every event stored once (a second run on the same
    file writes nothing), the summary read back from the stored states, and the exports."""
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from .errors import RefusedEvent
    from .store import Store

    applied, duplicates, refused = 0, 0, []
    with Store(args.store, program) as store:
        for event in shop.events:
            try:
                outcome = store.apply(event)
            except RefusedEvent as exc:  # refused events are not stored: refused every run
                refused.append((event.id, exc))
                continue
            duplicates += outcome.duplicate
            applied += not outcome.duplicate
        summary = program.replay([], states=store.states()).summary().model_copy(update={
            "events": store.count("events"), "duplicates": duplicates,
            "rejected": len(refused)})
        zone = ZoneInfo(program.timezone)
        start = datetime.combine(shop.start, time(), zone)
        end = start + timedelta(days=shop.days)
        owed = store.liability(end)
        report = store.effects_by_period(start, end)
    if args.json:
        print(summary.model_dump_json(indent=2))
        return 0
    print(program.explain())
    print()
    print(f"Synthetic shop: {shop.members:,} members, {shop.days} days from {shop.start}, "
          f"seed {shop.seed}")
    print(f"Ledger store {args.store}: {applied:,} events stored now, {duplicates:,} already "
          f"there, {len(refused):,} refused")
    if applied == 0 and duplicates:
        print("Every event was in the store already: this run wrote nothing (a store is "
              "idempotent by event id).")
    print()
    print(_table(_summary_rows(summary)))
    if refused:
        event_id, error = refused[0]
        print(f"\nFirst refused event, {event_id}: {error}")
    print(f"\nPoints liability at {end.date()} from the ledger: {owed.points:,} points "
          f"owed to {owed.members:,} members, worth {_money(owed.value)}")
    print("\nEffects by month (store.effects_by_period, CSV):")
    print(report.to_csv(), end="")
    return 0


def _explain(args: argparse.Namespace) -> int:
    print(Program.load(args.program).explain())
    return 0


def _schema(args: argparse.Namespace) -> int:
    print(json.dumps(program_json_schema(), indent=2))
    return 0


def _replay(args: argparse.Namespace) -> int:
    program = Program.load(args.program)
    lines: dict[str, list[int]] = {}
    events, skipped = read_event_file(args.events, skip=args.skip, lines=lines)
    # Refusals are collected and said with their file and line; without --skip the first
    # one (the one a raising replay stops at) is the error.
    replay = program.replay(events, errors="skip")
    refused = refusals(args.events, lines, replay.rejected, skip=args.skip)
    summary = replay.summary()
    if args.json:
        print(summary.model_dump_json(indent=2))
    else:
        rows = _summary_rows(summary)
        if args.skip:
            rows.append(("unreadable lines skipped", f"{len(skipped):,}"))
        print(_table(rows))
    for message in skipped + refused:
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


def _spend(text: str) -> str:
    from decimal import Decimal, InvalidOperation

    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal(-1)
    if not value.is_finite() or value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount of 0 or more, e.g. 240.00")
    if value > MAX_AMOUNT:
        raise argparse.ArgumentTypeError(
            f"{text!r} is more than the supported maximum {MAX_AMOUNT:,}; give the amount in "
            "major units, e.g. 240.00")
    return text


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 0 or more")
    if value > MAX_POINTS:
        raise argparse.ArgumentTypeError(
            f"{text!r} is more than the supported maximum {MAX_POINTS:,}")
    return value


def _check(args: argparse.Namespace) -> int:
    from decimal import Decimal

    from .tiers.check import TypicalActivity

    program = Program.load(args.program)
    typical = None
    if args.events is not None:
        events, _ = read_event_file(args.events)
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


DESCRIPTION = """\
Write a shop's loyalty program (points, tiers, gifts, goodwill after a complaint) as a
JSON, TOML or YAML file, read it back in plain words, check it before launch, and replay
orders through it to see points, vouchers and the points liability.

Start with `reciprocity demo`, then `reciprocity explain PROGRAM`.
"""

EPILOG = """\
exit codes: 0 done; 1 `check` found errors or warnings; 2 bad input (a missing or
malformed file, an invalid event), with one "error:" line that names the file and the fix.
The code in brackets at the end of an error, e.g. [invalid-program], has a section in the
documentation's errors page (docs/errors.md) that says what it means and how to fix it.
"""

PROGRAM_HELP = "the program: a .json, .toml or .yaml file"


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return value


def _command(sub: Any, name: str, summary: str, description: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(
        name, help=summary, description=description, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``reciprocity`` command."""
    parser = argparse.ArgumentParser(
        prog="reciprocity", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = _command(sub, "demo", "run the seed program over a synthetic shop", """\
Run the seed program ("every order over 50 EUR earns 1 point; 10 points buy a 10 EUR
voucher") over a synthetic shop generated from a seed, and print the program and a summary:
points earned, redeemed, taken back and outstanding, vouchers and the points liability.
No download and no files are needed; the same seed gives the same numbers.
""")
    demo.add_argument("--members", type=_positive, default=3000,
                      help="members in the synthetic shop (default 3000)")
    demo.add_argument("--seed", type=int, default=2026,
                      help="random seed of the synthetic shop (default 2026)")
    demo.add_argument("--json", action="store_true", help="print the summary as JSON")
    demo.add_argument("--store", metavar="PATH", default=None,
                      help="run the events through a SQLite ledger store file (created if "
                      "missing; needs pip install 'reciprocity[db]'), then print the summary "
                      "read back from it, the points liability and the effects by month; a "
                      "second run on the same file stores nothing again. Each event is one "
                      "transaction: about half a minute for the default 3000 members")
    demo.set_defaults(func=_demo)

    explain = _command(sub, "explain", "print a program in plain words", """\
Print a program file in plain words, as it could be shown to customers: how points are
earned, what they buy, when they expire, the tiers, gifts and goodwill rules.
""")
    explain.add_argument("program", help=PROGRAM_HELP)
    explain.set_defaults(func=_explain)
    register_terms(sub, explain, _command)  # --locale/--markdown and the statement verb

    schema = _command(sub, "schema", "print the JSON Schema of program files", """\
Print the JSON Schema of a program document, for an editor to check a program file as you
write it, or for validation in another language.
""")
    schema.set_defaults(func=_schema)

    replay = _command(sub, "replay", "replay an event file through a program", """\
Replay events through a program and print the totals. The events file has one JSON event
per line, e.g.
  {"type": "purchase", "id": "A-17", "member_id": "m-1",
   "at": "2026-03-01T12:00:00+01:00", "amount": "59.90 EUR"}
A line that is not a valid event, or a refused event (a redemption over the balance, a
return of an unknown order), stops the replay with an error naming the file and line; with
--skip it is counted, named on stderr with its line, and left out.
""")
    replay.add_argument("program", help=PROGRAM_HELP)
    replay.add_argument("events", help="the events: a JSON-lines file, one event per line")
    replay.add_argument("--skip", action="store_true",
                        help="skip unreadable lines and refused events instead of stopping: "
                        "count them, and name each with its line on stderr")
    replay.add_argument("--json", action="store_true", help="print the summary as JSON")
    replay.set_defaults(func=_replay)

    check = _command(sub, "check", "pre-launch checks of a program (exit 1 on findings)", """\
Check a program before launch: tiers nobody can reach, thresholds that do not increase,
a first tier that takes too much of a typical member's year, rules in another currency.
Describe the typical member with --spend, --orders and --points, or let --events measure
the median member of a JSON-lines event file. Exits with 1 when it finds an error or a
warning, so it can guard a deployment.
""")
    check.add_argument("program", help=PROGRAM_HELP)
    check.add_argument("--spend", type=_spend,
                       help="a typical member's yearly spend, e.g. 240.00")
    check.add_argument("--orders", type=_count, help="a typical member's orders per year")
    check.add_argument("--points", type=_count, help="a typical member's points per year")
    check.add_argument("--events", help="a JSON-lines event file to measure the median "
                       "member from")
    check.add_argument("--max-first-share", default="0.25", type=_share,
                       help="largest share of a typical year the first tier may need "
                       "(default 0.25)")
    check.add_argument("--json", action="store_true", help="print the findings as JSON")
    check.set_defaults(func=_check)

    from .experiments.commands import add_commands

    add_commands(sub, _command)

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
