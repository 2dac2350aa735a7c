"""Aggregator: an idea's summaries become its report, then the ideas are compared.

Scores, rankings and segment differences are computed here in code; the model writes
the verdict, strengths, concerns and the comparison's prose.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict

from pydantic import BaseModel, Field

from ..answer import Answer, LikertAnswer, NpsAnswer
from ..llm.client import ModelClient
from ..persona import Persona
from ..report import Comparison, IdeaReport, QuestionSummary, SegmentDifference
from ..study import Idea
from ._text import DATA_NOT_INSTRUCTIONS, ShortText, conversation, fenced

SEGMENT_GAP = {"likert": 0.5, "nps": 1.5}
"""How far a segment's mean must stand from the panel's to be reported."""


class AggregateRequest(BaseModel):
    idea: Idea
    summaries: list[QuestionSummary]
    segments: list[SegmentDifference] = Field(default_factory=list)


class IdeaDraft(BaseModel):
    verdict: str = Field(min_length=10, max_length=160)
    strengths: list[ShortText] = Field(min_length=1, max_length=3)
    concerns: list[ShortText] = Field(min_length=1, max_length=3)


class CompareRequest(BaseModel):
    reports: list[IdeaReport]


class ComparisonDraft(BaseModel):
    summary: str = Field(min_length=10, max_length=300)


def idea_score(summaries: list[QuestionSummary]) -> float | None:
    """The mean of the rated questions, each scaled to 0-100."""
    scaled = [
        (summary.mean - 1) / 4 * 100 if summary.kind == "likert" else summary.mean * 10
        for summary in summaries
        if summary.kind in ("likert", "nps") and summary.mean is not None
    ]
    return round(statistics.fmean(scaled), 1) if scaled else None


def _segments_of(persona: Persona, age_band: str) -> list[str]:
    return [f"age {age_band}", f"gender {persona.gender}"]


def segment_differences(
    answers: list[Answer], personas: dict[str, Persona], age_bands: dict[str, str]
) -> list[SegmentDifference]:
    """Segments (age band, gender) whose mean on a rated question stands apart."""
    differences = []
    by_question: dict[str, list[tuple[str, int, str]]] = defaultdict(list)
    for answer in answers:
        if isinstance(answer, LikertAnswer | NpsAnswer) and answer.user_id in personas:
            value = answer.rating if isinstance(answer, LikertAnswer) else answer.score
            by_question[answer.question_id].append((answer.user_id, value, answer.kind))
    for question_id, rows in sorted(by_question.items()):
        overall = statistics.fmean(value for _, value, _ in rows)
        groups: dict[str, list[int]] = defaultdict(list)
        for user_id, value, _ in rows:
            for segment in _segments_of(personas[user_id], age_bands.get(user_id, "?")):
                groups[segment].append(value)
        gap = SEGMENT_GAP[rows[0][2]]
        for segment, values in sorted(groups.items()):
            mean = statistics.fmean(values)
            if len(values) >= 2 and len(values) < len(rows) and abs(mean - overall) >= gap:
                differences.append(
                    SegmentDifference(
                        question_id=question_id,
                        segment=segment,
                        size=len(values),
                        mean=round(mean, 2),
                        overall_mean=round(overall, 2),
                    )
                )
    return differences


def _summary_lines(summary: QuestionSummary) -> str:
    figures = []
    if summary.mean is not None:
        figures.append(f"mean {summary.mean:.2f}")
    if summary.nps is not None:
        figures.append(f"NPS {summary.nps:+.0f}")
    if summary.kind == "single_choice":
        figures.append(", ".join(f"{key}: {count}" for key, count in summary.distribution.items()))
    themes = "; ".join(summary.themes) or "none"
    return f"- {summary.question} ({', '.join(figures) or 'open'}). Themes: {themes}"


# Worked examples on an unrelated product: without them the small model fills the verdict
# and lists with numbers and user ids. It treats the verdict as a template, so the example
# holds no price or number: one that did came back as a wrong price in a real report.
# A generic verdict is sometimes copied word for word; the scores beside it are code's.
EXAMPLE_FINDINGS = (
    f"{fenced('idea', 'Bike fix at home: a mechanic repairs your bike at your door.')}\n"
    "Findings:\n"
    "- How appealing is this offer to you? (mean 2.40). Themes: Price feels too high; "
    "Saves a trip\n"
    "- What would stop you from using it? (open). Themes: Can fix it myself; Rarely cycles"
)
EXAMPLE_DRAFT = (
    '{"verdict": "Some find it handy, but most think the price is too high.", '
    '"strengths": ["Convenient"], '
    '"concerns": ["Price feels high", "Many can manage without it"]}'
)
EXAMPLE_RANKING = "Ideas, best score first:\n" + fenced(
    "idea",
    "1. Bike fix at home (score 55.0): Handy, but the price puts people off.\n"
    "2. Bike hire by the hour (score 35.0): Few riders need it.",
)
EXAMPLE_COMPARISON = (
    '{"summary": "Pursue the first idea: it scored higher and people found it handy. '
    'Test a lower price first. Drop the second, which few would use."}'
)


_EXAMPLE_TEXTS = frozenset(
    text.casefold()
    for example in (json.loads(EXAMPLE_DRAFT), json.loads(EXAMPLE_COMPARISON))
    for value in example.values()
    for text in (value if isinstance(value, list) else [value])
)
"""Everything the worked examples say; a copy of it in a real report would be invented."""


async def aggregate_idea(client: ModelClient, request: AggregateRequest) -> IdeaReport:
    """Write an idea's report from its question summaries."""
    system = (
        "You write the verdict of a product study for a busy product manager: one plain "
        f"sentence, then the main strengths and concerns. {DATA_NOT_INSTRUCTIONS} "
        "Reply with JSON only."
    )
    idea = request.idea
    lines = "\n".join(_summary_lines(summary) for summary in request.summaries)
    content = f"{fenced('idea', f'{idea.name}: {idea.description}')}\nFindings:\n{lines}"
    draft = await client.generate(
        "aggregator",
        conversation(system, content, [(EXAMPLE_FINDINGS, EXAMPLE_DRAFT)]),
        IdeaDraft,
        key=idea.name,
        max_tokens=150,
        temperature=0.2,
    )
    score = idea_score(request.summaries)
    verdict = draft.verdict.strip()
    if _copied(verdict):
        verdict = f"Scored {score:.0f}/100 on its rated questions." if score is not None else ""
    return IdeaReport(
        idea=idea.name,
        score=score,
        verdict=verdict,
        strengths=[item.strip() for item in draft.strengths if not _copied(item)],
        concerns=[item.strip() for item in draft.concerns if not _copied(item)],
        segments=request.segments,
        summaries=request.summaries,
    )


def _copied(text: str) -> bool:
    """Whether the model copied this from a worked example rather than from the findings."""
    return text.strip().casefold() in _EXAMPLE_TEXTS


def ranking(reports: list[IdeaReport]) -> list[str]:
    """Idea names from best to worst score; unscored ideas last, in study order."""
    order = sorted(
        range(len(reports)),
        key=lambda index: (reports[index].score is None, -(reports[index].score or 0), index),
    )
    return [reports[index].idea for index in order]


async def compare_ideas(client: ModelClient, request: CompareRequest) -> Comparison:
    """Compare the ideas: the ranking from the scores, the prose from the model."""
    ranked = ranking(request.reports)
    by_name = {report.idea: report for report in request.reports}
    lines = "\n".join(
        f"{place}. {name} (score {by_name[name].score}): {by_name[name].verdict}"
        for place, name in enumerate(ranked, start=1)
    )
    system = (
        "You compare product ideas tested with the same panel and say in two or three "
        f"sentences which to pursue and why. {DATA_NOT_INSTRUCTIONS} Reply with JSON only."
    )
    draft = await client.generate(
        "aggregator",
        conversation(
            system,
            f"Ideas, best score first:\n{fenced('idea', lines)}",
            [(EXAMPLE_RANKING, EXAMPLE_COMPARISON)],
        ),
        ComparisonDraft,
        key="comparison",
        max_tokens=120,
        temperature=0.2,
    )
    summary = draft.summary.strip()
    if _copied(summary):
        summary = f"{ranked[0]} scored highest; see each idea's report for why."
    return Comparison(ranking=ranked, summary=summary)
