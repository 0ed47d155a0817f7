"""Programs as data: JSON, TOML and YAML files, the JSON Schema, and the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reciprocity import (
    AmountOver,
    ChannelIs,
    InvalidProgram,
    Money,
    PointScheme,
    PointsPerAmount,
    PointsPerPurchase,
    Program,
    program_json_schema,
    seed_program,
)
from reciprocity.cli import main

TOML_PROGRAM = """
name = "Tea club"
currency = "EUR"
timezone = "Europe/Berlin"

[[points.earn]]
type = "points_per_purchase"
id = "over-50"
points = 1
min_amount = { amount = "50.00", currency = "EUR" }

[points.earn.when]
type = "channel_is"
channels = ["web"]

[[points.rewards]]
id = "voucher-10"
name = "10 EUR voucher"
points = 10
value = { amount = "10.00", currency = "EUR" }
"""


def rich_program() -> Program:
    return Program(
        name="Rich", currency="EUR", timezone="Europe/Berlin",
        points=PointScheme(earn=(
            PointsPerPurchase(id="o50", points=1, min_amount=Money("50", "EUR"),
                              when=AmountOver(amount=Money("50", "EUR")) & ~ChannelIs(
                                  channels=("marketplace",))),
            PointsPerAmount(id="base", per=Money("2", "EUR"),
                            exclude_categories=("gift-card",)),
        )),
    )


class TestFiles:
    def test_toml(self, tmp_path: Path) -> None:
        """A program written by hand in TOML loads and works."""
        path = tmp_path / "program.toml"
        path.write_text(TOML_PROGRAM, encoding="utf-8")
        program = Program.load(path)
        assert program.points.earn[0].when == ChannelIs(channels=("web",))
        assert "1 point for every order over 50.00 EUR, when channel is web" in program.explain()

    @pytest.mark.parametrize("suffix", [".json", ".yaml", ".yml"])
    def test_save_and_load_round_trip(self, tmp_path: Path, suffix: str) -> None:
        """save() then load() gives an equal program with identical JSON."""
        program = rich_program()
        path = tmp_path / f"program{suffix}"
        program.save(path)
        loaded = Program.load(path)
        assert loaded == program
        assert loaded.model_dump_json() == program.model_dump_json()

    def test_operators_and_hand_written_json_dump_the_same(self) -> None:
        """A condition built with & and ~ saves as the JSON one would write by hand."""
        when = rich_program().points.earn[0].when
        assert when is not None
        assert when.model_dump(mode="json") == {"type": "all_of", "conditions": [
            {"type": "amount_over", "amount": {"amount": "50", "currency": "EUR"},
             "inclusive": False},
            {"type": "not", "condition": {"type": "channel_is", "channels": ["marketplace"]}}]}

    @pytest.mark.parametrize("name", ["program.ini", "program.toml.txt"])
    def test_unknown_suffix(self, tmp_path: Path, name: str) -> None:
        """A file with another suffix is refused, naming the suffixes that work."""
        path = tmp_path / name
        path.write_text("{}", encoding="utf-8")
        with pytest.raises(InvalidProgram, match=r"\.json, \.toml, \.yaml"):
            Program.load(path)

    def test_bad_program_file_names_the_field(self, tmp_path: Path) -> None:
        """A typo in a file is reported with its path in the document."""
        path = tmp_path / "program.json"
        data = seed_program().model_dump(mode="json")
        data["points"]["earn"][0]["pionts"] = 2
        path.write_text(json.dumps(data), encoding="utf-8")
        with pytest.raises(InvalidProgram, match=r"Program\.points\.earn\[0\]: "
                           r"PointsPerPurchase has no field 'pionts'; did you mean 'points'\?"):
            Program.load(path)


class TestSchema:
    def test_schema_describes_program_documents(self) -> None:
        """The published schema has the program's fields and the tagged rule types."""
        schema = program_json_schema()
        assert schema["title"] == "Program"
        assert {"name", "currency", "timezone", "points"} <= set(schema["properties"])
        text = json.dumps(schema)
        for tag in ("points_per_purchase", "points_per_amount", "fixed_lifetime", "all_of"):
            assert tag in text

    def test_schema_validates_a_saved_program(self) -> None:
        """A saved program is valid under the published schema (checked with jsonschema)."""
        jsonschema = pytest.importorskip("jsonschema")
        jsonschema.validate(json.loads(rich_program().model_dump_json()), program_json_schema())


class TestCommandLine:
    def test_demo(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The demo prints the program and a summary table."""
        assert main(["demo", "--members", "200", "--seed", "3"]) == 0
        out = capsys.readouterr().out
        assert "1 point for every order over 50.00 EUR" in out
        for label in ("members", "orders", "points earned", "points redeemed",
                      "vouchers issued", "points liability"):
            assert label in out

    def test_demo_json_is_deterministic(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Same seed, same summary, byte for byte."""
        main(["demo", "--members", "100", "--json"])
        first = capsys.readouterr().out
        main(["demo", "--members", "100", "--json"])
        assert capsys.readouterr().out == first
        assert json.loads(first)["members"] == 100

    def test_explain_schema_and_replay(self, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
        """explain, schema and replay work on files."""
        program_path = tmp_path / "p.json"
        seed_program().save(program_path)
        events = tmp_path / "events.jsonl"
        events.write_text("\n".join(json.dumps(e) for e in [
            {"type": "purchase", "id": "A-1", "member_id": "m", "at": "2026-03-01T10:00:00Z",
             "amount": {"amount": "60.00", "currency": "EUR"}},
            {"type": "purchase", "id": "A-2", "member_id": "m", "at": "2026-03-02T10:00:00Z",
             "amount": {"amount": "20.00", "currency": "EUR"}},
        ]) + "\n", encoding="utf-8")
        assert main(["explain", str(program_path)]) == 0
        assert "Seed program" in capsys.readouterr().out
        assert main(["schema"]) == 0
        assert json.loads(capsys.readouterr().out)["title"] == "Program"
        assert main(["replay", str(program_path), str(events), "--json"]) == 0
        summary = json.loads(capsys.readouterr().out)
        assert (summary["purchases"], summary["points_earned"]) == (2, 1)

    def test_errors_exit_2_with_a_message(self, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
        """A bad file gives exit code 2 and the library's message, not a traceback."""
        assert main(["explain", str(tmp_path / "missing.json")]) == 2
        assert "error:" in capsys.readouterr().err
