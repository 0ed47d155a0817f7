"""The gift stage's thaw and freeze: a saved :class:`~reciprocity.GiftHistory` into the hot
:class:`~reciprocity.gifts.hot.Hot` and back.

Both run on every ``apply`` of a program with gift rules, once per kept grant: a grant is
made as ``Grant(...)`` and ``Hot.add`` make it, with its slots set directly (no id text
built and thrown away, no index to keep up: the indexes are built when first read), and
frozen by ``_trusted.built`` (what ``model_construct`` makes from every field). Tested
equal to the plain forms in ``tests/test_stage_thaw.py``.

A state made by ``apply`` or ``advance`` keeps the hot history it was frozen from (the gift
stage's ``keep``): the next thaw shares its very grants, copy on write (``Hot.shared``,
``Hot.own``), instead of making a grant of every model (:func:`thaw_kept_grants`).

Imports: the core (``_trusted``, ``money``, ``state``) and ``gifts.hot``.
"""

from __future__ import annotations

from operator import attrgetter, is_not
from typing import Any

from .._trusted import built
from ..money import Money
from ..state import GiftGrant, GiftHistory
from .hot import Grant, Hot

__all__ = ["freeze_history", "thaw_grants", "thaw_kept_grants"]

_new_grant = Grant.__new__
_frozen_of = attrgetter("frozen")
_occurrence = attrgetter("rule_id", "occurrence")


def thaw_grants(saved: GiftHistory) -> Hot:
    """A hot gift history with the saved grants, oldest first (what ``Hot.add`` of each
    makes); the caller sets the rest (due times, spells, derived figures)."""
    h = Hot()
    grants = h.grants
    occurrences = h.occurrences
    for g in saved.__dict__["grants"]:
        d = g.__dict__
        grant = _new_grant(Grant)
        grant.id = d["id"]
        grant.rule_id = rule = d["rule_id"]
        grant.gift_id = d["gift_id"]
        grant.name = d["name"]
        grant.kind = d["kind"]
        grant.value = d["value"].amount
        grant.at = at = d["at"]
        grant.occurrence = occurrence = d["occurrence"]
        grant.source = d["source_event_id"]
        grant.valid_until = d["valid_until"]
        if d["revoked"]:
            revoked_at = d["revoked_at"]
            grant.revoked_at = at if revoked_at is None else revoked_at
        else:
            grant.revoked_at = None
        grant.charged_back = d["charged_back"]
        grant.frozen = g
        grants.append(grant)
        occurrences.add((rule, occurrence))
    return h


def _frozen_as(grants: list[Grant], models: tuple[GiftGrant, ...]) -> bool:
    """Whether each of ``grants`` was frozen into (or thawed from) the very model at its
    place in ``models`` (its ``frozen``), and there are as many."""
    return len(grants) == len(models) and not any(map(is_not, map(_frozen_of, grants), models))


def thaw_kept_grants(saved: GiftHistory, kept: Hot) -> Hot | None:
    """What :func:`thaw_grants` makes of ``saved``, from ``kept``, the hot history ``saved``
    was frozen from: its grants shared (``Hot.shared``: a grant is copied before it is
    changed), the occurrences made from them. ``None`` unless every kept grant is the one
    whose model sits at its place in ``saved`` (each grant's ``frozen``, set by the freeze)."""
    grants = kept.grants
    if not _frozen_as(grants, saved.__dict__["grants"]):
        return None
    h = Hot()
    h.grants = grants.copy()
    h.occurrences = set(map(_occurrence, grants))
    h.shared = bool(grants)
    h.saved = saved
    return h


def _unchanged(h: Hot) -> GiftHistory | None:
    """The history a kept thaw shared the grants of (``h.saved``, made by
    :func:`freeze_history`: every field set, its dicts sorted) while ``h`` would freeze to
    the same: its grants that history's very models (none changed: none made private), its due
    times and spells the same keys with the very same values, the birthday fields the
    very same objects."""
    saved = h.saved
    if saved is None:  # not a kept thaw's, or a grant was made private (Hot.own)
        return None
    values = saved.__dict__
    if (not _frozen_as(h.grants, values["grants"])
            or h.birthday_seen is not values["birthday_seen"]
            or h.birthday_changed_at is not values["birthday_changed_at"]):
        return None
    for mine, theirs in ((h.due, values["due"]), (h.spells, values["spells"])):
        if len(mine) != len(theirs):
            return None
        for (key, value), (was, old) in zip(sorted(mine.items()), theirs.items(), strict=True):
            if key != was or value is not old:
                return None
    return saved  # type: ignore[no-any-return]


def freeze_history(h: Hot, currency: str) -> GiftHistory:
    """The saved form of ``h``: each grant's frozen model while its revocation and
    charge-back are as it says, else a new one (a grant still shared, ``Hot.shared``, was
    changed by no one: it keeps its model). The very history a kept thaw shared the grants
    of, when nothing changed (:func:`_unchanged`)."""
    same = _unchanged(h)
    if same is not None:
        return same
    grants = []
    for g in h.grants:
        saved = g.frozen
        if saved is None or saved.revoked_at != g.revoked_at \
                or saved.charged_back != g.charged_back:
            saved = g.frozen = built(GiftGrant, {
                "id": g.id, "rule_id": g.rule_id, "gift_id": g.gift_id, "name": g.name,
                "kind": g.kind, "value": Money(g.value, currency), "at": g.at,
                "occurrence": g.occurrence, "source_event_id": g.source,
                "valid_until": g.valid_until, "revoked": g.revoked_at is not None,
                "revoked_at": g.revoked_at, "charged_back": g.charged_back})
        grants.append(saved)
    fields: dict[str, Any] = {
        "grants": tuple(grants), "due": dict(sorted(h.due.items())),
        "spells": dict(sorted(h.spells.items())), "birthday_seen": h.birthday_seen,
        "birthday_changed_at": h.birthday_changed_at}
    return built(GiftHistory, fields)
