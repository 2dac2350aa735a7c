"""How much of an allowed request or token rate a run uses, and whether it ever exceeds it.

Calls go to a fake model that answers at once, so the limiter alone sets the pace. The
script prints the achieved rate over the allowed one (the goal is 0.95 or more) and the
busiest 60-second window's count over the limit (it must not pass 1.00). Run:
.venv/bin/python benchmarks/rate_limits.py [--rpm 1200] [--seconds 15]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from bisect import bisect_left

from pydantic import BaseModel

from synthusers.llm.base import ChatRequest, ChatResponse
from synthusers.llm.client import ModelClient
from synthusers.llm.fake import FakeModel
from synthusers.study import Limits

WINDOW_S = 5.0
"""A window shorter than a minute, so that a short run can still show a burst."""
SHARE = WINDOW_S / 60.0


class Reply(BaseModel):
    text: str


class StampingModel(FakeModel):
    """The fake model, noting when each request arrived and how many tokens it used."""

    def __init__(self) -> None:
        super().__init__()
        self.stamps: list[tuple[float, int]] = []

    async def complete(self, request: ChatRequest) -> ChatResponse:
        response = await super().complete(request)
        used = response.prompt_tokens + response.completion_tokens
        self.stamps.append((time.monotonic(), used))
        return response


def busiest_window(stamps: list[tuple[float, int]], width: float, tokens: bool) -> float:
    """The most requests (or tokens) inside any window of `width` seconds."""
    times = [stamp for stamp, _ in stamps]
    weights = [used if tokens else 1 for _, used in stamps]
    prefix = [0]
    for weight in weights:
        prefix.append(prefix[-1] + weight)
    best = 0
    for end, stamp in enumerate(times, start=1):
        start = bisect_left(times, stamp - width)
        best = max(best, prefix[end] - prefix[start])
    return best


async def measure(limits: Limits, seconds: float, concurrency: int) -> None:
    model = StampingModel()
    client = ModelClient(model, concurrency=concurrency, limits=limits)
    messages = [{"role": "user", "content": "Say something short about rate limits."}]

    async def worker(index: int) -> None:
        call = 0
        while time.monotonic() < deadline:
            call += 1
            await client.generate("bench", messages, Reply, key=f"{index}/{call}")  # type: ignore[arg-type]

    started = time.monotonic()
    deadline = started + seconds
    await asyncio.gather(*(worker(index) for index in range(concurrency)))
    elapsed = model.stamps[-1][0] - started
    calls, tokens = len(model.stamps), sum(used for _, used in model.stamps)
    if limits.rpm:
        report("rpm", limits.rpm, calls, elapsed, busiest_window(model.stamps, WINDOW_S, False))
    if limits.tpm:
        report("tpm", limits.tpm, tokens, elapsed, busiest_window(model.stamps, WINDOW_S, True))


def report(name: str, limit: float, amount: int, elapsed: float, busiest: float) -> None:
    """One line: the rate achieved over the allowed one, and the busiest window over its share."""
    achieved = amount / elapsed * 60 / limit
    print(
        f"{name} {limit:g}: {amount} in {elapsed:.1f} s; achieved/allowed {achieved:.3f}; "
        f"busiest {WINDOW_S:g} s window/its share {busiest / (limit * SHARE):.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rpm", type=float, default=1200)
    parser.add_argument("--tpm", type=float, default=60000)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    asyncio.run(measure(Limits(rpm=args.rpm), args.seconds, args.concurrency))
    asyncio.run(measure(Limits(tpm=args.tpm), args.seconds, args.concurrency))


if __name__ == "__main__":
    main()
