"""Run a study from start to finish: the Python API that the CLI is a thin layer over."""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
from pydantic import ValidationError

from .errors import StudyError
from .llm.base import ChatModel
from .llm.client import ModelClient
from .llm.registry import open_model
from .panel import panel_warnings, quota_cells
from .pipeline import Pipeline, RunState
from .progress import Progress
from .report import PanelReport, RunStats, StudyReport
from .rundir import prepare, write_outputs
from .study import Study, describe_validation_error
from .trace import Tracer

log = logging.getLogger("synthusers")


@dataclass
class RunResult:
    report: StudyReport
    state: RunState
    out: Path | None

    @property
    def failed_share(self) -> float:
        return self.report.stats.failed_tasks / max(1, self.report.stats.tasks)


def with_overrides(study: Study, **overrides: Any) -> Study:
    """The study with the given fields replaced (None leaves a field as it is), revalidated."""
    data = study.model_dump()
    for name, value in overrides.items():
        if value is None:
            continue
        if name == "panel_size":
            data["panel"]["size"] = value
        else:
            data[name] = value
    try:
        return Study.model_validate(data)
    except ValidationError as error:
        raise StudyError(f"override: {describe_validation_error(error)}") from None


def _panel_report(study: Study, state: RunState) -> PanelReport:
    members = list(state.members.values())
    status = [member.status for member in members]
    return PanelReport(
        requested=study.panel.size,
        accepted=status.count("accepted"),
        kept_after_rejection=status.count("kept_after_rejection"),
        dropped=study.panel.size - status.count("accepted") - status.count("kept_after_rejection"),
        attempts=sum(len(member.attempts) for member in members),
        quota_cells=quota_cells(members),
        warnings=panel_warnings(study.panel, members),
    )


def build_report(
    study: Study, state: RunState, client: ModelClient, wall_s: float, cpu_s: float
) -> StudyReport:
    """The typed report of a finished run, with what it cost."""
    stats = RunStats(
        wall_s=round(wall_s, 3),
        cpu_s=round(cpu_s, 3),
        peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        max_in_flight=client.max_in_flight,
        concurrency=client.concurrency,
        tasks=state.tasks,
        failed_tasks=len(state.failures),
        agents=dict(sorted(client.usage.items())),
    )
    return StudyReport(
        study=study.name,
        model=client.model.name,
        seed=study.seed,
        panel=_panel_report(study, state),
        ideas=[state.reports[idea.name] for idea in study.ideas if idea.name in state.reports],
        comparison=state.comparison,
        failures=state.failures,
        stats=stats,
    )


async def run_study_async(
    study: Study,
    out: Path | None = None,
    *,
    model: ChatModel | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Run the study; with `out`, write the run directory, even for a run cut short."""
    if out is not None:
        prepare(out)
    backend = model or open_model(study.model)
    tracer = Tracer(out / "trace.jsonl" if out else None)
    client = ModelClient(backend, concurrency=study.concurrency, tracer=tracer, seed=study.seed)
    pipeline = Pipeline(study, client, progress)
    process = psutil.Process()
    cpu_start, wall_start = sum(process.cpu_times()[:2]), time.perf_counter()
    report: StudyReport | None = None
    try:
        log.info(
            "running %r: %d users, %d ideas, model %s",
            study.name,
            study.panel.size,
            len(study.ideas),
            backend.name,
        )
        state = await pipeline.run()
        report = build_report(
            study,
            state,
            client,
            time.perf_counter() - wall_start,
            sum(process.cpu_times()[:2]) - cpu_start,
        )
        return RunResult(report=report, state=state, out=out)
    finally:
        if progress is not None:
            progress.close()
        if out is not None:
            write_outputs(out, pipeline.state, report)
        tracer.close()
        await client.aclose()


def run_study(
    study: Study,
    out: str | Path | None = None,
    *,
    model: ChatModel | None = None,
    progress: Progress | None = None,
) -> RunResult:
    """Run a study to the end and return its typed report (blocking)."""
    return asyncio.run(
        run_study_async(study, Path(out) if out else None, model=model, progress=progress)
    )
