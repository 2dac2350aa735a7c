"""The interface every model backend implements, and the errors it may raise."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypedDict


class Message(TypedDict):
    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True)
class ChatRequest:
    """One chat completion whose reply must be JSON fitting `schema`."""

    messages: list[Message]
    schema: dict[str, Any]
    schema_name: str
    max_tokens: int = 512
    temperature: float = 0.7
    seed: int = 0


@dataclass(frozen=True)
class ChatResponse:
    text: str
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str = "stop"
    extra: dict[str, Any] = field(default_factory=dict)


class ChatModel(Protocol):
    """A backend: sends one request and returns the raw reply."""

    @property
    def name(self) -> str: ...

    async def complete(self, request: ChatRequest) -> ChatResponse: ...

    async def check(self) -> None:
        """Fail fast, before any work, if the backend cannot serve: raise ModelSetupError."""
        ...

    async def aclose(self) -> None: ...


class TransientError(Exception):
    """A failure worth retrying after a pause: rate limit, server error, timeout."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
