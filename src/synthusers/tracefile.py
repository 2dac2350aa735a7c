"""trace.jsonl: how spans are written to the run directory, one JSON object per line.

Each line, written the moment its span ends (children before their parents):

| key | meaning |
| --- | --- |
| `v` | format version, now 1 |
| `trace_id`, `id`, `parent_id` | OpenTelemetry ids in hex; `parent_id` is null for a run |
| `children` | ids of the spans that ended inside this one |
| `name`, `kind` | what ran; kind: run, panel, user, attempt, idea, question, agent, llm, sample |
| `agent`, `key` | which agent, and which unit of work ("u003/2", "Idea/q1/u003") |
| `input`, `output` | the agent's typed input and output, or an llm call's messages and reply |
| `start`, `end`, `duration_s` | Unix seconds; an llm span excludes time waiting for a slot |
| `status`, `error` | "ok" or "error", and the error's message |
| `model`, `prompt_tokens`, `completion_tokens` | for llm spans |
| `attrs` | extra facts: attempt, finish_reason, cached (replayed from the call store) |
| `events` | things that happened inside, such as retries: name, time and attributes |
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import StatusCode

TRACE_VERSION = 1


def _hex(value: int | None, width: int = 16) -> str | None:
    return format(value, f"0{width}x") if value is not None else None


def _loads(text: Any) -> Any:
    return json.loads(text) if isinstance(text, str) else None


def span_record(span: ReadableSpan, children: list[str]) -> dict[str, Any]:
    """The JSONL record of one finished span."""
    attributes = dict(span.attributes or {})
    context = span.get_span_context()
    start = (span.start_time or 0) / 1e9
    end = (span.end_time or span.start_time or 0) / 1e9
    failed = span.status.status_code is StatusCode.ERROR
    return {
        "v": TRACE_VERSION,
        "trace_id": _hex(context.trace_id if context else None, 32),
        "id": _hex(context.span_id if context else None),
        "parent_id": _hex(span.parent.span_id if span.parent else None),
        "children": children,
        "name": span.name,
        "kind": attributes.get("synthusers.kind"),
        "agent": attributes.get("synthusers.agent"),
        "key": attributes.get("synthusers.key"),
        "input": _loads(attributes.get("synthusers.input")),
        "output": _loads(attributes.get("synthusers.output")),
        "start": round(start, 6),
        "end": round(end, 6),
        "duration_s": round(end - start, 6),
        "status": "error" if failed else "ok",
        "error": span.status.description if failed else None,
        "model": attributes.get("gen_ai.response.model"),
        "prompt_tokens": attributes.get("gen_ai.usage.input_tokens"),
        "completion_tokens": attributes.get("gen_ai.usage.output_tokens"),
        "attrs": _loads(attributes.get("synthusers.attrs")) or {},
        "events": [
            {
                "name": event.name,
                "time": round(event.timestamp / 1e9, 6),
                "attrs": dict(event.attributes or {}),
            }
            for event in span.events
        ],
    }


class JsonlSpanExporter(SpanExporter):
    """Appends each finished span to a JSONL file and flushes, so a kill loses nothing ended."""

    def __init__(self, path: Path) -> None:
        self._file: IO[str] = path.open("a", encoding="utf-8")
        self._children: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        with self._lock:
            for span in spans:
                own_id = _hex(span.context.span_id) if span.context else None
                record = span_record(span, self._children.pop(own_id or "", []))
                if record["parent_id"]:
                    self._children.setdefault(record["parent_id"], []).append(record["id"])
                self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
            self._file.flush()
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        with self._lock:
            self._file.close()
