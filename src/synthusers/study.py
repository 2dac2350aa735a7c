"""The study file: who the panel is, which ideas to test and what to ask."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from .errors import StudyError
from .modelspec import parse_model_spec
from .question import STUDY_CONFIG, Question, with_ids

_BAND = re.compile(r"^\s*(\d{1,3})\s*-\s*(\d{1,3})\s*$")
MIN_AGE = 18
MAX_AGE = 100


class AgeBand(BaseModel):
    """An inclusive age range such as 18-34."""

    low: int
    high: int

    @property
    def label(self) -> str:
        return f"{self.low}-{self.high}"


def parse_band(label: str) -> AgeBand:
    """Read "18-34" as an AgeBand, or say what a band must look like."""
    match = _BAND.match(label)
    if not match:
        raise ValueError(f"age band {label!r} must look like '18-34'")
    low, high = int(match.group(1)), int(match.group(2))
    if not MIN_AGE <= low <= high <= MAX_AGE:
        raise ValueError(f"age band {label!r} must lie within {MIN_AGE}-{MAX_AGE}, low first")
    return AgeBand(low=low, high=high)


def _check_shares(shares: dict[str, float], what: str) -> dict[str, float]:
    if not shares:
        raise ValueError(f"{what} quota needs at least one entry")
    names = [name.strip().casefold() for name in shares]
    if "" in names:
        raise ValueError(f"{what} quota has an empty name")
    if len(set(names)) != len(names):
        raise ValueError(f"{what} quota names must differ by more than case or spaces")
    if any(share < 0 for share in shares.values()):
        raise ValueError(f"{what} shares must not be negative")
    total = sum(shares.values())
    if is_counts(shares):
        return shares
    if abs(total - 1.0) > 0.01:
        raise ValueError(
            f"{what} shares must add up to 1, not {total:g} (or give whole numbers of users)"
        )
    return shares


def is_counts(shares: dict[str, float]) -> bool:
    """Whether a quota gives numbers of users (whole numbers not adding up to 1)."""
    return all(float(value).is_integer() for value in shares.values()) and sum(shares.values()) != 1


class Quotas(BaseModel):
    """The panel per age band and per gender: shares adding up to 1, or numbers of users."""

    model_config = STUDY_CONFIG

    age: dict[str, float] = Field(
        default_factory=lambda: {"18-34": 0.3, "35-54": 0.35, "55-80": 0.35}
    )
    """Age bands ("18-34") and their share of the panel."""

    gender: dict[str, float] = Field(default_factory=lambda: {"female": 0.5, "male": 0.5})
    """Genders and their share of the panel."""

    @field_validator("age")
    @classmethod
    def _valid_age(cls, shares: dict[str, float]) -> dict[str, float]:
        bands = sorted((parse_band(label) for label in shares), key=lambda band: band.low)
        for before, after in itertools.pairwise(bands):
            if after.low <= before.high:
                raise ValueError(f"age bands {before.label} and {after.label} overlap")
        return _check_shares(shares, "age")

    @field_validator("gender")
    @classmethod
    def _valid_gender(cls, shares: dict[str, float]) -> dict[str, float]:
        return _check_shares(shares, "gender")


class PanelSpec(BaseModel):
    """Who the synthetic users are and how strictly each one is checked."""

    model_config = STUDY_CONFIG

    size: int = Field(ge=1, le=10_000)
    """How many synthetic users to generate."""

    audience: str = Field(min_length=3, max_length=500)
    """Who they are, in a sentence: "UK adults who cook at home at least twice a week"."""

    quotas: Quotas = Field(default_factory=Quotas)
    """How the panel splits by age band and gender."""

    locations: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list
    )
    """Places to draw each user's location from; when empty the model writes one."""

    max_attempts: int = Field(default=3, ge=1, le=10)
    """How many times a user is generated before giving up on a valid, accepted persona."""

    keep_rejected: bool = True
    """Keep a user whose last attempt is valid but was rejected by the reviewer."""

    @model_validator(mode="after")
    def _counts_fit_the_panel(self) -> PanelSpec:
        for what, quota in (("age", self.quotas.age), ("gender", self.quotas.gender)):
            if not is_counts(quota):
                continue
            total = int(sum(quota.values()))
            if total != self.size:
                raise ValueError(
                    f"quotas.{what} asks for {total} users but the panel has {self.size}; "
                    "make the numbers add up to panel.size, or give shares that add up to 1"
                )
        return self


class Limits(BaseModel):
    """Rates and budgets that protect an API quota and a wallet."""

    model_config = STUDY_CONFIG

    rpm: float | None = Field(default=None, gt=0)
    """Most requests per minute, shared by every task of the run."""

    tpm: float | None = Field(default=None, gt=0)
    """Most tokens (prompt and reply) per minute."""

    max_tokens: int | None = Field(default=None, gt=0)
    """Stop the run cleanly once this many tokens have been used."""

    max_cost: float | None = Field(default=None, gt=0)
    """Stop the run cleanly once the estimated cost (USD) reaches this."""

    timeout_s: float = Field(default=120.0, gt=0, le=3600)
    """How long one request may take before it is abandoned and retried."""


class Price(BaseModel):
    """What a model costs, in USD per million tokens."""

    model_config = STUDY_CONFIG

    input: float = Field(ge=0)
    output: float = Field(ge=0)


class Idea(BaseModel):
    """A product concept, feature or message to test."""

    model_config = STUDY_CONFIG

    name: str = Field(min_length=1, max_length=120)
    description: str = Field(min_length=3, max_length=4000)
    questions: list[Question] | None = Field(default=None, max_length=50)
    """Questions for this idea only; they replace the study's questions."""


class Study(BaseModel):
    """A whole study as written in its YAML file."""

    model_config = STUDY_CONFIG

    name: str = Field(default="Untitled study", min_length=1, max_length=200)
    panel: PanelSpec
    ideas: list[Idea] = Field(min_length=1, max_length=50)
    questions: list[Question] | None = Field(default=None, max_length=50)
    """Questions asked about every idea; when absent the QuestionWriter drafts them."""

    questions_per_idea: int = Field(default=3, ge=1, le=20)
    """How many questions the QuestionWriter drafts for an idea without fixed questions."""

    model: str = "local"
    """Which model runs the agents: "local", "local:/path/model.gguf" or "openai:NAME"."""

    concurrency: int = Field(default=4, ge=1, le=1024)
    """The most model calls in flight at once, over the whole run."""

    seed: int = 0
    """Seeds the panel's demographics and every model call, so runs can be repeated."""

    max_failure_share: float = Field(default=0.2, ge=0.0, le=1.0)
    """The run exits non-zero when more than this share of its tasks failed."""

    limits: Limits = Field(default_factory=Limits)
    """Request and token rates, budgets and the per-request timeout."""

    prices: dict[str, Price] = Field(default_factory=dict)
    """Prices per model spec ("openai:gpt-4o-mini"), added to or replacing the built-in table."""

    @field_validator("model")
    @classmethod
    def _known_model(cls, spec: str) -> str:
        parse_model_spec(spec)
        return spec

    @model_validator(mode="after")
    def _distinct_question_ids(self) -> Study:
        for idea in self.ideas:
            ids = [question.id for question in self.questions_for(idea) or []]
            repeated = sorted({qid for qid in ids if ids.count(qid) > 1})
            if repeated:
                raise ValueError(
                    f"idea {idea.name!r} has questions with the same id: {', '.join(repeated)}"
                )
        return self

    @model_validator(mode="after")
    def _distinct_ideas(self) -> Study:
        names = [idea.name.casefold() for idea in self.ideas]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"idea names must be distinct; repeated: {', '.join(duplicates)}")
        return self

    def questions_for(self, idea: Idea) -> list[Question] | None:
        """The fixed questions for an idea, with ids, or None if they are to be written."""
        fixed = idea.questions if idea.questions is not None else self.questions
        return with_ids(fixed) if fixed else None


def describe_validation_error(error: ValidationError) -> str:
    """One line naming the first bad field, what is wrong, and how many more there are."""
    problems = error.errors()
    first = problems[0]
    where = ".".join(str(part) for part in first["loc"]) or "study"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown key; check its spelling against `synthusers schema study`"
    elif first["type"] == "missing":
        message = "required but missing"
    more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
    return f"{where}: {message}{more}"


def parse_study(data: Any, source: str = "study") -> Study:
    """Validate already-loaded YAML or JSON data as a Study."""
    if not isinstance(data, dict):
        raise StudyError(f"{source}: a study must be a mapping with 'panel' and 'ideas' keys")
    try:
        return Study.model_validate(data)
    except ValidationError as error:
        raise StudyError(f"{source}: {describe_validation_error(error)}") from None


MAX_STUDY_BYTES = 1_000_000
"""A study file is a page or two of YAML; anything this large is a mistake."""


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML that refuses a key given twice instead of keeping the last one."""


def _mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} appears twice", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def _read(path: Path) -> str:
    if not path.exists():
        raise StudyError(f"{path}: file not found; give the path of a study YAML file")
    if path.is_dir():
        raise StudyError(f"{path}: is a directory; give the path of a study YAML file")
    if not path.is_file():
        raise StudyError(f"{path}: not a regular file; give the path of a study YAML file")
    if path.stat().st_size > MAX_STUDY_BYTES:
        raise StudyError(f"{path}: larger than {MAX_STUDY_BYTES:,} bytes; is it a study file?")
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise StudyError(f"{path}: cannot read it ({error})") from None


def load_study(path: str | Path) -> Study:
    """Read and validate a study file, with one clear line for any problem."""
    path = Path(path)
    text = _read(path)
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or "check indentation"
        hint = "; put text with : ? # or [ ] in quotes" if "expected" in problem else ""
        raise StudyError(f"{path}: not valid YAML{where}: {problem}{hint}") from None
    return parse_study(data, str(path))
