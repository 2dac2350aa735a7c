"""The README's examples stay true: its study parses, its commands exist."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from synthusers.cli import cli
from synthusers.study import parse_study

README = (Path(__file__).parent.parent / "README.md").read_text()


def test_the_study_in_the_readme_is_valid() -> None:
    block = README.split("## A study", 1)[1].split("```yaml", 1)[1].split("```", 1)[0]
    study = parse_study(yaml.safe_load(block), "README")
    assert study.panel.size == 8
    assert [question.kind for question in study.questions or []] == [
        "likert",
        "single_choice",
        "nps",
        "open",
    ]


def test_the_commands_in_the_readme_exist() -> None:
    named = set(re.findall(r"synthusers (run|resume|check|trace|schema)\b", README))
    assert named <= set(cli.commands)
    assert len(named) == 5
