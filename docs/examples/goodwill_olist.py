"""Two goodwill policies on real complaints: 3,584 Olist marketplace orders with reviews.

Each order becomes a ``Purchase`` (products plus freight, in BRL); a cancelled order is also
returned in full. Each review whose crowd-voted class is a delivery or quality problem (or an
unclassified review with 1 or 2 stars) becomes a ``Complaint``:

- category from the complaint class: late (``atrasado``, or any delivery problem delivered
  after the estimate), partial delivery, not as advertised, low quality, return request,
  other; a delivery problem never delivered is a missing item;
- severity from the review score: 5 stars -> 1, ..., 1 star -> 5;
- made when the review was created, answered at the review's answer timestamp (the first
  response).

Then it replays both programs and prints, per complaint class, how many complaints were
compensated, waited for approval or got nothing, and what the compensation cost. The data has
no customer id, so every order is its own member: per-member caps and the diminishing curve
never bite here; the monthly budget of the lean policy does.

Usage (reads the folder, copies nothing)::

    python docs/examples/goodwill_olist.py ../shared/data/olist-classified

Standard library only (csv, gzip), besides reciprocity itself.
"""

from __future__ import annotations

import csv
import gzip
import sys
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from reciprocity import (
    Budget,
    Complaint,
    CreditCompensation,
    Diminishing,
    Event,
    GoodwillDeclined,
    GoodwillGranted,
    GoodwillPending,
    GoodwillPolicy,
    GoodwillRule,
    LateResponseStep,
    Money,
    Period,
    PointScheme,
    PointsCompensation,
    Program,
    Purchase,
    RefundShare,
    ResponseTime,
    Return,
    Reward,
    VoucherCompensation,
)

FILE = "olist_classified_public_dataset.csv.gz"
ZONE = ZoneInfo("America/Sao_Paulo")
CURRENCY = "BRL"
CLASSES = ("atrasado", "entrega_parcial", "outro_entrega", "diferente_do_anunciado",
           "baixa_qualidade", "devolucao", "outro_pedido", "unclassified")
"""Olist complaint subclasses in report order ("unclassified": a 1-2 star review the crowd
did not classify)."""
_CATEGORY = {
    "atrasado": "late_delivery", "entrega_parcial": "partial_delivery",
    "outro_entrega": "other", "diferente_do_anunciado": "not_as_described",
    "baixa_qualidade": "quality", "devolucao": "quality", "outro_pedido": "other",
    "unclassified": "other",
}
_DELIVERY = {"atrasado", "entrega_parcial", "outro_entrega"}


def brl(amount: str) -> Money:
    return Money(amount, CURRENCY)


def _local(text: str) -> datetime:
    """A naive Olist timestamp (Brazilian local time) as an aware datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=ZONE)


def load(folder: str | Path) -> tuple[list[Event], dict[str, str]]:
    """The events of every order, and the Olist complaint class of every complaint id."""
    path = Path(folder) / FILE
    events: list[Event] = []
    classes: dict[str, str] = {}
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            events += _order_events(row, classes)
    return events, classes


def _order_events(row: dict[str, str], classes: dict[str, str]) -> Iterable[Event]:
    oid = f"O-{row['id']}"
    member = f"olist-{row['id']}"
    bought = _local(row["order_purchase_timestamp"])
    paid = Decimal(row["order_products_value"]) + Decimal(row["order_freight_value"] or "0")
    yield Purchase(id=oid, member_id=member, at=bought, amount=Money(paid, CURRENCY))
    if row["order_status"] == "canceled":
        yield Return(id=f"{oid}-cancel", member_id=member, purchase_id=oid,
                     at=_local(row["order_aproved_at"] or row["order_purchase_timestamp"]))
    score = int(row["review_score"])
    subclass = row["most_voted_subclass"] or "unclassified"
    if subclass not in CLASSES or (subclass == "unclassified" and score > 2):
        return  # satisfied (or unclassified and content): no complaint
    category = _CATEGORY[subclass]
    delivered = row["order_delivered_customer_date"]
    estimated = _local(row["order_estimated_delivery_date"])
    metadata: dict[str, Any] = {"olist_class": subclass}
    if subclass in _DELIVERY:
        if not delivered:
            category = "late_delivery" if subclass == "atrasado" else "missing_item"
        else:
            days_late = (_local(delivered).date() - estimated.date()).days
            metadata["days_late"] = days_late
            if subclass == "atrasado" or days_late > 0:
                category = "late_delivery"
    cid = f"C-{row['id']}"
    classes[cid] = subclass
    made = _local(row["review_creation_date"])
    answered = datetime.fromisoformat(row["review_answer_timestamp"])
    if answered.tzinfo is None:
        answered = answered.replace(tzinfo=UTC)
    yield Complaint(id=cid, member_id=member, at=made, order_id=oid, category=category,
                    severity=6 - score, first_response_at=max(answered, made),
                    text=row["review_comment_message"][:500], metadata=metadata)


def programs() -> dict[str, Program]:
    """The two candidate policies: "generous" and "lean"."""
    scheme = PointScheme(rewards=(Reward(id="v10", name="10 BRL voucher", points=100,
                                         value=brl("10.00")),))  # a point is worth 0.10 BRL
    quality = ("quality", "not_as_described", "damaged")
    generous = GoodwillPolicy(
        rules=(
            GoodwillRule(id="late", categories=("late_delivery",),
                         by_severity=(1, 1, Decimal("1.25"), Decimal("1.5"), 2),
                         compensation=VoucherCompensation(percent=Decimal(15), max=brl("50.00"),
                                                          valid_days=180)),
            GoodwillRule(id="partial", categories=("partial_delivery", "missing_item"),
                         min_severity=2,
                         compensation=CreditCompensation(percent=Decimal(30),
                                                         max=brl("120.00"))),
            GoodwillRule(id="quality", categories=quality,
                         by_severity=(Decimal("0.5"), 1, 1, Decimal("1.5"), 2),
                         compensation=RefundShare(percent=Decimal(20), max=brl("150.00"))),
            GoodwillRule(id="kulanz", categories=quality, min_severity=4,
                         past_return_window=30, approval=True,
                         compensation=RefundShare(percent=Decimal(100))),
            GoodwillRule(id="other", min_severity=3,
                         compensation=VoucherCompensation(value=brl("10.00"))),
        ),
        return_window_days=7,  # Brazil's right of withdrawal for distance sales
        response_time=ResponseTime(promised_hours=48, steps=(
            LateResponseStep(factor=Decimal("1.25")),
            LateResponseStep(late_by_hours=72, factor=Decimal("1.5")))),
        approval_above=brl("150.00"),
    )
    lean = GoodwillPolicy(
        rules=(
            GoodwillRule(id="late", categories=("late_delivery",), min_severity=3,
                         compensation=PointsCompensation(points=50)),
            GoodwillRule(id="partial", categories=("partial_delivery", "missing_item"),
                         min_severity=3,
                         compensation=VoucherCompensation(percent=Decimal(10),
                                                          max=brl("20.00"), valid_days=60)),
            GoodwillRule(id="quality", categories=quality, min_severity=4,
                         compensation=VoucherCompensation(value=brl("10.00"), valid_days=60)),
        ),
        diminishing=Diminishing(window_days=90, factors=(1, Decimal("0.5"), 0)),
        budget=Budget(id="goodwill", amount=brl("1500.00"), per=Period.MONTH),
        approval_above=brl("50.00"),
        on_unknown_order="no_compensation",
    )
    return {
        "generous": Program(name="Olist generous", currency=CURRENCY, timezone=ZONE.key,
                            points=scheme, goodwill=generous),
        "lean": Program(name="Olist lean", currency=CURRENCY, timezone=ZONE.key,
                        points=scheme, goodwill=lean),
    }


def run(program: Program, events: list[Event],
        classes: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Replay ``events``; per complaint class: counts, cost granted and cost pending, and
    why complaints got nothing (the ``cause`` kept in each member's goodwill history)."""
    report: dict[str, dict[str, Any]] = {
        name: {"complaints": 0, "granted": 0, "pending": 0, "none": 0, "cost": Decimal(0),
               "pending_cost": Decimal(0), "points": 0, "causes": Counter()}
        for name in CLASSES}
    replay = program.replay(events)
    for effect in replay.effects():
        if isinstance(effect, GoodwillGranted | GoodwillPending | GoodwillDeclined):
            row = report[classes[effect.complaint_id]]
            row["complaints"] += 1
            if isinstance(effect, GoodwillGranted):
                row["granted"] += 1
                row["cost"] += effect.value.amount
                row["points"] += effect.points or 0
            elif isinstance(effect, GoodwillPending):
                row["pending"] += 1
                row["pending_cost"] += effect.value.amount
            else:
                row["none"] += 1
    for state in replay.states.values():
        for record in state.goodwill.complaints if state.goodwill is not None else ():
            if record.cause is not None:
                report[classes[record.id]]["causes"][record.cause] += 1
    return report


def _money(amount: Decimal) -> str:
    return f"{amount.quantize(Decimal('0.01')):,.2f}"


def print_report(name: str, program: Program, report: dict[str, dict[str, Any]]) -> None:
    """One table: a row per complaint class and a total, then why some got nothing."""
    print(f"\n== {name}: {program.name}")
    header = (f"{'class':<24}{'complaints':>11}{'granted':>9}{'pending':>9}{'none':>6}"
              f"{'cost BRL':>12}{'per complaint':>15}{'pending BRL':>13}")
    print(header)
    print("-" * len(header))
    total: dict[str, Any] = {key: 0 for key in report[CLASSES[0]]}
    total["causes"] = Counter()
    for cls in CLASSES:
        row = report[cls]
        for key, value in row.items():
            total[key] += value
        _print_row(cls, row)
    print("-" * len(header))
    _print_row("total", total)
    causes = ", ".join(f"{cause.replace('_', ' ')} {count}"
                       for cause, count in total["causes"].most_common())
    print(f"no compensation because: {causes or 'nothing'}")


def _print_row(label: str, row: dict[str, Any]) -> None:
    per = row["cost"] / row["complaints"] if row["complaints"] else Decimal(0)
    print(f"{label:<24}{row['complaints']:>11}{row['granted']:>9}{row['pending']:>9}"
          f"{row['none']:>6}{_money(Decimal(row['cost'])):>12}{_money(per):>15}"
          f"{_money(Decimal(row['pending_cost'])):>13}")


def main(argv: list[str]) -> int:
    folder = Path(argv[1] if len(argv) > 1 else "../shared/data/olist-classified")
    if not (folder / FILE).is_file():
        print(f"{folder / FILE} not found: pass the folder that holds {FILE} "
              "(../shared/data/olist-classified from the project root)", file=sys.stderr)
        return 2
    events, classes = load(folder)
    print(f"{sum(isinstance(e, Purchase) for e in events)} orders, {len(classes)} complaints "
          f"from {folder / FILE}")
    for name, program in programs().items():
        print_report(name, program, run(program, events, classes))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
