"""Reading a JSON Lines file of events, as the CLI's ``replay``, ``check``, ``simulate`` and
``compare`` do: one event per non-blank line, every problem named by file and line.

Imports: ``errors``, ``events``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from .errors import InvalidEvent, ReciprocityError
from .events import Event, parse_event

__all__ = ["UnreadableFile", "read_event_file", "refusals", "where"]


_TABLES = {".csv": "CSV", ".parquet": "Parquet", ".pq": "Parquet"}
"""Suffixes of order-lines files, which ``simulate`` reads and ``replay`` does not."""


class UnreadableFile(OSError):
    """The file cannot be read at all (missing, a directory, no permission); the message
    names it and says what to do."""


def read_event_file(path: str | Path, *, skip: bool = False,
                    lines: dict[str, list[int]] | None = None,
                    ) -> tuple[list[Event], list[str]]:
    """The events of a JSON Lines file, and the messages of the lines left out.

    Without ``skip`` the first line that is not UTF-8 or not a valid event raises; with
    ``skip`` such lines are left out and each is described in the second list. ``lines``,
    if given, gets the line numbers of each event id read (for :func:`refusals`).

    Raises:
        UnreadableFile: the file does not exist, is a directory or cannot be read.
        InvalidEvent: naming the file and line of the first bad line (without ``skip``).
    """
    shown = repr(str(path))
    tail = [suffix.lower() for suffix in Path(path).suffixes]
    tail = tail[-2:-1] if tail[-1:] == [".gz"] else tail[-1:]  # lines.csv.gz is CSV too
    table = [_TABLES[suffix] for suffix in tail if suffix in _TABLES]
    if table:
        raise InvalidEvent(
            f"events file {shown} is a {table[0]} file, not JSON Lines",
            hint="give one JSON event per line here; simulate and compare read order lines "
            "from CSV or Parquet: reciprocity simulate PROGRAM FILE --mapping MAPPING.json")
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise UnreadableFile(f"events file {shown} does not exist; check the path") from None
    except IsADirectoryError:
        raise UnreadableFile(
            f"events file {shown} is a directory; give a JSON-lines file") from None
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise UnreadableFile(f"events file {shown} cannot be read: {reason}") from None
    events: list[Event] = []
    skipped: list[str] = []
    for number, line in enumerate(raw.split(b"\n"), start=1):
        where = f"events file {shown}, line {number}"
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            message = (f"{where}: not UTF-8 text at column {exc.start + 1}: {exc.reason}; "
                       "save the file as UTF-8")
            if not skip:
                raise InvalidEvent(message) from None
            skipped.append(message)
            continue
        if not text.strip():
            continue
        try:
            event = parse_event(text)
        except InvalidEvent as exc:
            # the line is one JSON document: its "line 1" is the file's line named before
            message = exc.message.replace(" at line 1 column ", " at column ")
            if not skip:
                if type(exc).__init__ is not InvalidEvent.__init__:
                    raise
                raise type(exc)(f"{where}: {message}", hint=exc.hint) from None
            skipped.append(f"{where}: {message}")
            continue
        events.append(event)
        if lines is not None:
            lines.setdefault(event.id, []).append(number)
    if not events and not skipped:
        raise InvalidEvent(f"events file {shown} has no events: it is empty or blank",
                           hint="give one JSON event per line")
    return events, skipped


def where(source: str, lines: Mapping[str, list[int]] | None, event_id: str) -> str:
    """``events file 'x.jsonl', line 6`` (the lines of ``event_id``), or ``events file
    'x.jsonl', event 'A-1'`` when its lines are not known (rows of a CSV)."""
    numbers = (lines or {}).get(event_id)
    if not numbers:
        return f"events file {source!r}, event {event_id!r}"
    return (f"events file {source!r}, line{'s' if len(numbers) > 1 else ''} "
            + ", ".join(str(n) for n in numbers))


def refusals(source: str, lines: Mapping[str, list[int]] | None,
             rejected: Iterable[tuple[str, ReciprocityError]], *, skip: bool,
             prefix: str = "") -> list[str]:
    """The refused events of a replay, each as one line naming the file and line (after
    ``prefix``); without ``skip``, the first refusal raises, with the file and line put
    before its message."""
    out = []
    for event_id, error in rejected:
        place = prefix + where(source, lines, event_id)
        if not skip:
            error.amend(before=f"{place}: ", hint="or pass --skip to go on without refused "
                        "events (each named on stderr)")
            raise error
        out.append(f"{place}: refused: {error}")
    return out
