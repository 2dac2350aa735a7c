"""Requests-per-minute and tokens-per-minute limits, shared by every task of a run."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


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
        self.rpm = rpm
        self.tpm = tpm
        self._clock = clock
        self._sleep = sleep
        self._next_request = 0.0
        self._next_token = 0.0
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

    def settle(self, estimated: int, actual: int) -> None:
        """Give back (or take) the difference once a reply says how many tokens it used."""
        if self.tpm and actual != estimated:
            self._next_token += (actual - estimated) * 60.0 / self.tpm
