"""Time every `synthusers trace` view on a synthetic trace of about 100k spans.

Run it with `.venv/bin/python benchmarks/trace_reader.py [--users N] [--questions N]`.
It writes a trace shaped like a real run (users with three attempts of three agent calls,
ideas whose questions every user answers, llm spans under each agent span) to a temp
directory, then times each view in this one process and reports the peak RSS it added.
The numbers are measured, never asserted: this is not a test.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from synthusers.traceio import TraceSource, parse_span
from synthusers.tracereader import compute_view, render_view

WORDS = ("price", "value", "family", "routine", "healthy", "fresh", "local", "budget", "busy")


class TraceWriter:
    """Writes spans the way the tracer does: each one when it ends, so children first."""

    def __init__(self, handle: IO[str], rng: random.Random) -> None:
        self.handle = handle
        self.rng = rng
        self.next_id = 0
        self.spans = 0
        self._texts: dict[int, list[str]] = {}

    def new_id(self) -> str:
        self.next_id += 1
        return f"{self.next_id:016x}"

    def text(self, words: int) -> str:
        """Random words from a pool of 64 texts per length: varied enough, and quick."""
        if words not in self._texts:
            self._texts[words] = [
                " ".join(self.rng.choice(WORDS) for _ in range(words)) for _ in range(64)
            ]
        return self.rng.choice(self._texts[words])

    def write(
        self, span_id: str, parent_id: str | None, kind: str, name: str, **fields: Any
    ) -> None:
        """One span line; start, duration and status come in fields, the rest is defaulted."""
        start: float = fields.pop("start")
        duration: float = fields.pop("duration")
        record = {
            "v": 1,
            "id": span_id,
            "parent_id": parent_id,
            "children": [],
            "name": name,
            "kind": kind,
            "agent": fields.get("agent"),
            "key": fields.get("key"),
            "input": fields.get("input"),
            "output": fields.get("output"),
            "start": round(start, 6),
            "end": round(start + duration, 6),
            "duration_s": round(duration, 6),
            "status": "error" if fields.get("error") else "ok",
            "error": fields.get("error"),
            "model": fields.get("model"),
            "prompt_tokens": fields.get("prompt_tokens"),
            "completion_tokens": fields.get("completion_tokens"),
            "attrs": fields.get("attrs", {}),
        }
        self.handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.spans += 1

    def agent_call(self, parent_id: str, agent: str, key: str, start: float, fail: bool) -> float:
        """An agent span with one llm child, as the model client writes it; returns its end."""
        agent_id, llm_id = self.new_id(), self.new_id()
        latency = self.rng.lognormvariate(0.0, 0.6)
        cached = self.rng.random() < 0.05
        error = "RuntimeError: injected fault" if fail else None
        self.write(
            llm_id,
            agent_id,
            "llm",
            f"llm {agent}",
            agent=agent,
            key=key,
            start=start + 0.001,
            duration=0.002 if cached else latency,
            model="bench-model",
            input={"messages": [{"role": "user", "content": self.text(150)}], "seed": 7},
            output=None if fail else json.dumps({"rationale": self.text(25)}),
            prompt_tokens=self.rng.randint(200, 900),
            completion_tokens=self.rng.randint(20, 300),
            attrs={"attempt": 1, "finish_reason": "stop", **({"cached": True} if cached else {})},
            error=error,
        )
        self.write(
            agent_id,
            parent_id,
            "agent",
            agent,
            agent=agent,
            key=key,
            start=start,
            duration=latency + 0.003,
            input={"question": {"text": self.text(8)}, "attempt": 1},
            output=None if fail else {"rating": self.rng.randint(1, 5), "rationale": self.text(25)},
            error=error,
        )
        return start + latency + 0.003


def write_user(writer: TraceWriter, panel_id: str, number: int, start: float) -> None:
    user_id, key = writer.new_id(), f"u{number:04d}"
    clock = start
    for attempt in range(1, 4):
        attempt_id, attempt_key = writer.new_id(), f"{key}/{attempt}"
        began = clock
        for agent in ("generator", "validator", "reviewer"):
            clock = writer.agent_call(attempt_id, agent, attempt_key, clock, fail=False)
        writer.write(
            attempt_id, user_id, "attempt", f"attempt {attempt}", key=attempt_key,
            start=began, duration=clock - began,
        )  # fmt: skip
    writer.write(
        user_id, panel_id, "user", f"user {key}", key=key, start=start, duration=clock - start
    )


def write_question(
    writer: TraceWriter, idea_id: str, idea: str, number: int, users: int, start: float
) -> None:
    question_id, key = writer.new_id(), f"{idea}/q{number}"
    ends = [
        writer.agent_call(
            question_id, "respondent", f"{key}/u{user:04d}", start, writer.rng.random() < 0.01
        )
        for user in range(1, users + 1)
    ]
    end = writer.agent_call(question_id, "summarizer", key, max(ends), fail=False)
    writer.write(
        question_id, idea_id, "question", f"question q{number}", key=key,
        input={"id": f"q{number}", "text": writer.text(8), "kind": "likert"},
        start=start, duration=end - start,
    )  # fmt: skip


def write_trace(path: Path, users: int, ideas: int, questions: int) -> int:
    """Write the synthetic run to path; returns how many spans it holds."""
    with path.open("w", encoding="utf-8") as handle:
        writer = TraceWriter(handle, random.Random(1))
        run_id, panel_id = writer.new_id(), writer.new_id()
        t0 = 1_700_000_000.0
        for number in range(1, users + 1):
            write_user(writer, panel_id, number, t0 + number * 0.05)
        writer.write(panel_id, run_id, "panel", "panel", start=t0, duration=users * 0.05 + 30)
        for idea_number in range(1, ideas + 1):
            idea_id, idea = writer.new_id(), f"Idea {idea_number}"
            for number in range(1, questions + 1):
                write_question(writer, idea_id, idea, number, users, t0 + 60)
            end = writer.agent_call(idea_id, "aggregator", idea, t0 + 600, fail=False)
            writer.write(idea_id, run_id, "idea", f"idea {idea}", key=idea, start=t0, duration=end)
        writer.write(run_id, None, "run", "run", start=t0, duration=700.0)
        return writer.spans


def rss_mib(field: str) -> float | None:
    """VmRSS or VmHWM of this process from /proc, in MiB; None where /proc has no such file."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def reset_peak() -> bool:
    """Reset the kernel's peak RSS mark (Linux), so each view's own peak can be read."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def size(mib: float) -> str:
    """A memory size in MiB, or in KiB when under one MiB so small numbers stay visible."""
    return f"{mib:.1f} MiB" if abs(mib) >= 1 else f"{mib * 1024:.0f} KiB"


def measure(name: str, spans: int, work: Callable[[], object]) -> None:
    """Run work twice: timed, with the peak RSS it added; then under tracemalloc for its
    peak Python heap, which freed memory from earlier views cannot hide."""
    gc.collect()
    before = rss_mib("VmRSS")
    resettable = reset_peak()
    started = time.perf_counter()
    work()
    elapsed = time.perf_counter() - started

    peak = rss_mib("VmHWM") if resettable else None
    added = "+" + size(peak - before) if peak is not None and before is not None else "?"
    gc.collect()
    tracemalloc.start()
    work()
    heap = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    per_span = elapsed / spans * 1e6
    print(
        f"{name:<10} {elapsed:5.2f} s for {spans / 1000:.0f}k spans ({per_span:4.1f} µs/span); "
        f"peak RSS {added}, Python heap peak {size(heap)}"
    )


def parse_only(path: Path) -> None:
    """The floor: parse and check every line, keep nothing."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            parse_span(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--ideas", type=int, default=3)
    parser.add_argument("--questions", type=int, default=13, help="per idea")
    parser.add_argument("--write", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.write:
        print(write_trace(options.write, options.users, options.ideas, options.questions))
        return

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "trace.jsonl"
        spans = generate(path, options)
        print(f"peak RSS of this process before the views: {rss_mib('VmHWM') or 0:.0f} MiB")

        def view(**chosen: Any) -> Callable[[], object]:
            return lambda: render_view(compute_view(TraceSource(path), **chosen))

        measure("parse only", spans, lambda: parse_only(path))
        measure("tree", spans, view())
        measure("totals", spans, view(totals=True))
        measure("slowest", spans, view(slowest=20))
        measure("failed", spans, view(failed=True))
        measure("user", spans, view(user=f"u{options.users // 2:04d}"))
        measure("question", spans, view(question="Idea 2/q7"))
        measure("tree json", spans, lambda: json.dumps(compute_view(TraceSource(path))))


def generate(path: Path, options: argparse.Namespace) -> int:
    """Write the trace in a child process, so its garbage does not pad this one's memory."""
    started = time.perf_counter()
    sizes = ["--users", str(options.users), "--ideas", str(options.ideas)]
    command = [sys.executable, __file__, "--write", str(path), *sizes]
    command += ["--questions", str(options.questions)]
    spans = int(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    took = time.perf_counter() - started
    print(f"wrote {spans} spans ({path.stat().st_size / 2**20:.0f} MiB) in {took:.1f} s")
    return spans


if __name__ == "__main__":
    main()
