"""The views of one subject in a trace: a user's whole path, or one question's answers.

They keep only the spans about their subject, each cut down to a summary of its input
and output, plus the names of every user or question seen, for a helpful error.
"""

from __future__ import annotations

import re
from typing import Any

from .traceio import TraceError, TraceSource, attr, events, fit, summarise
from .traceviews import llm_call

_ANSWER_FIELDS = ("rating", "score", "choice", "text")


def user_view(source: TraceSource, user_id: str) -> dict[str, Any]:
    """One user's spans in time order: forming them, then every answer they gave."""
    own = re.compile(rf"{re.escape(user_id)}(/\d+)?")
    answer_suffix = "/" + user_id
    spans: list[dict[str, Any]] = []
    users: set[str] = set()
    for record in source.records():
        key = record.get("key")
        if not isinstance(key, str):
            continue
        if record["kind"] == "user":
            users.add(key)
        answer = record.get("agent") == "respondent" and key.endswith(answer_suffix)
        if answer or own.fullmatch(key):
            spans.append(_step(record, key[: -len(answer_suffix)] if answer else None))

    if not spans:
        raise TraceError(f"no user {user_id!r} in the trace; {_known(users, 'users')}")
    spans.sort(key=lambda span: float(span["start"]))
    _set_depths(spans)
    return {"user": user_id, "summary": _user_summary(spans), "steps": spans}


def _step(record: dict[str, Any], question: str | None) -> dict[str, Any]:
    """What the user view keeps of a span: summaries of its input and output, not them."""
    step = {
        "id": record["id"],
        "parent_id": record["parent_id"],
        "name": record["name"],
        "kind": record["kind"],
        "key": record.get("key"),
        "question": question,
        "start": record["start"],
        "duration_s": record["duration_s"],
        "status": record["status"],
        "error": record.get("error"),
    }
    if record["kind"] == "llm":
        step.update(llm_call(record), finish_reason=attr(record, "finish_reason"))
    elif record["kind"] == "agent":
        step["input"] = summarise(record.get("input"), 200)
        step["output"] = summarise(record.get("output"), 200)
    step["events"] = [
        f"{event.get('name')}: {summarise(event.get('attrs'), 200)}" for event in events(record)
    ]
    return step


def _set_depths(spans: list[dict[str, Any]]) -> None:
    """Nest each span under its parent when the parent is among the spans shown."""
    depth: dict[str, int] = {}
    for span in spans:
        span["depth"] = depth.get(span["parent_id"], -1) + 1
        depth[span["id"]] = span["depth"]


def _user_summary(spans: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts over the user's spans; status and time from their latest run's user span."""
    users = [span for span in spans if span["kind"] == "user"]
    return {
        "runs": len(users),
        "status": users[-1]["status"] if users else None,
        "duration_s": users[-1]["duration_s"] if users else None,
        "attempts": sum(span["kind"] == "attempt" for span in spans),
        "answers": sum(span["question"] is not None and span["kind"] != "llm" for span in spans),
        "failed": sum(span["status"] != "ok" for span in spans),
        "llm_calls": sum(span["kind"] == "llm" for span in spans),
    }


def question_view(source: TraceSource, question_key: str) -> dict[str, Any]:
    """One question: its text, every answer to it and the summarizer's output."""
    prefix = question_key + "/"
    found: dict[str, Any] = {"question": question_key, "text": None, "answers": []}
    questions: set[str] = set()
    for record in source.records():
        key = record.get("key")
        if record["kind"] == "question" and isinstance(key, str):
            questions.add(key)
        if key == question_key:
            _question_part(found, record)
        elif (
            record["kind"] == "agent"
            and isinstance(key, str)
            and key.startswith(prefix)
            and "/" not in key[len(prefix) :]
        ):
            found["answers"].append(_answer(record, key[len(prefix) :]))

    if question_key not in questions and not found["answers"]:
        raise TraceError(f"no question {question_key!r}; {_known(questions, 'questions')}")
    found["answers"].sort(key=lambda answer: (answer["user"], float(answer["start"])))
    return found


def _question_part(found: dict[str, Any], record: dict[str, Any]) -> None:
    """The question span gives the text; the summarizer span gives the summary."""
    if record["kind"] == "question":
        question = record.get("input")
        found["text"] = question.get("text") if isinstance(question, dict) else None
        found["kind"] = question.get("kind") if isinstance(question, dict) else None
        found["status"], found["duration_s"] = record["status"], record["duration_s"]
    elif record["kind"] == "agent":
        found["summary"] = record.get("output")
        found["summary_status"], found["summary_error"] = record["status"], record.get("error")


def _answer(record: dict[str, Any], user: str) -> dict[str, Any]:
    """One respondent span as an answer: its value, whatever the kind, and the rationale."""
    output = record.get("output")
    output = output if isinstance(output, dict) else {}
    value = next((output[name] for name in _ANSWER_FIELDS if name in output), None)
    return {
        "user": user,
        "status": record["status"],
        "error": record.get("error"),
        "start": record["start"],
        "duration_s": record["duration_s"],
        "value": value,
        "rationale": output.get("rationale"),
    }


def _known(names: set[str], what: str) -> str:
    """A short list of what the trace does hold, for a one-line error message."""
    if not names:
        return f"the trace has no {what}"
    ordered = sorted(names)
    shown = [fit(ordered[0], 70)]
    for name in ordered[1:]:
        if len(", ".join([*shown, name])) > 70:
            break
        shown.append(name)
    more = f" … ({len(names)} in all)" if len(shown) < len(names) else ""
    return f"{what} here: {', '.join(shown)}{more}"
