"""The views of a trace, each computed in one streaming pass and returned as plain JSON data.

Spans are written when they end, so a span's children always come before it in the file.
The tree view uses that to fold each finished subtree into its parent's pending aggregate,
and the failed view to pick up a failure's ancestors as they arrive; neither keeps spans.
"""

from __future__ import annotations

import heapq
import itertools
from array import array
from dataclasses import dataclass, field
from typing import Any

from .traceio import TraceSource, attr, is_cached, percentile, retries, tokens

# Siblings of these kinds differ only by an id in their name, so they share one line.
_GROUPED_KINDS = frozenset({"user", "attempt", "idea", "question"})


@dataclass(slots=True)
class Group:
    """Sibling spans of one pattern, with their children's groups folded in below them."""

    label: str
    kind: str
    count: int = 0
    failed: int = 0
    total_s: float = 0.0
    max_s: float = 0.0
    first_start: float = float("inf")
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached: int = 0
    first_error: str | None = None
    children: dict[str, Group] = field(default_factory=dict)

    def add(self, record: dict[str, Any]) -> None:
        """Count one span in the group; a cached reply's tokens were never spent."""
        duration = float(record["duration_s"])
        self.count += 1
        self.total_s += duration
        self.max_s = max(self.max_s, duration)
        self.first_start = min(self.first_start, float(record["start"]))
        if record["status"] != "ok":
            self.failed += 1
            self.first_error = self.first_error or str(record.get("error") or record["status"])
        if is_cached(record):
            self.cached += 1
        else:
            self.prompt_tokens += tokens(record, "prompt_tokens")
            self.completion_tokens += tokens(record, "completion_tokens")

    def merge(self, other: Group) -> None:
        """Fold another group of the same pattern, and its subtree, into this one."""
        self.count += other.count
        self.failed += other.failed
        self.total_s += other.total_s
        self.max_s = max(self.max_s, other.max_s)
        self.first_start = min(self.first_start, other.first_start)
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.cached += other.cached
        self.first_error = self.first_error or other.first_error
        for child in other.children.values():
            self.adopt(child)

    def adopt(self, child: Group) -> None:
        """Add a child group, merging it with the child of the same label if there is one."""
        existing = self.children.get(child.label)
        if existing is None:
            self.children[child.label] = child
        else:
            existing.merge(child)

    def to_json(self) -> dict[str, Any]:
        """The group and its children, earliest first, as plain data."""
        children = sorted(self.children.values(), key=lambda group: group.first_start)
        return {
            "label": self.label,
            "kind": self.kind,
            "count": self.count,
            "failed": self.failed,
            "total_s": round(self.total_s, 6),
            "mean_s": round(self.total_s / self.count, 6) if self.count else None,
            "max_s": round(self.max_s, 6),
            "start": self.first_start if self.count else None,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cached": self.cached,
            "first_error": self.first_error,
            "children": [child.to_json() for child in children],
        }


def pattern(record: dict[str, Any]) -> str:
    """The line a span is counted on: its kind for per-user/idea spans, else its name."""
    kind: str = record["kind"]
    return kind if kind in _GROUPED_KINDS else str(record["name"])


def tree_view(source: TraceSource) -> dict[str, Any]:
    """The run collapsed by level: one line per pattern of siblings under each parent line."""
    pending: dict[str, Group] = {}
    roots: list[Group] = []
    for record in source.records():
        node = Group(pattern(record), record["kind"])
        node.add(record)
        below = pending.pop(record["id"], None)
        if below is not None:
            node.children = below.children

        parent_id = record["parent_id"]
        if parent_id is None:
            roots.append(node)
        else:
            pending.setdefault(parent_id, Group("", "pending")).adopt(node)

    unfinished = Group("(parent span never ended)", "unfinished")
    for orphans in pending.values():
        for child in orphans.children.values():
            unfinished.adopt(child)
    return {
        "runs": [root.to_json() for root in roots],
        "unfinished": unfinished.to_json() if pending else None,
    }


def slowest_view(source: TraceSource, limit: int) -> dict[str, Any]:
    """The `limit` longest llm spans, longest first; a heap keeps only that many."""
    heap: list[tuple[float, int, dict[str, Any]]] = []
    order = itertools.count()
    for record in source.records():
        if record["kind"] != "llm":
            continue
        duration = float(record["duration_s"])
        if len(heap) < limit:
            heapq.heappush(heap, (duration, -next(order), llm_call(record)))
        elif duration > heap[0][0]:
            heapq.heapreplace(heap, (duration, -next(order), llm_call(record)))

    return {
        "slowest": [call for _, _, call in sorted(heap, key=lambda item: item[:2], reverse=True)]
    }


def llm_call(record: dict[str, Any]) -> dict[str, Any]:
    """What the slowest and user views show of one llm span."""
    return {
        "agent": record.get("agent"),
        "key": record.get("key"),
        "duration_s": record["duration_s"],
        "prompt_tokens": tokens(record, "prompt_tokens"),
        "completion_tokens": tokens(record, "completion_tokens"),
        "status": record["status"],
        "attempt": attr(record, "attempt"),
        "cached": is_cached(record),
        "model": record.get("model"),
    }


def failed_view(source: TraceSource) -> dict[str, Any]:
    """Every failed span with its ancestors' names, gathered as the ancestors end."""
    failures: list[dict[str, Any]] = []
    ancestors: dict[str, tuple[str | None, str]] = {}
    wanted: set[str] = set()
    for record in source.records():
        span_id, parent_id = record["id"], record["parent_id"]
        if span_id in wanted:
            wanted.discard(span_id)
            ancestors[span_id] = (parent_id, str(record["name"]))
            if parent_id is not None:
                wanted.add(parent_id)

        if record["status"] != "ok":
            failures.append(_failure(record))
            if parent_id is not None and parent_id not in ancestors:
                wanted.add(parent_id)

    for failure in failures:
        failure["path"] = _path(failure.pop("parent_id"), ancestors)
    failures.sort(key=lambda failure: float(failure["start"]))
    return {"failed": failures}


def _failure(record: dict[str, Any]) -> dict[str, Any]:
    """What the failed view keeps of a failed span until its path is known."""
    return {
        "name": record["name"],
        "kind": record["kind"],
        "agent": record.get("agent"),
        "key": record.get("key"),
        "error": record.get("error"),
        "start": record["start"],
        "duration_s": record["duration_s"],
        "parent_id": record["parent_id"],
    }


def _path(parent_id: str | None, ancestors: dict[str, tuple[str | None, str]]) -> list[str]:
    """Names from the root down to the span's parent; '?' marks a parent that never ended."""
    names: list[str] = []
    while parent_id is not None:
        if parent_id not in ancestors:
            names.append("?")
            break
        parent_id, name = ancestors[parent_id]
        names.append(name)
    return names[::-1]


@dataclass(slots=True)
class AgentTotals:
    """One agent's tasks and model calls; latencies of uncached calls kept as bare floats.

    `calls` are requests that reached the model; `cached` replies were replayed instead.
    """

    tasks: int = 0
    failed: int = 0
    retries: int = 0
    calls: int = 0
    call_errors: int = 0
    cached: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    latencies: array[float] = field(default_factory=lambda: array("d"))

    def add(self, record: dict[str, Any]) -> None:
        """Count an agent span as a task, an llm span as a call or a cached reply."""
        failed = record["status"] != "ok"
        if record["kind"] != "llm":
            self.tasks += 1
            self.failed += failed
            self.retries += retries(record)
            return

        if is_cached(record):
            self.cached += 1
            return
        self.calls += 1
        self.call_errors += failed
        self.prompt_tokens += tokens(record, "prompt_tokens")
        self.completion_tokens += tokens(record, "completion_tokens")
        self.latencies.append(float(record["duration_s"]))

    def to_json(self, ordered: list[float]) -> dict[str, Any]:
        """The totals as plain data; ordered holds the latencies sorted."""
        return {
            "tasks": self.tasks,
            "failed": self.failed,
            "retries": self.retries,
            "calls": self.calls,
            "call_errors": self.call_errors,
            "cached": self.cached,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "p50_s": percentile(ordered, 0.50),
            "p95_s": percentile(ordered, 0.95),
        }


def totals_view(source: TraceSource) -> dict[str, Any]:
    """Per agent: tasks, failures, calls, cached calls, tokens and llm latency percentiles."""
    agents: dict[str, AgentTotals] = {}
    runs: list[dict[str, Any]] = []
    first, last = float("inf"), float("-inf")
    for record in source.records():
        first = min(first, float(record["start"]))
        last = max(last, float(record["start"]) + float(record["duration_s"]))
        if record["parent_id"] is None:
            runs.append(_run(record))
        if record["kind"] in ("agent", "llm") and record.get("agent"):
            agents.setdefault(str(record["agent"]), AgentTotals()).add(record)

    overall = AgentTotals()
    rows: dict[str, Any] = {}
    for name in sorted(agents):
        totals = agents[name]
        rows[name] = totals.to_json(sorted(totals.latencies))
        _accumulate(overall, totals)
    return {
        "agents": rows,
        "overall": overall.to_json(sorted(overall.latencies)),
        "runs": sorted(runs, key=lambda run: float(run["start"])),
        "first_start": first,
        "last_end": last,
    }


def _accumulate(overall: AgentTotals, totals: AgentTotals) -> None:
    """Add one agent's totals to the overall ones."""
    for name in ("tasks", "failed", "retries", "calls", "call_errors", "cached"):
        setattr(overall, name, getattr(overall, name) + getattr(totals, name))
    overall.prompt_tokens += totals.prompt_tokens
    overall.completion_tokens += totals.completion_tokens
    overall.latencies.extend(totals.latencies)


def _run(record: dict[str, Any]) -> dict[str, Any]:
    """A root span as one run: when it started and how long it took."""
    return {
        "name": record["name"],
        "start": record["start"],
        "wall_s": record["duration_s"],
        "status": record["status"],
        "error": record.get("error"),
    }
