"""The fault server: valid replies fit the schema, each fault behaves as documented, and
the request log counts and hashes what clients sent."""

from __future__ import annotations

import asyncio
import hashlib
import http.client
import json
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any, Literal

import openai
import pytest
from pydantic import BaseModel, Field

from synthusers.devtools.fault_server import (
    REFUSAL_TEXT,
    FaultConfig,
    FaultServer,
    FaultStats,
    RequestRecord,
    canonical_hash,
)
from synthusers.llm.client import ModelClient
from synthusers.llm.fake import fake_value
from synthusers.llm.openai_compat import OpenAIModel
from synthusers.llm.schema import output_schema

MESSAGES: list[Any] = [
    {"role": "system", "content": "You are a busy parent."},
    {"role": "user", "content": "Would you buy a weekly recipe box?"},
]


class Verdict(BaseModel):
    choice: Literal["buy", "wait", "skip"]
    score: int = Field(ge=1, le=5)
    share: float = Field(ge=0, le=1)
    reasons: list[str] = Field(min_length=1, max_length=3)
    keen: bool


SCHEMA = output_schema(Verdict)
JSON_SCHEMA_FORMAT: Any = {"type": "json_schema", "json_schema": {"name": "V", "schema": SCHEMA}}


@contextmanager
def serve(**config: Any) -> Iterator[tuple[FaultServer, openai.OpenAI]]:
    """A running server with the given config and an SDK client that never retries."""
    with (
        FaultServer(FaultConfig(**config)) as server,
        openai.OpenAI(base_url=server.base_url, api_key="k", max_retries=0, timeout=5) as client,
    ):
        yield server, client


def ask(client: openai.OpenAI, seed: int = 0, model: str = "fake", **extra: Any) -> Any:
    extra.setdefault("response_format", JSON_SCHEMA_FORMAT)
    return client.chat.completions.create(model=model, messages=MESSAGES, seed=seed, **extra)


def post(server: FaultServer, path: str, raw: bytes, **headers: str) -> tuple[int, Any]:
    """A raw request, for bodies and headers the SDK would not send."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        method = "POST" if raw else "GET"
        connection.request(method, path, body=raw or None, headers=headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def expected_text(seed: int) -> str:
    return json.dumps(fake_value(SCHEMA, random.Random(seed)))


def test_reply_fits_the_schema_and_reports_usage() -> None:
    with serve() as (server, client):
        completion = ask(client, seed=11)

    choice = completion.choices[0]
    verdict = Verdict.model_validate_json(choice.message.content)
    assert verdict.choice in {"buy", "wait", "skip"}
    assert choice.finish_reason == "stop"
    assert completion.model == "fake"

    prompt_chars = sum(len(message["content"]) for message in MESSAGES)
    assert completion.usage.prompt_tokens == prompt_chars // 4
    assert completion.usage.completion_tokens == len(choice.message.content) // 4
    assert server.stats().outcomes["ok"] == 1


def test_json_object_form_with_a_schema_is_honoured() -> None:
    with serve() as (_, client):
        completion = ask(client, seed=3, response_format={"type": "json_object", "schema": SCHEMA})

    Verdict.model_validate_json(completion.choices[0].message.content)


def test_same_seed_gives_the_same_reply_and_seeds_vary_it() -> None:
    with serve() as (_, first), serve() as (_, second):
        again = [ask(client, seed=7).choices[0].message.content for client in (first, second)]
        varied = {ask(first, seed=seed).choices[0].message.content for seed in range(5)}

    assert again[0] == again[1] == expected_text(7)
    assert len(varied) > 1


def test_429_carries_a_configurable_retry_after() -> None:
    with serve(rate_429=1.0) as (server, client), pytest.raises(openai.RateLimitError) as caught:
        ask(client)
    assert caught.value.response.headers["retry-after"] == "0.05"
    assert caught.value.code == "rate_limit_exceeded"
    assert server.stats().outcomes["429"] == 1

    with (
        serve(rate_429=1.0, retry_after_s=2) as (_, client),
        pytest.raises(openai.RateLimitError) as caught,
    ):
        ask(client)
    assert caught.value.response.headers["retry-after"] == "2"


def test_500_is_a_server_error() -> None:
    with (
        serve(rate_500=1.0) as (server, client),
        pytest.raises(openai.InternalServerError) as caught,
    ):
        ask(client)
    assert caught.value.status_code == 500
    assert (server.stats().outcomes["500"], server.stats().total) == (1, 1)


def test_malformed_reply_is_half_the_json_and_finishes_for_length() -> None:
    with serve(rate_malformed=1.0) as (server, client):
        completion = ask(client, seed=5)

    choice = completion.choices[0]
    full = expected_text(5)
    assert choice.finish_reason == "length"
    assert choice.message.content == full[: len(full) // 2]
    with pytest.raises(json.JSONDecodeError):
        json.loads(choice.message.content)
    assert server.stats().outcomes["malformed"] == 1


def test_refusal_is_plain_text() -> None:
    with serve(rate_refusal=1.0) as (server, client):
        completion = ask(client)

    assert completion.choices[0].message.content == REFUSAL_TEXT
    assert completion.choices[0].finish_reason == "stop"
    assert server.stats().outcomes["refusal"] == 1


def test_api_key_is_required_when_set() -> None:
    with serve(api_key="secret") as (server, wrong_key):
        with pytest.raises(openai.AuthenticationError) as caught:
            ask(wrong_key)
        status, body = post(server, "/v1/chat/completions", json.dumps({"model": "fake"}).encode())
        models_status, _ = post(server, "/v1/models", b"")

        right_key = openai.OpenAI(base_url=server.base_url, api_key="secret", max_retries=0)
        with right_key:
            Verdict.model_validate_json(ask(right_key).choices[0].message.content)
            assert [model.id for model in right_key.models.list()] == ["fake"]

    assert caught.value.code == "invalid_api_key"
    assert (status, body["error"]["code"]) == (401, "invalid_api_key")
    assert models_status == 401
    assert (server.stats().outcomes["401"], server.stats().outcomes["ok"]) == (2, 1)


def test_unknown_model_is_404_and_models_are_listed() -> None:
    with serve(models=("small", "large")) as (server, client):
        with pytest.raises(openai.NotFoundError) as caught:
            ask(client, model="fake")
        listed = [model.id for model in client.models.list()]
        ask(client, model="large")

    assert caught.value.code == "model_not_found"
    assert listed == ["small", "large"]
    assert (server.stats().outcomes["404"], server.stats().outcomes["ok"]) == (1, 1)


def test_hang_times_out_the_client_and_does_not_block_shutdown() -> None:
    server = FaultServer(FaultConfig(rate_hang=1.0, hang_s=30)).start()
    try:
        with openai.OpenAI(
            base_url=server.base_url, api_key="k", max_retries=0, timeout=0.5
        ) as client:
            started = time.monotonic()
            with pytest.raises(openai.APITimeoutError):
                ask(client)
            assert time.monotonic() - started < 5
        assert server.stats().outcomes["hang"] == 1
    finally:
        started = time.monotonic()
        server.stop()
        stopped_in = time.monotonic() - started

    assert stopped_in < 1.0


def test_stop_is_prompt_while_a_hung_request_is_still_waiting() -> None:
    server = FaultServer(FaultConfig(rate_hang=1.0, hang_s=30)).start()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    body = json.dumps({"model": "fake", "messages": MESSAGES}).encode()
    connection.request("POST", "/v1/chat/completions", body=body)
    deadline = time.monotonic() + 5
    while server.stats().total == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.stats().outcomes["hang"] == 1

    started = time.monotonic()
    server.stop()
    stopped_in = time.monotonic() - started

    with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
        connection.getresponse()
    connection.close()
    assert stopped_in < 1.0


def test_fault_pattern_repeats_for_a_fault_seed() -> None:
    def pattern(fault_seed: int) -> list[str]:
        config = {"rate_429": 0.3, "rate_500": 0.3, "fault_seed": fault_seed}
        with serve(**config) as (server, client):
            for seed in range(20):
                with suppress(openai.APIStatusError):
                    ask(client, seed=seed)
            return [record.outcome for record in server.stats().requests]

    first, again, other = pattern(4), pattern(4), pattern(5)
    assert first == again
    assert first != other
    assert {"ok", "429", "500"} <= set(first)


def test_stats_count_requests_and_hash_their_canonical_bodies() -> None:
    body = {"seed": 2, "model": "fake", "messages": MESSAGES, "response_format": JSON_SCHEMA_FORMAT}
    loose = json.dumps(body, indent=3).encode()
    compact = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    with serve() as (server, _):
        assert post(server, "/v1/chat/completions", loose)[0] == 200
        assert post(server, "/v1/chat/completions", compact)[0] == 200
        assert post(server, "/v1/chat/completions", b"not json")[0] == 400
        status, served = post(server, "/stats", b"")
        stats = server.stats()

    digest = hashlib.sha256(compact).hexdigest()
    assert digest == canonical_hash(body)
    assert status == 200 and served == stats.to_json()
    assert stats.total == 3
    assert (stats.outcomes["ok"], stats.outcomes["400"]) == (2, 1)
    assert [record.sha256 for record in stats.requests[:2]] == [digest, digest]
    assert stats.requests[2].sha256 == hashlib.sha256(b"not json").hexdigest()
    assert stats.resent_after_ok() == [digest]


def test_resent_after_ok_ignores_retries_of_failures() -> None:
    records = (
        RequestRecord("a", "500"),
        RequestRecord("a", "ok"),
        RequestRecord("b", "hang"),
        RequestRecord("b", "ok"),
        RequestRecord("a", "429"),
    )
    stats = FaultStats(len(records), {}, records)

    assert stats.resent_after_ok() == ["a"]


def test_dozens_of_concurrent_requests_are_served_at_once() -> None:
    async def burst(server: FaultServer) -> list[Any]:
        async with openai.AsyncOpenAI(
            base_url=server.base_url, api_key="k", max_retries=0, timeout=10
        ) as client:
            calls = [
                client.chat.completions.create(
                    model="fake", messages=MESSAGES, seed=seed, response_format=JSON_SCHEMA_FORMAT
                )
                for seed in range(40)
            ]
            return await asyncio.gather(*calls)

    with FaultServer(FaultConfig(latency_s=0.3)) as server:
        started = time.monotonic()
        replies = asyncio.run(burst(server))
        elapsed = time.monotonic() - started

    assert [reply.choices[0].message.content for reply in replies] == [
        expected_text(seed) for seed in range(40)
    ]
    assert server.stats().outcomes["ok"] == 40
    assert 0.3 <= elapsed < 4.0  # one after another would take 12 s


def test_latency_and_jitter_delay_each_reply() -> None:
    with serve(latency_s=0.2, jitter_s=0.1) as (_, client):
        started = time.monotonic()
        ask(client)
        elapsed = time.monotonic() - started

    assert 0.2 <= elapsed < 2.0


@pytest.mark.parametrize(
    "config",
    [{"rate_429": 0.6, "rate_500": 0.6}, {"rate_hang": -0.1}, {"latency_s": -1.0}],
)
def test_impossible_configs_are_rejected(config: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        FaultConfig(**config)


def test_model_client_recovers_from_faults_without_resending_successes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = FaultConfig(rate_429=0.2, rate_500=0.2, rate_malformed=0.1, fault_seed=1)

    async def run(base_url: str) -> list[Verdict]:
        monkeypatch.setenv("OPENAI_BASE_URL", base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "k")
        client = ModelClient(
            OpenAIModel("fake"),
            concurrency=4,
            max_retries=20,
            max_output_attempts=5,
            backoff_s=0.01,
        )
        try:
            calls = [client.generate("judge", MESSAGES, Verdict, key=str(n)) for n in range(12)]
            return await asyncio.gather(*calls)
        finally:
            await client.aclose()

    with FaultServer(config) as server:
        verdicts = asyncio.run(run(server.base_url))
        stats = server.stats()

    assert len(verdicts) == 12
    assert stats.outcomes["ok"] == 12
    assert stats.outcomes["429"] and stats.outcomes["500"]
    assert stats.resent_after_ok() == []


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_command_line_prints_its_url_and_stops_on_a_signal(stop_signal: signal.Signals) -> None:
    command = [
        sys.executable,
        "-m",
        "synthusers.devtools.fault_server",
        "--port",
        "0",
        "--rate-500",
        "1",
        "--model",
        "tiny",
    ]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        base_url = process.stdout.readline().strip() if process.stdout else ""
        port = int(base_url.removeprefix("http://127.0.0.1:").removesuffix("/v1"))
        with openai.OpenAI(base_url=base_url, api_key="k", max_retries=0) as client:
            listed = [model.id for model in client.models.list()]
            with pytest.raises(openai.InternalServerError):
                ask(client, model="tiny")

        process.send_signal(stop_signal)
        _, errors = process.communicate(timeout=10)

    assert base_url == f"http://127.0.0.1:{port}/v1"
    assert listed == ["tiny"]
    assert process.returncode == 0
    assert "1 chat requests: 500 1" in errors
