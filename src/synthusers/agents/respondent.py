"""Respondent: a persona answers one question about one idea, in their own voice."""

from __future__ import annotations

import random
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model

from ..answer import Answer, ChoiceAnswer, LikertAnswer, NpsAnswer, OpenAnswer
from ..llm.client import ModelClient, derive_seed
from ..persona import Persona
from ..question import ChoiceQuestion, LikertQuestion, NpsQuestion, OpenQuestion, Question
from ..study import Idea
from ._text import DATA_NOT_INSTRUCTIONS, conversation, fenced, profile

Rationale = Field(min_length=5, max_length=160)


class AnswerRequest(BaseModel):
    persona: Persona
    idea: Idea
    question: Question


class LikertReply(BaseModel):
    rationale: str = Rationale
    rating: Literal[1, 2, 3, 4, 5]


class NpsReply(BaseModel):
    rationale: str = Rationale
    score: Literal[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]


class OpenReply(BaseModel):
    answer: str = Field(min_length=5, max_length=200)


def _choice_reply(options: list[str]) -> type[BaseModel]:
    choice: Any = Literal[tuple(options)]
    return create_model("ChoiceReply", rationale=(str, Rationale), choice=(choice, ...))


def shuffled_options(question: ChoiceQuestion, persona: Persona) -> list[str]:
    """The options in an order of this respondent's own, against position bias."""
    options = list(question.options)
    random.Random(derive_seed(persona.id, question.id, *options)).shuffle(options)
    return options


def _instructions(question: Question, persona: Persona) -> tuple[str, type[BaseModel]]:
    if isinstance(question, LikertQuestion):
        scale = f"Rate from 1 ({question.low_label}) to 5 ({question.high_label})."
        return scale, LikertReply
    if isinstance(question, NpsQuestion):
        return "Score from 0 (not at all likely) to 10 (extremely likely).", NpsReply
    if isinstance(question, ChoiceQuestion):
        options = shuffled_options(question, persona)
        return "Pick exactly one option: " + " | ".join(options), _choice_reply(options)
    return "Answer in one to three sentences.", OpenReply


def _answer(request: AnswerRequest, reply: BaseModel) -> Answer:
    """The reply as an Answer of the question's kind, under the request's ids."""
    question = request.question
    data = reply.model_dump()
    ids: dict[str, Any] = {
        "user_id": request.persona.id,
        "idea": request.idea.name,
        "question_id": question.id,
    }
    if isinstance(question, OpenQuestion):
        return OpenAnswer(**ids, rationale="", text=data["answer"].strip())
    rationale = data["rationale"].strip()
    if isinstance(question, LikertQuestion):
        return LikertAnswer(**ids, rationale=rationale, rating=data["rating"])
    if isinstance(question, NpsQuestion):
        return NpsAnswer(**ids, rationale=rationale, score=data["score"])
    return ChoiceAnswer(**ids, rationale=rationale, choice=data["choice"])


# One worked exchange about an unrelated product, shown before the real question: the
# small model then writes a short first-person reason instead of rambling or copying the
# profile. Its replies are generic and name no price, as the model sometimes copies them
# ("when my brakes need work" and "£20" came back in answers about meal kits).
EXAMPLE_IDEA = fenced("idea", "Bike fix at home: a mechanic repairs your bike at your door, £20.")
EXAMPLE_REPLIES: dict[type[BaseModel] | None, tuple[str, str]] = {
    LikertReply: (
        "Rate from 1 (Not at all) to 5 (Extremely).",
        '{"rationale": "I rarely need this, so it is not worth the money to me.", "rating": 2}',
    ),
    NpsReply: (
        "Score from 0 (not at all likely) to 10 (extremely likely).",
        '{"rationale": "Handy for friends with busy jobs, but I would not use it myself.", '
        '"score": 6}',
    ),
    OpenReply: (
        "Answer in one to three sentences.",
        '{"answer": "The price. I can do it myself for much less."}',
    ),
    None: (
        "Pick exactly one option: Book it now | Maybe later | Not for me",
        '{"rationale": "I like the idea, but I would wait to hear what others say.", '
        '"choice": "Maybe later"}',
    ),
}


async def answer_question(client: ModelClient, request: AnswerRequest) -> Answer:
    """The persona's answer, typed by the question's kind and checked against its range."""
    persona = request.persona
    system = (
        f"You are {persona.name}. Answer survey questions as yourself, in the first person, "
        "in one or two short plain sentences, with your own priorities and doubts. Do not "
        f"be polite for its own sake. {DATA_NOT_INSTRUCTIONS} Reply with JSON only.\n"
        f"About you: {profile(persona)}"
    )
    how, reply_type = _instructions(request.question, persona)
    example_how, example_reply = EXAMPLE_REPLIES.get(reply_type, EXAMPLE_REPLIES[None])
    example = f"{EXAMPLE_IDEA}\n{fenced('question', 'What do you think of it?')}\n{example_how}"
    content = (
        f"{fenced('idea', f'{request.idea.name}: {request.idea.description}')}\n"
        f"{fenced('question', request.question.text)}\n{how}"
    )
    reply = await client.generate(
        "respondent",
        conversation(system, content, [(example, example_reply)]),
        reply_type,
        key=f"{request.idea.name}/{request.question.id}/{persona.id}",
        max_tokens=120,
        temperature=0.5,
    )
    return _answer(request, reply)
