"""UserGenerator: writes a persona's story around the facts its slot fixes."""

from __future__ import annotations

from pydantic import BaseModel, Field

from ..llm.base import Message
from ..llm.client import ModelClient
from ..persona import Persona, Slot
from ._text import ShortText, conversation


class PersonaRequest(BaseModel):
    """Generate the user who fills this slot; feedback lists a previous attempt's problems."""

    audience: str
    slot: Slot
    attempt: int = 1
    feedback: list[str] = Field(default_factory=list)


class PersonaDraft(BaseModel):
    """What the model writes; everything else about the persona is decided in code."""

    occupation: str = Field(min_length=2, max_length=40)
    location: str = Field(min_length=2, max_length=40)
    goals: list[ShortText] = Field(min_length=2, max_length=2)
    frustrations: list[ShortText] = Field(min_length=2, max_length=2)
    habits: list[ShortText] = Field(min_length=2, max_length=2)
    bio: str = Field(min_length=20, max_length=240)


SYSTEM = (
    "You fill in short profile forms about ordinary people for market research. "
    "Each list item is a few plain words about the person's own life. The bio is two "
    "short sentences about their day-to-day life. Reply with JSON only."
)

# One worked form, as an earlier turn of the chat, for someone unlike the real person: the
# small model copies its style, not the facts line. Shown in the user message instead, it
# was copied word for word. Picked by seed among a few, matching the person's pronouns, so
# no job or hobby floods the panel and a woman's bio does not come back as "he".
EXAMPLES = {
    "male": (
        (
            "Dan Hill, 45, male, lives in Derby; lives with a partner; secondary school; "
            "income average.",
            '{"occupation": "Bus driver", "location": "Derby", "goals": ["Pay off the car '
            'loan", "Eat more vegetables"], "frustrations": ["Long shifts", "Noisy '
            'neighbours"], "habits": ["Walks the dog at night", "Watches football on '
            'Saturdays"], "bio": "Dan drives buses around Derby and gets home late. He '
            'wants to save money and eat better."}',
        ),
        (
            "Owen Price, 38, male, lives in Swansea; single parent with children; "
            "vocational qualification; income average.",
            '{"occupation": "Plumber", "location": "Swansea", "goals": ["Grow his own '
            'business", "Spend more time with his son"], "frustrations": ["Late-paying '
            'customers", "Van repairs"], "habits": ["Starts work at 7am", "Plays darts on '
            'Thursdays"], "bio": "Owen runs a small plumbing business in Swansea. He works '
            'long days and keeps his weekends for his son."}',
        ),
    ),
    "female": (
        (
            "Priya Shah, 31, female, lives in York; lives alone; bachelor's degree; income low.",
            '{"occupation": "Pharmacy assistant", "location": "York", "goals": ["Run a 10k '
            'race", "Visit her sister in Spain"], "frustrations": ["Rising rent", "Slow '
            'trains"], "habits": ["Reads on the bus", "Calls her mum on Sundays"], "bio": '
            '"Priya works at a busy pharmacy in York. She saves a little each month to '
            'visit her sister."}',
        ),
        (
            "Claire Dunn, 50, female, lives in Exeter; lives with a partner; "
            "bachelor's degree; income high.",
            '{"occupation": "Office manager", "location": "Exeter", "goals": ["Learn '
            'Spanish", "Move somewhere with a garden"], "frustrations": ["Endless emails", '
            '"Parking in town"], "habits": ["Swims before work", "Does a big shop on '
            'Fridays"], "bio": "Claire runs the office of a small law firm in Exeter. She '
            'likes routine and plans her week on Sunday evenings."}',
        ),
    ),
}


def _form(audience: str, person: str) -> str:
    return f"Audience: {audience}\nPerson: {person}\nFill in the form for this person."


def prompt(request: PersonaRequest) -> str:
    slot = request.slot
    place = f" in {slot.location}" if slot.location else ""
    person = (
        f"{slot.name}, {slot.age}, {slot.gender}, lives{place}; {slot.household}; "
        f"{slot.education}; income {slot.income_band}."
    )
    text = _form(request.audience, person)
    if request.feedback:
        text += "\nA previous draft was rejected. Fix these problems: " + "; ".join(
            request.feedback
        )
    return text


def _messages(request: PersonaRequest) -> list[Message]:
    """The system prompt, the worked example as an earlier exchange, then the request."""
    slot = request.slot
    examples = EXAMPLES.get(slot.gender.casefold()) or (*EXAMPLES["female"], *EXAMPLES["male"])
    # Each new attempt shows another example: a rejected draft is most often a copy of it.
    person, reply = examples[(slot.seed + request.attempt - 1) % len(examples)]
    return conversation(SYSTEM, prompt(request), [(_form(request.audience, person), reply)])


async def generate_persona(client: ModelClient, request: PersonaRequest) -> Persona:
    """Draft a persona for the slot; the slot's facts are copied in, never rewritten."""
    draft = await client.generate(
        "generator",
        _messages(request),
        PersonaDraft,
        key=f"{request.slot.user_id}/{request.attempt}",
        max_tokens=300,
        temperature=0.5,
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
