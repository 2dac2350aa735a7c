"""Exceptions raised by synthusers.

Every error meant for a person derives from `SynthusersError`; its message is shown as
it is, on one line, by the command-line interface.

    SynthusersError
    ├── StudyError            the study file or a flag is wrong (exit code 2)
    ├── ModelSetupError       the model cannot be loaded or reached (exit code 2)
    └── ModelCallError        one model call failed for good
        └── OutputInvalidError    the reply never fitted the expected schema
"""

from __future__ import annotations


class SynthusersError(Exception):
    """An error whose message tells the user what went wrong and what to do."""

    exit_code = 1


class StudyError(SynthusersError):
    """The study, a flag or the environment is invalid; nothing has been run."""

    exit_code = 2


class ModelSetupError(SynthusersError):
    """The model cannot be used at all: missing file, missing extra, bad key, bad URL."""

    exit_code = 2


class ModelCallError(SynthusersError):
    """A single model call failed after its retries; the task that made it fails."""


class OutputInvalidError(ModelCallError):
    """The model's reply did not fit the schema, even after feedback; the raw text is kept."""

    def __init__(self, message: str, raw: str) -> None:
        super().__init__(message)
        self.raw = raw
