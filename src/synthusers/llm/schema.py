"""Turn a Pydantic model's JSON schema into the plain form every backend accepts."""

from __future__ import annotations

import json
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


def max_json_chars(schema: dict[str, Any]) -> int | None:
    """The longest JSON text that fits the schema, or None when it has no bound.

    Used to give a reply enough tokens: a reply cut off at the limit is broken JSON, and
    small models do fill every field to its longest.
    """
    if "const" in schema:
        return len(json.dumps(schema["const"]))
    if "enum" in schema:
        return max(len(json.dumps(value)) for value in schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        parts = [
            _plus(max_json_chars(sub), len(json.dumps(key)) + 2)
            for key, sub in schema.get("properties", {}).items()
        ]
        return None if None in parts else sum(p or 0 for p in parts) + 2
    if kind == "array":
        item = max_json_chars(schema.get("items", {}))
        count = schema.get("maxItems")
        return None if item is None or count is None else count * (item + 2) + 2
    if kind == "string":
        longest = schema.get("maxLength")
        # A quarter more for escapes, which are rare in prose; two for the quotes.
        return None if longest is None else longest + longest // 4 + 2
    if kind in ("integer", "number"):
        return 24
    if kind == "boolean":
        return 5
    return None


def _plus(value: int | None, extra: int) -> int | None:
    return None if value is None else value + extra


@lru_cache(maxsize=512)
def _bound_of(schema_text: str) -> int | None:
    longest = max_json_chars(json.loads(schema_text))
    # Whitespace between tokens and short tokens: about three characters a token is safe.
    return None if longest is None else longest // 3 + 16


def reply_token_bound(schema: dict[str, Any]) -> int | None:
    """Enough tokens for the longest reply the schema allows, or None if unbounded."""
    return _bound_of(json.dumps(schema, sort_keys=True))
