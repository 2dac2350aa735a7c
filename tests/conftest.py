"""Shared fixtures: small studies and models that never leave the process."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from synthusers.llm.base import ChatRequest, ChatResponse
from synthusers.llm.fake import FakeModel
from synthusers.persona import Persona, Slot
from synthusers.study import Study, parse_study


def study_data(**overrides: Any) -> dict[str, Any]:
    """A small valid study as plain data; keyword arguments replace top-level keys."""
    data: dict[str, Any] = {
        "name": "Test study",
        "panel": {
            "size": 4,
            "audience": "Adults who cook at home",
            "quotas": {"age": {"18-34": 0.5, "35-64": 0.5}, "gender": {"female": 0.5, "male": 0.5}},
            "locations": ["Leeds", "York"],
        },
        "ideas": [
            {"name": "Box", "description": "A weekly recipe box for two."},
            {"name": "Credits", "description": "Buy single meal kits when you want."},
        ],
        "questions": [
            {"kind": "likert", "text": "How appealing is this?"},
            {
                "kind": "single_choice",
                "text": "What would you do?",
                "options": ["Buy", "Wait", "Skip"],
            },
            {"kind": "nps", "text": "Would you recommend it?"},
            {"kind": "open", "text": "What would stop you?"},
        ],
        "model": "fake",
        "concurrency": 3,
        "seed": 5,
    }
    data.update(overrides)
    return data


@pytest.fixture
def study() -> Study:
    return parse_study(study_data())


class SelectiveModel(FakeModel):
    """The fake model, but requests for which `fails` is true raise its error instead."""

    def __init__(self, fails: Callable[[ChatRequest], Exception | None], latency_s: float = 0):
        super().__init__(latency_s)
        self.fails = fails
        self.in_flight = 0
        self.peak = 0

    async def complete(self, request: ChatRequest) -> ChatResponse:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            error = self.fails(request)
            if error is not None:
                raise error
            return await super().complete(request)
        finally:
            self.in_flight -= 1


def text_of(request: ChatRequest) -> str:
    return "\n".join(message["content"] for message in request.messages)


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """The CLI, run in-process, installs log handlers on stderr; take them away again."""
    root = logging.getLogger()
    before = list(root.handlers)
    yield
    for handler in list(root.handlers):
        if handler not in before:
            root.removeHandler(handler)


def make_slot(**changes: Any) -> Slot:
    """A valid slot for a 30-year-old woman in Leeds; keyword arguments replace fields."""
    data: dict[str, Any] = {
        "user_id": "u001",
        "name": "Maria Costa",
        "age": 30,
        "age_band": "25-34",
        "gender": "female",
        "income_band": "average",
        "education": "bachelor's degree",
        "household": "lives alone",
        "location": "Leeds",
        "seed": 1,
    }
    return Slot(**{**data, **changes})


def make_persona(**changes: Any) -> Persona:
    """A valid persona that fills `make_slot()`; keyword arguments replace fields."""
    data: dict[str, Any] = {
        "id": "u001",
        "name": "Maria Costa",
        "age": 30,
        "gender": "female",
        "location": "Leeds",
        "occupation": "primary school teacher",
        "income_band": "average",
        "education": "bachelor's degree",
        "household": "lives alone",
        "goals": ["save for a flat", "cook more"],
        "frustrations": ["long commute", "prices"],
        "habits": ["runs on Sundays", "plans meals"],
        "bio": "Maria teaches year 3 in Leeds. She is 30-year-old and cooks most evenings.",
    }
    return Persona(**{**data, **changes})
