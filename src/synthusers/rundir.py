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
from .redaction import redact
from .report import StudyReport
from .study import Study

STUDY_FILE = "study.json"
STORE_FILE = "calls.sqlite"
CACHE_FILE = "cache.json"
_QUESTIONS = TypeAdapter(dict[str, list[Question]])
_ANSWER = TypeAdapter(Answer)


RESULT_FIELDS = ("name", "panel", "ideas", "questions", "questions_per_idea", "model", "seed")
"""What decides a run's outputs; limits, concurrency and prices only decide how it runs."""


def _same_study(saved: dict[str, object], study: Study) -> bool:
    current = json.loads(study.model_dump_json())
    return all(saved.get(field) == current.get(field) for field in RESULT_FIELDS)


def _check_reuse(out: Path, study: Study) -> None:
    """Refuse a directory that holds another study's run, or files that are not a run."""
    saved_path = out / STUDY_FILE
    if saved_path.is_file():
        try:
            saved = json.loads(saved_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            saved = {}
        if not isinstance(saved, dict) or not _same_study(saved, study):
            raise StudyError(
                f"{out}: holds a run of another study (or other settings); choose another "
                "--out, or finish that run with `synthusers resume`"
            )
    elif any(out.iterdir()):
        raise StudyError(f"{out}: is not empty and holds no run; choose a new or empty --out")


def prepare(out: Path, study: Study) -> Path:
    """Create the run directory, or say why it cannot be used.

    A directory that holds a run of the same study is used again: the run resumes.
    """
    if out.exists() and not out.is_dir():
        raise StudyError(f"{out}: exists and is not a directory; choose another --out")
    if out.is_dir():
        _check_reuse(out, study)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StudyError(f"{out}: cannot create the run directory ({error.strerror})") from None
    return out


def _write(path: Path, text: str) -> None:
    """Write a whole file, secrets redacted, replacing any earlier version atomically."""
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(redact(text), encoding="utf-8")
    temporary.replace(path)


def _jsonl(records: Iterable[BaseModel]) -> str:
    return "".join(record.model_dump_json() + "\n" for record in records)


def write_outputs(out: Path, state: RunState, report: StudyReport | None) -> None:
    """Write every record, sorted so that equal runs give equal files."""
    members = [state.members[key] for key in sorted(state.members)]
    _write(out / "users.jsonl", _jsonl(m for m in members if m.persona is not None))
    _write(out / "dropped_users.jsonl", _jsonl(m for m in members if m.persona is None))
    answers = sorted(state.answers, key=lambda a: (a.idea, a.question_id, a.user_id))
    _write(out / "answers.jsonl", "".join(_ANSWER.dump_json(a).decode() + "\n" for a in answers))
    summaries = sorted(state.summaries, key=lambda s: (s.idea, s.question_id))
    _write(out / "summaries.jsonl", _jsonl(summaries))
    _write(out / "questions.json", _QUESTIONS.dump_json(state.questions, indent=2).decode())
    if report is not None:
        _write(out / "report.json", report.model_dump_json(indent=2))
        _write(out / "report.md", render(report))


def write_study(out: Path, study: Study, cache: Path | None = None) -> None:
    """Keep the study as run, with its overrides, and where its calls are stored, so that
    the run can be resumed."""
    _write(out / STUDY_FILE, study.model_dump_json(indent=2))
    if cache is not None:
        _write(out / CACHE_FILE, json.dumps({"cache": str(cache.resolve())}))


def saved_cache(out: Path) -> Path | None:
    """The shared call store a run used, if it used one."""
    try:
        return Path(json.loads((out / CACHE_FILE).read_text(encoding="utf-8"))["cache"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def read_jsonl(path: Path) -> list[dict[str, object]]:
    """Every record of a JSONL file, for tests and tools."""
    with path.open(encoding="utf-8") as file:
        return [json.loads(line) for line in file if line.strip()]
