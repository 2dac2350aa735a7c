"""UserGenerator: writes a persona's story around the facts its slot fixes."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ..llm.client import ModelClient
from ..persona import Persona, Slot
from ._text import ShortText


class PersonaRequest(BaseModel):
    """Generate the user who fills this slot; feedback lists a previous attempt's problems."""

    audience: str
    slot: Slot
    attempt: int = 1
    feedback: list[str] = Field(default_factory=list)


class PersonaDraft(BaseModel):
    """What the model writes; everything else about the persona is decided in code."""

    occupation: str = Field(min_length=2, max_length=60)
    location: str = Field(min_length=2, max_length=60)
    goals: list[ShortText] = Field(min_length=2, max_length=3)
    frustrations: list[ShortText] = Field(min_length=2, max_length=3)
    habits: list[ShortText] = Field(min_length=2, max_length=3)
    bio: str = Field(min_length=20, max_length=400)


SYSTEM = (
    "You write realistic, specific profiles of ordinary people for market research. "
    "Reply with JSON only."
)


def prompt(request: PersonaRequest) -> str:
    slot = request.slot
    place = f" in {slot.location}" if slot.location else ""
    lines = [
        f"Audience: {request.audience}",
        f"Person: {slot.name}, {slot.age}, {slot.gender}, lives{place}; {slot.household}; "
        f"{slot.education}; income {slot.income_band}.",
        "Write this person's occupation, where they live, two or three goals, frustrations "
        "and everyday habits, and a bio of two or three sentences in the third person. "
        "Everything must fit the facts above and the audience.",
    ]
    if request.feedback:
        lines.append(
            "A previous draft was rejected. Fix these problems: " + "; ".join(request.feedback)
        )
    return "\n".join(lines)


async def generate_persona(client: ModelClient, request: PersonaRequest) -> Persona:
    """Draft a persona for the slot; the slot's facts are copied in, never rewritten."""
    draft = await client.generate(
        "generator",
        [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt(request)}],
        PersonaDraft,
        key=f"{request.slot.user_id}/{request.attempt}",
        max_tokens=400,
        temperature=0.8,
    )
    slot = request.slot
    return Persona(
        id=slot.user_id,
        name=slot.name,
        age=slot.age,
        gender=slot.gender,
        location=slot.location or draft.location.strip(),
        occupation=draft.occupation.strip(),
        income_band=slot.income_band,
        education=slot.education,
        household=slot.household,
        goals=[goal.strip() for goal in draft.goals],
        frustrations=[item.strip() for item in draft.frustrations],
        habits=[habit.strip() for habit in draft.habits],
        bio=draft.bio.strip(),
    )
