"""The example notebooks run end to end on the real data and say what they must.

``docs/examples/online_retail_experiment.ipynb`` and ``docs/examples/olist_goodwill.ipynb``
are executed with nbclient (the ``notebook`` extra, part of ``test``), from
``docs/examples/`` as a reader runs them, with their ``parameters`` cell pointed at the
shared data folder. Their printed figures are checked against the data's README and against
the differences the programmes are built to have; their plots must be images. They skip,
saying why, when the data folder is absent.

Both run on the whole of their files: the Online Retail notebook in about a minute on two
cores (its ``MEMBERS`` parameter runs an even sample of the members instead, for a quicker
look; ``RETAIL_MEMBERS`` here), the Olist one in about ten seconds.
"""

from __future__ import annotations

import base64
import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "docs" / "examples"
DATA = ROOT.parent / "shared" / "data"
RETAIL = DATA / "online-retail" / "online_retail_2010-12_2011-12.csv.gz"
OLIST = DATA / "olist-classified" / "olist_classified_public_dataset.csv.gz"
RETAIL_MEMBERS: int | None = None
"""Members in the Online Retail notebook's sample, or ``None`` for all 4,338."""


def _absent(path: Path) -> Any:
    return pytest.mark.skipif(not path.is_file(), reason=f"real data not found: {path} is "
                              "absent (CI has the shared data folder at ../shared/data)")


def execute(name: str, **parameters: Any) -> Any:
    """Run the notebook with its ``parameters`` cell extended; return it with outputs."""
    nbformat = pytest.importorskip("nbformat", reason="needs the notebook extra (nbformat)")
    nbclient = pytest.importorskip("nbclient", reason="needs the notebook extra (nbclient)")
    pytest.importorskip("ipykernel", reason="needs the notebook extra (ipykernel)")
    notebook = nbformat.read(EXAMPLES / name, as_version=4)
    cell = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", ()))
    cell.source += "".join(f"\n{key} = {value!r}" for key, value in parameters.items())
    client = nbclient.NotebookClient(notebook, timeout=1200, kernel_name="python3",
                                     resources={"metadata": {"path": str(EXAMPLES)}})
    client.execute()
    return notebook


def text(notebook: Any, marker: str) -> str:
    """Everything printed or shown as text by the code cell whose source holds ``marker``."""
    cell = next(c for c in notebook.cells if c.cell_type == "code" and marker in c.source)
    parts = []
    for output in cell.outputs:
        if output.output_type == "stream":
            parts.append(output.text)
        elif output.output_type in ("execute_result", "display_data"):
            parts.append(output.data.get("text/plain", ""))
    return "".join(parts)


def images(notebook: Any) -> list[bytes]:
    return [base64.b64decode(output.data["image/png"])
            for cell in notebook.cells if cell.cell_type == "code"
            for output in cell.outputs if "image/png" in output.get("data", {})]


def figures(lines: str) -> dict[str, str]:
    """``label   value`` lines as a mapping."""
    found = {}
    for line in lines.splitlines():
        match = re.match(r"^(\S.*?)\s{2,}(\S+)$", line)
        if match:
            found[match[1]] = match[2]
    return found


def _png(data: bytes) -> None:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 10_000  # a drawn figure, not an empty canvas


@pytest.fixture(scope="module")
def retail(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    out = tmp_path_factory.mktemp("retail-figures")
    return execute("online_retail_experiment.ipynb", DATA=str(DATA),
                   MEMBERS=RETAIL_MEMBERS, FIGURES=str(out)), out


@_absent(RETAIL)
class TestOnlineRetailNotebook:
    def test_counts_match_the_readme(self, retail: tuple[Any, Path]) -> None:
        """What the loader read is what ``../shared/data/README.md`` says the file holds."""
        found = figures(text(retail[0], "load_online_retail(DATA)"))
        assert found == {
            "rows": "541,909", "invoices": "25,900", "customers": "4,372",
            "revenue, GBP": "9,747,747.93", "gross, GBP": "10,644,560.42",
            "cancellation rows": "9,288", "cancellation invoices": "3,836",
            "cancelled, GBP": "-896,812.49", "customers with a cancellation": "36%",
            "rows without a customer": "135,080", "negative rows, not cancellations": "1,336",
            "A invoices (adjust bad debt)": "3", "rows with UnitPrice <= 0": "2,517",
            "exact duplicate rows": "5,268"}

    def test_members_and_events(self, retail: tuple[Any, Path]) -> None:
        """Every member with a purchase and every event (or the sample asked for)."""
        shown = text(retail[0], "MEMBERS is not None")
        if RETAIL_MEMBERS is None:
            assert shown == "4,338 members, 22,294 events\n"  # 18,532 purchases, 3,762 returns
        else:
            assert shown.startswith(f"{RETAIL_MEMBERS:,} members, ")

    def test_simulation_names_its_model_and_redeems(self, retail: tuple[Any, Path]) -> None:
        shown = text(retail[0], "redemption=model")
        assert "best reward at each period end with p=0.5, 20% of members never redeem, " \
               "seed 13" in shown
        redeemed = re.search(r"Points redeemed\s+([\d,]+)", shown)
        assert redeemed is not None
        assert int(redeemed[1].replace(",", "")) > 0

    def test_known_differences(self, retail: tuple[Any, Path]) -> None:
        """Double points: exactly twice today's points and liability; easier tiers: the same
        points, nobody ends a tier lower and some end higher."""
        lines = text(retail[0], "double points / today").splitlines()
        for metric in ("points earned", "points expired", "points outstanding", "liability"):
            assert f"double points / today, {metric}: 2.0000" in lines
        assert "easy tiers - today, points earned: 0" in lines
        moves = {m[1]: (int(m[2].replace(",", "")), int(m[3].replace(",", "")))
                 for m in (re.match(r"(.+) vs today: ([\d,]+) members end a tier higher, "
                                    r"([\d,]+) a tier lower", line) for line in lines) if m}
        assert moves["double points"] == (0, 0)
        gained, lost = moves["easy tiers"]
        assert gained > 0
        assert lost == 0

    def test_four_plots(self, retail: tuple[Any, Path]) -> None:
        """The four figures are shown and saved as PNG images."""
        notebook, out = retail
        shown = images(notebook)
        assert len(shown) == 4
        for data in shown:
            _png(data)
        saved = sorted(p.name for p in out.iterdir())
        assert saved == ["compare.png", "cost.png", "liability.png", "tier-mix.png"]
        for path in out.iterdir():
            _png(path.read_bytes())


@_absent(OLIST)
def test_olist_notebook(tmp_path: Path) -> None:
    """The Olist notebook: the README's counts, every complaint loaded, the lean policy
    within its monthly budget, the generous one compensating every late delivery, and the
    difference of goodwill paid equal to what the two effects tables hold."""
    notebook = execute("olist_goodwill.ipynb", DATA=str(DATA), FIGURES=str(tmp_path))
    counts = text(notebook, "pd.read_csv").splitlines()
    assert counts[0] == "3,584 orders"
    assert counts[1] == "review scores: {1: 867, 2: 216, 3: 332, 4: 514, 5: 1655}"
    assert counts[2] == ("classes: {'satisfeito_com_pedido': 1983, 'problemas_de_entrega': "
                         "950, 'problemas_de_qualidade': 480, '(none)': 171}")
    loaded = text(notebook, "load_complaints(").splitlines()
    assert loaded[0].startswith("3,584 purchases worth ")
    assert loaded[1] == "1,430 complaints; left out: {'not-kept': 2154}"  # 950 + 480
    table = text(notebook, "pivot_table")
    late = re.search(r"late_delivery\s+(\d+)\s+(\d+)\s+(\d+)", table)
    assert late is not None
    assert (int(late[1]), int(late[2]), int(late[3])) == (0, 434, 0)
    paid = re.search(r"generous ([\d,.]+) BRL, lean ([\d,.]+) BRL, difference (-?[\d,.]+) BRL",
                     text(notebook, "goodwill paid:"))
    assert paid is not None
    generous, lean, difference = (float(v.replace(",", "")) for v in paid.groups())
    assert difference == pytest.approx(lean - generous)
    assert 0 < lean < generous
    most = re.search(r"most paid in one month ([\d,.]+) BRL", text(notebook, "goodwill paid:"))
    assert most is not None
    assert float(most[1].replace(",", "")) <= 1500
    shown = images(notebook)
    assert len(shown) == 2
    for data in shown:
        _png(data)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["olist-compare.png",
                                                          "olist-generous-cost.png"]


def test_progress_is_left_out_in_a_notebook_without_ipywidgets(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """In a notebook kernel without ipywidgets rich cannot draw (it only warns): no bar."""
    import importlib.util

    from reciprocity.experiments.progress import Progress

    pytest.importorskip("rich")
    monkeypatch.setitem(sys.modules, "ipykernel", types.ModuleType("ipykernel"))
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "ipywidgets" else real(name, *a))
    with Progress(2, "simulate", enabled=True) as bar:
        bar.step("replay")
    assert bar._bar is None
    assert bar.done == 1
