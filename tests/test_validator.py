from __future__ import annotations

from typing import Any

import pytest

from synthusers.agents.validator import ValidationRequest, validate_persona
from synthusers.persona import Persona, Slot

from .conftest import make_persona, make_slot

SLOT = make_slot()
_persona = make_persona


def problems(persona: Persona, slot: Slot = SLOT) -> list[str]:
    return validate_persona(ValidationRequest(persona=persona, slot=slot)).problems


def test_valid_persona_passes() -> None:
    assert problems(_persona()) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"occupation": "string"}, "occupation is missing or a placeholder"),
        ({"goals": ["cook", "Cook"]}, "goals repeats an item"),
        ({"habits": []}, "habits must list real items"),
        ({"age": 40}, "outside the quota band 25-34"),
        ({"gender": "male", "bio": "He likes food."}, "not the slot's 'female'"),
        ({"location": "York"}, "not the slot's 'Leeds'"),
        ({"occupation": "retired"}, "retired at 30"),
        (
            {"age": 22, "occupation": "senior surgeon", "bio": "Maria operates daily."},
            "implausible at 22",
        ),
        ({"occupation": "surgeon", "education": "secondary school"}, "needs a degree"),
        ({"household": "lives with her grandchildren"}, "implausible at 30"),
        ({"bio": "A 45-year-old teacher who loves food."}, "bio says 45 years old"),
        ({"bio": "He teaches in Leeds and his pupils love him."}, "bio calls a woman 'he'"),
        ({"bio": "Owen runs a small plumbing business in Swansea."}, "bio is about Owen"),
        ({"bio": "Priya's days start early at the pharmacy."}, "bio is about Priya"),
    ],
)
def test_rule_finds_problem(changes: dict[str, Any], expected: str) -> None:
    slot = SLOT
    if changes.get("age") == 22:
        slot = SLOT.model_copy(update={"age": 22, "age_band": "18-24"})
    found = problems(_persona(**changes), slot)
    assert any(expected in problem for problem in found), found
