"""The messages of earned and tier-change reasons as ``main`` built them before the reasons
were written straight from their values (commit ``01e37d5``): a verbatim copy of
``LotStage._earned_message`` and ``tiers.report.changed_reason``, the oracle of
``tests/test_reason_forms.py`` (the same key and arguments, in the same order, so every
locale says the same); since, a tier change also says what it did to the lots' expiry
(``TierBenefits.points_expire``), the last element of its ``why`` when there is one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reciprocity._reason import LazyText, Msg, last_day, local_day
from reciprocity._reason import last_day as reason_last_day
from reciprocity.points.rules import PointsPerPurchase
from reciprocity.tiers.report import (
    achievement,
    benefits_message,
    until_message,
    window_message,
)


def earned_message(self: Any, rule_id: str, eid: str, points: int, pending: bool,
                   available_at: datetime | None, expires_at: datetime | None,
                   reason: Any) -> Msg:
    """``LotStage._earned_message`` (``self``: the points stage)."""
    if reason is None:
        rule = self.rules[rule_id]
        assert isinstance(rule, PointsPerPurchase)
        msg = rule.reason(points, eid)
    elif isinstance(reason, LazyText):
        msg = reason.msg
    else:
        built = reason if isinstance(reason, str | Msg) else reason[0](*reason[1:])
        assert isinstance(built, Msg), "earning rules give their reasons as messages"
        msg = built
    if available_at is not None:
        msg = Msg("reason.available_from",
                  {"text": msg, "date": local_day(available_at, self.zone)})
    elif pending:
        msg = Msg("reason.available_once", {"text": msg, "state": self.scheme.release_on})
    if expires_at is not None:
        msg = Msg("reason.valid_until", {"text": msg, "date": last_day(expires_at, self.zone)})
    return msg


def changed_reason(c: Any, at: datetime, change: str, old: int | None,
                   new: int | None, until: datetime | None, why: tuple[Any, ...]) -> Msg:
    """``tiers.report.changed_reason``."""
    zone = c.zone
    until_text = until_message(until, zone)
    if why[0] == "reach":
        assert new is not None
        _, metrics, window = why[:3]
        args = {"tier": c.names[new], "achievement": achievement(c, new, metrics),
                "window": window_message(c, window), "until": until_text}
        benefits = benefits_message(c.benefits[new]) if change == "upgrade" else None
        if change == "renewal":
            reason = Msg("reason.tier.renewed", args)
        elif benefits is not None:
            reason = Msg("reason.tier.reached.benefits", {**args, "benefits": benefits})
        else:
            reason = Msg("reason.tier.reached", args)
    else:
        _, soft, cause = why[:3]
        assert old is not None
        old_name = c.names[old]
        if change == "renewal":
            reason = Msg("reason.tier.kept", {"tier": old_name, "floor": c.names[c.floor],
                                              "until": until_text})
        else:
            if cause[0] == "return":
                reason = Msg("reason.tier.ended.return",
                             {"tier": old_name, "ret": cause[1], "order": cause[2]})
            else:
                reason = Msg("reason.tier.ended",
                             {"tier": old_name, "date": reason_last_day(at, zone)})
            if new is None:
                reason = Msg("reason.tier.none", {"text": reason})
            else:
                key = {"one_step": "reason.tier.now.one_step",
                       "floor": "reason.tier.now.floor"}.get(soft, "reason.tier.now")
                reason = Msg(key, {"text": reason, "tier": c.names[new], "until": until_text})
    if len(why) > 3 and why[3][1]:  # expiry by tier (added after 01e37d5): what it did
        kind, points, expires = why[3]
        reason = (Msg("reason.tier.expiry_lifted", {"text": reason, "n": points})
                  if kind == "lifted" else
                  Msg("reason.tier.expiry_set", {"text": reason, "n": points,
                                                 "date": reason_last_day(expires, zone)}))
    return reason
