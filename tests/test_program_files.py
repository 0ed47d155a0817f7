"""Unreadable program and event files: one ``InvalidProgram`` (or one error line from the
command) naming the file, with line and column where the parser gives them, said once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reciprocity import InvalidProgram, Program, seed_program
from reciprocity.cli import main

GOOD_EVENT = ('{"type": "purchase", "id": "A-1", "member_id": "m", '
              '"at": "2026-03-01T10:00:00Z", "amount": "60.00 EUR"}')

# (file name, content: text, bytes, None for missing, "dir" for a directory, what the error says)
BAD_PROGRAM_FILES: list[tuple[str, str | bytes | None, str]] = [
    ("p.toml", 'name = "x"\ncurrency = EUR\n',
     "not valid TOML at line 2, column 12: Invalid value;"),
    ("p.toml", 'name = "x"\n[points\n', "not valid TOML at line 2, column 8: Expected ']'"),
    ("p.toml", 'name = "x"\nname = "y"\n',
     "at line 2, column 11: Cannot overwrite a value;"),
    ("p.toml", 'name = "x"\nname = "y"', "Cannot overwrite a value (at the end of the file)"),
    ("p.json", '{"name": \n', "not valid JSON at line 2, column 1: Expecting value"),
    ("p.yaml", "name: [x\n", "not valid YAML at line 2, column 1"),
    ("p.yml", "name: x\n  bad: indent\n", "not valid YAML at line 2, column 6"),
    ("p.json", b"\xff\xfe{}", "is not UTF-8 text at line 1, column 1"),
    ("p.toml", b'name = "x"\ncurrency = "\xe9"\n', "is not UTF-8 text at line 2, column 13"),
    ("p.yaml", "", "is empty"),
    ("p.json", '"a string"', "holds a str, not a mapping"),
    ("p.json", None, "does not exist"),
    ("p.json", "dir", "is a directory"),
    ("p.txt", "{}", "has suffix '.txt'"),
    ("p.toml", 'name = "x"\ncolour = 1\n', "Program has no field 'colour'"),
]


def make(tmp_path: Path, name: str, content: str | bytes | None) -> Path:
    path = tmp_path / name
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize(("name", "content", "mentions"), BAD_PROGRAM_FILES)
def test_bad_program_file(tmp_path: Path, name: str, content: str | bytes | None,
                          mentions: str) -> None:
    """Each unreadable program file is one InvalidProgram naming the file and the problem."""
    path = make(tmp_path, name, content)
    with pytest.raises(InvalidProgram) as info:
        Program.load(path)
    text = str(info.value)
    assert info.value.code == "invalid-program"
    assert mentions in text
    assert repr(str(path)) in text
    assert len(re.findall(r"line \d+", text)) <= 1, f"position said twice: {text}"


def test_unreadable_program_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file without read permission is an InvalidProgram (root can read anything, so the
    operating system's refusal is simulated)."""
    path = make(tmp_path, "p.json", "{}")

    def refuse(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(InvalidProgram, match="cannot be read: permission denied"):
        Program.load(path)


def test_nul_in_path_is_invalid_program() -> None:
    """A path the operating system cannot even look up is still an InvalidProgram."""
    with pytest.raises(InvalidProgram, match="cannot be read"):
        Program.load("p\x00.json")


def test_good_files_still_load(tmp_path: Path) -> None:
    """The wrapping leaves readable files alone: a saved program loads back equal."""
    for suffix in (".json", ".yaml"):
        path = tmp_path / f"p{suffix}"
        seed_program().save(path)
        assert Program.load(path) == seed_program()


def _one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(("name", "content", "mentions"), BAD_PROGRAM_FILES)
@pytest.mark.parametrize("verb", ["explain", "check", "replay"])
def test_every_verb_reports_a_bad_program_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], verb: str, name: str,
        content: str | bytes | None, mentions: str) -> None:
    """Every verb that reads a program prints one error line and exits with 2."""
    path = make(tmp_path, name, content)
    events = tmp_path / "events.jsonl"
    events.write_text(GOOD_EVENT + "\n", encoding="utf-8")
    argv = [verb, str(path)] + ([str(events)] if verb == "replay" else [])
    assert main(argv) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert mentions in line


BAD_EVENT_FILES: list[tuple[str | bytes | None, str]] = [
    (None, "events file '{path}' does not exist"),
    ("dir", "events file '{path}' is a directory"),
    (b"\xff\n", "events file '{path}', line 1: not UTF-8 text at column 1"),
    (GOOD_EVENT + "\n\nnot json\n", "events file '{path}', line 3: event='not json'"),
    ('{"type": "purchse"}\n', "line 1: event.type='purchse' is not a known type; "
                               "did you mean 'purchase'?"),
    (GOOD_EVENT.replace("10:00:00Z", "10:00:00") + "\n", "line 1: Purchase.at"),
]


@pytest.mark.parametrize(("content", "mentions"), BAD_EVENT_FILES)
@pytest.mark.parametrize("verb", ["replay", "check"])
def test_every_verb_reports_a_bad_events_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], verb: str,
        content: str | bytes | None, mentions: str) -> None:
    """replay and check --events name the events file and the line of a bad event."""
    program = tmp_path / "p.json"
    seed_program().save(program)
    events = make(tmp_path, "events.jsonl", content)
    argv = (["replay", str(program), str(events)] if verb == "replay"
            else ["check", str(program), "--events", str(events)])
    assert main(argv) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert mentions.format(path=events) in line


def test_events_file_with_blank_lines_and_crlf(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Blank lines are skipped and Windows line ends are fine."""
    program = tmp_path / "p.json"
    seed_program().save(program)
    events = tmp_path / "events.jsonl"
    events.write_bytes((GOOD_EVENT + "\r\n\r\n").encode())
    assert main(["replay", str(program), str(events), "--json"]) == 0
    assert '"purchases": 1' in capsys.readouterr().out


def test_a_bad_item_is_one_problem_not_two(tmp_path: Path) -> None:
    """A tier whose amount is unreadable is that one problem; pydantic's echo ("the tuple is
    now too short") is not repeated to the user. An empty ladder is still refused."""
    tier = '{"id": "b", "name": "B", "requires": {"type": "min_spend", "amount": "abc EUR"}}'
    path = make(tmp_path, "p.json", '{"name": "x", "currency": "EUR", "timezone": "UTC", '
                f'"tiers": {{"tiers": [{tier}]}}}}')
    with pytest.raises(InvalidProgram) as info:
        Program.load(path)
    assert "amount='abc' is not a number" in str(info.value)
    assert "problems" not in str(info.value)
    assert "at least 1 item" not in str(info.value)
    path.write_text('{"name": "x", "currency": "EUR", "timezone": "UTC", '
                    '"tiers": {"tiers": []}}', encoding="utf-8")
    with pytest.raises(InvalidProgram, match="at least 1 item"):
        Program.load(path)
