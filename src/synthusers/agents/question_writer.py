"""QuestionWriter: drafts the questions a panel is asked about one idea.

Code decides how many questions there are and of which kinds; the model writes their
wording and, for a choice, the options.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, create_model, field_validator

from ..llm.client import ModelClient
from ..question import (
    ChoiceQuestion,
    LikertQuestion,
    NpsQuestion,
    OpenQuestion,
    Question,
    QuestionKind,
)
from ..study import Idea
from ._text import DATA_NOT_INSTRUCTIONS, conversation, fenced

KIND_PLAN: tuple[QuestionKind, ...] = ("likert", "open", "single_choice", "nps")


class QuestionRequest(BaseModel):
    idea: Idea
    count: int = Field(ge=1, le=20)


class TextDraft(BaseModel):
    text: str = Field(min_length=10, max_length=120)


class ChoiceDraft(BaseModel):
    text: str = Field(min_length=10, max_length=120)
    options: list[str] = Field(min_length=2, max_length=4)

    @field_validator("options")
    @classmethod
    def _distinct(cls, options: list[str]) -> list[str]:
        cleaned = [option.strip() for option in options]
        if any(len(option) < 1 for option in cleaned):
            raise ValueError("options must not be empty")
        if len({option.casefold() for option in cleaned}) != len(cleaned):
            raise ValueError("options must be distinct")
        return cleaned


def kinds_for(count: int) -> list[QuestionKind]:
    """The kinds of the first `count` questions: one of each, then rated and open ones."""
    return [KIND_PLAN[index] if index < 4 else KIND_PLAN[index % 3] for index in range(count)]


def _draft_model(kinds: list[QuestionKind]) -> type[BaseModel]:
    fields: dict[str, Any] = {
        f"q{index}_{kind}": (ChoiceDraft if kind == "single_choice" else TextDraft, ...)
        for index, kind in enumerate(kinds, start=1)
    }
    return create_model("QuestionDrafts", **fields)


_GUIDES: dict[QuestionKind, str] = {
    "likert": "a rating question answered from 1 (not at all) to 5 (extremely)",
    "open": "an open question asking for their own words",
    "single_choice": "a question with two to four different answer options; pick exactly one",
    "nps": "how likely they are to recommend it, from 0 to 10",
}


def _question(kind: QuestionKind, draft: BaseModel, index: int) -> Question:
    text = str(getattr(draft, "text", "")).strip()
    if kind == "single_choice" and isinstance(draft, ChoiceDraft):
        return ChoiceQuestion(id=f"q{index}", text=text, options=draft.options)
    if kind == "likert":
        return LikertQuestion(id=f"q{index}", text=text)
    if kind == "nps":
        return NpsQuestion(id=f"q{index}", text=text)
    return OpenQuestion(id=f"q{index}", text=text)


# A worked example on an unrelated product: without it the small model copies the idea's
# description or the kind's guide as the question. Its wording is generic on purpose, as
# the model often reuses it ("book" came back in questions about note-taking apps).
EXAMPLE_REQUEST = (
    f"{fenced('idea', 'Bike fix at home: a mechanic repairs your bike at your door, £20.')}\n"
    "Write these questions about the idea:\n"
    + "\n".join(f"q{index}_{kind}: {_GUIDES[kind]}" for index, kind in enumerate(KIND_PLAN, 1))
)
EXAMPLE_QUESTIONS = (
    '{"q1_likert": {"text": "How useful would a mechanic at your door be to you?"}, '
    '"q2_open": {"text": "What would make you try it?"}, '
    '"q3_single_choice": {"text": "How often would you use it?", '
    '"options": ["Every month", "A few times a year", "Never"]}, '
    '"q4_nps": {"text": "How likely are you to recommend it to a friend?"}}'
)


async def write_questions(client: ModelClient, request: QuestionRequest) -> list[Question]:
    """Draft `count` questions about the idea, each of the kind the plan gives it."""
    kinds = kinds_for(request.count)
    wanted = "\n".join(
        f"q{index}_{kind}: {_GUIDES[kind]}" for index, kind in enumerate(kinds, start=1)
    )
    system = (
        "You write clear, neutral survey questions for product research. "
        f"{DATA_NOT_INSTRUCTIONS} Reply with JSON only."
    )
    idea = fenced("idea", f"{request.idea.name}: {request.idea.description}")
    content = f"{idea}\nWrite these questions about the idea:\n{wanted}"
    drafts = await client.generate(
        "question_writer",
        conversation(system, content, [(EXAMPLE_REQUEST, EXAMPLE_QUESTIONS)]),
        _draft_model(kinds),
        key=request.idea.name,
        max_tokens=70 * len(kinds),
        temperature=0.3,
    )
    return [
        _question(kind, getattr(drafts, f"q{index}_{kind}"), index)
        for index, kind in enumerate(kinds, start=1)
    ]
