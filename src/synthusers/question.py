"""The kinds of question a panel can be asked, one class per kind."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

STUDY_CONFIG = ConfigDict(
    extra="forbid", strict=True, allow_inf_nan=False, str_strip_whitespace=True
)
"""What a study file's models accept: known keys, exact types, finite numbers, and text
without stray whitespace (so that "Idea " and "Idea" are the same name)."""


class _QuestionBase(BaseModel):
    model_config = STUDY_CONFIG

    id: str = ""
    """Stable id within an idea ("q1", "q2", ...); assigned by code when left empty."""

    text: str = Field(min_length=3, max_length=500)
    """The question as the respondent reads it."""


class OpenQuestion(_QuestionBase):
    """A free-text question."""

    kind: Literal["open"] = "open"


class LikertQuestion(_QuestionBase):
    """A rating from 1 to 5."""

    kind: Literal["likert"] = "likert"
    low_label: str = Field(default="Not at all", min_length=1, max_length=60)
    """What 1 means."""
    high_label: str = Field(default="Extremely", min_length=1, max_length=60)
    """What 5 means."""


class ChoiceQuestion(_QuestionBase):
    """Pick exactly one of the options."""

    kind: Literal["single_choice"] = "single_choice"
    options: list[Annotated[str, Field(max_length=200)]] = Field(min_length=2, max_length=8)
    """The options, shown to each respondent in a shuffled order to avoid position bias."""

    @field_validator("options")
    @classmethod
    def _distinct_options(cls, options: list[str]) -> list[str]:
        cleaned = [option.strip() for option in options]
        if any(not option for option in cleaned):
            raise ValueError("options must not be empty")
        if len({option.casefold() for option in cleaned}) != len(cleaned):
            raise ValueError("options must be distinct")
        return cleaned


class NpsQuestion(_QuestionBase):
    """How likely to recommend, from 0 to 10 (Net Promoter Score)."""

    kind: Literal["nps"] = "nps"


Question = Annotated[
    OpenQuestion | LikertQuestion | ChoiceQuestion | NpsQuestion, Field(discriminator="kind")
]
QuestionKind = Literal["open", "likert", "single_choice", "nps"]
QUESTION_KINDS: tuple[QuestionKind, ...] = ("open", "likert", "single_choice", "nps")


def with_ids(questions: list[Question]) -> list[Question]:
    """Give each question without an id the id of its position ("q1", "q2", ...).

    An id the study gives is never reused for another question: a position whose id is
    taken gets the next free one.
    """
    taken = {question.id for question in questions if question.id}
    result: list[Question] = []
    for index, question in enumerate(questions, start=1):
        if not question.id:
            number = index
            while f"q{number}" in taken:
                number += 1
            taken.add(f"q{number}")
            question = question.model_copy(update={"id": f"q{number}"})
        result.append(question)
    return result
