"""Reading a run's trace.jsonl one line at a time, and the small formatters its views share.

The trace of a big run holds a hundred thousand spans with their full inputs, so nothing
here loads the file at once: `TraceSource.records` yields one checked record per line and
counts the lines it had to skip, so every view can keep only what it needs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import click

TRACE_FILE = "trace.jsonl"
_NUMBER = (int, float)
_CONTEXT_KEYS = frozenset(
    {"persona", "audience", "slot", "idea", "messages", "user_id", "question_id", "id", "seed"}
)
_RETRY_EVENTS = frozenset({"retry", "invalid_reply"})
_PROSE_KEYS = frozenset({"rationale", "bio", "description", "reasons", "problems"})


class TraceError(click.ClickException):
    """A trace that cannot be read or does not hold what was asked for: one line, exit 2."""

    exit_code = 2


class TraceSource:
    """A trace file read line by line; malformed lines are skipped and counted, not fatal."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.spans = 0
        self.malformed = 0

    @classmethod
    def open(cls, path: Path) -> TraceSource:
        """The trace at path: a run directory (its trace.jsonl) or a .jsonl file itself."""
        if path.is_dir():
            path = path / TRACE_FILE
            if not path.is_file():
                raise TraceError(f"{path.parent} has no {TRACE_FILE}; is it a run directory?")
        elif not path.exists():
            raise TraceError(f"{path}: no such file or directory")
        return cls(path)

    def records(self) -> Iterator[dict[str, Any]]:
        """Every well-formed span in file order; fails if the file holds none at all."""
        self.spans = self.malformed = 0
        try:
            # Text mode decodes in bulk, faster than per line; a bad byte becomes U+FFFD.
            with self.path.open(encoding="utf-8", errors="replace") as handle:
                yield from self._checked(handle)
        except OSError as error:
            raise TraceError(f"cannot read {self.path}: {error.strerror or error}") from None
        if self.spans == 0:
            skipped = f" (skipped {plural(self.malformed, 'malformed line')})"
            raise TraceError(f"{self.path}: no trace spans" + (skipped if self.malformed else ""))

    def _checked(self, lines: Iterator[str]) -> Iterator[dict[str, Any]]:
        """The well-formed spans among lines, counting the rest; blank lines are no spans."""
        for line in lines:
            if not line.strip():
                continue
            record = parse_span(line)
            if record is None:
                self.malformed += 1
                continue
            self.spans += 1
            yield record


def parse_span(line: str) -> dict[str, Any] | None:
    """The span on one line, or None if it is not JSON or lacks the fields views rely on."""
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(record, dict):
        return None
    well_formed = (
        isinstance(record.get("id"), str)
        and isinstance(record.get("kind"), str)
        and isinstance(record.get("name"), str)
        and isinstance(record.get("parent_id"), str | None)
        and _plausible_time(record.get("start"))
        and _plausible_time(record.get("duration_s"))
        and isinstance(record.get("status"), str)
    )
    return record if well_formed else None


def _plausible_time(value: Any) -> bool:
    """A finite number of seconds that a date can be made of (not NaN, not year 5000)."""
    return isinstance(value, _NUMBER) and math.isfinite(value) and 0 <= value < 1e11


def tokens(record: dict[str, Any], field: str) -> int:
    """A token count of the span, 0 when absent or not a number."""
    value = record.get(field)
    return value if isinstance(value, int) else 0


def attr(record: dict[str, Any], name: str) -> Any:
    """One of the span's attrs, None when it has none."""
    attrs = record.get("attrs")
    return attrs.get(name) if isinstance(attrs, dict) else None


def is_cached(record: dict[str, Any]) -> bool:
    """Whether the reply came from a store: it cost no tokens and says nothing of latency."""
    return attr(record, "cached") is True


def events(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The span's events (retries, rejected replies) that are well-formed objects."""
    found = record.get("events")
    return [event for event in found if isinstance(event, dict)] if isinstance(found, list) else []


def retries(record: dict[str, Any]) -> int:
    """How many times the span's model call was asked again: transient errors, bad replies."""
    return sum(event.get("name") in _RETRY_EVENTS for event in events(record))


def percentile(ordered: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile of sorted values (share 0.95 for p95); None if empty."""
    if not ordered:
        return None
    rank = math.ceil(share * len(ordered))
    return ordered[min(len(ordered), max(1, rank)) - 1]


def plural(count: int, noun: str) -> str:
    """'1 line', '3 lines'."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def seconds(value: float | None) -> str:
    """A duration short enough for a table column: 0.4 ms, 120 ms, 3.2 s, 4m05s."""
    if value is None:
        return "-"
    if value < 0.01:
        return f"{value * 1000:.1f} ms"
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 60:
        return f"{value:.1f} s"
    minutes, rest = divmod(round(value), 60)
    if minutes < 60:
        return f"{minutes}m{rest:02d}s"
    return f"{minutes // 60}h{minutes % 60:02d}m"


def count(value: int) -> str:
    """A large count in at most six characters: 950, 12.3k, 4.1M."""
    if value < 10_000:
        return str(value)
    if value < 1_000_000:
        return f"{value / 1000:.1f}k"
    return f"{value / 1_000_000:.1f}M"


def fit(text: str, width: int) -> str:
    """Text cut to width characters, with an ellipsis when something was cut."""
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def summarise(value: Any, width: int = 80) -> str:
    """A one-line gist of a span's input or output, leaving out what the context shows."""
    return fit(_gist(value, top=True), width)


def _gist(value: Any, top: bool = False) -> str:
    """Text of any JSON value; nested objects shrink to their text, name or id."""
    if value is None:
        return "-"
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, list):
        return "[" + "; ".join(_gist(item) for item in value) + "]"
    if isinstance(value, dict):
        return _gist_dict(value) if top else _nested(value)
    return json.dumps(value)


def _gist_dict(value: dict[str, Any]) -> str:
    """Short fields first so they survive the cut, then longer ones, then prose."""
    shown = [
        (name, _gist(item))
        for name, item in value.items()
        if name not in _CONTEXT_KEYS and item not in (None, [], {}, "")
    ]
    shown.sort(key=lambda pair: (pair[0] in _PROSE_KEYS, len(pair[1]) > 24))
    return ", ".join(f"{name}={text}" for name, text in shown) or "-"


def _nested(value: dict[str, Any]) -> str:
    """An object inside another, by what names it, or its fields in braces."""
    for name in ("text", "name", "id"):
        if isinstance(value.get(name), str):
            return _gist(value[name])
    return "{" + _gist_dict(value) + "}"
