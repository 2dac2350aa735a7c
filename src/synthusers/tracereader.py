"""`synthusers trace`: read a run's trace.jsonl as a collapsed tree, per user, per question,
slowest calls, failures or totals, as text for a terminal or as JSON.

Every view streams the file once (see traceviews), so it stays quick on large runs.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from .tracefocus import question_view, user_view
from .traceio import TraceSource, count, fit, plural, seconds, summarise
from .traceviews import failed_view, slowest_view, totals_view, tree_view

WIDTH = 100
_IN_OUT = (("in: ", "input"), ("out:", "output"))
_SHOWN_ABOVE = frozenset({"idea", "question_id", "question", "kind"})
_TREE_HEADER = (
    f"{'span':<38}{'count':>7}{'failed':>8}{'mean':>10}{'max':>10}  {'tokens in+out':<14}"
)


def compute_view(
    source: TraceSource,
    *,
    user: str | None = None,
    question: str | None = None,
    slowest: int | None = None,
    failed: bool = False,
    totals: bool = False,
) -> dict[str, Any]:
    """The chosen view's data, wrapped with what was read: file, span and malformed counts."""
    if user is not None:
        name, data = "user", user_view(source, user)
    elif question is not None:
        name, data = "question", question_view(source, question)
    elif slowest is not None:
        name, data = "slowest", slowest_view(source, slowest)
    elif failed:
        name, data = "failed", failed_view(source)
    elif totals:
        name, data = "totals", totals_view(source)
    else:
        name, data = "tree", tree_view(source)
    envelope = {"view": name, "file": str(source.path), "spans": source.spans}
    return {**envelope, "malformed": source.malformed, **data}


def render_view(view: dict[str, Any]) -> str:
    """The view as terminal text, no line wider than WIDTH columns."""
    renderers = {
        "tree": _render_tree,
        "user": _render_user,
        "question": _render_question,
        "slowest": _render_slowest,
        "failed": _render_failed,
        "totals": _render_totals,
    }
    lines = renderers[view["view"]](view)
    return "\n".join(fit(line.rstrip(), WIDTH) for line in lines)


def _when(timestamp: float | None) -> str:
    """A span start as local date and time."""
    if timestamp is None:
        return "?"
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")


def _dash(value: int) -> str:
    """A count for a table, with a dash for zero so that problems stand out."""
    return str(value) if value else "-"


def _render_tree(view: dict[str, Any]) -> list[str]:
    """Each run root as a table of groups, then spans whose parent never ended."""
    runs = view["runs"]
    lines = [f"{view['file']}: {view['spans']} spans, {plural(len(runs), 'run')}"]
    for run in runs:
        wall = seconds(run["max_s"])
        status = f"{run['failed']} failed" if run["failed"] else "ok"
        lines += ["", f"{run['label']} started {_when(run['start'])}: {status}, wall {wall}"]
        lines += [_TREE_HEADER, *_group_lines(run, 0)]
    if view["unfinished"] is not None:
        lines += ["", "spans whose parent never ended (the run was cut short?):", _TREE_HEADER]
        lines += [
            line for child in view["unfinished"]["children"] for line in _group_lines(child, 0)
        ]
    return lines


def _group_lines(group: dict[str, Any], depth: int) -> list[str]:
    """One line for the group, a line for its first error, then its children indented."""
    label = fit("  " * depth + group["label"], 37)
    used = group["prompt_tokens"] + group["completion_tokens"]
    spent = f"{count(group['prompt_tokens'])}+{count(group['completion_tokens'])}" if used else ""
    cached = f"{group['cached']} cached" if group["cached"] else ""
    line = (
        f"{label:<38}{group['count']:>7}{_dash(group['failed']):>8}"
        f"{seconds(group['mean_s']):>10}{seconds(group['max_s']):>10}  {spent:<14}{cached}"
    )
    lines = [line]
    if group["first_error"]:
        lines.append("  " * depth + "  ! " + group["first_error"])
    for child in group["children"]:
        lines += _group_lines(child, depth + 1)
    return lines


def _render_user(view: dict[str, Any]) -> list[str]:
    """A header of counts, then each span at its offset from the first, nested."""
    summary, spans = view["summary"], view["steps"]
    lines = [
        f"user {view['user']}: {summary['status'] or 'no user span'}, "
        f"{plural(summary['attempts'], 'attempt')}, {plural(summary['answers'], 'answer')}, "
        f"{summary['failed']} failed, {plural(summary['llm_calls'], 'llm call')}, "
        f"formed in {seconds(summary['duration_s'])}"
        + (f" (over {summary['runs']} runs)" if summary["runs"] > 1 else "")
    ]
    origin = float(spans[0]["start"])
    for span in spans:
        lines += _user_span_lines(span, float(span["start"]) - origin)
    return lines


def _user_span_lines(span: dict[str, Any], offset: float) -> list[str]:
    """One span of the user view, with its input, output, events and error below it."""
    indent = "  " * span["depth"]
    label = span["name"] + (f" {span['question']}" if span["question"] else "")
    head = f"{'+' + format(offset, '.3f') + ' s':>11}  {fit(indent + label, 52):<53}"
    lines = [f"{head}{span['status']:<6}{seconds(span['duration_s']):>9}  {_call_note(span)}"]
    pad = " " * 13 + indent + "  "
    if span["kind"] == "agent":
        lines += [f"{pad}{name} {span[field]}" for name, field in _IN_OUT if span[field] != "-"]
    lines += [f"{pad}· {event}" for event in span["events"]]
    if span["error"]:
        lines.append(f"{pad}! {span['error']}")
    return lines


def _call_note(span: dict[str, Any]) -> str:
    """Tokens, finish reason and retry number of an llm span; empty for other spans."""
    if span["kind"] != "llm":
        return ""
    note = f"{span['prompt_tokens']}+{span['completion_tokens']} tok"
    if span["finish_reason"]:
        note += f", {span['finish_reason']}"
    if span["attempt"] and span["attempt"] != 1:
        note += f", try {span['attempt']}"
    return note + (", cached" if span["cached"] else "")


def _render_question(view: dict[str, Any]) -> list[str]:
    """The question, one line per user's answer, then the summary."""
    answers = view["answers"]
    failed = sum(answer["status"] != "ok" for answer in answers)
    durations = [float(answer["duration_s"]) for answer in answers] or [0.0]
    lines = [
        f"question {view['question']} ({view.get('kind') or '?'}): {view['text'] or '?'}",
        f"{plural(len(answers), 'answer')}, {failed} failed, "
        f"mean {seconds(sum(durations) / len(durations))}, max {seconds(max(durations))}",
        "",
        f"  {'user':<10}{'status':<8}{'time':>9}  answer — rationale",
    ]
    for answer in answers:
        said = answer["error"] or f"{answer['value']} — {answer['rationale'] or ''}"
        lines.append(
            f"  {answer['user']:<10}{answer['status']:<8}{seconds(answer['duration_s']):>9}  {said}"
        )
    return [*lines, "", *_summary_lines(view)]


def _summary_lines(view: dict[str, Any]) -> list[str]:
    """The summarizer's output field by field, or why there is none."""
    if "summary_status" not in view:
        return ["summary: none in the trace"]
    if view["summary_status"] != "ok":
        return [f"summary: failed: {view['summary_error']}"]
    summary = view["summary"] if isinstance(view["summary"], dict) else {}
    shown = {
        name: value
        for name, value in summary.items()
        if name not in _SHOWN_ABOVE and value not in (None, [], {})
    }
    return ["summary:", *(f"  {name}: {summarise(value, 90)}" for name, value in shown.items())]


def _render_slowest(view: dict[str, Any]) -> list[str]:
    """A ranked table of the slowest calls."""
    calls = view["slowest"]
    lines = [f"{plural(len(calls), 'slowest llm call')} of {view['spans']} spans"]
    lines.append(f"{'#':>3}  {'time':>9}  {'agent':<16}{'tokens in+out':<15}{'try':>4}  key")
    for rank, call in enumerate(calls, 1):
        spent = f"{count(call['prompt_tokens'])}+{count(call['completion_tokens'])}"
        flags = "".join((" cached" if call["cached"] else "", " FAILED" * (call["status"] != "ok")))
        lines.append(
            f"{rank:>3}  {seconds(call['duration_s']):>9}  {fit(call['agent'] or '?', 15):<16}"
            f"{spent:<15}{call['attempt'] or '-':>4}  {call['key']}{flags}"
        )
    return lines


def _render_failed(view: dict[str, Any]) -> list[str]:
    """Each failed span with the path down to it and its full error."""
    failures = view["failed"]
    if not failures:
        return [f"no failed spans among {view['spans']}"]
    lines = [f"{plural(len(failures), 'failed span')} of {view['spans']}"]
    for failure in failures:
        lines += [
            "",
            f"{failure['name']} [{failure['kind']}] {failure['key'] or ''}",
            "  path:  " + " > ".join(failure["path"] or ["(root)"]),
            f"  error: {failure['error'] or '(no message)'}",
        ]
    return lines


def _render_totals(view: dict[str, Any]) -> list[str]:
    """A table per agent and overall, then the wall time of each run."""
    head = f"{'agent':<14}{'tasks':>7}{'failed':>7}{'retries':>8}{'calls':>7}{'errors':>7}"
    lines = [head + f"{'cached':>7}{'prompt tok':>11}{'compl tok':>10}{'p50':>9}{'p95':>9}"]
    rows = [*view["agents"].items(), ("all agents", view["overall"])]
    for name, row in rows:
        lines.append(
            f"{fit(name, 13):<14}{row['tasks']:>7}{_dash(row['failed']):>7}"
            f"{_dash(row['retries']):>8}{row['calls']:>7}{_dash(row['call_errors']):>7}"
            f"{_dash(row['cached']):>7}{count(row['prompt_tokens']):>11}"
            f"{count(row['completion_tokens']):>10}{seconds(row['p50_s']):>9}"
            f"{seconds(row['p95_s']):>9}"
        )
    lines += ["", f"{plural(len(view['runs']), 'run')}, {view['spans']} spans:"]
    for run in view["runs"]:
        status = "ok" if run["status"] == "ok" else f"failed: {run['error']}"
        wall = seconds(run["wall_s"])
        lines.append(f"  {run['name']} started {_when(run['start'])}, wall {wall}, {status}")
    span = view["last_end"] - view["first_start"]
    return [*lines, f"first span start to last span end: {seconds(span)}"]


@click.command("trace")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--user", "user", metavar="ID", help="One user's attempts and answers, in order.")
@click.option("--question", metavar="IDEA/QID", help='One question, e.g. "Box/q1".')
@click.option("--slowest", type=click.IntRange(min=1), metavar="N", help="The N slowest llm calls.")
@click.option("--failed", is_flag=True, help="Every failed span with its ancestors.")
@click.option("--totals", is_flag=True, help="Calls, tokens and latency per agent.")
@click.option("--json", "as_json", is_flag=True, help="The view as JSON on stdout.")
def trace(
    path: Path,
    user: str | None,
    question: str | None,
    slowest: int | None,
    failed: bool,
    totals: bool,
    as_json: bool,
) -> None:
    """Summarise the trace of a run: PATH is a run directory or a trace .jsonl file.

    Without options, shows the run as a tree collapsed by level, siblings of one kind
    counted on one line. Calls replayed from the call store (cached) spent no tokens and
    are left out of token sums and latencies.

    \b
    Examples:
      synthusers trace runs/meal-kit
      synthusers trace runs/meal-kit --user u007
      synthusers trace runs/meal-kit --slowest 20 --json
    """
    chosen = [user is not None, question is not None, slowest is not None, failed, totals]
    if sum(chosen) > 1:
        raise click.UsageError("choose one of --user, --question, --slowest, --failed, --totals")

    source = TraceSource.open(path)
    view = compute_view(
        source, user=user, question=question, slowest=slowest, failed=failed, totals=totals
    )
    if source.malformed:
        click.echo(f"skipped {plural(source.malformed, 'malformed line')}", err=True)

    click.echo(json.dumps(view, indent=2, ensure_ascii=False) if as_json else render_view(view))
