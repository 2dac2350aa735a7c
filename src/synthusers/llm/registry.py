"""Turn a model spec such as "local", "local:/m.gguf" or "openai:gpt-4o-mini" into a backend."""

from __future__ import annotations

from pathlib import Path

from ..errors import StudyError
from .base import ChatModel

PROVIDERS = ("local", "openai", "fake")


def open_model(spec: str, *, timeout_s: float = 120.0) -> ChatModel:
    """The backend a spec names; the error for a bad spec lists the forms that work."""
    provider, _, name = spec.partition(":")
    if provider == "local":
        from .local import LocalModel, embedded_model_path

        path = Path(name).expanduser() if name else embedded_model_path()
        return LocalModel(path)
    if provider == "openai":
        if not name:
            raise StudyError("model 'openai' needs a name, for example openai:gpt-4o-mini")
        from .openai_compat import OpenAIModel

        return OpenAIModel(name, timeout_s=timeout_s)
    if provider == "fake":
        from .fake import FakeModel

        try:
            latency = float(name) if name else 0.0
        except ValueError:
            raise StudyError(
                f"model {spec!r}: give fake's latency in seconds, e.g. fake:0.2"
            ) from None
        return FakeModel(latency_s=latency)
    raise StudyError(
        f"unknown model {spec!r}; use local, local:/path/to/model.gguf, openai:NAME or fake"
    )
