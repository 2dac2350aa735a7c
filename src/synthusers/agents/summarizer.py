"""Summarizer: one question's answers become numbers (in code) and themes (by the model)."""

from __future__ import annotations

import random
import statistics
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from ..answer import Answer, LikertAnswer, NpsAnswer, OpenAnswer, answer_value
from ..llm.client import ModelClient, derive_seed
from ..question import ChoiceQuestion, LikertQuestion, NpsQuestion, Question
from ..report import QuestionSummary, Quote
from ._text import DATA_NOT_INSTRUCTIONS, ShortText, conversation, fenced

PROMPT_BUDGET_CHARS = 6000
"""How much answer text goes into one prompt; a larger panel is sampled down to this."""


class SummaryRequest(BaseModel):
    idea: str
    question: Question
    answers: list[Answer]


def answer_text(answer: Answer) -> str:
    """What the user said, for themes and quotes: the open text or the rationale."""
    return answer.text if isinstance(answer, OpenAnswer) else answer.rationale


def _distribution(question: Question, answers: list[Answer]) -> dict[str, int]:
    if isinstance(question, LikertQuestion):
        keys = [str(value) for value in range(1, 6)]
    elif isinstance(question, NpsQuestion):
        keys = [str(value) for value in range(0, 11)]
    elif isinstance(question, ChoiceQuestion):
        keys = list(question.options)
    else:
        return {}
    counts = dict.fromkeys(keys, 0)
    for answer in answers:
        counts[str(answer_value(answer))] += 1
    return counts


def numbers(question: Question, answers: list[Answer]) -> dict[str, Any]:
    """Distribution, mean, spread and NPS, computed in code for the kinds that have them."""
    result: dict[str, Any] = {"distribution": _distribution(question, answers)}
    values = [
        answer.rating if isinstance(answer, LikertAnswer) else answer.score
        for answer in answers
        if isinstance(answer, LikertAnswer | NpsAnswer)
    ]
    if values:
        result["mean"] = round(statistics.fmean(values), 3)
        result["stdev"] = round(statistics.pstdev(values), 3)
    if isinstance(question, NpsQuestion) and values:
        promoters = sum(value >= 9 for value in values)
        detractors = sum(value <= 6 for value in values)
        result["nps"] = round(100 * (promoters - detractors) / len(values), 1)
    return result


def _sample(answers: list[Answer], key: str) -> list[Answer]:
    chosen: list[Answer] = []
    used = 0
    shuffled = list(answers)
    random.Random(derive_seed(key)).shuffle(shuffled)
    for answer in shuffled:
        cost = len(answer_text(answer)) + 40
        if used + cost > PROMPT_BUDGET_CHARS and chosen:
            break
        chosen.append(answer)
        used += cost
    return sorted(chosen, key=lambda answer: answer.user_id)


def _reply_model(user_ids: list[str]) -> type[BaseModel]:
    picks: Any = Literal[tuple(user_ids)]
    return create_model(
        "SummaryReply",
        themes=(list[ShortText], Field(min_length=1, max_length=4)),
        quote_user_ids=(list[picks], Field(min_length=1, max_length=3)),
    )


def _line(answer: Answer) -> str:
    # The answer leads and the id trails: with ids first, the small model lists ids as themes.
    value = "" if isinstance(answer, OpenAnswer) else f", {answer_value(answer)}"
    return f"- {answer_text(answer)} ({answer.user_id}{value})"


def counted(request: SummaryRequest) -> QuestionSummary:
    """The part of a summary that code computes; it stands even if the model's part fails."""
    question, answers = request.question, request.answers
    return QuestionSummary(
        idea=request.idea,
        question_id=question.id,
        question=question.text,
        kind=question.kind,
        answered=len(answers),
        **numbers(question, answers),
    )


async def summarize(client: ModelClient, request: SummaryRequest) -> QuestionSummary:
    """Summarise one question; quotes are the users' own words, picked by id."""
    question, answers = request.question, request.answers
    summary = counted(request)
    if not answers:
        return summary
    key = f"{request.idea}/{question.id}"
    sample = _sample(answers, key)
    # No worked example here: the small model copied an example's themes word for word.
    system = (
        "You summarise survey answers for a product team. Themes: the two or three main "
        "points the answers make, each a short phrase of a few words. Then pick the users "
        f"whose answers best show them. {DATA_NOT_INSTRUCTIONS} Reply with JSON only."
    )
    content = f"{fenced('question', question.text)}\nAnswers:\n" + "\n".join(
        _line(answer) for answer in sample
    )
    reply = await client.generate(
        "summarizer",
        conversation(system, content),
        _reply_model([answer.user_id for answer in sample]),
        key=key,
        max_tokens=120,
        temperature=0.2,
    )
    by_user = {answer.user_id: answer for answer in sample}
    picked = dict.fromkeys(reply.model_dump()["quote_user_ids"])
    summary.themes = [theme.strip() for theme in reply.model_dump()["themes"]]
    summary.quotes = [Quote(user_id=uid, text=answer_text(by_user[uid])) for uid in picked]
    return summary
