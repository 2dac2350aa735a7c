"""Run a study from start to finish: the Python API that the CLI is a thin layer over."""

from __future__ import annotations

import asyncio
import json
import logging
import resource
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
from pydantic import ValidationError

from .errors import StudyError
from .llm.base import ChatModel
from .llm.client import ModelClient
from .llm.registry import open_model
from .llm.store import CallStore
from .monitor import ResourceMonitor
from .panel import panel_warnings, quota_cells
from .pipeline import Pipeline, RunState
from .pricing import cost, price_for
from .progress import Progress
from .report import AgentUsage, PanelReport, RunStats, StudyReport
from .rundir import STORE_FILE, STUDY_FILE, prepare, write_outputs, write_study
from .study import Study, describe_validation_error, parse_study
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

    def worst_stage(self) -> tuple[str, int, int]:
        """The stage with the largest share of failed tasks: name, failed, tasks."""
        failed = Counter(failure.stage for failure in self.state.failures)
        stages = self.state.stage_tasks
        name = max(stages, key=lambda stage: failed[stage] / stages[stage], default="")
        return name, failed[name], stages.get(name, 0)

    def too_many_failures(self, limit: float) -> str | None:
        """Why the run failed more than `limit` allows, overall or in any one stage."""
        stats = self.report.stats
        if self.failed_share > limit:
            return f"{stats.failed_tasks} of {stats.tasks} tasks failed ({self.failed_share:.0%})"
        stage, failed, tasks = self.worst_stage()
        if tasks and failed / tasks > limit:
            return f"{failed} of {tasks} {stage} tasks failed ({failed / tasks:.0%})"
        return None


def with_overrides(study: Study, **overrides: Any) -> Study:
    """The study with the given fields replaced (None leaves a field as it is), revalidated."""
    data = study.model_dump()
    for name, value in overrides.items():
        if value is None:
            continue
        if name == "panel_size":
            data["panel"]["size"] = value
        elif name in ("rpm", "tpm", "max_tokens", "max_cost", "timeout_s"):
            data["limits"][name] = value
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


def _per_model(client: ModelClient, agents: dict[str, AgentUsage]) -> dict[str, AgentUsage]:
    total = AgentUsage()
    for usage in agents.values():
        for field in (
            "calls",
            "cached",
            "failed_calls",
            "retries",
            "prompt_tokens",
            "completion_tokens",
            "seconds",
        ):
            setattr(total, field, getattr(total, field) + getattr(usage, field))
    total.cost_usd = cost(client.price, total.prompt_tokens, total.completion_tokens)
    return {client.model.name: total}


def build_report(
    study: Study,
    state: RunState,
    client: ModelClient,
    wall_s: float,
    cpu_s: float,
    monitor: ResourceMonitor | None = None,
) -> StudyReport:
    """The typed report of a finished run, with what it cost."""
    agents = dict(sorted(client.usage.items()))
    for usage in agents.values():
        usage.cost_usd = cost(client.price, usage.prompt_tokens, usage.completion_tokens)
    spent = [usage.cost_usd for usage in agents.values()]
    stats = RunStats(
        wall_s=round(wall_s, 3),
        cpu_s=round(cpu_s, 3),
        peak_rss_mb=round(
            max(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                monitor.peak_rss_mb if monitor else 0.0,
            ),
            1,
        ),
        max_in_flight=client.max_in_flight,
        mean_in_flight=round(client.mean_in_flight, 3),
        models=_per_model(client, agents),
        samples=monitor.samples if monitor else 0,
        concurrency=client.concurrency,
        tasks=state.tasks,
        failed_tasks=len(state.failures),
        agents=agents,
        cost_usd=None if None in spent else round(sum(u or 0.0 for u in spent), 6),
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


def open_client(
    study: Study, out: Path | None, model: ChatModel | None, cache: Path | None
) -> ModelClient:
    """The run's one model client: backend, bound, limits, price, store and trace.

    Everything that can be refused (the model spec, the key, the cache path, the run
    directory) is checked before anything is written, so a refused run leaves no trace.
    """
    backend = model or open_model(study.model, timeout_s=study.limits.timeout_s)
    store = CallStore(cache) if cache else None
    if out is not None:
        prepare(out, study)
        write_study(out, study, cache)
        if store is None:
            store = CallStore(out / STORE_FILE)
    return ModelClient(
        backend,
        concurrency=study.concurrency,
        tracer=Tracer(out / "trace.jsonl" if out else None),
        seed=study.seed,
        store=store,
        limits=study.limits,
        price=price_for(backend.name, study.prices),
    )


async def run_study_async(
    study: Study,
    out: Path | None = None,
    *,
    model: ChatModel | None = None,
    progress: Progress | None = None,
    cache: Path | None = None,
) -> RunResult:
    """Run the study; with `out`, write the run directory, even for a run cut short.

    A run directory that holds an earlier, unfinished run of the study is resumed: calls
    already made are read back from its store rather than sent again.
    """
    client = open_client(study, out, model, cache)
    pipeline = Pipeline(study, client, progress)
    process = psutil.Process()
    cpu_start, wall_start = sum(process.cpu_times()[:2]), time.perf_counter()
    report: StudyReport | None = None
    try:
        await client.model.check()
        if client.store is not None and len(client.store):
            log.info("resuming: %d finished calls in %s", len(client.store), client.store.path)
        log.info(
            "running %r: %d users, %d ideas, model %s",
            study.name,
            study.panel.size,
            len(study.ideas),
            client.model.name,
        )
        monitor = ResourceMonitor(client, client.tracer, progress, pipeline.state.failures)
        state = await pipeline.run(monitor)
        wall_s = time.perf_counter() - wall_start
        cpu_s = sum(process.cpu_times()[:2]) - cpu_start
        report = build_report(study, state, client, wall_s, cpu_s, monitor)
        return RunResult(report=report, state=state, out=out)
    finally:
        if progress is not None:
            progress.close()
        if out is not None:
            write_outputs(out, pipeline.state, report)
        client.tracer.close()
        if client.store is not None:
            client.store.close()
        await client.aclose()


def load_run_study(out: Path) -> Study:
    """The study a run directory was started with, to resume it."""
    path = out / STUDY_FILE
    if not path.is_file():
        raise StudyError(f"{out}: not a run directory (no {STUDY_FILE}); give the --out of a run")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise StudyError(f"{path}: unreadable ({error}); run the study again instead") from None
    return parse_study(data, str(path))


def run_study(
    study: Study,
    out: str | Path | None = None,
    *,
    model: ChatModel | None = None,
    progress: Progress | None = None,
    cache: str | Path | None = None,
) -> RunResult:
    """Run a study to the end and return its typed report (blocking)."""
    return asyncio.run(
        run_study_async(
            study,
            Path(out) if out else None,
            model=model,
            progress=progress,
            cache=Path(cache) if cache else None,
        )
    )
