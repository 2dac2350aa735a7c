"""The run's trace, through OpenTelemetry: one span per grouping step and per call.

Spans nest through OpenTelemetry's context, so a task created inside a span is that
span's child without anyone passing ids around. Model calls carry the GenAI semantic
conventions (`gen_ai.request.model`, `gen_ai.usage.input_tokens`, ...). Two exporters:

- `trace.jsonl` in the run directory, always: one line per span, written the moment the
  span ends, so a killed run keeps every span that ended (format in `tracefile`);
- OTLP over HTTP, when the standard OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT)
  variable is set, to Jaeger, Phoenix, Langfuse or any collector.

Values of environment variables named like secrets are redacted before they reach
either exporter.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from opentelemetry import trace as otel
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.trace import Status, StatusCode
from pydantic import BaseModel

from .redaction import redact, secret_values
from .tracefile import JsonlSpanExporter

_OTLP_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def _json(value: Any) -> str:
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    return json.dumps(value, ensure_ascii=False, default=_default)


def _default(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return str(value)


class Span:
    """A unit of traced work; fill in output, tokens or error before it ends."""

    def __init__(self, span: otel.Span, kind: str, fields: dict[str, Any]) -> None:
        self._span = span
        self.kind = kind
        self.fields = fields
        self.output: Any = None
        self.attrs: dict[str, Any] = {}
        self.error: str | None = None

    @property
    def id(self) -> str:
        return format(self._span.get_span_context().span_id, "016x")

    def fail(self, error: str) -> None:
        self.error = error

    def event(self, name: str, **attributes: str | int | float | bool) -> None:
        """Something that happened inside the span, such as a retry."""
        self._span.add_event(name, attributes)

    def finish(self, secrets: list[str]) -> None:
        """Copy what the span learned into OpenTelemetry attributes, redacted."""
        attributes: dict[str, Any] = {"synthusers.kind": self.kind}
        for name in ("agent", "key"):
            if self.fields.get(name) is not None:
                attributes[f"synthusers.{name}"] = redact(str(self.fields[name]), secrets)
        if self.fields.get("input") is not None:
            attributes["synthusers.input"] = redact(_json(self.fields["input"]), secrets)
        if self.output is not None:
            attributes["synthusers.output"] = redact(_json(self.output), secrets)
        if self.attrs:
            attributes["synthusers.attrs"] = redact(_json(self.attrs), secrets)
        if self.kind == "llm":
            attributes.update(self._gen_ai())
        self._span.set_attributes(attributes)
        if self.error is not None:
            self._span.set_status(Status(StatusCode.ERROR, redact(self.error, secrets)))

    def _gen_ai(self) -> dict[str, Any]:
        attributes: dict[str, Any] = {"gen_ai.operation.name": "chat"}
        model = self.fields.get("model")
        if model:
            attributes["gen_ai.request.model"] = str(model)
            attributes["gen_ai.response.model"] = str(model)
        for field, name in (("prompt_tokens", "input"), ("completion_tokens", "output")):
            if self.fields.get(field) is not None:
                attributes[f"gen_ai.usage.{name}_tokens"] = int(self.fields[field])
        if "finish_reason" in self.attrs:
            attributes["gen_ai.response.finish_reasons"] = [str(self.attrs["finish_reason"])]
        return attributes


class Tracer:
    """One run's spans, exported to trace.jsonl (or nowhere) and optionally over OTLP."""

    def __init__(self, path: Path | None = None) -> None:
        self._secrets = secret_values()
        self._provider = TracerProvider(resource=Resource.create({"service.name": "synthusers"}))
        if path is not None:
            self._provider.add_span_processor(SimpleSpanProcessor(JsonlSpanExporter(path)))
        if any(os.environ.get(variable) for variable in _OTLP_VARIABLES):
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            self._provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        self._tracer = self._provider.get_tracer("synthusers")

    @contextmanager
    def span(self, name: str, kind: str, **fields: Any) -> Iterator[Span]:
        """Open a child of the current span; it is recorded as failed if the block raises."""
        with self._tracer.start_as_current_span(
            redact(name, self._secrets), record_exception=False, set_status_on_exception=False
        ) as otel_span:
            span = Span(otel_span, kind, fields)
            try:
                yield span
            except BaseException as error:
                if span.error is None:
                    span.fail(f"{type(error).__name__}: {error}")
                raise
            finally:
                span.finish(self._secrets)

    def event(self, name: str, **attributes: str | int | float | bool) -> None:
        """Record an event, such as a retry, on the span that is current here."""
        otel.get_current_span().add_event(name, attributes)

    def close(self) -> None:
        self._provider.shutdown()
