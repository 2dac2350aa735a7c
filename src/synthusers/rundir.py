"""The run directory: where a run's records and reports are written."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, TypeAdapter

from .answer import Answer
from .errors import StudyError
from .markdown import render
from .pipeline import RunState
from .question import Question
from .report import StudyReport

STUDY_FILE = "study.json"
STORE_FILE = "calls.sqlite"
_QUESTIONS = TypeAdapter(dict[str, list[Question]])
_ANSWER = TypeAdapter(Answer)


def prepare(out: Path) -> Path:
    """Create the run directory, or say why it cannot be used."""
    if out.exists() and not out.is_dir():
        raise StudyError(f"{out}: exists and is not a directory; choose another --out")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StudyError(f"{out}: cannot create the run directory ({error.strerror})") from None
    return out


def _write_jsonl(path: Path, records: Iterable[BaseModel]) -> None:
    temporary = path.with_suffix(".tmp")
    with temporary.open("w", encoding="utf-8") as file:
        for record in records:
            file.write(record.model_dump_json() + "\n")
    temporary.replace(path)


def write_outputs(out: Path, state: RunState, report: StudyReport | None) -> None:
    """Write every record, sorted so that equal runs give equal files."""
    members = [state.members[key] for key in sorted(state.members)]
    _write_jsonl(out / "users.jsonl", [m for m in members if m.persona is not None])
    _write_jsonl(out / "dropped_users.jsonl", [m for m in members if m.persona is None])
    answers = sorted(state.answers, key=lambda a: (a.idea, a.question_id, a.user_id))
    with (out / "answers.jsonl").open("w", encoding="utf-8") as file:
        for answer in answers:
            file.write(_ANSWER.dump_json(answer).decode() + "\n")
    summaries = sorted(state.summaries, key=lambda s: (s.idea, s.question_id))
    _write_jsonl(out / "summaries.jsonl", summaries)
    (out / "questions.json").write_bytes(_QUESTIONS.dump_json(state.questions, indent=2))
    if report is not None:
        (out / "report.json").write_text(report.model_dump_json(indent=2), encoding="utf-8")
        (out / "report.md").write_text(render(report), encoding="utf-8")


def read_jsonl(path: Path) -> list[dict[str, object]]:
    """Every record of a JSONL file, for tests and tools."""
    with path.open(encoding="utf-8") as file:
        return [json.loads(line) for line in file if line.strip()]
