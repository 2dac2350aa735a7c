"""Keeping secrets out of everything a run writes: traces, logs, reports and the store."""

from __future__ import annotations

import json
import logging
import os
import re

_SECRET_NAME = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|AUTH)", re.IGNORECASE)
MARKER = "[REDACTED]"


def secret_values(environ: dict[str, str] | None = None) -> list[str]:
    """Values of environment variables named like secrets, longest first."""
    environ = dict(os.environ) if environ is None else environ
    values = {value for name, value in environ.items() if _SECRET_NAME.search(name)}
    return sorted((value for value in values if len(value) >= 6), key=len, reverse=True)


def redact(text: str, secrets: list[str] | None = None) -> str:
    """Replace every secret value in text, as it is or as JSON escapes it, with a marker."""
    for secret in secret_values() if secrets is None else secrets:
        for form in (secret, json.dumps(secret, ensure_ascii=False)[1:-1]):
            if form in text:
                text = text.replace(form, MARKER)
    return text


class RedactingFilter(logging.Filter):
    """Redacts secrets from every log record, whatever put them there (a server's error)."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets = secret_values()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message, self.secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
