"""The study's task graph: what runs when, and what happens when a task fails.

Every unit of work is its own asyncio task, started as soon as what it depends on is
ready: users form while questions are written, a user starts answering the moment they
are accepted, a question is summarised once its answers are in, an idea is aggregated
once its summaries are. The only bound is the ModelClient's, taken per model call, so
tasks that wait on other tasks hold nothing and cannot deadlock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .agents.aggregator import (
    AggregateRequest,
    CompareRequest,
    aggregate_idea,
    compare_ideas,
    segment_differences,
)
from .agents.generator import PersonaRequest, generate_persona
from .agents.question_writer import QuestionRequest, write_questions
from .agents.respondent import AnswerRequest, answer_question
from .agents.reviewer import ReviewRequest, review_persona
from .agents.summarizer import SummaryRequest, counted, summarize
from .agents.validator import ValidationRequest, validate_persona
from .answer import Answer
from .errors import RunStopped
from .llm.client import ModelClient
from .monitor import ResourceMonitor
from .panel import plan_slots
from .persona import PanelMember, PersonaAttempt, Slot
from .progress import Progress, SilentProgress
from .question import Question
from .report import Comparison, IdeaReport, QuestionSummary, TaskFailure
from .study import Idea, Study

T = TypeVar("T")
log = logging.getLogger("synthusers.pipeline")


@dataclass
class RunState:
    """Everything the run has produced so far; what the outputs are written from."""

    members: dict[str, PanelMember] = field(default_factory=dict)
    questions: dict[str, list[Question]] = field(default_factory=dict)
    answers: list[Answer] = field(default_factory=list)
    summaries: list[QuestionSummary] = field(default_factory=list)
    reports: dict[str, IdeaReport] = field(default_factory=dict)
    comparison: Comparison | None = None
    failures: list[TaskFailure] = field(default_factory=list)
    tasks: int = 0
    stage_tasks: dict[str, int] = field(default_factory=dict)
    """Tasks per stage (users, questions, answers, summaries, reports)."""

    def count_task(self, stage: str) -> None:
        self.tasks += 1
        self.stage_tasks[stage] = self.stage_tasks.get(stage, 0) + 1


def _first_leaf(group: BaseExceptionGroup[Exception]) -> Exception:
    """The first real exception inside nested task-group errors."""
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first


class Pipeline:
    """Runs one study against one ModelClient, recording every failure in the state."""

    def __init__(self, study: Study, client: ModelClient, progress: Progress | None = None):
        self.study = study
        self.client = client
        self.tracer = client.tracer
        self.progress = progress or SilentProgress()
        self.state = RunState()
        self._users: dict[str, asyncio.Future[PanelMember]] = {}

    async def run(self, monitor: ResourceMonitor | None = None) -> RunState:
        """Run every stage; only a model that cannot be used at all stops the run early.

        A resource monitor, if given, samples inside the run's span while it goes.
        """
        slots = plan_slots(self.study.panel, self.study.seed)
        loop = asyncio.get_running_loop()
        self._users = {slot.user_id: loop.create_future() for slot in slots}
        self.progress.add_total("users", len(slots))
        with self.tracer.span("run", "run", input=self.study):
            sampler = asyncio.create_task(monitor.run()) if monitor else None
            try:
                async with asyncio.TaskGroup() as group:
                    group.create_task(self._panel(slots))
                    for idea in self.study.ideas:
                        group.create_task(self._idea(idea))
            except* RunStopped as errors:
                raise _first_leaf(errors) from None
            else:
                await self._compare()
            finally:
                if sampler is not None and monitor is not None:
                    sampler.cancel()
                    monitor.sample()
        return self.state

    async def _task(
        self,
        stage: str,
        agent: str,
        key: str,
        call: Callable[[], Awaitable[T]],
        request: Any = None,
    ) -> T | None:
        """Run one agent call as a traced, counted task; a failure is recorded, not raised.

        Returns None for a failed task, so that whoever waits on it carries on without it.
        """
        self.state.count_task(stage)
        self.progress.started(stage)
        with self.tracer.span(agent, "agent", agent=agent, key=key, input=request) as span:
            try:
                result = await call()
            except RunStopped:
                self.progress.finished(stage, ok=False)
                raise
            except Exception as error:
                message = f"{type(error).__name__}: {error}"
                span.fail(message)
                self.state.failures.append(
                    TaskFailure(stage=stage, agent=agent, key=key, error=message)
                )
                self.progress.finished(stage, ok=False)
                log.warning("%s %s failed: %s", agent, key, message)
                return None
            span.output = result
        self.progress.finished(stage, ok=True)
        return result

    async def _panel(self, slots: list[Slot]) -> None:
        with self.tracer.span("panel", "panel", input=self.study.panel):
            async with asyncio.TaskGroup() as group:
                for slot in slots:
                    group.create_task(self._user(slot))

    async def _user(self, slot: Slot) -> None:
        with self.tracer.span(f"user {slot.user_id}", "user", key=slot.user_id, input=slot):
            member = await self._form_user(slot)
        self.state.members[slot.user_id] = member
        self._users[slot.user_id].set_result(member)

    async def _form_user(self, slot: Slot) -> PanelMember:
        """Generate, validate and review until accepted or out of attempts."""
        audience = self.study.panel.audience
        attempts: list[PersonaAttempt] = []
        feedback: list[str] = []
        self.state.count_task("users")
        self.progress.started("users")
        for number in range(1, self.study.panel.max_attempts + 1):
            attempt = await self._attempt(audience, slot, number, feedback)
            attempts.append(attempt)
            if attempt.review and attempt.review.verdict == "accept":
                self.progress.finished("users", ok=True)
                return PanelMember(
                    slot=slot,
                    status="accepted",
                    persona=attempt.persona,
                    review=attempt.review,
                    attempts=attempts,
                )
            feedback = self._feedback(attempt)
        return self._give_up(slot, attempts)

    async def _attempt(
        self, audience: str, slot: Slot, number: int, feedback: list[str]
    ) -> PersonaAttempt:
        key = f"{slot.user_id}/{number}"
        request = PersonaRequest(audience=audience, slot=slot, attempt=number, feedback=feedback)
        with self.tracer.span(f"attempt {number}", "attempt", key=key):
            try:
                persona = await self._step("generator", key, generate_persona, request)
            except RunStopped:
                raise
            except Exception as error:
                return PersonaAttempt(attempt=number, error=str(error))
            with self.tracer.span("validator", "agent", agent="validator", key=key) as span:
                validation = validate_persona(ValidationRequest(persona=persona, slot=slot))
                span.output = validation
            if not validation.valid:
                return PersonaAttempt(attempt=number, persona=persona, validation=validation)
            try:
                review = await self._step(
                    "reviewer",
                    key,
                    review_persona,
                    ReviewRequest(audience=audience, persona=persona, attempt=number),
                )
            except RunStopped:
                raise
            except Exception as error:
                return PersonaAttempt(
                    attempt=number, persona=persona, validation=validation, error=str(error)
                )
        return PersonaAttempt(attempt=number, persona=persona, validation=validation, review=review)

    async def _step(
        self,
        agent: str,
        key: str,
        function: Callable[[ModelClient, Any], Awaitable[T]],
        request: Any,
    ) -> T:
        """One agent call inside a user's attempt: traced, but not a task of its own."""
        with self.tracer.span(agent, "agent", agent=agent, key=key, input=request) as span:
            result = await function(self.client, request)
            span.output = result
            return result

    @staticmethod
    def _feedback(attempt: PersonaAttempt) -> list[str]:
        if attempt.validation and attempt.validation.problems:
            return attempt.validation.problems
        if attempt.review and attempt.review.reasons:
            return attempt.review.reasons
        return ["the previous reply could not be read; follow the JSON schema exactly"]

    def _give_up(self, slot: Slot, attempts: list[PersonaAttempt]) -> PanelMember:
        last = attempts[-1]
        if last.review is not None and self.study.panel.keep_rejected:
            self.progress.finished("users", ok=True)
            return PanelMember(
                slot=slot,
                status="kept_after_rejection",
                persona=last.persona,
                review=last.review,
                attempts=attempts,
            )
        reason = last.error or "; ".join(
            (last.validation.problems if last.validation else [])
            or (last.review.reasons if last.review else [])
        )
        self.state.failures.append(
            TaskFailure(
                stage="users",
                agent="generator",
                key=slot.user_id,
                error=f"no acceptable persona in {len(attempts)} attempts: {reason}",
            )
        )
        self.progress.finished("users", ok=False)
        return PanelMember(
            slot=slot, status="dropped", persona=None, review=last.review, attempts=attempts
        )

    async def _idea(self, idea: Idea) -> None:
        with self.tracer.span(f"idea {idea.name}", "idea", key=idea.name, input=idea):
            questions = await self._questions(idea)
            if questions is None:
                return
            self.state.questions[idea.name] = questions
            self.progress.add_total("summaries", len(questions))
            self.progress.add_total("answers", len(questions) * len(self._users))
            async with asyncio.TaskGroup() as group:
                tasks = [
                    group.create_task(self._question(idea, question)) for question in questions
                ]
            await self._aggregate(idea, [task.result() for task in tasks])

    async def _questions(self, idea: Idea) -> list[Question] | None:
        fixed = self.study.questions_for(idea)
        if fixed is not None:
            return fixed
        self.progress.add_total("questions", 1)
        request = QuestionRequest(idea=idea, count=self.study.questions_per_idea)
        return await self._task(
            "questions",
            "question_writer",
            idea.name,
            lambda: write_questions(self.client, request),
            request,
        )

    async def _question(self, idea: Idea, question: Question) -> QuestionSummary:
        """Collect every user's answer, then summarise; the counts survive a failed summary."""
        name = f"question {question.id}"
        with self.tracer.span(name, "question", key=f"{idea.name}/{question.id}", input=question):
            async with asyncio.TaskGroup() as group:
                tasks = [
                    group.create_task(self._answer(user_id, idea, question))
                    for user_id in self._users
                ]
            answers = [answer for task in tasks if (answer := task.result()) is not None]
            request = SummaryRequest(idea=idea.name, question=question, answers=answers)
            summary = await self._task(
                "summaries",
                "summarizer",
                f"{idea.name}/{question.id}",
                lambda: summarize(self.client, request),
                request,
            )
        if summary is None:
            summary = counted(request).model_copy(update={"themes_failed": True})
        self.state.summaries.append(summary)
        return summary

    async def _answer(self, user_id: str, idea: Idea, question: Question) -> Answer | None:
        member = await self._users[user_id]
        if member.persona is None:
            self.progress.add_total("answers", -1)
            return None
        request = AnswerRequest(persona=member.persona, idea=idea, question=question)
        answer = await self._task(
            "answers",
            "respondent",
            f"{idea.name}/{question.id}/{user_id}",
            lambda: answer_question(self.client, request),
            request,
        )
        if answer is not None:
            self.state.answers.append(answer)
        return answer

    async def _aggregate(self, idea: Idea, summaries: list[QuestionSummary]) -> None:
        self.progress.add_total("reports", 1)
        members = list(self.state.members.values())
        personas = {m.slot.user_id: m.persona for m in members if m.persona is not None}
        bands = {m.slot.user_id: m.slot.age_band for m in members}
        answers = [answer for answer in self.state.answers if answer.idea == idea.name]
        request = AggregateRequest(
            idea=idea,
            summaries=sorted(summaries, key=lambda summary: summary.question_id),
            segments=segment_differences(answers, personas, bands),
        )
        report = await self._task(
            "reports",
            "aggregator",
            idea.name,
            lambda: aggregate_idea(self.client, request),
            request,
        )
        if report is not None:
            self.state.reports[idea.name] = report

    async def _compare(self) -> None:
        reports = [
            self.state.reports[idea.name]
            for idea in self.study.ideas
            if idea.name in self.state.reports
        ]
        if len(reports) < 2:
            return
        self.progress.add_total("reports", 1)
        request = CompareRequest(reports=reports)
        self.state.comparison = await self._task(
            "reports",
            "aggregator",
            "comparison",
            lambda: compare_ideas(self.client, request),
            request,
        )
