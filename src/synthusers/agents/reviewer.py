"""Reviewer: a model judge of whether a persona reads as a real member of the audience."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, model_validator

from ..llm.client import ModelClient
from ..persona import Persona, Review
from ._text import ShortText, conversation, profile


class ReviewRequest(BaseModel):
    audience: str
    persona: Persona
    attempt: int = 1


class ReviewDraft(BaseModel):
    """Verdict first: written after its problems, it was "reject" every time."""

    verdict: Literal["accept", "reject"]
    problems: list[ShortText] = Field(max_length=3)

    @model_validator(mode="after")
    def _reject_needs_reason(self) -> ReviewDraft:
        if self.verdict == "reject" and not self.problems:
            raise ValueError("a rejection must name at least one problem")
        return self


SYSTEM = (
    "You check profiles of people written for market research. List only clear problems: "
    "an occupation that is not a real job, items that are not about the person's life, "
    "facts that contradict each other, or text copied from the facts. Most profiles have "
    "none; then reply with no problems and accept. Reply with JSON only."
)

# Two worked checks, a broken profile then a clean one: with only the instructions the
# small model "finds" problems by copying the profile's own habits and goals, and it leans
# towards the verdict it saw last, so the clean example comes last.
EXAMPLES = (
    (
        "Audience: people who cycle to work\nProfile:\nAmy Cole, 30, female, Blue, "
        "lives in York.\nGoals: 5.2; 24.\nFrustrations: Poor; Poor.\nHabits: lives in York.\n"
        "Bio: Amy Cole, 30, female, lives in York.",
        '{"verdict": "reject", "problems": ["Occupation is not a job", "Goals are numbers", '
        '"Bio only repeats the facts"]}',
    ),
    (
        "Audience: people who cycle to work\nProfile:\nDan Hill, 45, male, bus driver, "
        "lives in Derby.\nGoals: Pay off the car loan; Eat more vegetables.\n"
        "Frustrations: Long shifts; Noisy neighbours.\nHabits: Walks the dog at night.\n"
        "Bio: Dan drives buses around Derby and gets home late.",
        '{"verdict": "accept", "problems": []}',
    ),
)


async def review_persona(client: ModelClient, request: ReviewRequest) -> Review:
    """Judge one persona; an accepted persona's reasons are kept as minor notes."""
    content = f"Audience: {request.audience}\nProfile:\n{profile(request.persona)}"
    draft = await client.generate(
        "reviewer",
        conversation(SYSTEM, content, EXAMPLES),
        ReviewDraft,
        key=f"{request.persona.id}/{request.attempt}",
        max_tokens=100,
        temperature=0.2,
    )
    return Review(verdict=draft.verdict, reasons=[item.strip() for item in draft.problems])
