"""Unknown keywords, for every public model: "<Model> has no field 'x'", the model's fields,
and the field that was most likely meant; never "<Model> is not a field of <Model>"."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

import reciprocity
from reciprocity import InvalidProgram, Program, ReciprocityError, Tier

PUBLIC_MODELS = sorted(
    (obj for name in reciprocity.__all__
     if isinstance(obj := getattr(reciprocity, name), type) and issubclass(obj, BaseModel)),
    key=lambda cls: cls.__name__,
)


def fields_of(model: type[BaseModel]) -> list[str]:
    return [name for name in model.model_fields if name != "type"]


def possessive(name: str) -> str:
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def message(call: Any) -> str:
    with pytest.raises(ReciprocityError) as info:
        call()
    return str(info.value)


def test_every_public_model_is_covered() -> None:
    """The table below is built from the public API, so a new model is covered at once."""
    names = {model.__name__ for model in PUBLIC_MODELS}
    assert {"Program", "Tier", "Purchase", "MemberState", "PointsEarned"} <= names


@pytest.mark.parametrize("model", PUBLIC_MODELS, ids=lambda cls: cls.__name__)
def test_unknown_keyword(model: type[BaseModel]) -> None:
    """A keyword no model field resembles: the model is named once, with its fields."""
    for call in (lambda: model(zzqqy=1), lambda: model.model_validate({"zzqqy": 1})):
        text = message(call)
        assert f"{model.__name__} has no field 'zzqqy'" in text
        assert f"{possessive(model.__name__)} fields are: {', '.join(fields_of(model))}" in text
        assert "is not a field of" not in text


@pytest.mark.parametrize(
    ("model", "field"),
    [(model, field) for model in PUBLIC_MODELS for field in fields_of(model)
     if field + "x" not in model.model_fields],
    ids=lambda value: value if isinstance(value, str) else value.__name__,
)
def test_misspelt_keyword_suggests_the_field(model: type[BaseModel], field: str) -> None:
    """A misspelt field of any public model is answered with "did you mean '<field>'?"."""
    text = message(lambda: model(**{field + "x": 1}))
    assert f"{model.__name__} has no field '{field}x'; did you mean '{field}'?" in text


NESTED = [
    (lambda: Tier(id="gold", min_spend="100.00 EUR"),
     "Tier has no field 'min_spend'; did you mean requires=MinSpend(...), written in a file "
     "under 'requires' with type 'min_spend'?"),
    (lambda: Tier(id="gold", min_orders=3),
     "did you mean requires=MinOrders(...)"),
    (lambda: Program(name="x", currency="EUR", timezone="UTC", earn=[]),
     "Program has no field 'earn'; did you mean points=PointScheme(earn=...), written in a "
     "file under 'points' as 'earn'?"),
    (lambda: Program.model_validate(
        {"name": "x", "currency": "EUR", "timezone": "UTC",
         "points": {"earn": [{"type": "points_per_purchase", "id": "r", "points": 1,
                              "pionts": 2}]}}),
     "Program.points.earn[0]: PointsPerPurchase has no field 'pionts'; did you mean 'points'?"),
    # inside a union behind a forward reference (Tier.requires): the member, not the owner
    (lambda: Program.model_validate(
        {"name": "x", "currency": "EUR", "timezone": "UTC", "tiers": {"tiers": [
            {"id": "a", "requires": {"type": "min_spend", "amount": "1.00 EUR", "x": 1}}]}}),
     "Program.tiers.tiers[0].requires: MinSpend has no field 'x'; check the spelling: "
     "MinSpend's fields are: amount"),
    (lambda: Program.model_validate(
        {"name": "x", "currency": "EUR", "timezone": "UTC", "tiers": {"tiers": [
            {"id": "a", "requires": {"type": "require_all", "requirements": [
                {"type": "min_orders", "count": 1, "cnt": 2}]}}]}}),
     "MinOrders has no field 'cnt'; did you mean 'count'? MinOrders' fields are: count"),
    (lambda: Program.model_validate(
        {"name": "x", "currency": "EUR", "timezone": "UTC", "tiers": {"tiers": [
            {"id": "a", "requires": {"type": "min_orders", "count": 1},
             "benefits": {"multiplier": 2}}]}}),
     "TierBenefits has no field 'multiplier'; did you mean 'points_multiplier'? "
     "TierBenefits' fields are: points_multiplier"),
]


@pytest.mark.parametrize(("call", "mentions"), NESTED)
def test_keyword_of_a_nested_model(call: Any, mentions: str) -> None:
    """A rule type or a nested model's field written on the outer model points to where it
    belongs, in Python and in a file's words."""
    with pytest.raises(InvalidProgram) as info:
        call()
    assert mentions in str(info.value)
    assert "Program has no field" not in str(info.value) or "Program has no field" in mentions
