"""The JSON schemas of the study file and of every agent's input and output."""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter

from .agents.aggregator import AggregateRequest, CompareRequest
from .agents.generator import PersonaRequest
from .agents.question_writer import QuestionRequest
from .agents.respondent import AnswerRequest
from .agents.reviewer import ReviewRequest
from .agents.summarizer import SummaryRequest
from .agents.validator import ValidationRequest
from .answer import Answer
from .persona import PanelMember, Persona, Review, ValidationReport
from .question import Question
from .report import Comparison, IdeaReport, QuestionSummary, StudyReport
from .study import Study

SCHEMAS: dict[str, Any] = {
    "study": Study,
    "persona-request": PersonaRequest,
    "persona": Persona,
    "validation-request": ValidationRequest,
    "validation": ValidationReport,
    "review-request": ReviewRequest,
    "review": Review,
    "panel-member": PanelMember,
    "question-request": QuestionRequest,
    "question": Question,
    "answer-request": AnswerRequest,
    "answer": Answer,
    "summary-request": SummaryRequest,
    "question-summary": QuestionSummary,
    "aggregate-request": AggregateRequest,
    "idea-report": IdeaReport,
    "compare-request": CompareRequest,
    "comparison": Comparison,
    "study-report": StudyReport,
}


def json_schema(name: str) -> dict[str, Any]:
    """The JSON schema of one named type."""
    schema: dict[str, Any] = TypeAdapter(SCHEMAS[name]).json_schema()
    return schema
