"""A full experiment on a real year of orders: three candidate programs compared, with plots.

The UCI "Online Retail" file (see ``../shared/data/README.md``) is loaded once; three point
programs for the gift shop are simulated over it with the same seeded redemption model
(members redeem a 10 GBP voucher for 1,000 points at month ends with probability 0.5; a fifth
never redeem), compared against today's program, and plotted:

- ``today``: 1 point per whole GBP on goods, Silver x1.25 from 1,000 GBP a year, Gold x1.5
  from 5,000 GBP; points wait 30 days and expire after 12 months;
- ``generous``: the same with the tiers at half the spend;
- ``lean``: 1 point per 2 GBP, tiers as today.

Usage (reads the folder, copies nothing; writes the tables and PNGs to OUT)::

    python docs/examples/experiment_online_retail.py ../shared/data out/

Needs ``reciprocity[data,plot]`` for the plots and Parquet; the tables are written as CSV.
"""

from __future__ import annotations

import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from reciprocity import (
    Comparison,
    FixedLifetime,
    MinSpend,
    Money,
    PointScheme,
    PointsPerAmount,
    Program,
    RedemptionModel,
    Reward,
    Tier,
    TierBenefits,
    TierLadder,
    TierMultiplier,
    compare,
    load_online_retail,
    plot_comparison,
    plot_cost_by_family,
    plot_liability,
    plot_tier_mix,
)

UNTIL = datetime(2012, 1, 1, tzinfo=ZoneInfo("Europe/London"))
MODEL = RedemptionModel(probability=Decimal("0.5"), breakage=Decimal("0.2"), seed=13)


def gbp(amount: str) -> Money:
    return Money(amount, "GBP")


def program(name: str, per: str, silver: str, gold: str) -> Program:
    """A gift-shop program: points per ``per`` GBP on goods, three calendar-year tiers."""
    return Program(
        name=name, currency="GBP", timezone="Europe/London",
        points=PointScheme(
            earn=(PointsPerAmount(id="base", per=gbp(per),
                                  exclude_categories=("postage", "fee", "manual"),
                                  multipliers=(TierMultiplier(),)),),
            pending_days=30, expiry=FixedLifetime(months=12),
            rewards=(Reward(id="v10", name="10 GBP voucher", points=1000,
                            value=gbp("10.00")),)),
        tiers=TierLadder(tiers=(
            Tier(id="bronze", name="Bronze", requires=MinSpend(amount=gbp("1.00"))),
            Tier(id="silver", name="Silver", requires=MinSpend(amount=gbp(silver)),
                 benefits=TierBenefits(points_multiplier=Decimal("1.25"))),
            Tier(id="gold", name="Gold", requires=MinSpend(amount=gbp(gold)),
                 benefits=TierBenefits(points_multiplier=Decimal("1.5"))))),
    )


def programs() -> dict[str, Program]:
    """Today's program first: the differences are taken from it."""
    return {
        "today": program("Today", "1.00", "1000.00", "5000.00"),
        "generous": program("Generous", "1.00", "500.00", "2500.00"),
        "lean": program("Lean", "2.00", "1000.00", "5000.00"),
    }


def run(data: Path) -> Comparison:
    """Load the file and compare the programs over it."""
    shop = load_online_retail(data)
    return compare(programs(), shop, until=UNTIL, redemption=MODEL)


def main(argv: list[str]) -> int:
    data = Path(argv[1] if len(argv) > 1 else "../shared/data")
    out = Path(argv[2] if len(argv) > 2 else "experiment-out")
    try:
        comparison = run(data)
    except FileNotFoundError as exc:
        print(f"no data: {exc}", file=sys.stderr)
        return 2
    print(comparison)
    print()
    print(comparison.tier_moves)
    out.mkdir(parents=True, exist_ok=True)
    for name, result in comparison.results.items():
        result.write(out, prefix=f"{name}-")
    comparison.deciles.to_csv(out / "deciles.csv")
    try:
        today = comparison.results["today"]
        plot_liability(today).savefig(out / "liability.png", dpi=90)
        plot_tier_mix(today).savefig(out / "tier-mix.png", dpi=90)
        plot_cost_by_family(today).savefig(out / "cost.png", dpi=90)
        plot_comparison(comparison).savefig(out / "compare.png", dpi=90)
    except ImportError as exc:  # MissingDependency: the tables are written all the same
        print(f"no plots: {exc}", file=sys.stderr)
    print(f"\ntables and plots in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
