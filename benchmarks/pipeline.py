"""How close the pipeline comes to the ideal wall time, and what it costs per call.

A fake model answers every call after a fixed latency. With C calls in flight at most,
the ideal wall time is (calls x latency) / C, plus the critical path that cannot overlap
(user attempts, then answers, then summary, then aggregate, then comparison). The
ratio measured/ideal shows scheduling losses; CPU per call shows the framework's own
overhead. Run: .venv/bin/python benchmarks/pipeline.py [--users 200] [--latency 0.02]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from pathlib import Path

from synthusers.llm.client import ModelClient
from synthusers.llm.fake import FakeModel
from synthusers.pipeline import Pipeline
from synthusers.study import parse_study
from synthusers.trace import Tracer


def study(users: int, concurrency: int) -> dict[str, object]:
    questions = [
        {"kind": "likert", "text": "How appealing is this?"},
        {"kind": "single_choice", "text": "What would you do?", "options": ["Buy", "Wait", "No"]},
        {"kind": "nps", "text": "Would you recommend it?"},
        {"kind": "open", "text": "What would stop you?"},
    ]
    return {
        "name": "Benchmark",
        "panel": {"size": users, "audience": "Adults who cook at home", "max_attempts": 3},
        "ideas": [{"name": f"Idea {i}", "description": f"Concept number {i}."} for i in range(3)],
        "questions": questions,
        "concurrency": concurrency,
        "seed": 1,
    }


async def measure(users: int, concurrency: int, latency: float) -> None:
    spec = parse_study(study(users, concurrency))
    with tempfile.TemporaryDirectory() as folder:
        tracer = Tracer(Path(folder) / "trace.jsonl")
        model = FakeModel(latency_s=latency)
        client = ModelClient(model, concurrency=concurrency, seed=1, tracer=tracer)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await Pipeline(spec, client).run()
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        tracer.close()
    calls = sum(usage.calls for usage in client.usage.values())
    critical = latency * (2 * spec.panel.max_attempts + 4)
    ideal = max(calls * latency / concurrency, critical)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"users {users:>5}  concurrency {concurrency:>4}  calls {calls:>6}  "
        f"wall {wall:6.2f} s  ideal {ideal:6.2f} s  ratio {wall / ideal:5.2f}  "
        f"CPU/call {cpu / calls * 1e3:5.2f} ms  mean in flight {client.mean_in_flight:6.1f}  "
        f"peak RSS {peak:5.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, nargs="*", default=[50, 200])
    parser.add_argument("--concurrency", type=int, nargs="*", default=[8, 64])
    parser.add_argument("--latency", type=float, default=0.02)
    args = parser.parse_args()
    for users in args.users:
        for concurrency in args.concurrency:
            asyncio.run(measure(users, concurrency, args.latency))


if __name__ == "__main__":
    main()
