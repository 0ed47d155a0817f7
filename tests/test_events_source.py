"""A path or a text where many events belong is refused by name, not read letter by letter."""

from __future__ import annotations

from pathlib import Path

import pytest

from reciprocity import InvalidEvent, parse_events, seed_program, simulate


@pytest.mark.parametrize("source", ["orders.csv", b"{}", Path("orders.csv")])
def test_replay_simulate_and_parse_refuse_a_path(source: object) -> None:
    program = seed_program()
    for call in (lambda: program.replay(source),  # type: ignore[arg-type]
                 lambda: simulate(program, source),
                 lambda: parse_events(source)):  # type: ignore[arg-type]
        with pytest.raises(InvalidEvent, match=r"^events: got .*not events") as info:
            call()
        assert "load_orders" in (info.value.hint or "")


def _short_redemption() -> list[dict[str, object]]:
    """A sign-up and a redemption the seed program refuses: no points yet."""
    at = "2026-01-05T10:00:00Z"
    return [{"type": "signup", "id": "S-1", "member_id": "m", "at": "2026-01-01T10:00:00Z"},
            {"type": "redemption", "id": "R-1", "member_id": "m", "at": at,
             "reward_id": seed_program().points.rewards[0].id}]


def test_a_refusal_in_simulate_and_compare_says_errors_skip_goes_on() -> None:
    from reciprocity import InsufficientPoints, compare

    program = seed_program()
    for call in (lambda: simulate(program, _short_redemption()),
                 lambda: compare({"a": program, "b": program}, _short_redemption())):
        with pytest.raises(InsufficientPoints, match='errors="skip"') as info:
            call()
        assert info.value.to_dict()["hint"].endswith("(listed in the result's rejected)")
    skipped = simulate(program, _short_redemption(), errors="skip")
    assert [event_id for event_id, _ in skipped.rejected] == ["R-1"]


def test_the_cli_says_skip_goes_on(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from reciprocity.cli import main

    program = tmp_path / "p.json"
    program.write_text(seed_program().model_dump_json())
    events = tmp_path / "e.jsonl"
    events.write_text("".join(json.dumps(e) + "\n" for e in _short_redemption()))
    assert main(["replay", str(program), str(events)]) == 2
    err = capsys.readouterr().err
    assert "line 2:" in err
    assert "or pass --skip to go on without refused events" in err
