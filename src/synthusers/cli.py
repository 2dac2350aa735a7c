"""The `synthusers` command: run studies, check them, export schemas."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
from pathlib import Path
from types import FrameType

import click

from .errors import StudyError, SynthusersError
from .estimate import estimate, render_estimate
from .llm.registry import check_model_spec
from .progress import progress_for
from .redaction import RedactingFilter, redact
from .rundir import saved_cache
from .runner import load_run_study, run_study, with_overrides
from .schemas import SCHEMAS, json_schema
from .study import Study, load_study
from .tracereader import trace


def echo(text: str, err: bool = False) -> None:
    """Print for a person, with any secret redacted."""
    click.echo(redact(text), err=err)


def _stop_on_sigterm() -> None:
    """Treat SIGTERM like Ctrl-C, so a stopped run still writes what it has."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO
    handler: logging.Handler
    if sys.stderr.isatty():
        from rich.logging import RichHandler

        handler = RichHandler(show_path=False, show_time=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    handler.addFilter(RedactingFilter())
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    logging.getLogger("synthusers").setLevel(level)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="synthusers")
@click.option("-v", "--verbose", count=True, help="Log every model call (debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors on stderr.")
def cli(verbose: int, quiet: bool) -> None:
    """Run studies with synthetic users: a panel of personas reacts to your ideas."""
    _setup_logging(verbose, quiet)


concurrency_option = click.option(
    "-c", "--concurrency", type=int, help="Most model calls in flight at once."
)
timeout_option = click.option(
    "--timeout", type=float, help="Seconds one request may take before a retry."
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print report.json on stdout.")
no_progress_option = click.option("--no-progress", is_flag=True, help="No live progress display.")


@cli.command()
@click.argument("study_file", type=click.Path(path_type=Path))
@click.option("-o", "--out", type=click.Path(path_type=Path), help="Run directory to write.")
@click.option("-m", "--model", help="local, local:/path/model.gguf, openai:NAME or fake.")
@click.option("-n", "--panel-size", type=int, help="Number of synthetic users.")
@concurrency_option
@click.option("-s", "--seed", type=int, help="Seed for the panel and every model call.")
@click.option("--rpm", type=float, help="Most requests per minute.")
@click.option("--tpm", type=float, help="Most tokens per minute.")
@click.option("--max-tokens", type=int, help="Stop cleanly after this many tokens.")
@click.option("--max-cost", type=float, help="Stop cleanly at this estimated cost (USD).")
@timeout_option
@click.option(
    "--cache",
    type=click.Path(path_type=Path),
    help="A call store shared across runs: identical calls are not paid for twice.",
)
@click.option("--dry-run", is_flag=True, help="Print calls, tokens and cost; call nothing.")
@json_option
@no_progress_option
def run(
    study_file: Path,
    out: Path | None,
    model: str | None,
    panel_size: int | None,
    concurrency: int | None,
    seed: int | None,
    rpm: float | None,
    tpm: float | None,
    max_tokens: int | None,
    max_cost: float | None,
    timeout: float | None,
    cache: Path | None,
    dry_run: bool,
    as_json: bool,
    no_progress: bool,
) -> None:
    """Run STUDY_FILE and write its run directory.

    An existing run directory is resumed: finished calls are read back, not sent again.

    \b
    Examples:
      synthusers run examples/meal-kit.yaml --out runs/meal-kit
      synthusers run study.yaml -o runs/try -m openai:gpt-4o-mini -n 50 -c 16 --rpm 500
      synthusers run study.yaml --dry-run
    """
    study = with_overrides(
        load_study(study_file),
        model=model,
        panel_size=panel_size,
        concurrency=concurrency,
        seed=seed,
        rpm=rpm,
        tpm=tpm,
        max_tokens=max_tokens,
        max_cost=max_cost,
        timeout_s=timeout,
    )
    if dry_run:
        check_model_spec(study.model)
        planned = estimate(study)
        echo(planned.model_dump_json(indent=2) if as_json else render_estimate(planned))
        return
    _run_and_report(study, out or Path("runs") / study_file.stem, cache, as_json, no_progress)


@cli.command()
@click.argument("run_dir", type=click.Path(path_type=Path))
@concurrency_option
@click.option("--max-tokens", type=int, help="A new token budget for the whole run.")
@click.option("--max-cost", type=float, help="A new cost budget (USD) for the whole run.")
@timeout_option
@click.option(
    "--cache",
    type=click.Path(path_type=Path),
    help="The call store to use; by default the one the run was started with.",
)
@json_option
@no_progress_option
def resume(
    run_dir: Path,
    concurrency: int | None,
    max_tokens: int | None,
    max_cost: float | None,
    timeout: float | None,
    cache: Path | None,
    as_json: bool,
    no_progress: bool,
) -> None:
    """Finish the run in RUN_DIR: what was done is read back, the rest is run.

    Budgets count the whole run, earlier sessions included; raise them here to go on.
    """
    study = with_overrides(
        load_run_study(run_dir),
        concurrency=concurrency,
        max_tokens=max_tokens,
        max_cost=max_cost,
        timeout_s=timeout,
    )
    _run_and_report(study, run_dir, cache or saved_cache(run_dir), as_json, no_progress)


def _run_and_report(
    study: Study, out: Path, cache: Path | None, as_json: bool, no_progress: bool
) -> None:
    result = run_study(study, out, progress=progress_for(not no_progress), cache=cache)
    report = result.report
    if as_json:
        echo(report.model_dump_json(indent=2))
    else:
        echo(f"Report: {out / 'report.md'}")
        if report.comparison:
            echo("Ranking: " + " > ".join(report.comparison.ranking))
        for idea in report.ideas:
            score = f"{idea.score:.0f}/100" if idea.score is not None else "unscored"
            echo(f"  {idea.idea}: {score}. {idea.verdict}")
    stats = report.stats
    echo(
        f"{stats.tasks} tasks, {stats.failed_tasks} failed, {stats.wall_s:.0f} s, "
        f"peak {stats.peak_rss_mb:.0f} MiB",
        err=True,
    )
    problem = result.too_many_failures(study.max_failure_share)
    if problem:
        raise SynthusersError(
            f"{problem}, more than max_failure_share {study.max_failure_share:.0%}; "
            f"see {out / 'report.md'}"
        )


@cli.command()
@click.argument("study_file", type=click.Path(path_type=Path))
def check(study_file: Path) -> None:
    """Check STUDY_FILE without running it."""
    study = load_study(study_file)
    check_model_spec(study.model)
    fixed = sum(study.questions_for(idea) is not None for idea in study.ideas)
    echo(
        f"{study_file}: ok: {study.panel.size} users, {len(study.ideas)} ideas "
        f"({fixed} with fixed questions), model {study.model}"
    )


@cli.command()
@click.argument("name", required=False, type=click.Choice(sorted(SCHEMAS)))
@click.option("-o", "--out", type=click.Path(path_type=Path), help="Write every schema here.")
def schema(name: str | None, out: Path | None) -> None:
    """Print the JSON schema of NAME, or write them all with --out.

    Without arguments, lists the names.
    """
    if out is not None:
        try:
            out.mkdir(parents=True, exist_ok=True)
            for each in SCHEMAS:
                (out / f"{each}.schema.json").write_text(json.dumps(json_schema(each), indent=2))
        except OSError as error:
            raise StudyError(f"{out}: cannot write the schemas there ({error.strerror})") from None
        echo(f"wrote {len(SCHEMAS)} schemas to {out}")
    elif name is None:
        echo("\n".join(sorted(SCHEMAS)))
    else:
        echo(json.dumps(json_schema(name), indent=2))


cli.add_command(trace)


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors become one line on stderr and a non-zero exit code."""
    _stop_on_sigterm()
    try:
        cli.main(args=argv, prog_name="synthusers", standalone_mode=False)
    except click.exceptions.Abort:
        echo("interrupted; what was done is in the run directory", err=True)
        sys.exit(130)
    except click.ClickException as error:
        echo(f"error: {error.format_message()}", err=True)
        sys.exit(error.exit_code)
    except SynthusersError as error:
        if os.environ.get("SYNTHUSERS_DEBUG"):
            raise
        echo(f"error: {error}", err=True)
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        echo("interrupted; what was done is in the run directory", err=True)
        sys.exit(130)
