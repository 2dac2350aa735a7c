"""Turn a model spec such as "local", "local:/m.gguf" or "openai:gpt-4o-mini" into a backend."""

from __future__ import annotations

from pathlib import Path

from ..errors import StudyError
from ..modelspec import parse_model_spec
from .base import ChatModel


def open_model(spec: str, *, timeout_s: float = 120.0) -> ChatModel:
    """The backend a spec names; the error for a bad spec lists the forms that work."""
    try:
        provider, name = parse_model_spec(spec)
    except ValueError as error:
        raise StudyError(str(error)) from None
    if provider == "local":
        from .local import LocalModel, embedded_model_path

        return LocalModel(Path(name).expanduser() if name else embedded_model_path())
    if provider == "openai":
        from .openai_compat import OpenAIModel

        return OpenAIModel(name, timeout_s=timeout_s)
    from .fake import FakeModel

    return FakeModel(latency_s=float(name) if name else 0.0)


def check_model_spec(spec: str) -> None:
    """What can be checked of a model without opening it: the spec, and a local file."""
    try:
        provider, name = parse_model_spec(spec)
    except ValueError as error:
        raise StudyError(str(error)) from None
    if provider == "local" and name and not Path(name).expanduser().is_file():
        raise StudyError(f"model file {name} not found; give the path of a .gguf file")
