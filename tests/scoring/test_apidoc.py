from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from pydantic import TypeAdapter

from risklens.scoring.apidoc import COMPARISON_EXAMPLE, PROFILE_EXAMPLE, openapi_config
from risklens.scoring.compare import Comparison
from risklens.scoring.profile import FilingProfile
from tests.scoring.schema_check import assert_matches_schema


def test_the_examples_are_whole_answers_in_to_dict_order() -> None:
    assert_matches_schema(PROFILE_EXAMPLE, FilingProfile)
    assert_matches_schema(COMPARISON_EXAMPLE, Comparison)


@dataclass
class Made:
    __pydantic_config__: ClassVar[dict[str, Any]] = openapi_config(
        order=("b", "derived", "a"),
        derived={"derived": {"type": "integer", "title": "Derived"}},
        examples=[{"b": 1, "derived": 2, "a": "x"}],
    )

    a: str = field(metadata={"description": "the a"})
    b: int = 0


def test_openapi_config_orders_keys_adds_derived_ones_and_requires_every_key() -> None:
    schema = TypeAdapter(Made).json_schema(mode="serialization")
    assert list(schema["properties"]) == ["b", "derived", "a"]
    assert schema["required"] == ["b", "derived", "a"]  # b has a default, but asdict always writes it
    assert schema["properties"]["a"]["description"] == "the a"
    assert schema["examples"] == [{"b": 1, "derived": 2, "a": "x"}]
