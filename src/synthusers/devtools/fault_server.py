"""A loopback OpenAI-compatible chat server that injects faults, for tests and benchmarks.

It answers `POST /v1/chat/completions` with JSON that fits the request's `response_format`
schema (seeded by the request's `seed`, so replies repeat), and with a configured chance
replies 429, 500, hangs, cuts the JSON short or refuses. Faults come from one seeded
generator, so a run's pattern repeats. Every chat request is recorded with a hash of its
body, so a test can check that a client never re-sent a request that had already succeeded.

    with FaultServer(FaultConfig(rate_429=0.2)) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="x")
        ...
        assert not server.stats().resent_after_ok()

By hand: `python -m synthusers.devtools.fault_server --port 8089 --rate-429 0.1`; it prints its
base URL and serves on 127.0.0.1 until Ctrl-C. `GET /stats` shows what it has seen.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import logging
import random
import signal
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType, TracebackType
from typing import Any, Final, Literal, cast, get_args
from urllib.parse import urlsplit

from ..llm.fake import fake_value

HOST: Final = "127.0.0.1"
REFUSAL_TEXT: Final = "I'm sorry, I can't help with that."

Outcome = Literal["ok", "429", "500", "hang", "malformed", "refusal", "401", "404", "400"]
OUTCOMES: Final[tuple[Outcome, ...]] = get_args(Outcome)

_ANY_OBJECT: Final[dict[str, Any]] = {"type": "object"}
_STOP_GRACE_S: Final = 2.0

log = logging.getLogger("synthusers.fault_server")


@dataclass(frozen=True)
class FaultConfig:
    """How the server misbehaves. Rates are per-request chances and may sum to at most 1.

    `models` lists the model names served (others get 404); empty serves any name.
    `api_key`, when set, must come as `Authorization: Bearer <key>` (else 401).
    """

    latency_s: float = 0.0
    jitter_s: float = 0.0
    rate_429: float = 0.0
    rate_500: float = 0.0
    rate_hang: float = 0.0
    rate_malformed: float = 0.0
    rate_refusal: float = 0.0
    retry_after_s: float = 0.05
    hang_s: float = 30.0
    api_key: str | None = None
    models: tuple[str, ...] = ("fake",)
    fault_seed: int = 0

    def __post_init__(self) -> None:
        rates = [rate for _, rate in self.fault_rates()]
        if any(not 0.0 <= rate <= 1.0 for rate in rates):
            raise ValueError(f"fault rates must lie in [0, 1]: {rates}")
        if sum(rates) > 1.0 + 1e-9:
            raise ValueError(f"fault rates add up to {sum(rates):g}, more than 1")

        durations = [self.latency_s, self.jitter_s, self.retry_after_s, self.hang_s]
        if any(duration < 0 for duration in durations):
            raise ValueError("latency, jitter, retry-after and hang times must not be negative")

    def fault_rates(self) -> list[tuple[Outcome, float]]:
        """Each fault with its chance, in the fixed order the dice are read."""
        return [
            ("429", self.rate_429),
            ("500", self.rate_500),
            ("hang", self.rate_hang),
            ("malformed", self.rate_malformed),
            ("refusal", self.rate_refusal),
        ]


@dataclass(frozen=True)
class RequestRecord:
    """One chat request as the server saw it: the hash of its body and what it got back."""

    sha256: str
    outcome: Outcome


@dataclass(frozen=True)
class FaultStats:
    """What the server has seen so far; chat completion requests only, in arrival order."""

    total: int
    outcomes: dict[str, int]
    requests: tuple[RequestRecord, ...] = field(default=())

    def resent_after_ok(self) -> list[str]:
        """Hashes of bodies sent again after an identical body had already had an ok reply."""
        succeeded: set[str] = set()
        resent: list[str] = []
        for record in self.requests:
            if record.sha256 in succeeded:
                resent.append(record.sha256)
            if record.outcome == "ok":
                succeeded.add(record.sha256)
        return resent

    def to_json(self) -> dict[str, Any]:
        """The stats as plain data, as `GET /stats` serves them."""
        return {
            "total": self.total,
            "outcomes": dict(self.outcomes),
            "requests": [
                {"sha256": record.sha256, "outcome": record.outcome} for record in self.requests
            ],
        }


def canonical_hash(body: Any) -> str:
    """The sha256 of body as JSON with sorted keys and no spaces: equal for equal requests."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


class _Recorder:
    """Keeps the request log; shared by all handler threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def add(self, digest: str, outcome: Outcome) -> int:
        """Log one request and return its number, counting from 1."""
        with self._lock:
            self._records.append(RequestRecord(digest, outcome))
            return len(self._records)

    def snapshot(self) -> FaultStats:
        with self._lock:
            records = tuple(self._records)
        counts = Counter(record.outcome for record in records)
        outcomes: dict[str, int] = {outcome: counts.get(outcome, 0) for outcome in OUTCOMES}
        return FaultStats(len(records), outcomes, records)


class _Dice:
    """Draws each request's fate from one seeded generator, so a run's faults repeat."""

    def __init__(self, config: FaultConfig) -> None:
        self._config = config
        self._rng = random.Random(config.fault_seed)
        self._lock = threading.Lock()

    def roll(self) -> tuple[Outcome, float]:
        """The request's outcome and how long to wait before answering it.

        Two numbers are drawn every time, so turning jitter on does not move the faults.
        """
        with self._lock:
            pick, jitter = self._rng.random(), self._rng.random()

        delay = self._config.latency_s + jitter * self._config.jitter_s
        threshold = 0.0
        for outcome, rate in self._config.fault_rates():
            threshold += rate
            if pick < threshold:
                return outcome, delay
        return "ok", delay


@dataclass(frozen=True)
class _Reply:
    status: int
    body: dict[str, Any]
    headers: tuple[tuple[str, str], ...] = ()


def _error(status: int, message: str, kind: str, code: str | None = None) -> _Reply:
    """An error in the shape OpenAI sends, so SDKs raise their usual exceptions."""
    return _Reply(
        status, {"error": {"message": message, "type": kind, "param": None, "code": code}}
    )


def _parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def _body_problem(body: Any) -> str | None:
    """Why body is not a chat request this server can answer, or None if it is."""
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    if not isinstance(body.get("model"), str):
        return "'model' must be a string"
    if not isinstance(body.get("messages"), list):
        return "'messages' must be a list"
    seed = body.get("seed")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        return "'seed' must be an integer"
    response_format = body.get("response_format")
    if response_format is not None and not isinstance(_schema_of(response_format), dict):
        return "'response_format' must carry a JSON schema object"
    return None


def _schema_of(response_format: Any) -> Any:
    """The schema a reply must fit; any object when the request names none."""
    if not isinstance(response_format, dict):
        return None
    kind = response_format.get("type")
    if kind == "json_schema":
        spec = response_format.get("json_schema")
        return spec.get("schema", _ANY_OBJECT) if isinstance(spec, dict) else None
    if kind == "json_object":
        return response_format.get("schema", _ANY_OBJECT)
    return _ANY_OBJECT


def _reply_text(body: dict[str, Any]) -> str:
    """The JSON a well-behaved model would send: fits the schema, fixed by the seed."""
    schema = _schema_of(body.get("response_format"))
    value = fake_value(schema, random.Random(body.get("seed") or 0))
    return json.dumps(value)


def _prompt_chars(messages: list[Any]) -> int:
    total = 0
    for message in messages:
        content = message.get("content", "") if isinstance(message, dict) else message
        total += len(content) if isinstance(content, str) else len(json.dumps(content))
    return total


def _completion(body: dict[str, Any], text: str, finish_reason: str, number: int) -> _Reply:
    """A chat.completion object carrying text, with token counts estimated as chars / 4."""
    prompt_tokens = _prompt_chars(body["messages"]) // 4
    completion_tokens = len(text) // 4
    choice = {
        "index": 0,
        "message": {"role": "assistant", "content": text},
        "finish_reason": finish_reason,
        "logprobs": None,
    }
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
    return _Reply(
        200,
        {
            "id": f"chatcmpl-fault-{number}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [choice],
            "usage": usage,
            "system_fingerprint": "fault-server",
        },
    )


class _App:
    """The server's behaviour, apart from HTTP: decides, waits and builds each reply."""

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self.recorder = _Recorder()
        self.stopping = threading.Event()
        self._dice = _Dice(config)
        self._lock = threading.Lock()
        self._connections: dict[socket.socket, threading.Thread] = {}

    def authorized(self, authorization: str | None) -> bool:
        return self.config.api_key is None or authorization == f"Bearer {self.config.api_key}"

    def unauthorized(self) -> _Reply:
        return _error(
            401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key"
        )

    def models(self) -> _Reply:
        data = [
            {"id": name, "object": "model", "created": 0, "owned_by": "synthusers"}
            for name in self.config.models
        ]
        return _Reply(200, {"object": "list", "data": data})

    def chat(self, raw: bytes, authorization: str | None) -> _Reply | None:
        """Answer one chat request; None when the server stopped while it waited."""
        body = _parse_json(raw)
        digest = canonical_hash(body) if body is not None else hashlib.sha256(raw).hexdigest()

        rejection = self._reject(body, authorization)
        if rejection is not None:
            outcome, reply = rejection
            self.recorder.add(digest, outcome)
            return reply

        outcome, delay = self._dice.roll()
        number = self.recorder.add(digest, outcome)
        if outcome == "hang":
            delay += self.config.hang_s
        if self.stopping.wait(delay):
            return None
        return self._answer(outcome, body, number)

    def _reject(self, body: Any, authorization: str | None) -> tuple[Outcome, _Reply] | None:
        """A 401, 400 or 404 when the request cannot be served at all, in that order."""
        if not self.authorized(authorization):
            return "401", self.unauthorized()

        problem = _body_problem(body)
        if problem is not None:
            return "400", _error(400, problem, "invalid_request_error")

        model = body["model"]
        if self.config.models and model not in self.config.models:
            message = f"The model `{model}` does not exist or you do not have access to it."
            return "404", _error(404, message, "invalid_request_error", "model_not_found")
        return None

    def _answer(self, outcome: Outcome, body: dict[str, Any], number: int) -> _Reply:
        if outcome == "429":
            reply = _error(429, "Rate limit reached.", "requests", "rate_limit_exceeded")
            retry_after = (("Retry-After", f"{self.config.retry_after_s:g}"),)
            return _Reply(reply.status, reply.body, retry_after)
        if outcome == "500":
            return _error(500, "The server had an error processing your request.", "server_error")
        if outcome == "refusal":
            return _completion(body, REFUSAL_TEXT, "stop", number)

        text = _reply_text(body)
        if outcome == "malformed":
            return _completion(body, text[: len(text) // 2], "length", number)
        return _completion(body, text, "stop", number)

    def track(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections[connection] = threading.current_thread()

    def untrack(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.pop(connection, None)

    def close_connections(self) -> None:
        """Wake every handler: waits end, and reads on idle keep-alive sockets return."""
        self.stopping.set()
        with self._lock:
            connections = dict(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

        deadline = time.monotonic() + _STOP_GRACE_S
        for thread in connections.values():
            thread.join(max(0.0, deadline - time.monotonic()))


class _HTTPServer(ThreadingHTTPServer):
    """One daemon thread per connection; the backlog is deep enough for bursts of clients."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, port: int, app: _App) -> None:
        self.app = app
        super().__init__((HOST, port), _Handler)


class _Handler(BaseHTTPRequestHandler):
    """Routes HTTP to the app and writes its replies; keeps connections alive like OpenAI."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes; don't stall on ACK
    server_version = "synthusers-fault-server/0.1"

    @property
    def app(self) -> _App:
        return cast(_HTTPServer, self.server).app

    def setup(self) -> None:
        super().setup()
        self.app.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.app.untrack(self.connection)

    def do_GET(self) -> None:
        path = urlsplit(self.path).path.rstrip("/")
        if path == "/stats":
            self._send(_Reply(200, self.app.recorder.snapshot().to_json()))
        elif path == "/v1/models":
            authorized = self.app.authorized(self.headers.get("Authorization"))
            self._send(self.app.models() if authorized else self.app.unauthorized())
        else:
            self._send(_error(404, f"No route {self.path}", "invalid_request_error"))

    def do_POST(self) -> None:
        raw = self._read_body()
        if urlsplit(self.path).path.rstrip("/") != "/v1/chat/completions":
            self._send(_error(404, f"No route {self.path}", "invalid_request_error"))
            return

        reply = self.app.chat(raw, self.headers.get("Authorization"))
        if reply is None:
            self.close_connection = True
            return
        self._send(reply)

    def _read_body(self) -> bytes:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.close_connection = True
            return b""
        return self.rfile.read(length)

    def _send(self, reply: _Reply) -> None:
        """Write reply; a client that has gone away (timed out, say) is not an error here."""
        data = json.dumps(reply.body).encode()
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in reply.headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)


class FaultServer:
    """The fault server on 127.0.0.1 in a background thread; a context manager.

    Port 0 (the default) takes a free port; `base_url` says which.
    """

    def __init__(self, config: FaultConfig | None = None, *, port: int = 0) -> None:
        self.config = config or FaultConfig()
        self._port = port
        self._app = _App(self.config)
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the fault server is not running")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """The URL to give an OpenAI client, ending in /v1."""
        return f"http://{HOST}:{self.port}/v1"

    def start(self) -> FaultServer:
        """Bind and serve in a daemon thread; returns self."""
        if self._httpd is not None:
            raise RuntimeError("a FaultServer can be started only once")
        self._httpd = _HTTPServer(self._port, self._app)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fault-server-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, wake hung and idle handlers, and close the socket. Idempotent."""
        if self._httpd is None or self._thread is None:
            return
        self._httpd.shutdown()
        self._app.close_connections()
        self._httpd.server_close()
        self._thread.join()
        self._thread = None

    def stats(self) -> FaultStats:
        """Counts and per-request hashes of every chat request so far."""
        return self._app.recorder.snapshot()

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m synthusers.devtools.fault_server",
        description="Serve a fault-injecting OpenAI-compatible chat API on 127.0.0.1.",
    )
    parser.add_argument("--port", type=int, default=8089, help="0 picks a free port")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    parser.add_argument("--jitter", type=float, default=0.0, help="extra random seconds, at most")
    parser.add_argument("--rate-429", type=float, default=0.0)
    parser.add_argument("--rate-500", type=float, default=0.0)
    parser.add_argument("--rate-hang", type=float, default=0.0)
    parser.add_argument("--rate-malformed", type=float, default=0.0)
    parser.add_argument("--rate-refusal", type=float, default=0.0)
    parser.add_argument("--retry-after", type=float, default=0.05, help="Retry-After seconds")
    parser.add_argument("--hang", type=float, default=30.0, help="seconds a hung request waits")
    parser.add_argument("--api-key", default=None, help="require this bearer token")
    parser.add_argument(
        "--model", action="append", default=None, help="a model name to serve (repeatable)"
    )
    parser.add_argument("--fault-seed", type=int, default=0)
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser


def _config_from(args: argparse.Namespace) -> FaultConfig:
    return FaultConfig(
        latency_s=args.latency,
        jitter_s=args.jitter,
        rate_429=args.rate_429,
        rate_500=args.rate_500,
        rate_hang=args.rate_hang,
        rate_malformed=args.rate_malformed,
        rate_refusal=args.rate_refusal,
        retry_after_s=args.retry_after,
        hang_s=args.hang,
        api_key=args.api_key,
        models=tuple(args.model) if args.model else ("fake",),
        fault_seed=args.fault_seed,
    )


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until Ctrl-C or SIGTERM, printing the base URL first and the outcome counts last."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        config = _config_from(args)
    except ValueError as error:
        parser.error(str(error))

    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING)
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops as cleanly as Ctrl-C

    with FaultServer(config, port=args.port) as server:
        print(server.base_url, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
        stats = server.stats()

    counts = ", ".join(f"{name} {count}" for name, count in stats.outcomes.items() if count)
    print(f"{stats.total} chat requests: {counts or 'none'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
