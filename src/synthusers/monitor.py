"""Resource monitoring: CPU, memory and model traffic, sampled while a run goes.

Each sample becomes a `sample` span in the trace and a line under the live progress
table, so a slow or stuck run shows why: the CPU is busy, the calls are rate-limited,
or retries are piling up.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Any

import psutil

from .llm.client import ModelClient
from .progress import Progress
from .trace import Tracer


class ResourceMonitor:
    """Samples the process and the model client every `interval_s` seconds."""

    def __init__(
        self,
        client: ModelClient,
        tracer: Tracer,
        progress: Progress | None = None,
        failures: Any = None,
        interval_s: float = 2.0,
    ) -> None:
        self.client = client
        self.tracer = tracer
        self.progress = progress
        self.failures = failures
        self.interval_s = interval_s
        self.peak_rss_mb = 0.0
        self.samples = 0
        self._process = psutil.Process()
        self._process.cpu_percent(None)
        self._window: deque[tuple[float, int, int]] = deque()

    async def run(self) -> None:
        """Sample until cancelled."""
        while True:
            await asyncio.sleep(self.interval_s)
            self.sample()

    def sample(self) -> dict[str, float | int]:
        """Take one sample, record it in the trace and show it."""
        now = time.monotonic()
        calls, tokens, retries, failed = self._totals()
        self._window.append((now, calls, tokens))
        while len(self._window) > 1 and now - self._window[0][0] > 60.0:
            self._window.popleft()
        first_time, first_calls, first_tokens = self._window[0]
        minutes = max(now - first_time, self.interval_s) / 60.0
        rss_mb = self._process.memory_info().rss / 2**20
        self.peak_rss_mb = max(self.peak_rss_mb, rss_mb)
        sample: dict[str, float | int] = {
            "cpu_percent": round(self._process.cpu_percent(None), 1),
            "rss_mb": round(rss_mb, 1),
            "in_flight": self.client.in_flight,
            "calls_per_min": round((calls - first_calls) / minutes, 1),
            "tokens_per_min": round((tokens - first_tokens) / minutes),
            "retries": retries,
            "failed_tasks": failed,
        }
        self.samples += 1
        with self.tracer.span("resources", "sample") as span:
            span.attrs.update(sample)
        if self.progress is not None:
            self.progress.resources(sample)
        return sample

    def _totals(self) -> tuple[int, int, int, int]:
        usage = self.client.usage.values()
        calls = sum(u.calls for u in usage)
        tokens = sum(u.prompt_tokens + u.completion_tokens for u in usage)
        retries = sum(u.retries for u in usage)
        failed = len(self.failures) if self.failures is not None else 0
        return calls, tokens, retries, failed
