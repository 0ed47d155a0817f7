"""The experiment commands of the CLI: ``reciprocity simulate`` and ``reciprocity compare``,
and how they read their events (JSON Lines through ``_eventfile``, the reader every verb
shares; CSV or Parquet through a column mapping).

EVENTS is a JSON Lines file (one event per line), or order lines as CSV or Parquet read
through a column mapping (``--mapping FILE``, an :class:`OrderColumns` as JSON; without it
the columns are named ``order_id``, ``member_id``, ``at``, ``sku``, ``quantity``,
``unit_price``). The tables go to ``--out DIR`` as CSV (or Parquet with ``--format``), and a
summary is printed.

Imports: ``_eventfile``, ``errors``, ``program``, ``experiments.columns``, ``.sources``,
``.simulate``, ``.compare``, ``.redemption``.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from .._eventfile import UnreadableFile, read_event_file, refusals
from ..errors import InvalidEvent
from ..program import Program
from .columns import OrderColumns
from .compare import compare
from .redemption import RedemptionModel
from .simulate import simulate
from .sources import load_orders

__all__ = ["add_commands", "read_events"]


def read_events(path: Path, program: Program, mapping: Path | None,
                skip: bool, lines: dict[str, list[int]] | None = None,
                ) -> tuple[Any, list[str]]:
    """Events from JSON Lines, or order lines from CSV or Parquet through a mapping;
    ``lines`` gets the line numbers of each event id of a JSON Lines file."""
    suffixes = "".join(path.suffixes).lower()
    if suffixes.endswith((".jsonl", ".ndjson", ".json")):
        return read_event_file(path, skip=skip, lines=lines)
    columns = (_mapping(mapping) if mapping is not None
               else OrderColumns(timezone=program.timezone))
    skipped: list[str] | None = [] if skip else None
    loaded = load_orders(path, columns, currency=program.currency, skipped=skipped)
    return loaded, skipped or []


def _mapping(path: Path) -> OrderColumns:
    """The column mapping file, every problem named with the file."""
    shown = repr(str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UnreadableFile(f"mapping file {shown} does not exist; check the path") from None
    except IsADirectoryError:
        raise UnreadableFile(f"mapping file {shown} is a directory; give a JSON file of "
                             "OrderColumns") from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise UnreadableFile(f"mapping file {shown} cannot be read: {reason}") from None
    try:
        return OrderColumns.model_validate_json(text)
    except InvalidEvent as exc:
        message = exc.message.replace("OrderColumns=", "", 1) if text.strip() else "is empty"
        raise InvalidEvent(f"mapping file {shown}: {message}",
                           hint=exc.hint or "write the OrderColumns as one JSON object, e.g. "
                           '{"order_id": "InvoiceNo", "member_id": "CustomerID"}') from None


def _share(text: str) -> str:
    try:
        value = Decimal(text)
    except ArithmeticError:
        value = Decimal(-1)
    if not value.is_finite() or not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a share between 0 and 1, e.g. 0.5")
    return text


def _out(path: Path) -> Path:
    """The output folder, created now, so that a path that cannot be written is refused
    before the simulation runs."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UnreadableFile(f"cannot write the tables to {str(path)!r}: {reason}; give a "
                             "folder you can write to with --out") from None
    return path


def _until(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO date and time with an offset, e.g. "
            "2012-01-01T00:00:00+00:00") from None
    if when.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no offset; add one, e.g. +00:00")
    return when


def _model(args: argparse.Namespace) -> RedemptionModel | None:
    if args.redeem is None:
        return None
    return RedemptionModel(probability=Decimal(args.redeem), breakage=Decimal(args.breakage),
                           seed=args.seed)


def _simulate(args: argparse.Namespace) -> int:
    program = Program.load(args.program)
    if args.out is not None:
        _out(args.out)
    lines: dict[str, list[int]] = {}
    events, skipped = read_events(Path(args.events), program, args.mapping, args.skip, lines)
    # refusals are said with their file and line: without --skip, the first is the error
    result = simulate(program, events, until=args.until, freq=args.freq,
                      redemption=_model(args), errors="skip", progress=None)
    skipped += refusals(args.events, lines, result.rejected, skip=args.skip)
    if args.out is not None:
        for path in result.write(args.out, format=args.format):
            print(f"wrote {path}")
    if args.json:
        print(result.totals.model_dump_json(indent=2))
    else:
        print(repr(result))
    for message in skipped:
        print(f"skipped: {message}", file=sys.stderr)
    return 0


def _compare(args: argparse.Namespace) -> int:
    *program_paths, events_path = args.files
    if len(program_paths) < 2:
        raise InvalidEvent("compare needs two programs or more and an events file",
                           hint="reciprocity compare A.toml B.toml EVENTS")
    programs: dict[str, Program] = {}
    for text in program_paths:
        path = Path(text)
        name = path.stem if path.stem not in programs else str(path)
        programs[name] = Program.load(path)
    first = next(iter(programs.values()))
    if args.out is not None:
        _out(args.out)
    lines: dict[str, list[int]] = {}
    events, skipped = read_events(Path(events_path), first, args.mapping, args.skip, lines)
    comparison = compare(programs, events, until=args.until, freq=args.freq,
                         redemption=_model(args), errors="skip")
    for name, result in comparison.results.items():
        skipped += refusals(events_path, lines, result.rejected, skip=args.skip,
                            prefix=f"program {name!r}, ")
    if args.out is not None:
        out = Path(args.out)
        for name, result in comparison.results.items():
            result.write(out, format=args.format, prefix=f"{name}-")
        for name, table in (("metrics", comparison.metrics), ("totals", comparison.totals),
                            ("members", comparison.members), ("deciles", comparison.deciles),
                            ("tier_moves", comparison.tier_moves)):
            target = out / f"compare-{name}.{args.format}"
            if args.format == "csv":
                table.to_csv(target)
            else:
                table.to_parquet(target)
        print(f"wrote the tables to {out}")
    if args.json:
        print(json.dumps({name: json.loads(r.totals.model_dump_json())
                          for name, r in comparison.results.items()}, indent=2))
    else:
        print(repr(comparison))
    for message in skipped:
        print(f"skipped: {message}", file=sys.stderr)
    return 0


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mapping", type=Path,
                        help="column mapping of CSV or Parquet order lines (OrderColumns JSON)")
    parser.add_argument("--until", type=_until,
                        help="advance every member to this time, e.g. 2012-01-01T00:00+00:00")
    parser.add_argument("--freq", default="M", choices=("D", "W", "M", "Q", "Y"),
                        help="period of the metrics (default M)")
    parser.add_argument("--out", type=Path, help="write the tables to this folder")
    parser.add_argument("--format", default="csv", choices=("csv", "parquet"),
                        help="file format of the tables written with --out (default csv)")
    parser.add_argument("--redeem", type=_share,
                        help="draw redemptions with this probability, e.g. 0.5")
    parser.add_argument("--breakage", default="0.2", type=_share,
                        help="share of members who never redeem (with --redeem)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the redemption model")
    parser.add_argument("--skip", action="store_true",
                        help="skip unreadable lines and refused events")
    parser.add_argument("--json", action="store_true", help="print the totals as JSON")


def add_commands(sub: Any, command: Any) -> None:
    """Add ``simulate`` and ``compare`` to the CLI's subcommands (``command(sub, name,
    summary, description)`` makes a parser with the CLI's exit codes)."""
    sim = command(sub, "simulate", "simulate a program over events: tables, metrics", """\
Replay events through a program and print what it would have cost: points earned,
redeemed and expired, the liability, vouchers, gifts, goodwill and the programme cost as a
share of revenue. With --out the tables (effects, members, metrics per period) are written
as CSV or Parquet. EVENTS is a JSON-lines file of events, or order lines as CSV or Parquet
read through a column mapping (--mapping).
""")
    sim.add_argument("program", help="a .json, .toml or .yaml program")
    sim.add_argument("events", help="JSON Lines events, or CSV or Parquet order lines")
    _common(sim)
    sim.set_defaults(func=_simulate)
    cmp = command(sub, "compare", "compare programs over the same events", """\
Simulate two programs or more over the same events and print their metrics side by side,
with who is better off under each; with --out the tables are written per program and for
the comparison. Give the program files first and the events file last.
""")
    cmp.add_argument("files", nargs="+", metavar="FILE",
                     help="two programs or more, then the events file")
    _common(cmp)
    cmp.set_defaults(func=_compare)


