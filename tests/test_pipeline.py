"""The whole pipeline on fake models: counts, tree, bound, failures, repeatability."""

from __future__ import annotations

import json
from pathlib import Path

from synthusers.errors import ModelSetupError
from synthusers.llm.fake import FakeModel
from synthusers.rundir import read_jsonl
from synthusers.runner import run_study
from synthusers.study import Study, parse_study

from .conftest import SelectiveModel, study_data, text_of

OUTPUTS = ("users.jsonl", "answers.jsonl", "summaries.jsonl", "report.json", "report.md")


def test_run_writes_every_output(study: Study, tmp_path: Path) -> None:
    result = run_study(study, tmp_path, model=FakeModel())
    for name in (*OUTPUTS, "trace.jsonl", "questions.json"):
        assert (tmp_path / name).is_file(), name
    users = read_jsonl(tmp_path / "users.jsonl")
    answers = read_jsonl(tmp_path / "answers.jsonl")
    kept = len(users)
    assert kept == 4 - result.report.panel.dropped
    assert len(answers) == kept * 2 * 4
    assert {a["kind"] for a in answers} == {"likert", "single_choice", "nps", "open"}
    assert len(read_jsonl(tmp_path / "summaries.jsonl")) == 8
    report = json.loads((tmp_path / "report.json").read_text())
    assert [idea["idea"] for idea in report["ideas"]] == ["Box", "Credits"]
    assert report["comparison"]["ranking"]
    assert report["stats"]["failed_tasks"] == 0


def test_trace_is_one_tree(study: Study, tmp_path: Path) -> None:
    run_study(study, tmp_path, model=FakeModel())
    spans = read_jsonl(tmp_path / "trace.jsonl")
    ids = {span["id"] for span in spans}
    assert len(ids) == len(spans)
    roots = [span for span in spans if span["parent_id"] is None]
    assert [root["kind"] for root in roots] == ["run"]
    for span in spans:
        assert span["parent_id"] is None or span["parent_id"] in ids
        for child in span["children"]:
            assert child in ids
    by_id = {span["id"]: span for span in spans}
    answers = [s for s in spans if s["kind"] == "agent" and s["agent"] == "respondent"]
    assert answers
    for answer in answers:
        chain = []
        node = answer
        while node["parent_id"]:
            node = by_id[node["parent_id"]]
            chain.append(node["kind"])
        assert chain == ["question", "idea", "run"]
    llm = [s for s in spans if s["kind"] == "llm"]
    assert all(s["prompt_tokens"] > 0 and s["model"] == "fake" for s in llm)


def test_bound_of_one_still_completes_a_nested_study(tmp_path: Path) -> None:
    study = parse_study(study_data(concurrency=1, questions=None, questions_per_idea=2))
    model = SelectiveModel(lambda request: None, latency_s=0.001)
    result = run_study(study, tmp_path, model=model)
    assert model.peak == 1
    assert result.report.stats.max_in_flight == 1
    assert len(result.state.answers) == len(result.state.members) * 2 * 2


def test_peak_in_flight_reaches_but_never_exceeds_bound(tmp_path: Path) -> None:
    study = parse_study(study_data(concurrency=5, panel={**study_data()["panel"], "size": 12}))
    model = SelectiveModel(lambda request: None, latency_s=0.005)
    result = run_study(study, None, model=model)
    assert model.peak == 5
    assert result.report.stats.max_in_flight == 5


def test_one_failing_task_does_not_stop_the_others(study: Study, tmp_path: Path) -> None:
    def fails(request):  # type: ignore[no-untyped-def]
        text = text_of(request)
        if "What would stop you?" in text and "<idea>Box:" in text:
            return RuntimeError("injected fault")
        return None

    result = run_study(study, tmp_path, model=SelectiveModel(fails))
    kept = len(result.state.members) - result.report.panel.dropped
    failures = [f for f in result.report.failures if f.agent == "respondent"]
    assert len(failures) == kept
    assert all("injected fault" in f.error and f.key.startswith("Box/q4/") for f in failures)
    assert len(result.state.answers) == kept * 2 * 4 - kept
    assert {s.idea for s in result.state.summaries} == {"Box", "Credits"}
    assert "Failed tasks" in (tmp_path / "report.md").read_text()
    errors = [s for s in read_jsonl(tmp_path / "trace.jsonl") if s["status"] == "error"]
    assert any("injected fault" in (s["error"] or "") for s in errors)


def test_setup_error_stops_the_run_and_keeps_what_was_done(study: Study, tmp_path: Path) -> None:
    def fails(request):  # type: ignore[no-untyped-def]
        return (
            ModelSetupError("key refused")
            if "Summarise" in text_of(request) or "summarise" in text_of(request)
            else None
        )

    try:
        run_study(study, tmp_path, model=SelectiveModel(fails))
    except ModelSetupError as error:
        assert "key refused" in str(error)
    else:
        raise AssertionError("the run should have stopped")
    assert read_jsonl(tmp_path / "users.jsonl")
    assert read_jsonl(tmp_path / "trace.jsonl")


def test_same_seed_same_outputs(study: Study, tmp_path: Path) -> None:
    run_study(study, tmp_path / "a", model=FakeModel())
    run_study(study, tmp_path / "b", model=FakeModel())
    for name in ("users.jsonl", "answers.jsonl", "summaries.jsonl", "questions.json"):
        assert (tmp_path / "a" / name).read_text() == (tmp_path / "b" / name).read_text(), name
    other = study.model_copy(update={"seed": 99})
    run_study(other, tmp_path / "c", model=FakeModel())
    assert (tmp_path / "a" / "answers.jsonl").read_text() != (
        tmp_path / "c" / "answers.jsonl"
    ).read_text()


def test_written_questions_are_used(tmp_path: Path) -> None:
    study = parse_study(study_data(questions=None, questions_per_idea=3))
    result = run_study(study, tmp_path, model=FakeModel())
    assert [q.kind for q in result.state.questions["Box"]] == ["likert", "open", "single_choice"]
    assert {a.question_id for a in result.state.answers} == {"q1", "q2", "q3"}


def test_a_failed_summary_keeps_the_counts(study: Study, tmp_path: Path) -> None:
    def fails(request):  # type: ignore[no-untyped-def]
        return RuntimeError("themes broke") if "summarise" in text_of(request) else None

    result = run_study(study, tmp_path, model=SelectiveModel(fails))
    assert len(result.state.summaries) == 8
    for summary in result.state.summaries:
        assert summary.themes_failed and not summary.themes
        assert summary.answered == len(result.state.members) - result.report.panel.dropped
    rated = [s for s in result.state.summaries if s.kind in ("likert", "nps")]
    assert all(s.mean is not None for s in rated)
    assert all(idea.score is not None for idea in result.report.ideas)
    assert "Themes and quotes unavailable" in (tmp_path / "report.md").read_text()
    assert result.too_many_failures(0.2) == "8 of 8 summaries tasks failed (100%)"
