"""Requests-per-minute and tokens-per-minute limits, shared by every task of a run."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

HEADROOM = 0.98
"""The share of a limit that is used: clocks and windows differ a little between a client
and a server, and a request refused for a hair over the limit costs more than 2%."""


class RateLimiter:
    """Spaces requests so that neither the request rate nor the token rate is exceeded.

    Each request reserves the earliest moment at which both budgets allow it and sleeps
    until then. Spacing (rather than a bucket that bursts) keeps every 60-second window
    under the limit while still using all of it.
    """

    def __init__(
        self,
        rpm: float | None = None,
        tpm: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.rpm = rpm * HEADROOM if rpm else None
        self.tpm = tpm * HEADROOM if tpm else None
        self._clock = clock
        self._sleep = sleep
        self._next_request = 0.0
        self._next_token = 0.0
        self._completion_mean: float | None = None
        self._lock = asyncio.Lock()

    @property
    def active(self) -> bool:
        return bool(self.rpm or self.tpm)

    async def acquire(self, tokens: int) -> None:
        """Wait until a request of about `tokens` tokens may be sent."""
        if not self.active:
            return
        async with self._lock:
            now = self._clock()
            start = max(now, self._next_request, self._next_token)
            if self.rpm:
                self._next_request = start + 60.0 / self.rpm
            if self.tpm:
                self._next_token = max(self._next_token, now) + tokens * 60.0 / self.tpm
        delay = start - self._clock()
        if delay > 0:
            await self._sleep(delay)

    def estimate(self, prompt_tokens: int, max_tokens: int) -> int:
        """Tokens to reserve for a request: its prompt and a typical reply so far.

        Reserving max_tokens would leave most of the budget unused, as replies are
        usually far shorter; `settle` corrects each guess once the reply is in.
        """
        typical = self._completion_mean if self._completion_mean is not None else max_tokens / 2
        return prompt_tokens + int(min(max_tokens, typical))

    def settle(self, estimated: int, prompt_tokens: int, completion_tokens: int) -> None:
        """Give back (or take) the difference once a reply says how many tokens it used."""
        if self._completion_mean is None:
            self._completion_mean = float(completion_tokens)
        else:
            self._completion_mean += 0.1 * (completion_tokens - self._completion_mean)
        actual = prompt_tokens + completion_tokens
        if self.tpm and actual != estimated:
            self._next_token += (actual - estimated) * 60.0 / self.tpm
