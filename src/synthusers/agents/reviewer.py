"""Reviewer: a model judge of whether a persona reads as a real member of the audience."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from ..llm.client import ModelClient
from ..persona import Persona, Review
from ._text import ShortText, profile


class ReviewRequest(BaseModel):
    audience: str
    persona: Persona
    attempt: int = 1


class ReviewDraft(BaseModel):
    """Problems first, so the verdict follows from them."""

    problems: list[ShortText] = Field(max_length=3)
    verdict: Literal["accept", "reject"]

    @model_validator(mode="after")
    def _reject_needs_reason(self) -> ReviewDraft:
        if self.verdict == "reject" and not self.problems:
            raise ValueError("a rejection must name at least one problem")
        return self


SYSTEM = (
    "You review profiles of people written for market research. Reject a profile only "
    "for a clear problem: facts that contradict each other, details unrealistic for the "
    "audience, or a lazy stereotype. Otherwise accept it. Reply with JSON only."
)


async def review_persona(client: ModelClient, request: ReviewRequest) -> Review:
    """Judge one persona; an accepted persona's reasons are kept as minor notes."""
    content = f"Audience: {request.audience}\nProfile:\n{profile(request.persona)}"
    draft = await client.generate(
        "reviewer",
        [{"role": "system", "content": SYSTEM}, {"role": "user", "content": content}],
        ReviewDraft,
        key=f"{request.persona.id}/{request.attempt}",
        max_tokens=200,
        temperature=0.2,
    )
    return Review(verdict=draft.verdict, reasons=[item.strip() for item in draft.problems])
