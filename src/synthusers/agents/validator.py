"""Validator: deterministic rules a persona must pass before any model judges it.

No model call: these are the contradictions code can see for certain (an age outside
the quota cell, a 19-year-old surgeon, a bio that gives another age), so the Reviewer's
attention goes to what only a reader can judge.
"""

from __future__ import annotations

import re

from pydantic import BaseModel

from ..demographics import FEMALE_NAMES, MALE_NAMES, NEUTRAL_NAMES
from ..persona import Persona, Slot, ValidationReport
from .generator import EXAMPLES

PLACEHOLDERS = {"", "string", "n/a", "na", "none", "unknown", "...", "tbd", "example", "lorem"}
DEGREE_JOBS = (
    "doctor",
    "surgeon",
    "lawyer",
    "solicitor",
    "barrister",
    "professor",
    "architect",
    "dentist",
    "pharmacist",
    "physician",
    "veterinar",
)
NO_DEGREE = ("no formal", "secondary", "vocational", "gcse", "high school")
SENIOR_JOBS = (*DEGREE_JOBS, "director", "chief", "ceo", "head of", "senior", "partner at")
CHILD_JOBS = ("child", "teenager", "pupil", "schoolboy", "schoolgirl")
KNOWN_FIRST_NAMES = frozenset(
    [*FEMALE_NAMES, *MALE_NAMES, *NEUTRAL_NAMES]
    + [person.split()[0] for examples in EXAMPLES.values() for person, _ in examples]
)
"""Names a bio may wrongly open with: another panel member's, or a worked example's."""
_OPENING_NAME = re.compile(r"([A-Z][a-z]+)\b")
_STATED_AGE = re.compile(r"\b(\d{2})[- ]year[- ]old\b|\baged? (\d{2})\b", re.IGNORECASE)
_FEMALE = re.compile(r"\b(she|her|hers|herself)\b", re.IGNORECASE)
_MALE = re.compile(r"\b(he|him|his|himself)\b", re.IGNORECASE)


class ValidationRequest(BaseModel):
    """A persona and the slot it was generated for."""

    persona: Persona
    slot: Slot


def _missing(persona: Persona) -> list[str]:
    problems = []
    for field in (
        "name",
        "gender",
        "location",
        "occupation",
        "income_band",
        "education",
        "household",
        "bio",
    ):
        value = str(getattr(persona, field)).strip()
        if value.casefold() in PLACEHOLDERS or value.casefold() == field:
            problems.append(f"{field} is missing or a placeholder ({value!r})")
    for field in ("goals", "frustrations", "habits"):
        items = [item.strip().casefold() for item in getattr(persona, field)]
        if not items or any(item in PLACEHOLDERS for item in items):
            problems.append(f"{field} must list real items")
        elif len(set(items)) != len(items):
            problems.append(f"{field} repeats an item")
    return problems


def _quota_cell(persona: Persona, slot: Slot) -> list[str]:
    problems = []
    low, high = (int(part) for part in slot.age_band.split("-"))
    if not low <= persona.age <= high:
        problems.append(f"age {persona.age} is outside the quota band {slot.age_band}")
    if persona.gender.casefold() != slot.gender.casefold():
        problems.append(f"gender {persona.gender!r} is not the slot's {slot.gender!r}")
    if slot.location and persona.location != slot.location:
        problems.append(f"location {persona.location!r} is not the slot's {slot.location!r}")
    return problems


def _life_stage(persona: Persona) -> list[str]:
    problems = []
    age, job = persona.age, persona.occupation.casefold()
    education, household = persona.education.casefold(), persona.household.casefold()
    if "retired" in job and age < 45:
        problems.append(f"retired at {age} is implausible; give a working occupation")
    if any(word in job for word in SENIOR_JOBS) and age < 24:
        problems.append(f"occupation {persona.occupation!r} is implausible at {age}")
    if any(word in job for word in CHILD_JOBS):
        problems.append(f"occupation {persona.occupation!r} is not an adult's")
    if any(word in job for word in DEGREE_JOBS) and any(w in education for w in NO_DEGREE):
        problems.append(f"occupation {persona.occupation!r} needs a degree, not {education!r}")
    if ("grandchild" in household or "adult children" in household) and age < 36:
        problems.append(f"household {persona.household!r} is implausible at {age}")
    return problems


def _bio(persona: Persona) -> list[str]:
    problems = []
    match = _OPENING_NAME.match(persona.bio.strip())
    opening = match.group(1) if match else ""
    first_name = persona.name.split()[0]
    if opening in KNOWN_FIRST_NAMES and opening != first_name:
        problems.append(f"bio is about {opening}, not {first_name}; write about this person")
    for match in _STATED_AGE.finditer(persona.bio):
        stated = int(match.group(1) or match.group(2))
        if stated != persona.age:
            problems.append(f"bio says {stated} years old but age is {persona.age}")
    gender = persona.gender.casefold()
    female, male = _FEMALE.search(persona.bio), _MALE.search(persona.bio)
    if gender == "female" and male and not female:
        problems.append("bio calls a woman 'he'")
    if gender == "male" and female and not male:
        problems.append("bio calls a man 'she'")
    return problems


def validate_persona(request: ValidationRequest) -> ValidationReport:
    """Every rule's findings; an empty list means the persona is valid."""
    persona, slot = request.persona, request.slot
    problems = [
        *_missing(persona),
        *_quota_cell(persona, slot),
        *_life_stage(persona),
        *_bio(persona),
    ]
    return ValidationReport(problems=problems)
