"""Live progress per stage: a table on a terminal, a log line per change otherwise."""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass, field
from typing import Protocol

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

STAGES = ("users", "questions", "answers", "summaries", "reports")
log = logging.getLogger("synthusers.progress")


@dataclass
class StageCount:
    total: int = 0
    done: int = 0
    failed: int = 0
    in_flight: int = 0
    started_at: float | None = None
    finished_at: float | None = None

    def eta_s(self, now: float) -> float | None:
        finished = self.done + self.failed
        if not self.started_at or not finished or finished >= self.total:
            return None
        rate = finished / (now - self.started_at)
        return (self.total - finished) / rate if rate > 0 else None


@dataclass
class ProgressState:
    stages: dict[str, StageCount] = field(
        default_factory=lambda: {stage: StageCount() for stage in STAGES}
    )


class Progress(Protocol):
    state: ProgressState

    def add_total(self, stage: str, count: int) -> None: ...
    def started(self, stage: str) -> None: ...
    def finished(self, stage: str, ok: bool) -> None: ...
    def resources(self, sample: dict[str, float | int]) -> None: ...
    def close(self) -> None: ...


def describe_sample(sample: dict[str, float | int]) -> str:
    """One line about the machine and the model traffic."""
    return (
        f"CPU {sample['cpu_percent']:.0f}% · {sample['rss_mb']:.0f} MiB · "
        f"{sample['in_flight']} calls in flight · {sample['calls_per_min']:.0f}/min · "
        f"{sample['tokens_per_min']:,} tok/min · {sample['retries']} retries · "
        f"{sample['failed_tasks']} failed"
    )


class _Base:
    def __init__(self) -> None:
        self.state = ProgressState()
        self.sample: dict[str, float | int] | None = None

    def resources(self, sample: dict[str, float | int]) -> None:
        self.sample = sample
        self._changed("")

    def add_total(self, stage: str, count: int) -> None:
        self.state.stages[stage].total += count
        self._changed(stage)

    def started(self, stage: str) -> None:
        count = self.state.stages[stage]
        count.in_flight += 1
        count.started_at = count.started_at or time.monotonic()
        self._changed(stage)

    def finished(self, stage: str, ok: bool) -> None:
        count = self.state.stages[stage]
        count.in_flight -= 1
        if ok:
            count.done += 1
        else:
            count.failed += 1
        if count.done + count.failed >= count.total:
            count.finished_at = time.monotonic()
        self._changed(stage)

    def _changed(self, stage: str) -> None:
        return None

    def close(self) -> None:
        return None


class SilentProgress(_Base):
    """Counts without showing anything: for the Python API and tests."""


class LogProgress(_Base):
    """One log line when a stage finishes, and at most one every `every_s` seconds while it runs."""

    def __init__(self, every_s: float = 10.0) -> None:
        super().__init__()
        self.every_s = every_s
        self._last = 0.0
        self._last_sample = 0.0

    def resources(self, sample: dict[str, float | int]) -> None:
        super().resources(sample)
        now = time.monotonic()
        if now - self._last_sample >= self.every_s:
            self._last_sample = now
            log.info("%s", describe_sample(sample))

    def _changed(self, stage: str) -> None:
        if not stage:
            return
        count = self.state.stages[stage]
        now = time.monotonic()
        complete = count.total and count.done + count.failed == count.total and count.in_flight == 0
        if complete or now - self._last >= self.every_s:
            self._last = now
            log.info(
                "%s: %d/%d done, %d failed, %d in flight",
                stage,
                count.done,
                count.total,
                count.failed,
                count.in_flight,
            )


def _eta(seconds: float | None) -> str:
    if seconds is None:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


class LiveProgress(_Base):
    """A table redrawn in place on the terminal: done, failed, in flight and ETA per stage."""

    def __init__(self, console: Console | None = None) -> None:
        super().__init__()
        self._live = Live(
            self._view(),
            console=console or Console(stderr=True),
            refresh_per_second=4,
            transient=False,
        )
        self._live.start()

    def _table(self) -> Table:
        table = Table(box=None, pad_edge=False)
        for column in ("stage", "done", "failed", "running", "ETA"):
            table.add_column(column, justify="left" if column == "stage" else "right")
        now = time.monotonic()
        for stage, count in self.state.stages.items():
            if not count.total and not count.in_flight:
                continue
            table.add_row(
                stage,
                f"{count.done}/{count.total}",
                str(count.failed or ""),
                str(count.in_flight or ""),
                _eta(count.eta_s(now)),
            )
        return table

    def _view(self) -> Group:
        resources = Text(describe_sample(self.sample) if self.sample else "", style="dim")
        return Group(self._table(), resources)

    def _changed(self, stage: str) -> None:
        self._live.update(self._view())

    def close(self) -> None:
        self._live.update(self._view())
        self._live.stop()


def progress_for(show: bool) -> Progress:
    """A live table on a terminal, log lines elsewhere, nothing when not shown."""
    if not show:
        return SilentProgress()
    return LiveProgress() if sys.stderr.isatty() else LogProgress()
