"""The gift family's date-driven rules: birthday, anniversary, season and quiet spell.

Each timer says when its rule is due next for a member (``first_due``) and what happens then
(``fire``, which returns the next due time, always later). Due times are UTC instants kept in
the member's gift history; the stage fires them through the Stage protocol.

Imports: ``_engine``, ``calendar``, ``hot`` and the gifts declarations; ``stage`` only for
typing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from dateutil.relativedelta import relativedelta

from .._engine import P_AT, Log, Member, Row, Trace
from .._reason import Msg, english, local_day
from .calendar import anniversary, birthday_window, local_midnight
from .gift import channel_said
from .hot import TIME, Compiled, Hot, build_message, fmt_date
from .scheme import AnniversaryGift, BirthdayGift, DriftRule

if TYPE_CHECKING:
    from .stage import CompiledGifts

__all__ = ["AnniversaryTimer", "BirthdayTimer", "DriftTimer", "SeasonTimer", "Timer"]


class Timer:
    """A date-driven rule: when it is due next, and what it does then."""

    def __init__(self, stage: CompiledGifts, c: Compiled) -> None:
        self.stage = stage
        self.c = c
        self.rid = c.rule.id
        self.zone = stage.zone

    def first_due(self, m: Member, h: Hot, now: datetime) -> datetime | None:
        """The next due time at or after ``now``, from the state as it is."""
        raise NotImplementedError

    def fire(self, m: Member, h: Hot, due: datetime, log: Log, trace: Trace) -> datetime | None:
        """Do what is due at ``due``; return the next due time (later), or ``None``."""
        raise NotImplementedError

    def row(self, m: Member, at: datetime) -> Row:
        return (TIME, "", m.member_id, at, None, None)


class BirthdayTimer(Timer):
    def window(self, birthday: date, year: int) -> tuple[datetime, datetime]:
        rule = self.c.rule
        assert isinstance(rule, BirthdayGift)
        return birthday_window(birthday, year, rule.window, rule.leap_day, self.zone)

    def _next(self, h: Hot, birthday: date, after: datetime) -> datetime | None:
        """The first window start after ``after`` of a year without a grant."""
        year = after.astimezone(self.zone).year
        for candidate in range(year, year + 3):
            if (self.rid, str(candidate)) in h.occurrences:
                continue
            start = self.window(birthday, candidate)[0]
            if start > after:
                return start
        return None  # pragma: no cover - a later year always qualifies

    def first_due(self, m: Member, h: Hot, now: datetime) -> datetime | None:
        birthday = m.birthday
        if birthday is None:
            return None
        year = now.astimezone(self.zone).year
        for candidate in range(year, year + 3):
            if (self.rid, str(candidate)) in h.occurrences:
                continue
            start, end = self.window(birthday, candidate)
            if end > now:
                return max(start, now)
        return None  # pragma: no cover - a later year always qualifies

    def fire(self, m: Member, h: Hot, due: datetime, log: Log, trace: Trace) -> datetime | None:
        birthday = m.birthday
        if birthday is None:
            return None
        at = due.astimezone(self.zone)
        year = at.year
        start, end = self.window(birthday, year)
        if start <= due < end and (self.rid, str(year)) not in h.occurrences:
            stage, c = self.stage, self.c
            rule = c.rule
            assert isinstance(rule, BirthdayGift)
            why = stage.changed_recently(c, h, at) or stage.blocked(c, m, self.row(m, at))
            if why is not None:
                stage._skip(trace, self.rid, f"birthday {year}: {why}")
            else:
                stage.grant(c, m, h, rule.gift, at, str(year), None,
                            Msg("reason.gift.birthday", {"gift": self.c.phrase}), log, trace)
        return self._next(h, birthday, due)


class AnniversaryTimer(Timer):
    def _next(self, h: Hot, joined: date, k: int, ok: Callable[[datetime], bool]
              ) -> datetime | None:
        rule = self.c.rule
        assert isinstance(rule, AnniversaryGift)
        last = rule.years[-1] if rule.years else None
        wanted = set(rule.years)
        k = max(k, 1)
        while last is None or k <= last:
            if (not wanted or k in wanted) and (self.rid, f"year-{k}") not in h.occurrences:
                when = local_midnight(anniversary(joined, k, rule.leap_day), self.zone)
                if ok(when):
                    return when
            k += 1
        return None

    def first_due(self, m: Member, h: Hot, now: datetime) -> datetime | None:
        if m.joined_at is None:
            return None
        joined = m.joined_at.astimezone(self.zone).date()
        start = now.astimezone(self.zone).year - joined.year - 1
        return self._next(h, joined, start, lambda when: when >= now)

    def fire(self, m: Member, h: Hot, due: datetime, log: Log, trace: Trace) -> datetime | None:
        if m.joined_at is None:
            return None
        rule = self.c.rule
        assert isinstance(rule, AnniversaryGift)
        joined = m.joined_at.astimezone(self.zone).date()
        at = due.astimezone(self.zone)
        k = at.year - joined.year
        occurrence = f"year-{k}"
        if (k >= 1 and local_midnight(anniversary(joined, k, rule.leap_day), self.zone) == due
                and (self.rid, occurrence) not in h.occurrences):
            stage = self.stage
            why = stage.blocked(self.c, m, self.row(m, at))
            if why is not None:
                stage._skip(trace, self.rid, f"anniversary {k}: {why}")
            else:
                stage.grant(self.c, m, h, rule.gift, at, occurrence, None,
                            Msg("reason.gift.anniversary", {"n": k, "gift": self.c.phrase}),
                            log, trace)
        return self._next(h, joined, k, lambda when: when > due)


class SeasonTimer(Timer):
    def _next(self, h: Hot, after: datetime, inclusive: bool) -> datetime | None:
        calendar = self.stage.seasons[self.rid]
        found = calendar.next_start(after, inclusive=inclusive)
        while found is not None and (self.rid, str(found[0])) in h.occurrences:
            found = calendar.next_start(found[1], inclusive=False)
        return None if found is None else found[1]

    def first_due(self, m: Member, h: Hot, now: datetime) -> datetime | None:
        return self._next(h, now, True)

    def fire(self, m: Member, h: Hot, due: datetime, log: Log, trace: Trace) -> datetime | None:
        window = self.stage.seasons[self.rid].open_window(due)
        if window is not None and (self.rid, str(window[0])) not in h.occurrences:
            at = due.astimezone(self.zone)
            self.stage.season(self.c, m, h, self.row(m, at), window[0], log, trace)
        return self._next(h, due, False)


class DriftTimer(Timer):
    def quiet_end(self, last: datetime) -> datetime:
        """``quiet_days`` calendar days after ``last``, at the same wall-clock time in the
        program's zone (adding a ``timedelta`` to a zone-aware time is wall-clock arithmetic,
        as ``relativedelta(days=...)`` is)."""
        rule = self.c.rule
        assert isinstance(rule, DriftRule)
        return (last.astimezone(self.zone) + timedelta(days=rule.quiet_days)).astimezone(UTC)

    def first_due(self, m: Member, h: Hot, now: datetime) -> datetime | None:
        last = h.last_order
        if last is None or h.spells.get(self.rid) == last:
            return None
        return max(self.quiet_end(last), now)

    def fire(self, m: Member, h: Hot, due: datetime, log: Log, trace: Trace) -> datetime | None:
        last = h.last_order
        if last is None or h.spells.get(self.rid) == last:
            return None
        end = self.quiet_end(last)
        if due < end:
            return end
        rule = self.c.rule
        assert isinstance(rule, DriftRule)
        stage = self.stage
        h.spells[self.rid] = last
        at = due.astimezone(self.zone)
        since = None
        if rule.lookback_days is not None:
            since = (last.astimezone(self.zone)
                     - relativedelta(days=rule.lookback_days)).astimezone(UTC)
        orders = 0
        for record in m.purchases.values():
            bought = record[P_AT].astimezone(UTC)
            if bought <= last and (since is None or bought >= since):
                orders += 1
        if orders < rule.min_orders:
            stage._skip(trace, self.rid, f"quiet since {fmt_date(last, self.zone)}, but "
                        f"{orders} {'order' if orders == 1 else 'orders'} before is not "
                        f"buying regularly (at least {rule.min_orders} needed)")
            return None
        why = stage.blocked(self.c, m, self.row(m, at))
        if why is not None:
            stage._skip(trace, self.rid, f"quiet since {fmt_date(last, self.zone)}: {why}")
            return None
        message = rule.message
        reason = Msg("reason.message.feedback", {
            "days": Msg("reason.days", {"n": rule.quiet_days}),
            "date": local_day(last, self.zone), "channel": channel_said(message.channel)})
        log.append((build_message, m.member_id, self.rid, due.astimezone(UTC), message.id,
                    message.channel, message.text, reason))
        if trace is not None:
            trace.append((self.rid, "applied", english(reason.key, reason.args)))
        if rule.gift is not None:
            # the occasion is the start of the quiet spell, in UTC as every stored instant
            occasion = last.astimezone(UTC).isoformat().replace("+00:00", "Z")
            stage.grant(self.c, m, h, rule.gift, at, occasion, None,
                        Msg("reason.gift.winback", {"gift": self.c.phrase}), log, trace)
        return None

