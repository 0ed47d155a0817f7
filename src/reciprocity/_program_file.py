"""Reading a program file: every way the file can be unreadable becomes an ``InvalidProgram``.

A missing file, a directory, a file without read permission, bytes that are not UTF-8, and
JSON, TOML or YAML syntax errors all raise :class:`~reciprocity.InvalidProgram`, naming the
file and, where the parser gives them, the line and column (said once). Validating the data
as a program is the caller's part (:meth:`reciprocity.Program.load`).

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "p.toml"
>>> _ = path.write_text('name = "x"\\ncurrency = EUR\\n', encoding="utf-8")
>>> read_program_file(path)
Traceback (most recent call last):
...
reciprocity.InvalidProgram: program file '...p.toml' is not valid TOML at line 2, column 12: ...

Imports: ``errors`` only (PyYAML lazily, when a YAML file is read).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from .errors import InvalidProgram, MissingDependency

__all__ = ["SUFFIXES", "read_program_file"]

SUFFIXES = (".json", ".toml", ".yaml", ".yml")
"""The suffixes :meth:`reciprocity.Program.load` reads."""

_TOML_WHERE = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)\s*$")


def read_program_file(path: Path) -> tuple[str, Any]:
    """The text of the program file at ``path`` and the data parsed from it.

    Raises:
        InvalidProgram: the suffix is not one of :data:`SUFFIXES`; the file is missing, a
            directory or unreadable; it is not UTF-8; it is not valid JSON, TOML or YAML; or
            it does not hold a mapping.
        MissingDependency: a YAML file and PyYAML is not installed.
    """
    shown = repr(str(path))
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InvalidProgram(f"program file {shown} has suffix {suffix!r}",
                             hint="use .json, .toml, .yaml or .yml")
    text = _read_text(path, shown)
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _syntax(shown, "JSON", exc.msg, exc.lineno, exc.colno) from None
    elif suffix == ".toml":
        import tomllib

        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            message, line, column = _toml_position(str(exc))
            raise _syntax(shown, "TOML", message, line, column) from None
    else:
        data = _read_yaml(text, shown)
    if data is None:
        raise InvalidProgram(f"program file {shown} is empty",
                             hint="write the program as a mapping of fields, e.g. name: ...")
    if not isinstance(data, dict):
        raise InvalidProgram(
            f"program file {shown} holds a {type(data).__name__}, not a mapping",
            hint="write the program as a mapping of fields, e.g. name: ...")
    return text, data


def _read_text(path: Path, shown: str) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InvalidProgram(f"program file {shown} does not exist",
                             hint="check the path") from None
    except IsADirectoryError:
        raise InvalidProgram(f"program file {shown} is a directory",
                             hint="give the path of a .json, .toml or .yaml file in it") from None
    except PermissionError:
        raise InvalidProgram(f"program file {shown} cannot be read: permission denied",
                             hint="check the file's permissions") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        reason = getattr(exc, "strerror", None) or str(exc)
        raise InvalidProgram(f"program file {shown} cannot be read: {reason}",
                             hint="check the path") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InvalidProgram(
            f"program file {shown} is not UTF-8 text at line {line}, column {column} "
            f"(byte {exc.start}, {raw[exc.start:exc.start + 1]!r}): {exc.reason}",
            hint="save the file as UTF-8") from None


def _read_yaml(text: str, shown: str) -> Any:
    try:
        import yaml
    except ImportError:
        raise MissingDependency(
            "reading YAML needs PyYAML", hint="pip install 'reciprocity[yaml]'"
        ) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise _syntax(shown, "YAML", str(problem),
                      None if mark is None else mark.line + 1,
                      None if mark is None else mark.column + 1) from None


def _syntax(shown: str, kind: str, message: str, line: int | None,
            column: int | None) -> InvalidProgram:
    where = "" if line is None else f" at line {line}" + (
        "" if column is None else f", column {column}")
    return InvalidProgram(f"program file {shown} is not valid {kind}{where}: {message}",
                          hint=f"correct the {kind} syntax there")


def _toml_position(message: str) -> tuple[str, int | None, int | None]:
    """The message of a ``TOMLDecodeError`` without its position, and the position.

    >>> _toml_position("Invalid value (at line 2, column 12)")
    ('Invalid value', 2, 12)
    >>> _toml_position("Cannot overwrite a value (at end of document)")
    ('Cannot overwrite a value (at the end of the file)', None, None)
    """
    found = _TOML_WHERE.search(message)
    if found is None:
        return message, None, None
    head = message[:found.start()]
    if found[1] is None:
        return f"{head} (at the end of the file)", None, None
    return head, int(found[1]), int(found[2])
