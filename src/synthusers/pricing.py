"""What model calls cost: a small built-in price table that a study can extend or override."""

from __future__ import annotations

from .study import Price

BUILT_IN: dict[str, Price] = {
    # USD per million tokens, as published by OpenAI in 2025; override in the study's
    # `prices` when they change or for another provider.
    "openai:gpt-4o-mini": Price(input=0.15, output=0.60),
    "openai:gpt-4o": Price(input=2.50, output=10.00),
    "openai:gpt-4.1-mini": Price(input=0.40, output=1.60),
    "openai:gpt-4.1": Price(input=2.00, output=8.00),
}
FREE = Price(input=0.0, output=0.0)


def price_for(model: str, overrides: dict[str, Price]) -> Price | None:
    """The price of a model spec; local and fake models are free; None when unknown."""
    if model in overrides:
        return overrides[model]
    if model.startswith(("local", "fake", "scripted")):
        return FREE
    return BUILT_IN.get(model)


def cost(price: Price | None, prompt_tokens: int, completion_tokens: int) -> float | None:
    """The cost in USD of so many tokens, or None when the price is unknown."""
    if price is None:
        return None
    return (prompt_tokens * price.input + completion_tokens * price.output) / 1_000_000
