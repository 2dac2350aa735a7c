"""A synthetic user, the slot it fills in the panel, and the reviews it gets."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Slot(BaseModel):
    """What code decides about a user before the model writes anything.

    Names, demographics and quota cells are chosen here because a small model gets
    them wrong or repeats itself; the model only writes the person's story.
    """

    user_id: str
    name: str
    age: int = Field(ge=18, le=100)
    age_band: str
    gender: str
    income_band: str
    education: str
    household: str
    location: str | None = None
    """A fixed location, or None to let the model choose one that fits the audience."""
    seed: int


class Persona(BaseModel):
    """One synthetic user, complete."""

    id: str
    name: str
    age: int
    gender: str
    location: str
    occupation: str
    income_band: str
    education: str
    household: str
    goals: list[str]
    frustrations: list[str]
    habits: list[str]
    bio: str
    """A few sentences in the third person."""


class ValidationReport(BaseModel):
    """The deterministic checks' findings on one persona; empty problems means valid."""

    problems: list[str] = Field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems


class Review(BaseModel):
    """The model judge's verdict on a persona's realism."""

    verdict: Literal["accept", "reject"]
    reasons: list[str] = Field(default_factory=list)


class PersonaAttempt(BaseModel):
    """One round of generate, validate and (when valid) review."""

    attempt: int
    persona: Persona | None = None
    validation: ValidationReport | None = None
    review: Review | None = None
    error: str | None = None


PanelStatus = Literal["accepted", "kept_after_rejection", "dropped"]


class PanelMember(BaseModel):
    """A user's final outcome and every attempt that led to it."""

    slot: Slot
    status: PanelStatus
    persona: Persona | None
    review: Review | None
    attempts: list[PersonaAttempt]
