"""What a study will cost before it runs: calls per agent, tokens and price."""

from __future__ import annotations

import asyncio

from pydantic import BaseModel

from .llm.client import ModelClient
from .llm.fake import FakeModel
from .pipeline import Pipeline
from .pricing import cost, price_for
from .runner import with_overrides
from .study import Study

SAMPLE_USERS = 8
"""Token averages come from a dry pass over a panel of at most this many users."""


class AgentEstimate(BaseModel):
    agent: str
    calls_min: int
    calls_max: int
    """With every persona regenerated the most times allowed."""
    prompt_tokens_per_call: int
    completion_tokens_per_call: int


class Estimate(BaseModel):
    model: str
    agents: list[AgentEstimate]
    tokens_min: int
    tokens_max: int
    cost_min: float | None
    cost_max: float | None
    """None when the model's price is unknown; add it under `prices` in the study."""


def call_counts(study: Study) -> dict[str, tuple[int, int]]:
    """The fewest and most calls each agent makes, before output-format retries."""
    users, attempts = study.panel.size, study.panel.max_attempts
    written = [idea for idea in study.ideas if study.questions_for(idea) is None]
    questions = sum(
        len(study.questions_for(idea) or []) or study.questions_per_idea for idea in study.ideas
    )
    ideas = len(study.ideas)
    counts = {
        "generator": (users, users * attempts),
        "reviewer": (users, users * attempts),
        "question_writer": (len(written), len(written)),
        "respondent": (users * questions, users * questions),
        "summarizer": (questions, questions),
        "aggregator": (ideas + (ideas >= 2), ideas + (ideas >= 2)),
    }
    return {agent: count for agent, count in counts.items() if count[1]}


async def _token_averages(study: Study) -> dict[str, tuple[int, int]]:
    sample = with_overrides(study, panel_size=min(study.panel.size, SAMPLE_USERS))
    client = ModelClient(FakeModel(), concurrency=64, seed=study.seed)
    await Pipeline(sample, client).run()
    return {
        agent: (
            usage.prompt_tokens // max(1, usage.calls),
            usage.completion_tokens // max(1, usage.calls),
        )
        for agent, usage in client.usage.items()
    }


def estimate(study: Study) -> Estimate:
    """Count the calls and estimate tokens (about four characters each) and cost."""
    averages = asyncio.run(_token_averages(study))
    agents = [
        AgentEstimate(
            agent=agent,
            calls_min=low,
            calls_max=high,
            prompt_tokens_per_call=averages.get(agent, (0, 0))[0],
            completion_tokens_per_call=averages.get(agent, (0, 0))[1],
        )
        for agent, (low, high) in call_counts(study).items()
    ]
    price = price_for(study.model, study.prices)

    def total(calls: str) -> tuple[int, int]:
        prompt = sum(getattr(a, calls) * a.prompt_tokens_per_call for a in agents)
        completion = sum(getattr(a, calls) * a.completion_tokens_per_call for a in agents)
        return prompt, completion

    low, high = total("calls_min"), total("calls_max")
    return Estimate(
        model=study.model,
        agents=agents,
        tokens_min=sum(low),
        tokens_max=sum(high),
        cost_min=cost(price, *low),
        cost_max=cost(price, *high),
    )


def render_estimate(result: Estimate) -> str:
    """The estimate as a small table for the terminal."""
    lines = [f"{'agent':<16}{'calls':>14}{'tokens/call':>14}"]
    for agent in result.agents:
        calls = (
            f"{agent.calls_min}"
            if agent.calls_min == agent.calls_max
            else f"{agent.calls_min}-{agent.calls_max}"
        )
        per_call = agent.prompt_tokens_per_call + agent.completion_tokens_per_call
        lines.append(f"{agent.agent:<16}{calls:>14}{per_call:>14}")
    lines.append(f"tokens: {result.tokens_min:,} to {result.tokens_max:,} (estimated)")
    if result.cost_min is None or result.cost_max is None:
        lines.append(f"cost: unknown for {result.model}; add its price under `prices`")
    else:
        lines.append(f"cost: ${result.cost_min:.4f} to ${result.cost_max:.4f} on {result.model}")
    return "\n".join(lines)
