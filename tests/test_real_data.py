"""Acceptance tests on a real year of orders: the UCI "Online Retail" file.

The file is not in the repository. These tests read it from ``../shared/data/`` relative to
the repository root (where CI has it) and skip, saying so, when it is absent. They check the
loader against the figures the data's README publishes, check its money to the last digit against
a plain reading of the CSV, and replay the year through the seed program (in GBP) and a
richer program, checking the invariants every replay must keep.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from reciprocity import (
    FixedLifetime,
    MemberState,
    MinSpend,
    Money,
    OnlineRetail,
    PointsAsCurrency,
    PointScheme,
    PointsPerAmount,
    Program,
    Purchase,
    ReplaySummary,
    Return,
    Tier,
    TierBenefits,
    TierLadder,
    TierMultiplier,
    load_online_retail,
    seed_program,
)

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
FILE = DATA / "online-retail" / "online_retail_2010-12_2011-12.csv.gz"
SHA256 = "737745256ddb4410bfe4e29f2dcb72329b7486e584837f1e84f9a07416cf7d45"

pytestmark = pytest.mark.skipif(
    not FILE.is_file(),
    reason=f"real data not found: {FILE} is absent (CI has the shared data folder at "
    "../shared/data relative to the repository root)",
)

LONDON = ZoneInfo("Europe/London")
UNTIL = datetime(2012, 1, 1, tzinfo=LONDON)
ZERO = Decimal(0)
PENNY = Decimal("0.01")


def gbp(amount: str) -> Money:
    return Money(amount, "GBP")


SEED = seed_program(currency="GBP", timezone="Europe/London")


def rich_program(*, exclude: tuple[str, ...] = ("postage", "fee", "manual")) -> Program:
    """1 point per whole GBP on goods, times the tier's multiplier; points wait out a 30-day
    return window and expire after 12 months; tiers per calendar year (many customers are
    wholesalers, hence the high thresholds)."""
    return Program(
        name="Gift shop rewards", currency="GBP", timezone="Europe/London",
        points=PointScheme(
            earn=(PointsPerAmount(id="base", per=gbp("1.00"), exclude_categories=exclude,
                                  multipliers=(TierMultiplier(),)),),
            pending_days=30,
            expiry=FixedLifetime(months=12),
            rewards=(PointsAsCurrency(id="pay", name="points payment",
                                      point_value=gbp("0.01"), min_points=500),),
        ),
        tiers=TierLadder(tiers=(
            Tier(id="bronze", name="Bronze", requires=MinSpend(amount=gbp("1.00"))),
            Tier(id="silver", name="Silver", requires=MinSpend(amount=gbp("1000.00")),
                 benefits=TierBenefits(points_multiplier=Decimal("1.25"))),
            Tier(id="gold", name="Gold", requires=MinSpend(amount=gbp("5000.00")),
                 benefits=TierBenefits(points_multiplier=Decimal("1.5"))),
        )),
    )


RICH = rich_program()
RICH_WHOLE_ORDER = rich_program(exclude=())


@dataclass
class Plain:
    """The file read the plain way, for an independent check of the loader."""

    order_value: Decimal
    cancelled_value: Decimal
    order_invoices: int
    cancellation_invoices: int
    ordering_customers: int


@dataclass
class Replayed:
    summary: ReplaySummary
    states: dict[str, MemberState]


@pytest.fixture(scope="module")
def shop() -> OnlineRetail:
    return load_online_retail(DATA)


@pytest.fixture(scope="module")
def plain() -> Plain:
    """Rows with a customer and a positive price, each distinct row once, summed exactly."""
    seen: set[tuple[str, ...]] = set()
    order = cancelled = ZERO
    orders: set[str] = set()
    cancellations: set[str] = set()
    customers: set[str] = set()
    with gzip.open(FILE, "rt", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            key = tuple(row.values())
            if key in seen:
                continue
            seen.add(key)
            invoice = row["InvoiceNo"]
            price = Decimal(row["UnitPrice"])
            if invoice.startswith("A") or not row["CustomerID"] or price <= 0:
                continue
            value = int(row["Quantity"]) * price
            if invoice.startswith("C"):
                cancelled += value
                cancellations.add(invoice)
            else:
                order += value
                orders.add(invoice)
                customers.add(row["CustomerID"])
    return Plain(order, cancelled, len(orders), len(cancellations), len(customers))


@pytest.fixture(scope="module")
def seed_replay(shop: OnlineRetail) -> Replayed:
    replay = SEED.replay(shop.events)
    return Replayed(replay.summary(), replay.states)


@pytest.fixture(scope="module")
def whole_columns(shop: OnlineRetail) -> ReplaySummary:
    return RICH_WHOLE_ORDER.replay(shop.purchases, until=UNTIL).summary()


@pytest.fixture(scope="module")
def rich_replay(shop: OnlineRetail) -> Replayed:
    replay = RICH.replay(shop.events, until=UNTIL)
    return Replayed(replay.summary(), replay.states)


def purchase_events(shop: OnlineRetail) -> list[Purchase]:
    return [e for e in shop.events if isinstance(e, Purchase)]


def return_events(shop: OnlineRetail) -> list[Return]:
    return [e for e in shop.events if isinstance(e, Return)]


def refunded(shop: OnlineRetail) -> dict[str, Decimal]:
    """Purchase id -> the amount its returns took back."""
    back: dict[str, Decimal] = defaultdict(Decimal)
    for event in return_events(shop):
        assert event.amount is not None
        back[event.purchase_id] += event.amount.amount
    return back


def conserved(state: MemberState) -> bool:
    return state.points_earned == (state.available_points + state.pending_points
                                   + state.points_redeemed + state.points_expired
                                   + state.points_revoked)


class TestTheFile:
    """The file is the one the README describes."""

    def test_checksum(self) -> None:
        """sha256 of the .gz is the published one, so the figures below are about this file."""
        assert hashlib.sha256(FILE.read_bytes()).hexdigest() == SHA256


class TestPublishedFigures:
    """The loader's file figures match the README's."""

    def test_rows_invoices_customers(self, shop: OnlineRetail) -> None:
        """541,909 rows, 25,900 invoices, 4,372 customers."""
        report = shop.report
        assert (report.rows, report.invoices, report.customers) == (541_909, 25_900, 4_372)

    def test_revenue(self, shop: OnlineRetail) -> None:
        """Quantity x UnitPrice is 9,747,747.93 GBP to the penny (9,747,747.934 exactly)."""
        assert shop.report.revenue.quantize(PENNY) == Decimal("9747747.93")
        assert shop.report.revenue == Decimal("9747747.934")

    def test_cancellations(self, shop: OnlineRetail) -> None:
        """9,288 rows in 3,836 invoices, -896,812.49 against 10,644,560.42 gross; 36 %."""
        report = shop.report
        assert (report.cancellation_rows, report.cancellation_invoices) == (9_288, 3_836)
        assert report.cancelled == Decimal("-896812.49")
        assert report.gross.quantize(PENNY) == Decimal("10644560.42")
        assert report.gross + report.cancelled == report.revenue
        assert round(100 * report.customers_with_cancellations / report.customers) == 36

    def test_rows_without_customer(self, shop: OnlineRetail) -> None:
        """135,080 rows (24.9 %) have no CustomerID."""
        report = shop.report
        assert report.rows_without_customer == 135_080
        assert round(100 * report.rows_without_customer / report.rows, 1) == 24.9

    def test_oddities(self, shop: OnlineRetail) -> None:
        """1,336 negative non-C rows, 3 A invoices, 2,517 prices <= 0, 5,268 duplicates."""
        report = shop.report
        assert report.negative_quantity_rows == 1_336
        assert report.adjust_invoices == 3
        assert report.nonpositive_price_rows == 2_517
        assert report.duplicate_rows == 5_268

    def test_negative_quantities_have_no_customer(self, shop: OnlineRetail) -> None:
        """As the README says, none of them reached the sign rule: no customer took them."""
        assert shop.report.dropped_wrong_sign == 0


class TestLoadedData:
    """What the loader made of the file: complete, exact and consistent."""

    def test_every_row_is_accounted_for(self, shop: OnlineRetail) -> None:
        """Each row is dropped for one stated reason or used as exactly one line."""
        r = shop.report
        assert r.rows == (r.dropped_duplicates + r.dropped_adjustments
                          + r.dropped_without_customer + r.dropped_nonpositive_price
                          + r.dropped_wrong_sign + r.purchase_lines + r.cancelled_lines)

    def test_measured_counts(self, shop: OnlineRetail) -> None:
        """The counts measured on this file (pinned by its checksum)."""
        r = shop.report
        assert (r.purchases, r.members, r.purchase_lines) == (18_532, 4_338, 392_692)
        assert (r.cancelled_lines, r.matched_lines, r.returns) == (8_872, 7_444, 3_762)
        assert (r.unmatched_lines, len(shop.unmatched)) == (1_428, 1_428)
        assert r.unmatched_reasons == {"not-bought": 1_303, "exceeds": 83, "spread": 34,
                                       "value": 8}
        assert r.ambiguous_local_times == r.nonexistent_local_times == 0

    def test_invoices_and_customers(self, shop: OnlineRetail, plain: Plain) -> None:
        """One purchase per order invoice with a priced line, every cancellation used."""
        cancellations = ({u.invoice for u in shop.unmatched}
                         | {r.id.split("/")[0] for r in return_events(shop)})
        assert shop.report.purchases == plain.order_invoices
        assert len(cancellations) == plain.cancellation_invoices
        assert shop.report.members == plain.ordering_customers

    def test_purchase_money_is_exact(self, shop: OnlineRetail, plain: Plain) -> None:
        """Purchases add up, to the last digit, to the plain sum of the kept order rows."""
        events = purchase_events(shop)
        assert sum((p.amount.amount for p in events), ZERO) == plain.order_value
        assert sum(shop.purchases.amounts, ZERO) == plain.order_value
        assert shop.report.purchase_value == plain.order_value
        for purchase in events:
            assert purchase.amount.amount == sum(
                (line.total.amount for line in purchase.lines), ZERO)

    def test_cancelled_money_is_exact(self, shop: OnlineRetail, plain: Plain) -> None:
        """Returned plus unmatched is every kept cancelled line's value, exactly."""
        returned = sum((r.amount.amount for r in return_events(shop) if r.amount), ZERO)
        unmatched = sum((u.amount.amount for u in shop.unmatched), ZERO)
        assert returned == shop.report.returned_value
        assert unmatched == shop.report.unmatched_value
        assert returned + unmatched == -plain.cancelled_value

    def test_returns_fit_their_purchases(self, shop: OnlineRetail) -> None:
        """A return names an earlier purchase of the same member and never exceeds it."""
        by_id = {p.id: p for p in purchase_events(shop)}
        for event in return_events(shop):
            bought = by_id[event.purchase_id]
            assert bought.member_id == event.member_id
            assert bought.at <= event.at
            assert event.id == f"{event.id.split('/')[0]}/{bought.id}"
        for purchase_id, amount in refunded(shop).items():
            assert ZERO < amount <= by_id[purchase_id].amount.amount

    def test_not_bought_means_not_bought(self, shop: OnlineRetail) -> None:
        """No earlier purchase of the member has the stock code of a "not-bought" line."""
        first: dict[tuple[str, str], datetime] = {}
        for purchase in purchase_events(shop):
            for line in purchase.lines:
                first.setdefault((purchase.member_id, line.sku), purchase.at)
        for cancelled in shop.unmatched:
            if cancelled.reason == "not-bought":
                seen = first.get((cancelled.member_id, cancelled.stock_code))
                assert seen is None or seen > cancelled.at

    def test_times_are_utc_from_uk_local(self, shop: OnlineRetail) -> None:
        """Winter invoices keep their clock time; summer ones are an hour earlier in UTC."""
        by_id = {e.id: e for e in shop.events}
        assert by_id["536365"].at == datetime(2010, 12, 1, 8, 26, tzinfo=UTC)
        assert by_id["555162"].at == datetime(2011, 6, 1, 9, 15, tzinfo=UTC)
        assert by_id["C555163/555162"].amount == gbp("36.00")
        days = {event.at.astimezone(LONDON).date() for event in shop.events}
        assert min(days).isoformat() == "2010-12-01"
        assert max(days).isoformat() == "2011-12-09"

    def test_columns_hold_the_purchases(self, shop: OnlineRetail) -> None:
        """The columns are the purchase events, in the same (sorted) order."""
        events = purchase_events(shop)
        assert shop.purchases.in_order
        assert shop.purchases.ids == [p.id for p in events]
        assert shop.purchases.member_ids == [p.member_id for p in events]
        assert all(m.isdigit() for m in set(shop.purchases.member_ids))


def check_states(states: dict[str, MemberState]) -> None:
    for state in states.values():
        assert conserved(state), state.member_id
        assert state.available_points >= 0
        assert state.pending_points >= 0
        assert state.debt >= 0
        assert all(lot.remaining >= 0 for lot in state.lots)


class TestSeedProgram:
    """The year through the seed program in GBP: 1 point per order over 50 GBP."""

    def test_every_event_is_applied(self, shop: OnlineRetail, seed_replay: Replayed) -> None:
        """No return is refused: the loader's matching fits the engine's rules."""
        summary = seed_replay.summary
        assert (summary.events, summary.rejected, summary.duplicates) == (len(shop.events), 0, 0)
        assert summary.members == shop.report.members

    def test_points_match_a_plain_count(self, shop: OnlineRetail,
                                        seed_replay: Replayed) -> None:
        """Earned: orders over 50; kept: orders still over 50 after their returns."""
        back = refunded(shop)
        events = purchase_events(shop)
        over = sum(1 for p in events if p.amount.amount > 50)
        kept = sum(1 for p in events if p.amount.amount - back.get(p.id, ZERO) > 50)
        summary = seed_replay.summary
        assert summary.points_earned == over == 17_388
        assert summary.points_available == kept
        assert summary.points_revoked == over - kept
        assert summary.points_debt == 0

    def test_invariants_per_member(self, seed_replay: Replayed) -> None:
        """Points conserved, no negative balance, for every member."""
        check_states(seed_replay.states)

    def test_columns_equal_events(self, shop: OnlineRetail) -> None:
        """Replaying the columns gives what replaying the purchase events gives."""
        assert SEED.replay(shop.purchases).summary() == SEED.replay(
            purchase_events(shop)).summary()


class TestRichProgram:
    """Per-amount earning on goods, tier multipliers, pending points and expiry."""

    def test_every_event_is_applied(self, shop: OnlineRetail, rich_replay: Replayed) -> None:
        """No event refused, every member in the replay."""
        summary = rich_replay.summary
        assert (summary.events, summary.rejected) == (len(shop.events), 0)
        assert summary.members == shop.report.members

    def test_invariants_per_member(self, rich_replay: Replayed) -> None:
        """Points conserved, no negative balance, for every member, after expiry."""
        check_states(rich_replay.states)

    def test_totals_add_up(self, rich_replay: Replayed) -> None:
        """Earned = available + pending + expired + revoked - 0 redeemed, over all members."""
        s = rich_replay.summary
        assert s.points_earned == (s.points_available + s.points_pending + s.points_expired
                                   + s.points_revoked + s.points_redeemed)
        assert s.liability == (gbp("0.01") * (s.points_available + s.points_pending
                                              - s.points_debt)).quantize()

    def test_time_rules_fire(self, rich_replay: Replayed) -> None:
        """By 1 Jan 2012 December 2010's points have expired and December 2011's still wait."""
        s = rich_replay.summary
        assert s.points_expired > 0
        assert s.points_pending > 0
        for state in rich_replay.states.values():
            for lot in state.lots:
                assert lot.expires_at is not None
                assert lot.expires_at > UNTIL
                assert (lot.status == "pending") == (lot.available_at is not None
                                                     and lot.available_at > UNTIL)

    def test_tier_ladder(self, shop: OnlineRetail, rich_replay: Replayed) -> None:
        """A tier reached in 2010 is reviewed on 1 Jan 2012: it lapses for members who bought
        nothing in 2011 and stays for those who kept a 2011 order; wholesalers reach Gold."""
        back = refunded(shop)
        bought_2011: set[str] = set()
        kept_a_pound_2011: set[str] = set()
        for purchase in purchase_events(shop):
            if purchase.at.astimezone(LONDON).year == 2011:
                bought_2011.add(purchase.member_id)
                if purchase.amount.amount >= 1 and purchase.id not in back:
                    kept_a_pound_2011.add(purchase.member_id)
        tiers: dict[str | None, set[str]] = defaultdict(set)
        for member, state in rich_replay.states.items():
            tiers[None if state.tier is None else state.tier.tier_id].add(member)
        assert set(rich_replay.states) - bought_2011 <= tiers[None]
        assert not tiers[None] & kept_a_pound_2011
        assert len(tiers["bronze"]) > len(tiers["silver"]) > len(tiers["gold"]) > 0

    def test_columns_equal_events(self, shop: OnlineRetail,
                                  whole_columns: ReplaySummary) -> None:
        """Without line filters, the columns replay equals the purchase events replay."""
        assert whole_columns == RICH_WHOLE_ORDER.replay(purchase_events(shop),
                                                        until=UNTIL).summary()

    def test_lines_matter(self, shop: OnlineRetail) -> None:
        """Leaving postage, fees and manual lines out earns less than the whole order."""
        december = [p for p in purchase_events(shop) if p.at < datetime(2011, 1, 1, tzinfo=UTC)]
        postage = sum((line.total.amount for p in december for line in p.lines
                       if line.category == "postage"), ZERO)
        goods = RICH.replay(december).summary()
        whole = RICH_WHOLE_ORDER.replay(december).summary()
        assert postage > 0
        assert goods.points_earned < whole.points_earned


def test_report_reads_well(shop: OnlineRetail) -> None:
    """The report's text names the figures an analyst checks first."""
    text = shop.report.describe()
    assert "541,909 rows, 25,900 invoices, 4,372 customers" in text
    assert "unmatched: 1,428 lines" in text
