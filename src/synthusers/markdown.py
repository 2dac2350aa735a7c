"""report.md: the study's report as a product manager would read it."""

from __future__ import annotations

from .report import IdeaReport, QuestionSummary, StudyReport


def _cost(usd: float | None) -> str:
    return "cost unknown" if usd is None else f"${usd:.4f}"


def _figures(summary: QuestionSummary) -> str:
    parts = [f"{summary.answered} answers"]
    if summary.mean is not None:
        parts.append(f"mean {summary.mean:.2f} (sd {summary.stdev or 0:.2f})")
    if summary.nps is not None:
        parts.append(f"NPS {summary.nps:+.0f}")
    return ", ".join(parts)


def _summary(summary: QuestionSummary) -> list[str]:
    lines = [
        f"#### {summary.question_id}. {summary.question}",
        "",
        f"*{summary.kind}*: {_figures(summary)}",
        "",
    ]
    if summary.distribution:
        lines += ["| answer | count |", "| --- | ---: |"]
        lines += [f"| {key} | {count} |" for key, count in summary.distribution.items()]
        lines.append("")
    if summary.themes:
        lines += ["Themes: " + "; ".join(summary.themes), ""]
    if summary.themes_failed:
        lines += ["*Themes and quotes unavailable: the summarizer failed (see Failed tasks).*", ""]
    lines += [f"> {quote.text} — {quote.user_id}" for quote in summary.quotes]
    return [*lines, ""]


def _idea(report: IdeaReport) -> list[str]:
    score = f"{report.score:.0f}/100" if report.score is not None else "no rated questions"
    lines = [f"## {report.idea}", "", f"**Score: {score}.** {report.verdict}", ""]
    for title, items in (("Strengths", report.strengths), ("Concerns", report.concerns)):
        shown = [f"- {item}" for item in items] or ["- none that the model drew from the findings"]
        lines += [f"**{title}**", "", *shown, ""]
    if report.segments:
        lines += [
            "**Segments that differ** (small groups of synthetic users: hints to test, "
            "not findings)",
            "",
        ]
        lines += [
            f"- {seg.segment} on {seg.question_id}: mean {seg.mean:.2f} vs {seg.overall_mean:.2f}"
            f" overall ({seg.size} users)"
            for seg in report.segments
        ]
        lines.append("")
    lines += ["### Questions", ""]
    for summary in report.summaries:
        lines += _summary(summary)
    return lines


def render(report: StudyReport) -> str:
    """The whole report as Markdown, with the honest caveats up front."""
    panel, stats = report.panel, report.stats
    lines = [
        f"# {report.study}",
        "",
        f"Synthetic panel of {panel.accepted + panel.kept_after_rejection} users "
        f"({panel.requested} requested, {panel.dropped} dropped, "
        f"{panel.kept_after_rejection} kept despite the reviewer's objections), "
        f"model `{report.model}`, seed {report.seed}. These are simulated answers: use them "
        "to sharpen questions and hypotheses, not as evidence about real people.",
        "",
    ]
    if report.comparison:
        lines += [
            "## Comparison",
            "",
            "Ranking by score: " + " > ".join(report.comparison.ranking),
            "",
            report.comparison.summary,
            "",
        ]
    for idea in report.ideas:
        lines += _idea(idea)
    if panel.warnings:
        lines += ["## Panel warnings", "", *[f"- {warning}" for warning in panel.warnings], ""]
    lines += [
        "## Run",
        "",
        f"{stats.tasks} tasks, {stats.failed_tasks} failed; {stats.wall_s:.1f} s wall, "
        f"{stats.cpu_s:.1f} s CPU, peak memory {stats.peak_rss_mb:.0f} MiB, "
        f"{stats.mean_in_flight:.1f} model calls in flight on average (at most "
        f"{stats.max_in_flight}, bound {stats.concurrency}); {_cost(stats.cost_usd)}.",
        "",
        "| agent | calls | replayed | retries | failed | prompt tokens | completion tokens "
        "| seconds | cost |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {name} | {u.calls} | {u.cached} | {u.retries} | {u.failed_calls} | "
        f"{u.prompt_tokens:,} | {u.completion_tokens:,} | {u.seconds:.1f} | {_cost(u.cost_usd)} |"
        for name, u in [
            *sorted(stats.agents.items()),
            *((f"all ({model})", usage) for model, usage in sorted(stats.models.items())),
        ]
    ]
    replayed = sum(usage.cached for usage in stats.agents.values())
    if replayed:
        lines += [
            "",
            f"{replayed} replies were read back from the call store; their tokens and cost "
            "were counted when they were first asked for, and are not in this table.",
        ]
    if report.failures:
        lines += ["", "### Failed tasks", ""]
        lines += [f"- {f.stage} / {f.agent} / {f.key}: {f.error}" for f in report.failures]
    return "\n".join(lines) + "\n"
