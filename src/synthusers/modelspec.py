"""Model specs such as "local", "local:/m.gguf", "openai:gpt-4o-mini" or "fake:0.2"."""

from __future__ import annotations

import math
from typing import NamedTuple

PROVIDERS = ("local", "openai", "fake")
FORMS = "local, local:/path/to/model.gguf, openai:NAME or fake[:SECONDS]"


class ModelSpec(NamedTuple):
    provider: str
    name: str


def parse_model_spec(spec: str) -> ModelSpec:
    """Split and check a spec; a ValueError says which forms work."""
    provider, colon, name = spec.partition(":")
    if provider not in PROVIDERS:
        raise ValueError(f"unknown model {spec!r}; use {FORMS}")
    if colon and not name:
        raise ValueError(f"model {spec!r} has nothing after the colon; use {FORMS}")
    if provider == "openai" and not name:
        raise ValueError("model 'openai' needs a name, for example openai:gpt-4o-mini")
    if provider == "fake" and name:
        try:
            latency = float(name)
        except ValueError:
            latency = math.nan
        if not 0 <= latency <= 3600:
            raise ValueError(f"model {spec!r}: give fake's latency in seconds, e.g. fake:0.2")
    return ModelSpec(provider, name)
