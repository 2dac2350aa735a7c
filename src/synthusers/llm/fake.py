"""Models that need no weights: a schema-driven fake and a scripted one, for tests and demos."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from typing import Any

from .base import ChatRequest, ChatResponse

_WORDS = [
    "price",
    "quality",
    "time",
    "family",
    "budget",
    "weekend",
    "recipe",
    "delivery",
    "habit",
    "plan",
    "value",
    "fresh",
    "simple",
    "busy",
    "healthy",
    "local",
    "trust",
    "choice",
    "waste",
    "routine",
]


def fake_value(schema: dict[str, Any], rng: random.Random, name: str = "value") -> Any:
    """A value that fits schema, drawn from rng: enough to drive every agent in tests."""
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return rng.choice(schema["enum"])
    if "anyOf" in schema:
        return fake_value(rng.choice(schema["anyOf"]), rng, name)
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        return {key: fake_value(sub, rng, key) for key, sub in properties.items()}
    if kind == "array":
        low = schema.get("minItems", 1)
        high = min(schema.get("maxItems", 3), max(low, 3))
        return [
            fake_value(schema.get("items", {}), rng, name) for _ in range(rng.randint(low, high))
        ]
    if kind == "integer":
        return rng.randint(schema.get("minimum", 0), schema.get("maximum", 100))
    if kind == "number":
        return round(rng.uniform(schema.get("minimum", 0), schema.get("maximum", 1)), 3)
    if kind == "boolean":
        return rng.random() < 0.5
    words = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 8)))
    text = f"{name.replace('_', ' ')}: {words}"
    return text[: schema.get("maxLength", len(text))]


class FakeModel:
    """Replies with random JSON that fits the schema, seeded by the request: repeatable."""

    def __init__(self, latency_s: float = 0.0) -> None:
        self.latency_s = latency_s
        self.requests: list[ChatRequest] = []

    @property
    def name(self) -> str:
        return "fake"

    async def complete(self, request: ChatRequest) -> ChatResponse:
        self.requests.append(request)
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        value = fake_value(request.schema, random.Random(request.seed))
        text = json.dumps(value)
        prompt = sum(len(message["content"]) for message in request.messages) // 4
        return ChatResponse(text, self.name, prompt, len(text) // 4)

    async def check(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


Reply = str | Exception | Callable[[ChatRequest], str]


class ScriptedModel:
    """Answers from a script: a queue of replies, or a function of the request.

    A reply that is an exception is raised instead, to inject faults; when the queue runs
    out, the fallback (the fake model by default) answers.
    """

    def __init__(self, replies: list[Reply] | None = None, latency_s: float = 0.0) -> None:
        self.replies = list(replies or [])
        self.latency_s = latency_s
        self.requests: list[ChatRequest] = []
        self._fallback = FakeModel()

    @property
    def name(self) -> str:
        return "scripted"

    async def complete(self, request: ChatRequest) -> ChatResponse:
        self.requests.append(request)
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        if not self.replies:
            return await self._fallback.complete(request)
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        text = reply(request) if callable(reply) else reply
        return ChatResponse(text, self.name, 10, len(text) // 4)

    async def check(self) -> None:
        return None

    async def aclose(self) -> None:
        return None
