"""Turn a Pydantic model's JSON schema into the plain form every backend accepts."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from pydantic import BaseModel

_DROPPED = {"title", "description", "default", "examples"}


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            return _inline(defs[name], defs)
        return {
            key: _inline(value, defs)
            for key, value in node.items()
            if key not in _DROPPED and key != "$defs"
        }
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    return node


@lru_cache(maxsize=512)
def output_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's schema with references inlined and prose dropped, every key required.

    Small models follow a grammar built from this schema; references and optional keys
    are where grammar converters differ, so neither is left in. Cached per type: building
    a schema costs more than the rest of a call's bookkeeping. Treat the result as frozen.
    """
    schema = model.model_json_schema()
    inlined: dict[str, Any] = _inline(schema, schema.get("$defs", {}))
    _require_all(inlined)
    return inlined


def _require_all(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") == "object" and "properties" in node:
            node["required"] = list(node["properties"])
            node["additionalProperties"] = False
        for value in node.values():
            _require_all(value)
    elif isinstance(node, list):
        for item in node:
            _require_all(item)
