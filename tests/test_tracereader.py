"""`synthusers trace`: every view on real fake-model runs and on hand-written traces."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from synthusers.llm.base import ChatRequest
from synthusers.llm.fake import FakeModel
from synthusers.runner import run_study
from synthusers.study import parse_study
from synthusers.tracereader import trace

from .conftest import SelectiveModel, study_data, text_of


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(trace, [str(arg) for arg in args])


def as_json(*args: str | Path) -> dict[str, Any]:
    result = invoke(*args, "--json")
    assert result.exit_code == 0, result.output
    view: dict[str, Any] = json.loads(result.stdout)
    return view


def spans_of(run: Path) -> list[dict[str, Any]]:
    """The oracle: every span of a small trace, loaded the plain way."""
    lines = (run / "trace.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def span(span_id: str, kind: str, name: str, parent: str | None = None, **fields: Any) -> str:
    """One hand-written trace line; fields override the defaults."""
    record: dict[str, Any] = {
        "v": 1,
        "id": span_id,
        "parent_id": parent,
        "children": [],
        "name": name,
        "kind": kind,
        "agent": None,
        "key": None,
        "input": None,
        "output": None,
        "start": 100.0,
        "duration_s": 1.0,
        "status": "ok",
        "error": None,
        "model": None,
        "prompt_tokens": None,
        "completion_tokens": None,
        "attrs": {},
    }
    record.update(fields)
    record["end"] = record["start"] + record["duration_s"]
    return json.dumps(record)


def llm(span_id: str, parent: str, agent: str, duration: float, **fields: Any) -> str:
    return span(span_id, "llm", f"llm {agent}", parent, agent=agent, duration_s=duration, **fields)


def write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "trace.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def fake_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("fake-run")
    run_study(parse_study(study_data()), out, model=FakeModel())
    return out


@pytest.fixture(scope="module")
def failing_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    def fails(request: ChatRequest) -> Exception | None:
        text = text_of(request)
        if "What would stop you?" in text and "<idea>Box:" in text:
            return RuntimeError("injected fault")
        return None

    out = tmp_path_factory.mktemp("failing-run")
    run_study(parse_study(study_data()), out, model=SelectiveModel(fails))
    return out


def walk(group: dict[str, Any]) -> list[dict[str, Any]]:
    return [group, *(each for child in group["children"] for each in walk(child))]


def test_tree_counts_every_span_of_a_real_run_once(fake_run: Path) -> None:
    view = as_json(fake_run)
    (run,) = view["runs"]
    counted: Counter[str] = Counter()
    for group in walk(run):
        counted[group["kind"]] += group["count"]

    assert counted == Counter(record["kind"] for record in spans_of(fake_run))
    assert view["spans"] == len(spans_of(fake_run))
    labels = [child["label"] for child in run["children"]]
    assert labels.index("panel") < labels.index("idea") < labels.index("aggregator")


def test_tree_collapses_users_and_their_steps_into_one_line_each(fake_run: Path) -> None:
    (run,) = as_json(fake_run)["runs"]
    (user,) = run["children"][0]["children"]
    (attempt,) = user["children"]
    attempts = sum(record["kind"] == "attempt" for record in spans_of(fake_run))

    assert (user["label"], user["count"], user["failed"]) == ("user", 4, 0)
    assert attempt["count"] == attempts
    assert [child["label"] for child in attempt["children"]] == [
        "generator",
        "validator",
        "reviewer",
    ]


def test_tree_text_has_one_user_line_and_fits_100_columns(fake_run: Path) -> None:
    result = invoke(fake_run)
    lines = result.stdout.splitlines()
    user_lines = [line for line in lines if line.split()[:1] == ["user"]]

    assert result.exit_code == 0
    assert len(user_lines) == 1
    assert user_lines[0].split()[1] == "4"
    assert max(len(line) for line in lines) <= 100


def test_tree_aggregates_known_durations_and_keeps_unfinished_spans(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [
            span("u1", "user", "user u001", "p", duration_s=1.0),
            span("u2", "user", "user u002", "p", duration_s=2.0, status="error", error="boom"),
            span("u3", "user", "user u003", "p", duration_s=6.0),
            span("p", "panel", "panel", "r", duration_s=7.0),
            span("r", "run", "run", None, duration_s=8.0),
            span("lost", "agent", "respondent", "never-written", agent="respondent"),
        ],
    )
    view = as_json(path)
    (user,) = view["runs"][0]["children"][0]["children"]

    assert (user["count"], user["failed"], user["first_error"]) == (3, 1, "boom")
    assert (user["mean_s"], user["max_s"]) == (3.0, 6.0)
    assert [child["label"] for child in view["unfinished"]["children"]] == ["respondent"]
    assert "spans whose parent never ended" in invoke(path).stdout


def test_slowest_ranks_only_llm_spans_longest_first(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [
            llm("a", "g", "generator", 0.5, key="u1/1"),
            llm("b", "g", "generator", 3.0, key="u1/2", prompt_tokens=40, completion_tokens=9),
            llm("c", "g", "reviewer", 1.0, key="u1/3"),
            llm("d", "g", "reviewer", 2.0, key="u1/4"),
            llm("e", "g", "respondent", 3.0, key="Box/q1/u1"),
            span("g", "agent", "generator", None, agent="generator", duration_s=10.0),
        ],
    )
    calls = as_json(path, "--slowest", "3")["slowest"]
    text = invoke(path, "--slowest", "3").stdout.splitlines()

    assert [call["key"] for call in calls] == ["u1/2", "Box/q1/u1", "u1/4"]
    assert (calls[0]["prompt_tokens"], calls[0]["completion_tokens"]) == (40, 9)
    assert text[2].split()[:4] == ["1", "3.0", "s", "generator"]


def test_failed_lists_the_injected_error_with_its_ancestors(failing_run: Path) -> None:
    failures = as_json(failing_run, "--failed")["failed"]
    expected = Counter(
        (record["name"], record["key"])
        for record in spans_of(failing_run)
        if record["status"] == "error"
    )
    answers = [failure for failure in failures if failure["name"] == "respondent"]

    assert Counter((failure["name"], failure["key"]) for failure in failures) == expected
    assert answers and all("injected fault" in failure["error"] for failure in answers)
    assert answers[0]["path"] == ["run", "idea Box", "question q4"]
    text = invoke(failing_run, "--failed").stdout
    assert "path:  run > idea Box > question q4 > respondent" in text


def test_failed_marks_an_ancestor_that_never_ended(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [
            llm("l", "a", "respondent", 1.0, status="error", error="TimeoutError: slow"),
            span("a", "agent", "respondent", "q", status="error", error="TimeoutError: slow"),
            span("ok", "run", "run", None),
        ],
    )
    failures = as_json(path, "--failed")["failed"]

    assert [failure["path"] for failure in failures] == [["?", "respondent"], ["?"]]
    assert {failure["error"] for failure in failures} == {"TimeoutError: slow"}


def test_totals_percentiles_cached_calls_and_runs_on_known_spans(tmp_path: Path) -> None:
    retry = {"name": "retry", "time": 100.5, "attrs": {"attempt": 1}}
    lines = [
        llm(f"l{i}", "x", "writer", i / 100, prompt_tokens=10, completion_tokens=1, start=200.0)
        for i in range(1, 101)
    ]
    lines += [
        llm(f"c{i}", "x", "writer", 9.0, prompt_tokens=1000, attrs={"cached": True})
        for i in range(5)
    ]
    lines += [
        span("x", "agent", "writer", "r1", agent="writer", events=[retry, retry, {"name": "note"}]),
        span("y", "agent", "writer", "r1", agent="writer", status="error", error="bad"),
        span("r2", "run", "run", None, start=500.0, duration_s=20.0),
        span("r1", "run", "run", None, start=100.0, duration_s=10.0),
    ]
    view = as_json(write(tmp_path, lines), "--totals")
    writer = view["agents"]["writer"]

    assert (writer["tasks"], writer["failed"], writer["retries"]) == (2, 1, 2)
    assert (writer["calls"], writer["cached"]) == (100, 5)
    assert (writer["prompt_tokens"], writer["completion_tokens"]) == (1000, 100)
    assert (writer["p50_s"], writer["p95_s"]) == (0.5, 0.95)
    assert [run["wall_s"] for run in view["runs"]] == [10.0, 20.0]


def test_totals_of_a_real_run_match_the_run_report(fake_run: Path) -> None:
    view = as_json(fake_run, "--totals")
    usage = json.loads((fake_run / "report.json").read_text())["stats"]["agents"]
    fields = ("calls", "cached", "prompt_tokens", "completion_tokens")

    for agent, expected in usage.items():
        assert {name: view["agents"][agent][name] for name in fields} == {
            name: expected[name] for name in fields
        }
    assert view["overall"]["calls"] == sum(row["calls"] for row in usage.values())
    assert "all agents" in invoke(fake_run, "--totals").stdout


def test_user_view_shows_attempts_then_answers_in_time_order(fake_run: Path) -> None:
    view = as_json(fake_run, "--user", "u001")
    records = spans_of(fake_run)
    answers = [r for r in records if r["kind"] == "agent" and r["key"].endswith("/u001")]
    attempts = [r for r in records if r["kind"] == "attempt" and r["key"].startswith("u001/")]
    starts = [step["start"] for step in view["steps"]]

    assert starts == sorted(starts)
    assert view["steps"][0]["name"] == "user u001"
    assert view["summary"]["answers"] == len(answers) == 8
    assert view["summary"]["attempts"] == len(attempts)
    text = invoke(fake_run, "--user", "u001").stdout
    assert "respondent Box/q1" in text and "out: name=" in text


def test_question_view_lists_each_users_answer_and_the_summary(fake_run: Path) -> None:
    view = as_json(fake_run, "--question", "Box/q1")
    records = spans_of(fake_run)
    answered = sorted(
        r["key"].split("/")[-1] for r in records if r["key"] and "Box/q1/" in r["key"]
    )

    assert view["text"] == "How appealing is this?"
    assert [answer["user"] for answer in view["answers"]] == sorted(set(answered))
    assert all(answer["value"] in range(1, 6) for answer in view["answers"])
    assert view["summary"]["answered"] == len(view["answers"])
    assert "summary:" in invoke(fake_run, "--question", "Box/q1").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--user", "u999"), "no user 'u999' in the trace; users here: u001, u002"),
        (("--question", "Box/q9"), "no question 'Box/q9'; questions here: Box/q1"),
    ],
)
def test_unknown_user_or_question_is_a_one_line_error(
    fake_run: Path, args: tuple[str, ...], message: str
) -> None:
    result = invoke(fake_run, *args)

    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output and result.exception is not None


def test_missing_or_empty_traces_are_one_line_errors(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "blank.jsonl").write_text("\n\n")
    (tmp_path / "junk.jsonl").write_text("junk\n{}\n")

    cases = {
        tmp_path / "nope": "no such file or directory",
        tmp_path / "empty": "has no trace.jsonl",
        tmp_path / "blank.jsonl": "no trace spans",
        tmp_path / "junk.jsonl": "no trace spans (skipped 2 malformed lines)",
    }
    for path, message in cases.items():
        result = invoke(path)
        assert result.exit_code == 2, path
        assert message in result.stderr and len(result.stderr.splitlines()) == 1


def test_malformed_lines_are_skipped_and_counted_on_stderr(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [
            llm("l", "r", "writer", 2.0),
            "not json",
            '{"id": 1, "kind": "llm"}',
            "[1, 2]",
            span("r", "run", "run", None)[:40],
            span("r", "run", "run", None),
        ],
    )
    result = invoke(path, "--slowest", "5", "--json")
    view = json.loads(result.stdout)

    assert result.stderr == "skipped 4 malformed lines\n"
    assert (view["spans"], view["malformed"]) == (2, 4)
    assert [call["duration_s"] for call in view["slowest"]] == [2.0]


@pytest.mark.parametrize(
    ("args", "keys"),
    [
        ((), {"runs", "unfinished"}),
        (("--user", "u002"), {"user", "summary", "steps"}),
        (("--question", "Credits/q3"), {"question", "text", "answers", "summary"}),
        (("--slowest", "2"), {"slowest"}),
        (("--failed",), {"failed"}),
        (("--totals",), {"agents", "overall", "runs", "first_start", "last_end"}),
    ],
)
def test_json_of_each_view_has_its_fields(
    fake_run: Path, args: tuple[str, ...], keys: set[str]
) -> None:
    view = as_json(fake_run / "trace.jsonl", *args)

    assert keys <= set(view)
    assert (view["spans"], view["malformed"]) == (len(spans_of(fake_run)), 0)


def test_only_one_view_at_a_time(fake_run: Path) -> None:
    assert invoke(fake_run, "--failed", "--totals").exit_code == 2
    assert invoke(fake_run, "--slowest", "0").exit_code == 2
