"""``Program.explain`` (and every English text of the core) does not follow the process's
locale: a German shop that sets ``LC_TIME`` still reads "for points collected before 1
October", not "1 Oktober" (``strftime("%B")`` and ``calendar.month_name`` follow ``LC_TIME``;
the core names months from its own English list; the terms say them in their own locale).

The test makes a German locale with ``localedef`` in a temporary directory (``LOCPATH``) and
explains three programs that name days of the year (a calendar cut-off expiry, a seasonal
gift, a store credit issued on a day) in a Python process set to it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from _load import ROOT

SCRIPT = """
import calendar, locale, sys
sys.path.insert(0, {tests!r})
locale.setlocale(locale.LC_ALL, "de_DE.UTF-8")
assert calendar.month_name[3] == "M\\u00e4rz", calendar.month_name[3]  # the locale took hold
import test_explain_labels as t
for name in ("payback", "terms-gifts", "rei"):
    print(t.PROGRAMS[name]().explain())
"""


@pytest.fixture(scope="module")
def german(tmp_path_factory: pytest.TempPathFactory) -> Path:
    localedef = shutil.which("localedef")
    if localedef is None:
        pytest.skip("no localedef on this machine to make a German locale with")
    where = tmp_path_factory.mktemp("locales")
    made = subprocess.run([localedef, "-i", "de_DE", "-f", "UTF-8", str(where / "de_DE.UTF-8")],
                          capture_output=True, text=True, check=False)
    if not (where / "de_DE.UTF-8").exists():
        pytest.skip(f"localedef could not make de_DE.UTF-8: {made.stderr.strip()[:200]}")
    return where


def test_explain_is_english_whatever_the_locale(german: Path) -> None:
    import test_explain_labels as t

    env = {**os.environ, "LOCPATH": str(german)}
    run = subprocess.run([sys.executable, "-c", SCRIPT.format(tests=str(ROOT / "tests"))],
                         capture_output=True, text=True, env=env, check=False, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    here = "\n".join(t.PROGRAMS[name]().explain() for name in ("payback", "terms-gifts", "rei"))
    assert run.stdout.rstrip("\n") == here
    for said in ("every 30 September, for points collected before 1 October",
                 "from 1 December to 24 December", "from 1 March to 7 March",
                 "on 15 March after the year ends"):
        assert said in here
