"""The call store: every finished model call, kept durably so no call is paid for twice.

Each call is addressed by a hash of everything that determines its reply (model, agent,
schema, messages, limits, temperature, seed). A run directory's store makes a killed run
resumable: running again replays finished calls from disk and only sends the rest. The
same store at a shared path serves as a cache across runs.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from pathlib import Path

from ..errors import StudyError
from ..redaction import redact
from .base import ChatRequest, ChatResponse

SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    key TEXT PRIMARY KEY,
    agent TEXT NOT NULL,
    model TEXT NOT NULL,
    text TEXT NOT NULL,
    response_model TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    finish_reason TEXT NOT NULL,
    created REAL NOT NULL
)
"""


def call_key(model: str, agent: str, request: ChatRequest) -> str:
    """The address of a call: a hash of every input that shapes its reply."""
    material = {
        "model": model,
        "agent": agent,
        "schema": request.schema,
        "messages": request.messages,
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        "seed": request.seed,
    }
    canonical = json.dumps(material, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class CallStore:
    """A SQLite table of finished calls, in WAL mode, committed call by call.

    A `kill -9` loses at most the calls that were in flight: each reply is committed
    before the task that asked for it goes on.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA busy_timeout=5000")
            self._db.execute(SCHEMA)
        except (sqlite3.Error, OSError) as error:
            raise StudyError(f"{path}: cannot open the call store ({error})") from None
        self._lock = threading.Lock()
        self.hits = 0

    def get(self, key: str) -> ChatResponse | None:
        with self._lock:
            row = self._db.execute(
                "SELECT text, response_model, prompt_tokens, completion_tokens, finish_reason "
                "FROM calls WHERE key = ?",
                (key,),
            ).fetchone()
        if row is None:
            return None
        self.hits += 1
        return ChatResponse(row[0], row[1], row[2], row[3], row[4])

    def put(self, key: str, agent: str, model: str, response: ChatResponse) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO calls (key, agent, model, text, response_model, "
                "prompt_tokens, completion_tokens, finish_reason, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    agent,
                    model,
                    redact(response.text),
                    response.model,
                    response.prompt_tokens,
                    response.completion_tokens,
                    response.finish_reason,
                    time.time(),
                ),
            )

    def __len__(self) -> int:
        with self._lock:
            count: int = self._db.execute("SELECT COUNT(*) FROM calls").fetchone()[0]
        return count

    def close(self) -> None:
        with self._lock:
            self._db.close()
