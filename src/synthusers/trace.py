"""The run's trace: one JSON line per span, written the moment the span ends.

Spans nest through a context variable, so a task created inside a span is that span's
child without anyone passing ids around. A killed run keeps every span that ended.

Each line holds: `v` (schema version), `id`, `parent_id`, `children` (ids of the spans
that ended inside it), `name`, `kind` (run, panel, user, idea, question, stage, agent,
llm), `agent`, `key`, `input`, `output`, `start` and `end` (Unix seconds), `duration_s`,
`status` (ok or error), `error`, `model`, `prompt_tokens`, `completion_tokens` and
`attrs`.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel

TRACE_VERSION = 1
_SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|AUTH)", re.IGNORECASE)
_current: ContextVar[Span | None] = ContextVar("synthusers_span", default=None)


def secret_values(environ: dict[str, str] | None = None) -> list[str]:
    """Values of environment variables named like secrets, longest first, to redact."""
    environ = dict(os.environ) if environ is None else environ
    values = {value for name, value in environ.items() if _SECRET_NAME.search(name)}
    return sorted((value for value in values if len(value) >= 6), key=len, reverse=True)


def redact(text: str, secrets: list[str]) -> str:
    """Replace every secret value in text with a fixed marker."""
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "[REDACTED]")
    return text


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    return value


class Span:
    """A unit of traced work; fill in output, tokens or error before it ends."""

    def __init__(self, name: str, kind: str, parent: Span | None, **fields: Any) -> None:
        self.id = uuid.uuid4().hex[:16]
        self.parent_id = parent.id if parent else None
        self.name = name
        self.kind = kind
        self.children: list[str] = []
        self.start = time.time()
        self.status = "ok"
        self.error: str | None = None
        self.output: Any = None
        self.fields: dict[str, Any] = fields
        self.attrs: dict[str, Any] = {}

    def fail(self, error: str) -> None:
        self.status = "error"
        self.error = error

    def record(self, end: float) -> dict[str, Any]:
        return {
            "v": TRACE_VERSION,
            "id": self.id,
            "parent_id": self.parent_id,
            "children": self.children,
            "name": self.name,
            "kind": self.kind,
            "agent": self.fields.get("agent"),
            "key": self.fields.get("key"),
            "input": _jsonable(self.fields.get("input")),
            "output": _jsonable(self.output),
            "start": round(self.start, 6),
            "end": round(end, 6),
            "duration_s": round(end - self.start, 6),
            "status": self.status,
            "error": self.error,
            "model": self.fields.get("model"),
            "prompt_tokens": self.fields.get("prompt_tokens"),
            "completion_tokens": self.fields.get("completion_tokens"),
            "attrs": _jsonable(self.attrs),
        }


class Tracer:
    """Writes spans to a JSONL file (or nowhere) with secrets redacted."""

    def __init__(self, path: Path | None = None) -> None:
        self._file: IO[str] | None = path.open("a", encoding="utf-8") if path else None
        self._lock = threading.Lock()
        self._secrets = secret_values()

    @contextmanager
    def span(self, name: str, kind: str, **fields: Any) -> Iterator[Span]:
        """Open a child of the current span; it is recorded as failed if the block raises."""
        parent = _current.get()
        span = Span(name, kind, parent, **fields)
        token = _current.set(span)
        try:
            yield span
        except BaseException as error:
            if span.status == "ok":
                span.fail(f"{type(error).__name__}: {error}")
            raise
        finally:
            _current.reset(token)
            if parent is not None:
                parent.children.append(span.id)
            self._write(span.record(time.time()))

    def _write(self, record: dict[str, Any]) -> None:
        if self._file is None:
            return
        line = redact(json.dumps(record, ensure_ascii=False, default=str), self._secrets)
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def current_span() -> Span | None:
    return _current.get()
