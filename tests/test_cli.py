"""The command line as a user meets it: exit codes, one-line errors, outputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from synthusers.cli import main
from synthusers.schemas import SCHEMAS

from .conftest import study_data


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "synthusers", *args], capture_output=True, text=True, timeout=120
    )


def write_study(tmp_path: Path, **overrides: object) -> Path:
    path = tmp_path / "study.yaml"
    path.write_text(yaml.safe_dump(study_data(**overrides)))
    return path


def test_run_with_overrides(tmp_path: Path) -> None:
    path = write_study(tmp_path)
    out = tmp_path / "run"
    done = cli("run", str(path), "-o", str(out), "-m", "fake", "-n", "6", "-c", "2", "-s", "3")
    assert done.returncode == 0, done.stderr
    assert f"Report: {out / 'report.md'}" in done.stdout
    report = json.loads((out / "report.json").read_text())
    assert report["panel"]["requested"] == 6
    assert report["seed"] == 3 and report["model"] == "fake"
    assert report["stats"]["concurrency"] == 2


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run", "missing.yaml"], "missing.yaml: file not found"),
        (
            ["run", "{study}", "-n", "0"],
            "override: panel.size: Input should be greater than or equal to 1",
        ),
        (["run", "{study}", "-m", "gpt4"], "unknown model 'gpt4'"),
        (
            ["run", "{study}", "-m", "local:/nowhere/model.gguf"],
            "model file /nowhere/model.gguf not found",
        ),
        (["run", "{study}", "-c", "lots"], "'lots' is not a valid integer"),
        (["check", "{bad}"], "panel.size: Input should be greater than or equal to 1"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], expected: str) -> None:
    study = write_study(tmp_path)
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(study_data(panel={**study_data()["panel"], "size": -1})))
    args = [arg.format(study=study, bad=bad) for arg in args]
    done = cli(*args)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ") and expected in lines[0]
    assert "Traceback" not in done.stderr


def test_openai_without_key_fails_fast(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    with pytest.raises(SystemExit) as caught:
        main(
            [
                "run",
                str(write_study(tmp_path)),
                "-m",
                "openai:gpt-4o-mini",
                "-o",
                str(tmp_path / "r"),
            ]
        )
    assert caught.value.code == 2


def test_too_many_failures_exit_non_zero(tmp_path: Path) -> None:
    path = write_study(tmp_path, max_failure_share=0.0, model="fake")
    out = tmp_path / "run"
    assert cli("run", str(path), "-o", str(out)).returncode == 0
    bad_study = yaml.safe_load(path.read_text())
    bad_study["panel"]["max_attempts"] = 1
    bad_study["panel"]["keep_rejected"] = False
    path.write_text(yaml.safe_dump(bad_study))
    done = cli("run", str(path), "-o", str(tmp_path / "run2"), "-n", "20")
    report = json.loads((tmp_path / "run2" / "report.json").read_text())
    assert report["stats"]["failed_tasks"] > 0
    assert done.returncode == 1
    assert "more than max_failure_share 0%" in done.stderr


def test_check(tmp_path: Path) -> None:
    done = cli("check", str(write_study(tmp_path)))
    assert done.returncode == 0
    assert "ok: 4 users, 2 ideas (2 with fixed questions), model fake" in done.stdout


def test_schema_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["schema", "answer"])
    answer = json.loads(capsys.readouterr().out)
    assert {"LikertAnswer", "ChoiceAnswer", "NpsAnswer", "OpenAnswer"} <= set(answer["$defs"])
    main(["schema", "--out", str(tmp_path / "schemas")])
    files = sorted(p.name for p in (tmp_path / "schemas").iterdir())
    assert len(files) == len(SCHEMAS)
    study = json.loads((tmp_path / "schemas" / "study.schema.json").read_text())
    assert study["additionalProperties"] is False
