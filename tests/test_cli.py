"""The command's words: help written for users, and a demo table whose figures agree."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from reciprocity import seed_program
from reciprocity.cli import main

VERBS = ["demo", "explain", "schema", "replay", "check", "simulate", "compare", "statement"]
DEVELOPER_WORDS = ("Imports:", "``", "standard library", "outermost layer", "docstring")


def help_text(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as info:
        main([*argv, "--help"])
    assert info.value.code == 0
    return capsys.readouterr().out


def test_top_level_help_is_for_users(capsys: pytest.CaptureFixture[str]) -> None:
    """``reciprocity --help`` says what the tool does and lists every verb, in users' words,
    not the module docstring meant for developers."""
    text = help_text([], capsys)
    assert "loyalty program" in text
    for verb in VERBS:
        assert re.search(rf"^\s+{verb}\s+\S", text, re.MULTILINE), verb
    for word in DEVELOPER_WORDS:
        assert word not in text
    assert "exit codes" in text


@pytest.mark.parametrize("verb", VERBS)
def test_every_verb_has_a_description(verb: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Each verb's --help has a paragraph saying what it does (not only the usage line), its
    options with help, and the exit codes."""
    text = help_text([verb], capsys)
    usage, _, rest = text.partition("\n\n")
    assert usage.startswith(f"usage: reciprocity {verb}")
    description = rest.split("\n\n")[0]
    assert len(description.split()) >= 15, description
    for word in DEVELOPER_WORDS:
        assert word not in text
    assert "exit codes" in text
    for option in re.findall(r"\[(--[\w-]+)", text.split("\n\n")[0]):
        listed = re.search(rf"^  {option}\b.*\n?.*$", text, re.MULTILINE)
        assert listed, option
        assert len(listed[0].split()) >= 4, f"{option} has no help: {listed[0]!r}"


def test_demo_members_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    """An empty or negative shop is refused by the argument parser (exit code 2)."""
    with pytest.raises(SystemExit) as info:
        main(["demo", "--members", "0"])
    assert info.value.code == 2
    assert "1 or more" in capsys.readouterr().err


def _figure(text: str, label: str) -> str:
    found = re.search(rf"^{re.escape(label)}.*?\s([\d,]+(?:\.\d+)?)(?: [A-Z]{{3}})?$", text,
                      re.MULTILINE)
    assert found, f"no {label!r} row in:\n{text}"
    return found[1].replace(",", "")


def test_demo_outstanding_debt_and_liability_agree(capsys: pytest.CaptureFixture[str]) -> None:
    """The demo shows the points owed back (debt) beside the outstanding points, and the
    liability is outstanding less debt at the point value, so the figures add up on the
    page (issue 10: "points outstanding 5,723" beside "liability 5722.00 EUR")."""
    assert main(["demo"]) == 0
    text = capsys.readouterr().out
    outstanding = int(_figure(text, "points outstanding"))
    debt = int(_figure(text, "points owed back by members (debt)"))
    liability = Decimal(_figure(text, "points liability"))
    assert debt > 0  # the default demo has a member in debt: the case the issue saw
    assert liability == (outstanding - debt) * seed_program().point_value().amount
    assert f"points liability ({outstanding - debt:,} points" in text
    assert f"{liability:,.2f} EUR" in text  # grouped like the point counts beside it


@pytest.mark.parametrize(("argv", "mentions"), [
    (["check", "p.json", "--spend", "-5"], "'-5' is not an amount of 0 or more"),
    (["check", "p.json", "--spend", "abc"], "'abc' is not an amount"),
    (["check", "p.json", "--spend", "1E+40"], "'1E+40' is more than the supported maximum"),
    (["check", "p.json", "--points", "10" * 9], "is more than the supported maximum"),
    (["check", "p.json", "--orders", "-1"], "'-1' is not a whole number of 0 or more"),
    (["check", "p.json", "--points", "many"], "'many' is not a whole number"),
    (["check", "p.json", "--max-first-share", "2"], "'2' is not a share between 0 and 1"),
    (["demo", "--members", "-3"], "'-3' is not a whole number of 1 or more"),
])
def test_bad_arguments_exit_2_with_the_fix(argv: list[str], mentions: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """A bad option value is refused before any file is read, saying what is expected."""
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert mentions in err
    assert "Traceback" not in err
