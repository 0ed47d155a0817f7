"""The transparency verbs of the command line: ``explain --locale/--markdown``, ``statement``."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from reciprocity import Money, Purchase, seed_program
from reciprocity.cli import main

pytest.importorskip("babel", reason="terms need Babel: pip install 'reciprocity[i18n]'")

AT = datetime(2026, 3, 1, 12, tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    program = seed_program()
    program_path = tmp_path / "program.json"
    program.save(program_path)
    state = program.apply(None, Purchase(id="A-17", member_id="m-1", at=AT,
                                         amount=Money("59.90", "EUR"))).state
    state_path = tmp_path / "state.json"
    state_path.write_text(state.model_dump_json(), encoding="utf-8")
    return program_path, state_path


class TestExplain:
    def test_plain_explain_is_unchanged(self, files: tuple[Path, Path],
                                        capsys: pytest.CaptureFixture[str]) -> None:
        """Without --locale or --markdown, explain prints Program.explain()."""
        assert main(["explain", str(files[0])]) == 0
        assert capsys.readouterr().out == seed_program().explain() + "\n"

    def test_locale_and_markdown(self, files: tuple[Path, Path],
                                 capsys: pytest.CaptureFixture[str]) -> None:
        """--locale prints the terms in that locale, --markdown as Markdown."""
        assert main(["explain", str(files[0]), "--locale", "de"]) == 0
        assert capsys.readouterr().out == seed_program().terms("de")
        assert main(["explain", str(files[0]), "--markdown"]) == 0
        assert capsys.readouterr().out == seed_program().terms("en", "markdown")

    def test_unknown_locale(self, files: tuple[Path, Path],
                            capsys: pytest.CaptureFixture[str]) -> None:
        """An unknown locale exits 2 with the error and its code."""
        assert main(["explain", str(files[0]), "--locale", "xx"]) == 2
        assert "[unknown-locale]" in capsys.readouterr().err


class TestStatement:
    def test_text_at_the_states_time(self, files: tuple[Path, Path],
                                     capsys: pytest.CaptureFixture[str]) -> None:
        """Without --at, the statement is at the state's time."""
        assert main(["statement", str(files[0]), str(files[1]), "--locale", "de"]) == 0
        out = capsys.readouterr().out
        assert out.startswith("Kontoauszug für m-1 am 01.03.2026\n")
        assert "- Verfügbar: ein Punkt.\n" in out

    def test_json_at_a_time(self, files: tuple[Path, Path],
                            capsys: pytest.CaptureFixture[str]) -> None:
        """--json prints the dict; --at sets the time."""
        assert main(["statement", str(files[0]), str(files[1]), "--json",
                     "--at", "2026-04-01T12:00+02:00"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert data["points"]["available"] == 1
        assert data["at"] == "2026-04-01T12:00:00+02:00"

    @pytest.mark.parametrize(("at", "message"), [
        ("yesterday", "is not an ISO time"), ("2026-04-01T12:00", "has no offset")])
    def test_bad_time(self, files: tuple[Path, Path], capsys: pytest.CaptureFixture[str],
                      at: str, message: str) -> None:
        """A time that is not ISO, or has no offset, exits 2 naming the fix."""
        assert main(["statement", str(files[0]), str(files[1]), "--at", at]) == 2
        assert message in capsys.readouterr().err

    def test_missing_state_file(self, files: tuple[Path, Path], tmp_path: Path,
                                capsys: pytest.CaptureFixture[str]) -> None:
        """A state file that does not exist exits 2."""
        assert main(["statement", str(files[0]), str(tmp_path / "nope.json")]) == 2
        assert "does not exist" in capsys.readouterr().err
