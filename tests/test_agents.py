"""Each agent against a scripted model: what code decides stays decided by code."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from typing import TypeVar

import pytest

from synthusers.agents.aggregator import idea_score, ranking, segment_differences
from synthusers.agents.generator import PersonaRequest, generate_persona
from synthusers.agents.question_writer import QuestionRequest, kinds_for, write_questions
from synthusers.agents.respondent import AnswerRequest, answer_question, shuffled_options
from synthusers.agents.reviewer import ReviewRequest, review_persona
from synthusers.agents.summarizer import SummaryRequest, summarize
from synthusers.answer import ChoiceAnswer, LikertAnswer, NpsAnswer, OpenAnswer
from synthusers.errors import OutputInvalidError
from synthusers.llm.client import ModelClient
from synthusers.llm.fake import ScriptedModel
from synthusers.question import ChoiceQuestion, LikertQuestion, NpsQuestion, OpenQuestion
from synthusers.report import IdeaReport, QuestionSummary
from synthusers.study import Idea

from .conftest import make_persona, make_slot

T = TypeVar("T")
IDEA = Idea(name="Box", description="A weekly recipe box.")
SLOT = make_slot(
    user_id="u007",
    name="Ana Reid",
    age=41,
    age_band="35-54",
    income_band="high",
    education="master's degree",
    location=None,
    seed=3,
)
PERSONA = make_persona(
    id="u007",
    name="Ana Reid",
    age=41,
    occupation="nurse",
    income_band="high",
    education="master's degree",
    goals=["a", "b"],
    frustrations=["c", "d"],
    habits=["e", "f"],
    bio="Ana is a nurse in Leeds.",
)


def run(awaitable: Awaitable[T]) -> T:
    return asyncio.run(awaitable)  # type: ignore[arg-type]


def test_generator_keeps_slot_facts_and_passes_feedback() -> None:
    draft = {
        "occupation": "nurse",
        "location": "Leeds",
        "goals": ["sleep more", "travel"],
        "frustrations": ["shifts", "parking"],
        "habits": ["yoga", "batch cooking"],
        "bio": "Ana works nights on a cardiac ward and cooks on her days off.",
    }
    model = ScriptedModel([json.dumps(draft)])
    request = PersonaRequest(audience="cooks", slot=SLOT, attempt=2, feedback=["too vague"])
    persona = run(generate_persona(ModelClient(model), request))
    assert (persona.id, persona.name, persona.age, persona.gender) == (
        "u007",
        "Ana Reid",
        41,
        "female",
    )
    assert persona.location == "Leeds" and persona.occupation == "nurse"
    prompt = model.requests[0].messages[-1]["content"]
    assert "too vague" in prompt and "Ana Reid" in prompt


def test_generator_uses_fixed_location() -> None:
    slot = SLOT.model_copy(update={"location": "Cardiff"})
    persona = run(
        generate_persona(ModelClient(ScriptedModel()), PersonaRequest(audience="x", slot=slot))
    )
    assert persona.location == "Cardiff"


def test_reviewer_rejection_must_give_a_reason() -> None:
    model = ScriptedModel(
        [
            '{"problems": [], "verdict": "reject"}',
            '{"problems": ["nurse with no shifts"], "verdict": "reject"}',
        ]
    )
    review = run(review_persona(ModelClient(model), ReviewRequest(audience="x", persona=PERSONA)))
    assert review.verdict == "reject" and review.reasons == ["nurse with no shifts"]
    assert "at least one problem" in model.requests[1].messages[-1]["content"]


def test_question_writer_follows_the_kind_plan() -> None:
    questions = run(
        write_questions(ModelClient(ScriptedModel()), QuestionRequest(idea=IDEA, count=5))
    )
    assert [question.kind for question in questions] == kinds_for(5)
    assert [question.id for question in questions] == ["q1", "q2", "q3", "q4", "q5"]
    assert kinds_for(4) == ["likert", "open", "single_choice", "nps"]


def test_question_writer_rejects_repeated_options() -> None:
    bad = {"q1_single_choice": {"text": "Which plan would you pick?", "options": ["A", "a"]}}
    good = {"q1_single_choice": {"text": "Which plan would you pick?", "options": ["A", "B"]}}
    model = ScriptedModel([json.dumps(bad), json.dumps(good)])
    client = ModelClient(model)
    from synthusers.agents import question_writer

    original = question_writer.kinds_for
    question_writer.kinds_for = lambda count: ["single_choice"]  # type: ignore[assignment]
    try:
        questions = run(write_questions(client, QuestionRequest(idea=IDEA, count=1)))
    finally:
        question_writer.kinds_for = original
    assert isinstance(questions[0], ChoiceQuestion) and questions[0].options == ["A", "B"]


@pytest.mark.parametrize(
    ("question", "reply", "kind", "value"),
    [
        (
            LikertQuestion(id="q1", text="How appealing?"),
            {"rationale": "Handy.", "rating": 4},
            LikertAnswer,
            4,
        ),
        (
            NpsQuestion(id="q2", text="Recommend?"),
            {"rationale": "Maybe.", "score": 7},
            NpsAnswer,
            7,
        ),
        (
            OpenQuestion(id="q4", text="Why not?"),
            {"answer": "Too pricey."},
            OpenAnswer,
            "Too pricey.",
        ),
    ],
)
def test_respondent_types_the_answer(question, reply, kind, value) -> None:  # type: ignore[no-untyped-def]
    model = ScriptedModel([json.dumps(reply)])
    answer = run(
        answer_question(
            ModelClient(model), AnswerRequest(persona=PERSONA, idea=IDEA, question=question)
        )
    )
    assert isinstance(answer, kind)
    assert answer.user_id == "u007" and answer.question_id == question.id
    assert value in answer.model_dump().values()


def test_respondent_rating_out_of_range_is_retried() -> None:
    model = ScriptedModel(['{"rationale": "Great", "rating": 6}'] * 3)
    question = LikertQuestion(id="q1", text="How appealing?")
    with pytest.raises(OutputInvalidError):
        run(
            answer_question(
                ModelClient(model), AnswerRequest(persona=PERSONA, idea=IDEA, question=question)
            )
        )
    assert len(model.requests) == 3


def test_respondent_choice_is_one_of_the_options_in_shuffled_order() -> None:
    question = ChoiceQuestion(
        id="q3", text="Which?", options=["Buy now", "Wait", "Never", "Ask a friend"]
    )
    model = ScriptedModel()
    answer = run(
        answer_question(
            ModelClient(model), AnswerRequest(persona=PERSONA, idea=IDEA, question=question)
        )
    )
    assert isinstance(answer, ChoiceAnswer) and answer.choice in question.options
    enum = model.requests[0].schema["properties"]["choice"]["enum"]
    assert sorted(enum) == sorted(question.options)
    assert enum == shuffled_options(question, PERSONA)
    orders = {
        tuple(shuffled_options(question, PERSONA.model_copy(update={"id": f"u{i}"})))
        for i in range(20)
    }
    assert len(orders) > 1


def _likert(user: str, rating: int) -> LikertAnswer:
    return LikertAnswer(
        user_id=user, idea="Box", question_id="q1", rationale=f"because {user}", rating=rating
    )


def test_summarizer_computes_numbers_and_copies_quotes() -> None:
    answers = [_likert("u1", 5), _likert("u2", 4), _likert("u3", 1), _likert("u4", 4)]
    reply = {"themes": ["price"], "quote_user_ids": ["u3", "u1", "u3"]}
    model = ScriptedModel([json.dumps(reply)])
    question = LikertQuestion(id="q1", text="How appealing?")
    summary = run(
        summarize(
            ModelClient(model), SummaryRequest(idea="Box", question=question, answers=answers)
        )
    )
    assert summary.answered == 4
    assert summary.distribution == {"1": 1, "2": 0, "3": 0, "4": 2, "5": 1}
    assert summary.mean == 3.5
    assert summary.stdev == pytest.approx(1.5)
    assert [(quote.user_id, quote.text) for quote in summary.quotes] == [
        ("u3", "because u3"),
        ("u1", "because u1"),
    ]


def test_summarizer_nps_and_empty() -> None:
    answers = [
        NpsAnswer(user_id=f"u{i}", idea="Box", question_id="q2", rationale="r", score=s)
        for i, s in enumerate([10, 9, 8, 3])
    ]
    summary = run(
        summarize(
            ModelClient(ScriptedModel()),
            SummaryRequest(idea="Box", question=NpsQuestion(id="q2", text="Rec?"), answers=answers),
        )
    )
    assert summary.nps == 25.0
    model = ScriptedModel()
    empty = run(
        summarize(
            ModelClient(model),
            SummaryRequest(idea="Box", question=NpsQuestion(id="q2", text="Rec?"), answers=[]),
        )
    )
    assert empty.answered == 0 and not model.requests


def _summary(kind: str, mean: float) -> QuestionSummary:
    return QuestionSummary(
        idea="Box", question_id="q", question="?", kind=kind, answered=3, mean=mean
    )  # type: ignore[arg-type]


def test_score_and_ranking() -> None:
    assert idea_score([_summary("likert", 5.0), _summary("nps", 5.0)]) == 75.0
    assert idea_score([_summary("open", 0)]) is None

    def report(name: str, score: float | None) -> IdeaReport:
        return IdeaReport(
            idea=name,
            score=score,
            verdict="v",
            strengths=[],
            concerns=[],
            segments=[],
            summaries=[],
        )

    assert ranking([report("a", 40), report("b", None), report("c", 90)]) == ["c", "a", "b"]


def test_segment_differences() -> None:
    personas = {
        f"u{i}": PERSONA.model_copy(update={"id": f"u{i}", "gender": g})
        for i, g in enumerate(["female", "female", "male", "male"])
    }
    answers = [_likert("u0", 5), _likert("u1", 5), _likert("u2", 1), _likert("u3", 2)]
    found = segment_differences(answers, personas, dict.fromkeys(personas, "35-54"))
    segments = {(d.segment, d.mean) for d in found}
    assert segments == {("gender female", 5.0), ("gender male", 1.5)}


def test_aggregator_drops_what_it_copied_from_its_worked_example() -> None:
    from synthusers.agents.aggregator import (
        EXAMPLE_COMPARISON,
        EXAMPLE_DRAFT,
        AggregateRequest,
        CompareRequest,
        aggregate_idea,
        compare_ideas,
    )

    copied = json.loads(EXAMPLE_DRAFT)
    copied["strengths"].append("Cheaper than a takeaway")
    summaries = [_summary("likert", 4.0)]
    model = ScriptedModel([json.dumps(copied), EXAMPLE_COMPARISON])
    client = ModelClient(model)
    report = run(aggregate_idea(client, AggregateRequest(idea=IDEA, summaries=summaries)))
    assert report.verdict == "Scored 75/100 on its rated questions."
    assert report.strengths == ["Cheaper than a takeaway"] and report.concerns == []
    other = report.model_copy(update={"idea": "Credits", "score": 10.0})
    comparison = run(compare_ideas(client, CompareRequest(reports=[other, report])))
    assert comparison.ranking == ["Box", "Credits"]
    assert comparison.summary == "Box scored highest; see each idea's report for why."
