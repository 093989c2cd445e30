"""Check a ``to_dict()`` against the JSON schema its dataclass publishes as an API answer."""

from __future__ import annotations

from typing import Any


def assert_matches_schema(data: Any, cls: type) -> None:
    """``data`` validates as ``cls`` and every object in it has the keys, in the order, of
    ``cls``'s serialization schema (the OpenAPI answer), so the docs cannot drift from
    ``to_dict``. Free-form objects (``additionalProperties``) may leave keys out."""
    from pydantic import TypeAdapter

    adapter = TypeAdapter(cls)
    adapter.validate_python(data)
    schema = adapter.json_schema(mode="serialization")
    _walk(data, schema, schema.get("$defs", {}), cls.__name__)


def _walk(data: Any, node: dict[str, Any], defs: dict[str, Any], where: str) -> None:
    if "$ref" in node:
        node = defs[node["$ref"].rsplit("/", 1)[-1]]
    if "anyOf" in node:
        if data is None:
            assert {"type": "null"} in node["anyOf"], f"{where}: null is not allowed"
            return
        node = next(branch for branch in node["anyOf"] if branch != {"type": "null"})
    if "properties" in node:
        keys, documented = list(data), list(node["properties"])
        if node.get("additionalProperties") is True:
            assert keys == [key for key in documented if key in data], f"{where}: {keys} vs {documented}"
        else:
            assert keys == documented, f"{where}: answer keys {keys}, schema keys {documented}"
        for key in keys:
            _walk(data[key], node["properties"][key], defs, f"{where}.{key}")
    elif node.get("type") == "array":
        for i, item in enumerate(data):
            _walk(item, node["items"], defs, f"{where}[{i}]")
