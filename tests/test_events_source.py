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
