"""Reading a JSON Lines file of events, as the CLI's ``replay``, ``check``, ``simulate`` and
``compare`` do: one event per non-blank line, every problem named by file and line.

Imports: ``errors``, ``events``.
"""

from __future__ import annotations

from pathlib import Path

from .errors import InvalidEvent
from .events import Event, parse_event

__all__ = ["UnreadableFile", "read_event_file"]


class UnreadableFile(OSError):
    """The file cannot be read at all (missing, a directory, no permission); the message
    names it and says what to do."""


def read_event_file(path: str | Path, *, skip: bool = False) -> tuple[list[Event], list[str]]:
    """The events of a JSON Lines file, and the messages of the lines left out.

    Without ``skip`` the first line that is not UTF-8 or not a valid event raises; with
    ``skip`` such lines are left out and each is described in the second list.

    Raises:
        UnreadableFile: the file does not exist, is a directory or cannot be read.
        InvalidEvent: naming the file and line of the first bad line (without ``skip``).
    """
    shown = repr(str(path))
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
            events.append(parse_event(text))
        except InvalidEvent as exc:
            if not skip:
                if type(exc).__init__ is not InvalidEvent.__init__:
                    raise
                raise type(exc)(f"{where}: {exc.message}", hint=exc.hint) from None
            skipped.append(f"{where}: {exc.message}")
    return events, skipped
