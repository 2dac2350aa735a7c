"""Whole runs against a loopback OpenAI-compatible server that injects faults."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from synthusers.devtools.fault_server import FaultConfig, FaultServer
from synthusers.rundir import read_jsonl
from synthusers.runner import run_study
from synthusers.study import parse_study

from .conftest import study_data

KEY = "sk-test-planted-0123456789abcdef"


def openai_study(**overrides: object) -> dict[str, object]:
    panel = overrides.pop("panel", {})
    data = study_data(model="openai:fake", **overrides)
    data["panel"] = {**data["panel"], **panel}  # type: ignore[dict-item]
    return data


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    return monkeypatch


def test_every_task_ends_answered_or_failed_under_faults(
    env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = FaultConfig(
        rate_429=0.10,
        rate_500=0.05,
        rate_hang=0.02,
        rate_malformed=0.05,
        rate_refusal=0.02,
        hang_s=30,
        api_key=KEY,
        fault_seed=3,
    )
    study = parse_study(
        openai_study(
            panel={"size": 50, "max_attempts": 2},
            ideas=[{"name": "Box", "description": "A weekly recipe box for two."}],
            questions=study_data()["questions"][:2],
            concurrency=16,
            limits={"timeout_s": 1.0},
            max_failure_share=1.0,
        )
    )
    with FaultServer(config) as server:
        env.setenv("OPENAI_BASE_URL", server.base_url)
        result = run_study(study, tmp_path)
        stats = server.stats()

    assert stats.outcomes["429"] > 0 and stats.outcomes["hang"] > 0
    assert stats.outcomes["malformed"] > 0 and stats.outcomes["refusal"] > 0
    failures = {(f.agent, f.key): f.error for f in result.report.failures}
    assert all(error for error in failures.values())
    members = result.state.members
    assert len(members) == 50
    for user_id, member in members.items():
        assert member.persona is not None or ("generator", user_id) in failures
    answered = {(a.question_id, a.user_id) for a in result.state.answers}
    for user_id, member in members.items():
        if member.persona is None:
            continue
        for question_id in ("q1", "q2"):
            key = f"Box/{question_id}/{user_id}"
            assert (question_id, user_id) in answered or ("respondent", key) in failures, key
    usage = result.report.stats.agents
    assert sum(u.retries for u in usage.values()) > 0
    assert len(read_jsonl(tmp_path / "answers.jsonl")) == len(result.state.answers)


def _cli(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start the CLI; its output is discarded so that a killed process leaves no pipes."""
    return subprocess.Popen(
        [sys.executable, "-m", "synthusers", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stored(store: Path) -> int:
    try:
        with sqlite3.connect(store) as db:
            return int(db.execute("SELECT COUNT(*) FROM calls").fetchone()[0])
    except sqlite3.Error:
        return 0


def test_kill_9_then_resume_repeats_no_finished_call(tmp_path: Path) -> None:
    path = tmp_path / "study.yaml"
    path.write_text(
        yaml.safe_dump(openai_study(concurrency=4, questions=None, questions_per_idea=3))
    )
    env = {**os.environ, "OPENAI_API_KEY": KEY}
    config = FaultConfig(latency_s=0.1, api_key=KEY)

    with FaultServer(config) as server:
        env["OPENAI_BASE_URL"] = server.base_url
        whole = _cli(["run", str(path), "-o", str(tmp_path / "whole"), "--no-progress"], env)
        assert whole.wait(120) == 0
        total_calls = server.stats().outcomes["ok"]

    with FaultServer(config) as server:
        env["OPENAI_BASE_URL"] = server.base_url
        cut = tmp_path / "cut"
        run = _cli(["run", str(path), "-o", str(cut), "--no-progress"], env)
        deadline = time.monotonic() + 60
        while _stored(cut / "calls.sqlite") < total_calls // 2 and time.monotonic() < deadline:
            assert run.poll() is None, "the run ended before it could be killed"
            time.sleep(0.02)
        run.send_signal(signal.SIGKILL)
        run.wait(10)
        done_before = _stored(cut / "calls.sqlite")
        assert 0 < done_before < total_calls

        resumed = _cli(["resume", str(cut), "--no-progress"], env)
        assert resumed.wait(120) == 0
        stats = server.stats()

    assert len(stats.resent_after_ok()) <= 4, "only calls in flight at the kill may be resent"
    assert stats.outcomes["ok"] <= total_calls + 4
    for name in ("users.jsonl", "answers.jsonl", "summaries.jsonl", "questions.json"):
        assert (cut / name).read_text() == (tmp_path / "whole" / name).read_text(), name
    report = json.loads((cut / "report.json").read_text())
    assert sum(agent["cached"] for agent in report["stats"]["agents"].values()) == done_before


@pytest.mark.parametrize(
    ("config", "base_url", "model", "expected"),
    [
        (None, "http://127.0.0.1:9/v1", "fake", "cannot reach http://127.0.0.1:9/v1"),
        (FaultConfig(api_key="other-key-123"), None, "fake", "refused the API key (401)"),
        (FaultConfig(api_key=KEY), None, "gpt-nope", "has no model 'gpt-nope'"),
    ],
)
def test_unusable_model_fails_fast_with_one_line(
    tmp_path: Path, config: FaultConfig | None, base_url: str | None, model: str, expected: str
) -> None:
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(openai_study()))
    env = {**os.environ, "OPENAI_API_KEY": KEY}
    server = FaultServer(config).start() if config else None
    try:
        env["OPENAI_BASE_URL"] = server.base_url if server else str(base_url)
        started = time.monotonic()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "synthusers",
                "run",
                str(path),
                "-o",
                str(tmp_path / "r"),
                "-m",
                f"openai:{model}",
                "--no-progress",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        elapsed = time.monotonic() - started
    finally:
        if server:
            server.stop()
    assert done.returncode == 2, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and expected in errors[0], done.stderr
    assert "Traceback" not in done.stderr
    assert elapsed < 15
    if server:
        assert server.stats().outcomes.get("ok", 0) == 0


def test_a_planted_key_reaches_no_file(tmp_path: Path, env: pytest.MonkeyPatch) -> None:
    data = openai_study()
    data["ideas"][0]["description"] += f" Internal note: our key is {KEY}."  # type: ignore[index]
    with FaultServer(FaultConfig(api_key=KEY)) as server:
        env.setenv("OPENAI_BASE_URL", server.base_url)
        run_study(parse_study(data), tmp_path)
    written = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert {"trace.jsonl", "report.md", "study.json", "calls.sqlite"} <= {p.name for p in written}
    for path in written:
        assert KEY.encode() not in path.read_bytes(), path.name
    assert b"[REDACTED]" in (tmp_path / "trace.jsonl").read_bytes()
