"""Command line, transparency verbs: ``explain --locale/--markdown`` and ``statement``.

``reciprocity explain PROGRAM`` prints :meth:`Program.explain` as before; with ``--locale`` or
``--markdown`` it prints the customer terms (:meth:`Program.terms`) instead.
``reciprocity statement PROGRAM STATE.json [--at ISO] [--locale de] [--markdown | --json]``
prints a member's statement. Both need ``reciprocity[i18n]`` (Babel) for the terms.

Imports: ``program``, ``state``, ``errors`` and ``terms.catalog``; only :mod:`reciprocity.cli`
imports it.
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from .errors import InvalidEvent, InvalidState
from .program import Program
from .state import MemberState

__all__ = ["register"]


def register(sub: Any, explain: argparse.ArgumentParser, command: Any) -> None:
    """Add ``--locale``/``--markdown`` to the ``explain`` parser and the ``statement`` verb
    (``command(sub, name, summary, description)`` makes a parser with the exit codes)."""
    explain.add_argument("--locale", help="print the customer terms in this locale (en, de)")
    explain.add_argument("--markdown", action="store_true",
                         help="print the customer terms as Markdown")
    explain.set_defaults(func=_explain)

    statement = command(sub, "statement", "print a member's statement", """\
Print a member's statement from a saved state: points by lot with their expiry, pending
points, tier progress, vouchers, gifts within reach and recent activity, in a locale, as
text, Markdown or JSON. Needs pip install 'reciprocity[i18n]'.
""")
    statement.add_argument("program", help="a .json, .toml or .yaml program")
    statement.add_argument("state", help="the member's state, as saved JSON (MemberState)")
    statement.add_argument("--at", help="ISO time with offset, e.g. 2026-12-06T12:00+01:00 "
                           "(default: the state's time)")
    statement.add_argument("--locale", default="en", help="locale (default en)")
    form = statement.add_mutually_exclusive_group()
    form.add_argument("--markdown", action="store_true", help="print Markdown")
    form.add_argument("--json", action="store_true", help="print the statement as JSON")
    statement.set_defaults(func=_statement)


def _explain(args: argparse.Namespace) -> int:
    program = Program.load(args.program)
    if args.locale is None and not args.markdown:
        print(program.explain())
    else:
        print(program.terms(args.locale or "en", "markdown" if args.markdown else "text"),
              end="")
    return 0


def _statement(args: argparse.Namespace) -> int:
    program = Program.load(args.program)
    path = Path(args.state)
    shown = repr(str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidState(f"state file {shown} does not exist",
                           hint="check the path") from None
    except IsADirectoryError:
        raise InvalidState(f"state file {shown} is a directory",
                           hint="give the JSON file of a saved MemberState") from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise InvalidState(f"state file {shown} cannot be read: {reason}",
                           hint="give the JSON file of a saved MemberState") from None
    try:
        state = MemberState.model_validate_json(text)
    except InvalidState as exc:
        if type(exc).__init__ is not InvalidState.__init__:  # pragma: no cover - none yet
            raise
        message = exc.message.replace(" at line 1 column ", " at column ")
        raise InvalidState(f"state file {shown}: {message}" if text.strip() else
                           f"state file {shown} is empty", hint=exc.hint) from None
    at = _at(args.at) if args.at is not None else state.as_of
    if at is None:
        raise InvalidEvent("the state has seen no event, so the statement needs a time",
                           hint="pass --at 2026-12-06T12:00+01:00")
    result = program.statement(state, at, args.locale)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(result.render("markdown" if args.markdown else "text"), end="")
    return 0


def _at(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidEvent(f"--at={text!r} is not an ISO time",
                           hint="write e.g. 2026-12-06T12:00+01:00") from None
    if at.tzinfo is None:
        raise InvalidEvent(f"--at={text!r} has no offset",
                           hint="add the offset, e.g. 2026-12-06T12:00+01:00")
    return at
