from __future__ import annotations

import asyncio
import json
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, Field

from synthusers.errors import ModelCallError, ModelSetupError, OutputInvalidError
from synthusers.llm.base import ChatRequest, TransientError
from synthusers.llm.client import ModelClient
from synthusers.llm.fake import ScriptedModel
from synthusers.llm.schema import max_json_chars, output_schema, reply_token_bound

from .conftest import SelectiveModel


class Rating(BaseModel):
    rating: int = Field(ge=1, le=5)
    why: str


def ask(client: ModelClient, key: str = "k") -> Rating:
    messages = [{"role": "user", "content": "rate"}]
    return asyncio.run(client.generate("judge", messages, Rating, key=key))  # type: ignore[arg-type]


def test_invalid_reply_is_retried_with_the_error_fed_back() -> None:
    model = ScriptedModel(['{"rating": 9, "why": "x"}', '{"rating": 4, "why": "fine"}'])
    result = ask(ModelClient(model))
    assert result == Rating(rating=4, why="fine")
    feedback = model.requests[1].messages[-1]["content"]
    assert "rating" in feedback and "less than or equal to 5" in feedback
    assert model.requests[1].messages[-2] == {
        "role": "assistant",
        "content": '{"rating": 9, "why": "x"}',
    }


def test_reply_that_never_fits_fails_with_raw_text() -> None:
    model = ScriptedModel(["not json"] * 3)
    with pytest.raises(OutputInvalidError) as caught:
        ask(ModelClient(model, max_output_attempts=3))
    assert caught.value.raw == "not json"
    assert len(model.requests) == 3


def test_transient_errors_are_retried() -> None:
    model = ScriptedModel(
        [
            TransientError("429", retry_after=0.0),
            TransientError("500"),
            '{"rating": 2, "why": "meh"}',
        ]
    )
    client = ModelClient(model, backoff_s=0.001)
    assert ask(client).rating == 2
    assert client.usage["judge"].retries == 2
    assert client.usage["judge"].calls == 1


def test_transient_errors_give_up_after_max_retries() -> None:
    model = ScriptedModel([TransientError("503")] * 3)
    with pytest.raises(ModelCallError, match="gave up after 3 attempts"):
        ask(ModelClient(model, backoff_s=0.001, max_retries=3))


def test_setup_errors_are_not_retried() -> None:
    model = ScriptedModel([ModelSetupError("bad key"), '{"rating": 2, "why": "meh"}'])
    with pytest.raises(ModelSetupError):
        ask(ModelClient(model))
    assert len(model.requests) == 1


def test_seed_depends_on_run_seed_and_key() -> None:
    model = ScriptedModel()
    ask(ModelClient(model, seed=1), key="a")
    ask(ModelClient(model, seed=1), key="a")
    ask(ModelClient(model, seed=2), key="a")
    ask(ModelClient(model, seed=1), key="b")
    seeds = [request.seed for request in model.requests]
    assert seeds[0] == seeds[1]
    assert len({seeds[0], seeds[2], seeds[3]}) == 3


@pytest.mark.parametrize("bound", [1, 3, 8])
def test_calls_in_flight_never_exceed_the_bound(bound: int) -> None:
    model = SelectiveModel(lambda request: None, latency_s=0.01)
    client = ModelClient(model, concurrency=bound)

    async def many() -> None:
        messages = [{"role": "user", "content": "rate"}]
        await asyncio.gather(
            *(
                client.generate("judge", messages, Rating, key=str(i))  # type: ignore[arg-type]
                for i in range(40)
            )
        )

    asyncio.run(many())
    assert model.peak == bound
    assert client.max_in_flight == bound


def test_output_schema_is_inlined_and_strict() -> None:
    class Outer(BaseModel):
        inner: Rating
        tags: list[str]

    schema = output_schema(Outer)
    text = json.dumps(schema)
    assert "$ref" not in text and "$defs" not in text and "title" not in text
    assert schema["required"] == ["inner", "tags"]
    assert schema["properties"]["inner"]["additionalProperties"] is False


def test_scripted_request_records_schema() -> None:
    model = ScriptedModel(['{"rating": 3, "why": "ok"}'])
    ask(ModelClient(model))
    request: ChatRequest = model.requests[0]
    assert request.schema["properties"]["rating"]["maximum"] == 5


def test_reply_budget_covers_the_longest_reply_the_schema_allows() -> None:
    class Reply(BaseModel):
        verdict: Literal["accept", "reject"]
        notes: list[Annotated[str, Field(max_length=40)]] = Field(max_length=3)
        score: int

    schema = output_schema(Reply)
    longest = Reply(verdict="reject", notes=["x" * 40] * 3, score=-(10**17))
    assert len(longest.model_dump_json()) <= (max_json_chars(schema) or 0)
    assert (reply_token_bound(schema) or 0) >= len(longest.model_dump_json()) // 3

    class Open(BaseModel):
        text: str

    assert reply_token_bound(output_schema(Open)) is None
    model = ScriptedModel(['{"rating": 3, "why": "ok"}'])
    ask(ModelClient(model))
    assert model.requests[0].max_tokens == 512


def test_line_breaks_inside_strings_are_accepted() -> None:
    model = ScriptedModel(['{"rating": 4, "why": "fine\nreally"}'])
    assert ask(ModelClient(model)).why == "fine\nreally"
    assert len(model.requests) == 1
