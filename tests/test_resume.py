"""The call store: a stopped run resumes without asking any finished call again."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from synthusers.errors import BudgetExhausted, StudyError
from synthusers.llm.base import ChatRequest, ChatResponse
from synthusers.llm.fake import FakeModel
from synthusers.llm.limits import HEADROOM, RateLimiter
from synthusers.llm.store import CallStore, call_key
from synthusers.runner import load_run_study, run_study
from synthusers.study import Study, parse_study

from .conftest import study_data

OUTPUTS = ("users.jsonl", "answers.jsonl", "summaries.jsonl", "questions.json")


class CountingModel(FakeModel):
    """The fake model, remembering each distinct request; it can stop the run after `stop_after`."""

    def __init__(self, stop_after: int | None = None) -> None:
        super().__init__()
        self.stop_after = stop_after
        self.keys: list[str] = []

    async def complete(self, request: ChatRequest) -> ChatResponse:
        if self.stop_after is not None and len(self.keys) >= self.stop_after:
            raise BudgetExhausted("stopped by the test")
        self.keys.append(call_key("fake", "", request))
        return await super().complete(request)


def test_call_key_depends_on_every_input() -> None:
    base = ChatRequest(messages=[{"role": "user", "content": "hi"}], schema={}, schema_name="X")
    variants = [
        ChatRequest(messages=[{"role": "user", "content": "hi!"}], schema={}, schema_name="X"),
        ChatRequest(messages=base.messages, schema={"type": "object"}, schema_name="X"),
        ChatRequest(messages=base.messages, schema={}, schema_name="X", seed=1),
        ChatRequest(messages=base.messages, schema={}, schema_name="X", temperature=0.1),
        ChatRequest(messages=base.messages, schema={}, schema_name="X", max_tokens=7),
    ]
    keys = {call_key("m", "a", request) for request in [base, *variants]}
    keys |= {call_key("other", "a", base), call_key("m", "b", base)}
    assert len(keys) == 8
    assert call_key("m", "a", base) == call_key("m", "a", base)


def test_store_round_trip(tmp_path: Path) -> None:
    store = CallStore(tmp_path / "calls.sqlite")
    response = ChatResponse("{}", "m", 3, 4, "length")
    store.put("k", "agent", "m", response)
    store.close()
    reopened = CallStore(tmp_path / "calls.sqlite")
    assert reopened.get("k") == response
    assert reopened.get("missing") is None
    assert len(reopened) == 1


def test_second_run_in_same_directory_asks_nothing(study: Study, tmp_path: Path) -> None:
    first = CountingModel()
    run_study(study, tmp_path, model=first)
    outputs = {name: (tmp_path / name).read_text() for name in OUTPUTS}
    second = CountingModel()
    result = run_study(study, tmp_path, model=second)
    assert first.keys and second.keys == []
    assert sum(usage.cached for usage in result.report.stats.agents.values()) == len(first.keys)
    for name, text in outputs.items():
        assert (tmp_path / name).read_text() == text


@pytest.mark.parametrize("stop_after", [1, 17, 40])
def test_stopped_run_resumes_to_the_same_outputs(tmp_path: Path, stop_after: int) -> None:
    study = parse_study(study_data(questions=None, questions_per_idea=3))
    whole = CountingModel()
    run_study(study, tmp_path / "whole", model=whole)

    with pytest.raises(BudgetExhausted):
        run_study(study, tmp_path / "cut", model=CountingModel(stop_after=stop_after))
    resumed = CountingModel()
    run_study(load_run_study(tmp_path / "cut"), tmp_path / "cut", model=resumed)

    assert len(resumed.keys) == len(whole.keys) - stop_after
    assert len(set(resumed.keys)) == len(resumed.keys)
    for name in OUTPUTS:
        assert (tmp_path / "cut" / name).read_text() == (tmp_path / "whole" / name).read_text()


def test_shared_cache_serves_another_run_directory(study: Study, tmp_path: Path) -> None:
    cache = tmp_path / "cache.sqlite"
    run_study(study, tmp_path / "a", model=CountingModel(), cache=cache)
    again = CountingModel()
    run_study(study, tmp_path / "b", model=again, cache=cache)
    assert again.keys == []


def test_token_budget_stops_cleanly_and_keeps_work(tmp_path: Path) -> None:
    study = parse_study(study_data(limits={"max_tokens": 2000}))
    with pytest.raises(BudgetExhausted, match="token budget reached"):
        run_study(study, tmp_path, model=FakeModel())
    assert (tmp_path / "trace.jsonl").read_text()
    assert (tmp_path / "calls.sqlite").is_file()


def test_rate_limiter_spaces_requests_by_rpm_and_tpm() -> None:
    now = [0.0]
    starts: list[float] = []

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    async def main(limiter: RateLimiter, tokens: int) -> None:
        for _ in range(5):
            await limiter.acquire(tokens)
            starts.append(now[0])

    asyncio.run(main(RateLimiter(rpm=120, clock=lambda: now[0], sleep=sleep), 10))
    assert starts == pytest.approx([0.5 * step / HEADROOM for step in range(5)])
    starts.clear()
    now[0] = 0.0
    asyncio.run(main(RateLimiter(tpm=6000, clock=lambda: now[0], sleep=sleep), 100))
    assert starts == pytest.approx([1.0 * step / HEADROOM for step in range(5)])


def test_budget_counts_the_whole_run_across_sessions(tmp_path: Path) -> None:
    study = parse_study(study_data(limits={"max_tokens": 3000}))
    with pytest.raises(BudgetExhausted):
        run_study(study, tmp_path, model=FakeModel())
    again = CountingModel()
    with pytest.raises(BudgetExhausted):
        run_study(load_run_study(tmp_path), tmp_path, model=again)
    assert again.keys == []


def test_a_run_directory_of_another_study_is_refused(study: Study, tmp_path: Path) -> None:
    run_study(study, tmp_path, model=FakeModel())
    other = study.model_copy(update={"seed": study.seed + 1})
    with pytest.raises(StudyError, match="holds a run of another study"):
        run_study(other, tmp_path, model=FakeModel())
    faster = study.model_copy(update={"concurrency": 9})
    run_study(faster, tmp_path, model=FakeModel())
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.md").write_text("mine")
    with pytest.raises(StudyError, match="not empty and holds no run"):
        run_study(study, tmp_path / "mine", model=FakeModel())


def test_token_reservations_follow_real_reply_sizes() -> None:
    limiter = RateLimiter(tpm=6000)
    assert limiter.estimate(prompt_tokens=100, max_tokens=400) == 300
    limiter.settle(300, prompt_tokens=100, completion_tokens=20)
    assert limiter.estimate(prompt_tokens=100, max_tokens=400) == 120


def test_resume_uses_the_cache_the_run_started_with(study: Study, tmp_path: Path) -> None:
    from synthusers.cli import main

    cache = tmp_path / "shared.sqlite"
    with pytest.raises(BudgetExhausted):
        run_study(study, tmp_path / "run", model=CountingModel(stop_after=5), cache=cache)
    assert not (tmp_path / "run" / "calls.sqlite").exists()
    assert json.loads((tmp_path / "run" / "cache.json").read_text())["cache"] == str(cache)
    main(["-q", "resume", str(tmp_path / "run"), "--no-progress"])
    assert not (tmp_path / "run" / "calls.sqlite").exists()
    assert (tmp_path / "run" / "report.json").is_file()
    assert len(CallStore(cache)) > 5
