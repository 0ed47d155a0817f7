"""Acceptance on the real Online Retail file: the mapping loader from a DataFrame gives the
file's README figures, and a simulation's periods add up to the replay's totals.

The file is read from ``../shared/data/`` (where CI has it); the tests skip, saying so, when
it is absent.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from reciprocity import (
    FixedLifetime,
    MinSpend,
    Money,
    OnlineRetail,
    PointScheme,
    PointsPerAmount,
    Program,
    RedemptionModel,
    Reward,
    Tier,
    TierLadder,
    load_online_retail,
    load_orders,
    simulate,
)
from reciprocity.datasets import ONLINE_RETAIL_COLUMNS
from reciprocity.retail import category_of

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
FILE = DATA / "online-retail" / "online_retail_2010-12_2011-12.csv.gz"

pytestmark = pytest.mark.skipif(
    not FILE.is_file(),
    reason=f"real data not found: {FILE} is absent (CI has the shared data folder at "
    "../shared/data relative to the repository root)",
)
UNTIL = datetime(2012, 1, 1, tzinfo=ZoneInfo("Europe/London"))


@pytest.fixture(scope="module")
def shop() -> OnlineRetail:
    return load_online_retail(FILE)


def test_dataframe_loads_like_the_file(shop: OnlineRetail) -> None:
    """The file read by pandas, through the Online Retail mapping, gives the README's figures
    and the very events of load_online_retail."""
    pandas = pytest.importorskip("pandas")
    frame = pandas.read_csv(FILE, dtype={"InvoiceNo": str, "StockCode": str,
                                         "CustomerID": str, "InvoiceDate": str,
                                         "UnitPrice": str, "Description": str,
                                         "Country": str})
    loaded = load_orders(frame, ONLINE_RETAIL_COLUMNS, currency="GBP", categorize=category_of)
    r = loaded.report
    assert (r.rows, r.orders, r.members) == (541_909, 25_900, 4_372)
    assert r.value == Decimal("9747747.934")
    assert (r.cancellation_rows, r.cancellation_orders) == (9_288, 3_836)
    assert (r.skipped_orders, r.duplicate_rows) == (3, 5_268)
    assert r.nonpositive_price_rows == 2_517
    assert loaded.events == shop.events
    assert r.purchases == shop.report.purchases
    assert r.unmatched_lines == shop.report.unmatched_lines


def gbp(amount: str) -> Money:
    return Money(amount, "GBP")


def program() -> Program:
    return Program(
        name="Gift shop", currency="GBP", timezone="Europe/London",
        points=PointScheme(
            earn=(PointsPerAmount(id="base", per=gbp("1.00"),
                                  exclude_categories=("postage", "fee", "manual")),),
            pending_days=30, expiry=FixedLifetime(months=12),
            rewards=(Reward(id="v10", name="10 GBP voucher", points=1000, value=gbp("10.00")),)),
        tiers=TierLadder(tiers=(
            Tier(id="bronze", name="Bronze", requires=MinSpend(amount=gbp("1.00"))),
            Tier(id="silver", name="Silver", requires=MinSpend(amount=gbp("1000.00"))))),
    )


@pytest.mark.parametrize("model", [None, RedemptionModel(seed=5)], ids=["plain", "redeem"])
def test_simulation_adds_up(shop: OnlineRetail, model: RedemptionModel | None) -> None:
    """Monthly flows sum to the totals; totals equal the replay's summary; revenue is the
    purchases net of the returns."""
    # The redemption model replays three times: on the purchase columns, to stay quick.
    source = shop if model is None else shop.purchases
    result = simulate(program(), source, until=UNTIL, redemption=model)
    m, t, s = result.metrics, result.totals, result.summary
    assert m["period"][0] == "2010-12"
    for name in ("points_earned", "points_redeemed", "points_expired", "points_revoked"):
        assert sum(m[name]) == getattr(t, name) == getattr(s, name), name
    assert (t.points_available, t.points_pending) == (s.points_available, s.points_pending)
    assert t.liability == s.liability.amount
    returned = shop.report.returned_value if model is None else Decimal(0)
    assert t.revenue == shop.report.purchase_value - returned
    if model is not None:
        assert t.points_redeemed > 0
        assert result.rejected == []
