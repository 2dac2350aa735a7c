"""Spans reach a standard OTLP/HTTP collector when the usual variable names one."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from synthusers.llm.fake import FakeModel
from synthusers.runner import run_study
from synthusers.study import Study


class Collector(BaseHTTPRequestHandler):
    """Accepts OTLP trace exports and keeps the decoded spans."""

    spans: ClassVar[list[tuple[str, dict[str, Any]]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        for resource in request.resource_spans:
            for scope in resource.scope_spans:
                for span in scope.spans:
                    attributes = {a.key: a.value for a in span.attributes}
                    Collector.spans.append((span.name, attributes))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return None


def test_spans_are_exported_over_otlp(
    study: Study, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Collector.spans = []
    try:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{server.server_port}")
        run_study(study, tmp_path, model=FakeModel())
    finally:
        server.shutdown()
        server.server_close()

    names = [name for name, _ in Collector.spans]
    assert names.count("run") == 1
    written = len((tmp_path / "trace.jsonl").read_text().splitlines())
    assert len(names) == written
    calls = [attributes for name, attributes in Collector.spans if name.startswith("llm ")]
    assert calls
    for attributes in calls:
        assert attributes["gen_ai.request.model"].string_value == "fake"
        assert attributes["gen_ai.usage.input_tokens"].int_value > 0
        assert attributes["gen_ai.operation.name"].string_value == "chat"
