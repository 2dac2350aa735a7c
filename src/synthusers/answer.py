"""A user's answer to one question, typed by the question's kind."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field


class _AnswerBase(BaseModel):
    user_id: str
    idea: str
    question_id: str
    rationale: str
    """Why, in the persona's own voice."""


class OpenAnswer(_AnswerBase):
    kind: Literal["open"] = "open"
    text: str


class LikertAnswer(_AnswerBase):
    kind: Literal["likert"] = "likert"
    rating: int = Field(ge=1, le=5)


class ChoiceAnswer(_AnswerBase):
    kind: Literal["single_choice"] = "single_choice"
    choice: str


class NpsAnswer(_AnswerBase):
    kind: Literal["nps"] = "nps"
    score: int = Field(ge=0, le=10)


Answer = Annotated[
    OpenAnswer | LikertAnswer | ChoiceAnswer | NpsAnswer, Field(discriminator="kind")
]


def answer_value(answer: Answer) -> int | str:
    """The answer's value, whatever its kind: a rating, score, choice or text."""
    if isinstance(answer, LikertAnswer):
        return answer.rating
    if isinstance(answer, NpsAnswer):
        return answer.score
    if isinstance(answer, ChoiceAnswer):
        return answer.choice
    return answer.text
