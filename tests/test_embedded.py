"""End to end on the embedded model: a real small study, checked from its run directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synthusers.rundir import read_jsonl
from synthusers.runner import run_study
from synthusers.study import parse_study

from .conftest import study_data

pytestmark = pytest.mark.embedded


def test_small_study_on_the_embedded_model(tmp_path: Path) -> None:
    panel = {**study_data()["panel"], "max_attempts": 1}
    study = parse_study(
        study_data(
            model="local",
            panel=panel,
            ideas=[{"name": "Box", "description": "A weekly recipe box for two at 29 pounds."}],
            questions=[
                {"kind": "likert", "text": "How appealing is this offer to you?"},
                {
                    "kind": "single_choice",
                    "text": "What would you do?",
                    "options": ["Sign up", "Try once", "Not for me"],
                },
            ],
            concurrency=2,
        )
    )
    result = run_study(study, tmp_path)

    users = read_jsonl(tmp_path / "users.jsonl")
    assert len(users) + result.report.panel.dropped == 4
    assert len(users) >= 2
    answers = read_jsonl(tmp_path / "answers.jsonl")
    failed_answers = [f for f in result.report.failures if f.agent == "respondent"]
    assert len(answers) + len(failed_answers) == len(users) * 2
    for answer in answers:
        if answer["kind"] == "likert":
            assert answer["rating"] in range(1, 6)
        else:
            assert answer["choice"] in ("Sign up", "Try once", "Not for me")

    spans = read_jsonl(tmp_path / "trace.jsonl")
    ids = {span["id"] for span in spans}
    assert sum(span["parent_id"] is None for span in spans) == 1
    assert all(span["parent_id"] in ids for span in spans if span["parent_id"])
    llm = [span for span in spans if span["kind"] == "llm" and span["status"] == "ok"]
    assert llm and all(span["completion_tokens"] > 0 for span in llm)
    assert all(span["model"].startswith("local:SmolLM2") for span in llm)

    report = json.loads((tmp_path / "report.json").read_text())
    assert report["ideas"][0]["idea"] == "Box"
    assert report["stats"]["peak_rss_mb"] > 50
    assert "## Box" in (tmp_path / "report.md").read_text()
