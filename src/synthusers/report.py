"""What a study produces: per-question summaries, per-idea reports and the whole report."""

from __future__ import annotations

from pydantic import BaseModel, Field

from .question import QuestionKind


class Quote(BaseModel):
    """A user's words, copied by code from their answer, never written by the model."""

    user_id: str
    text: str


class QuestionSummary(BaseModel):
    """One question's answers: numbers computed in code, themes and quote picks by the model."""

    idea: str
    question_id: str
    question: str
    kind: QuestionKind
    answered: int
    """How many users answered."""
    distribution: dict[str, int] = Field(default_factory=dict)
    """Count per rating, score or option; empty for open questions."""
    mean: float | None = None
    stdev: float | None = None
    nps: float | None = None
    """Share of promoters (9-10) minus share of detractors (0-6), times 100."""
    themes: list[str] = Field(default_factory=list)
    quotes: list[Quote] = Field(default_factory=list)
    themes_failed: bool = False
    """The model's themes and quotes could not be had; the numbers above still stand."""


class SegmentDifference(BaseModel):
    """A segment whose mean on a rated question stands apart from the whole panel's."""

    question_id: str
    segment: str
    """For example "age 18-34" or "gender female"."""
    size: int
    mean: float
    overall_mean: float


class IdeaReport(BaseModel):
    """What the panel made of one idea."""

    idea: str
    score: float | None
    """Mean of the rated questions, scaled to 0-100 in code; None if nothing was rated."""
    verdict: str
    strengths: list[str]
    concerns: list[str]
    segments: list[SegmentDifference]
    summaries: list[QuestionSummary]


class Comparison(BaseModel):
    """How the ideas compare; the ranking is by score, computed in code."""

    ranking: list[str]
    summary: str


class TaskFailure(BaseModel):
    """A task that failed, recorded instead of stopping the run."""

    stage: str
    agent: str
    key: str
    """Which unit of work: a user id, "idea/question/user" and so on."""
    error: str


class PanelReport(BaseModel):
    requested: int
    accepted: int
    kept_after_rejection: int
    dropped: int
    attempts: int
    """Personas generated, over all users and attempts."""
    quota_cells: dict[str, int]
    """How many panel members fell in each age band and gender."""
    warnings: list[str]


class AgentUsage(BaseModel):
    calls: int = 0
    """Requests answered by the model in this run."""
    cached: int = 0
    """Replies read back from the call store instead of asking again."""
    failed_calls: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    cost_usd: float | None = None
    """Estimated from the price table; None when the model's price is unknown."""


class RunStats(BaseModel):
    """What the run cost and how it used the machine."""

    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    max_in_flight: int
    """The most model calls that were in flight at once."""
    mean_in_flight: float = 0.0
    """Model calls in flight on average over the run: the concurrency achieved."""
    concurrency: int
    tasks: int
    failed_tasks: int
    agents: dict[str, AgentUsage]
    models: dict[str, AgentUsage] = Field(default_factory=dict)
    """The same usage per model."""
    cost_usd: float | None = None
    samples: int = 0
    """Resource samples taken into the trace."""


class StudyReport(BaseModel):
    """The whole outcome of a study run."""

    study: str
    model: str
    seed: int
    panel: PanelReport
    ideas: list[IdeaReport]
    comparison: Comparison | None
    failures: list[TaskFailure]
    stats: RunStats
