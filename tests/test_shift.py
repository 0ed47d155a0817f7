"""A lot's calendar arithmetic without a ``relativedelta`` per order (issue 12, replay speed).

``reciprocity.points.shift`` replaces ``local + relativedelta(months=m, days=d)`` (a lot's
fixed lifetime) and ``local + relativedelta(days=d)`` (its pending days) on the hot path. The
oracle is ``relativedelta`` itself: the same datetime, attribute for attribute (``fold``
and ``tzinfo`` included), on random instants in zones with DST changes, month ends and
29 February.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from hypothesis import example, given
from hypothesis import strategies as st

from reciprocity.points.scheme import FixedLifetime
from reciprocity.points.shift import add_days, add_months

ZONES = [ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York"), ZoneInfo("Australia/Lord_Howe"),
         UTC]


def same(a: datetime, b: datetime) -> bool:
    return (a == b and a.tzinfo is b.tzinfo and a.fold == b.fold
            and a.replace(tzinfo=None) == b.replace(tzinfo=None))


local_times = st.builds(
    lambda instant, zone, fold: instant.replace(tzinfo=zone, fold=fold),
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 12, 31)),
    st.sampled_from(ZONES), st.sampled_from([0, 1]))


class TestAddMonths:
    """``add_months`` equals ``relativedelta(months=, days=)``."""

    @given(local_times, st.integers(-40, 400), st.integers(0, 800))
    @example(datetime(2024, 2, 29, 12, tzinfo=ZONES[0]), 12, 0)
    @example(datetime(2025, 8, 31, 9, tzinfo=ZONES[0]), 6, 0)
    @example(datetime(2025, 4, 26, 2, 30, fold=1, tzinfo=ZONES[0]), 6, 0)  # into DST's end
    @example(datetime(2025, 9, 29, 2, 30, tzinfo=ZONES[0]), 6, 0)  # into the spring gap
    def test_months_and_days(self, local: datetime, months: int, days: int) -> None:
        """The very datetime ``relativedelta`` makes."""
        assert same(add_months(local, months, days),
                    local + relativedelta(months=months, days=days))

    @given(local_times, st.integers(0, 800))
    def test_days(self, local: datetime, days: int) -> None:
        """``add_days`` is what ``relativedelta(days=)`` adds."""
        assert same(local + add_days(days), local + relativedelta(days=days))
        assert add_days(days) is add_days(days)


class TestFixedLifetime:
    """A lot's expiry is the one computed with ``relativedelta`` before."""

    @given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2080, 1, 1),
                        timezones=st.just(UTC)),
           st.sampled_from(ZONES), st.integers(0, 60), st.integers(0, 400))
    def test_expires_at(self, earned: datetime, zone: ZoneInfo, months: int, days: int) -> None:
        """UTC in, UTC out, equal to the old arithmetic."""
        if not months and not days:
            days = 1
        rule = FixedLifetime(months=months, days=days)
        old = (earned.astimezone(zone) + relativedelta(months=months, days=days)).astimezone(UTC)
        new = rule.expires_at(earned, zone)
        assert same(new, old)
        assert new - earned >= timedelta(days=days) - timedelta(hours=3)
