"""ModelClient: the single place where model calls are bounded, retried, parsed and traced."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from ..errors import BudgetExhausted, ModelCallError, OutputInvalidError
from ..pricing import cost
from ..report import AgentUsage
from ..study import Limits, Price
from ..trace import Tracer
from .base import ChatModel, ChatRequest, ChatResponse, Message, TransientError
from .limits import RateLimiter
from .schema import output_schema, reply_token_bound
from .store import CallStore, call_key

T = TypeVar("T", bound=BaseModel)
log = logging.getLogger("synthusers.model")


def derive_seed(*parts: object) -> int:
    """A stable 31-bit seed from any parts, so a call's randomness depends on its inputs."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def _short_error(error: ValidationError) -> str:
    problems = [
        f"{'.'.join(str(part) for part in item['loc']) or 'reply'}: {item['msg']}"
        for item in error.errors()[:3]
    ]
    return "; ".join(problems)


def _request_record(request: ChatRequest) -> dict[str, object]:
    return {
        "messages": request.messages,
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        "seed": request.seed,
    }


def _parse(output_type: type[T], raw: str) -> T:
    """The reply as output_type. Line breaks inside strings are accepted: small models
    write them, and they change nothing a reader would want."""
    try:
        data = json.loads(raw, strict=False)
    except json.JSONDecodeError as error:
        raise ValueError(f"not valid JSON ({error.msg} at character {error.pos})") from None
    return output_type.model_validate(data)


def _prompt_tokens(request: ChatRequest) -> int:
    """The prompt's size in tokens, at about four characters each."""
    return sum(len(message["content"]) for message in request.messages) // 4


class ModelClient:
    """Sends typed requests to a backend with one bound on calls in flight for the run.

    Agents call `generate` and get a validated instance back or an exception; they never
    see retries, limits or tracing. Tasks only hold a slot while their request is being
    answered, so nested tasks cannot starve each other of slots.
    """

    def __init__(
        self,
        model: ChatModel,
        *,
        concurrency: int = 4,
        tracer: Tracer | None = None,
        max_retries: int = 5,
        max_output_attempts: int = 3,
        backoff_s: float = 0.5,
        seed: int = 0,
        store: CallStore | None = None,
        limits: Limits | None = None,
        price: Price | None = None,
    ) -> None:
        self.model = model
        self.concurrency = min(concurrency, getattr(model, "max_parallel", concurrency))
        self.tracer = tracer or Tracer()
        self.max_retries = max_retries
        self.max_output_attempts = max_output_attempts
        self.backoff_s = backoff_s
        self.seed = seed
        self.store = store
        self.limits = limits or Limits()
        self.limiter = RateLimiter(self.limits.rpm, self.limits.tpm)
        self.price = price
        self.tokens_used = 0
        self.cost_used = 0.0
        self.usage: dict[str, AgentUsage] = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self._busy = 0.0
        self._since = time.monotonic()
        self._started = self._since
        self._slots = asyncio.Semaphore(self.concurrency)
        if self.concurrency < concurrency:
            log.info(
                "%s runs %d call(s) at a time; concurrency %d is capped to that",
                model.name,
                self.concurrency,
                concurrency,
            )

    async def generate(
        self,
        agent: str,
        messages: list[Message],
        output_type: type[T],
        *,
        key: str,
        max_tokens: int = 512,
        temperature: float = 0.7,
    ) -> T:
        """Ask for an instance of output_type, feeding validation errors back on failure."""
        usage = self.usage.setdefault(agent, AgentUsage())
        schema = output_schema(output_type)
        max_tokens = max(max_tokens, reply_token_bound(schema) or 0)
        history = list(messages)
        raw = problem = ""
        for attempt in range(1, self.max_output_attempts + 1):
            request = ChatRequest(
                messages=history,
                schema=schema,
                schema_name=output_type.__name__,
                max_tokens=max_tokens,
                temperature=temperature,
                seed=derive_seed(self.seed, agent, key, attempt),
            )
            response = await self._call(agent, key, request, usage)
            raw = response.text
            try:
                return _parse(output_type, raw)
            except ValueError as error:
                problem = _short_error(error) if isinstance(error, ValidationError) else str(error)
                if response.finish_reason == "length":
                    problem = f"the reply was cut off at {max_tokens} tokens"
                    max_tokens *= 2
                log.warning("%s %s: reply %d did not fit (%s)", agent, key, attempt, problem)
                usage.retries += 1
                self.tracer.event("invalid_reply", attempt=attempt, problem=problem)
                history = [
                    *messages,
                    {"role": "assistant", "content": raw},
                    {
                        "role": "user",
                        "content": f"That reply was not valid: {problem}. "
                        "Reply again with only JSON that fits the schema.",
                    },
                ]
        usage.failed_calls += 1
        shown = raw if len(raw) <= 200 else raw[:200] + "..."
        raise OutputInvalidError(
            f"{agent}: no valid reply after {self.max_output_attempts} attempts "
            f"({problem}); last reply: {shown!r}",
            raw,
        )

    async def _call(
        self, agent: str, key: str, request: ChatRequest, usage: AgentUsage
    ) -> ChatResponse:
        """Replay the call from the store if it was made before; otherwise send and store it."""
        address = call_key(self.model.name, agent, request)
        if self.store is not None:
            stored = self.store.get(address)
            if stored is not None:
                self._replayed(agent, key, request, stored, usage)
                return stored
        response = await self._send_with_retries(agent, key, request, usage)
        if self.store is not None:
            self.store.put(address, agent, self.model.name, response)
        return response

    def _replayed(
        self,
        agent: str,
        key: str,
        request: ChatRequest,
        response: ChatResponse,
        usage: AgentUsage,
    ) -> None:
        usage.cached += 1
        self._spend(response)
        with self.tracer.span(
            f"llm {agent}",
            "llm",
            agent=agent,
            key=key,
            model=response.model,
            input=_request_record(request),
            prompt_tokens=response.prompt_tokens,
            completion_tokens=response.completion_tokens,
        ) as span:
            span.attrs.update(cached=True, finish_reason=response.finish_reason)
            span.output = response.text

    async def _send_with_retries(
        self, agent: str, key: str, request: ChatRequest, usage: AgentUsage
    ) -> ChatResponse:
        """Send one request, retrying transient failures with backoff outside the slot."""
        estimate = self.limiter.estimate(_prompt_tokens(request), request.max_tokens)
        for attempt in range(1, self.max_retries + 1):
            self._check_budget()
            await self.limiter.acquire(estimate)
            try:
                async with self._slot():
                    response = await self._send(agent, key, request, usage, attempt)
            except TransientError as error:
                if attempt == self.max_retries:
                    usage.failed_calls += 1
                    raise ModelCallError(
                        f"{agent}: gave up after {attempt} attempts ({error})"
                    ) from error
                delay = self._backoff(attempt, error.retry_after)
                usage.retries += 1
                self.tracer.event("retry", attempt=attempt, error=str(error), delay_s=delay)
                log.warning("%s %s: %s; retrying in %.1fs", agent, key, error, delay)
                await asyncio.sleep(delay)
                continue
            self.limiter.settle(estimate, response.prompt_tokens, response.completion_tokens)
            self._spend(response)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    async def _send(
        self, agent: str, key: str, request: ChatRequest, usage: AgentUsage, attempt: int
    ) -> ChatResponse:
        """One request on the wire, as one span; its duration excludes waiting for a slot."""
        messages = {
            "messages": request.messages,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "seed": request.seed,
        }
        with self.tracer.span(
            f"llm {agent}", "llm", agent=agent, key=key, model=self.model.name, input=messages
        ) as span:
            span.attrs["attempt"] = attempt
            started = time.perf_counter()
            response = await self.model.complete(request)
            usage.calls += 1
            usage.seconds += time.perf_counter() - started
            usage.prompt_tokens += response.prompt_tokens
            usage.completion_tokens += response.completion_tokens
            span.fields.update(
                model=response.model,
                prompt_tokens=response.prompt_tokens,
                completion_tokens=response.completion_tokens,
            )
            span.attrs["finish_reason"] = response.finish_reason
            span.output = response.text
            log.debug(
                "%s %s: %d+%d tokens in %.2fs",
                agent,
                key,
                response.prompt_tokens,
                response.completion_tokens,
                time.perf_counter() - started,
            )
            return response

    def _spend(self, response: ChatResponse) -> None:
        """Count a reply against the budget; replayed replies count too, as they were paid
        for by an earlier session of the same run."""
        self.tokens_used += response.prompt_tokens + response.completion_tokens
        self.cost_used += (
            cost(self.price, response.prompt_tokens, response.completion_tokens) or 0.0
        )

    def _check_budget(self) -> None:
        """Refuse to send once the study's token or cost budget is spent."""
        limits = self.limits
        if limits.max_tokens is not None and self.tokens_used >= limits.max_tokens:
            raise BudgetExhausted(
                f"token budget reached: {self.tokens_used} of max_tokens {limits.max_tokens}"
            )
        if limits.max_cost is not None and self.cost_used >= limits.max_cost:
            raise BudgetExhausted(
                f"cost budget reached: ${self.cost_used:.4f} of max_cost ${limits.max_cost}"
            )

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        ceiling = min(30.0, self.backoff_s * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)

    @asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        async with self._slots:
            self._account()
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                yield
            finally:
                self._account()
                self.in_flight -= 1

    def _account(self) -> None:
        now = time.monotonic()
        self._busy += self.in_flight * (now - self._since)
        self._since = now

    @property
    def mean_in_flight(self) -> float:
        """Calls in flight on average since the client was made: the achieved concurrency."""
        self._account()
        return self._busy / max(1e-9, time.monotonic() - self._started)

    async def aclose(self) -> None:
        await self.model.aclose()
