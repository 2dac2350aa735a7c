"""Exceptions raised by synthusers.

Every error meant for a person derives from `SynthusersError`; its message is shown as
it is, on one line, by the command-line interface.

    SynthusersError
    ├── StudyError            the study file or a flag is wrong (exit code 2)
    ├── RunStopped            the whole run must stop; what is done is kept
    │   ├── ModelSetupError       the model cannot be loaded or reached (exit code 2)
    │   └── BudgetExhausted       the study's token or cost budget is spent
    └── ModelCallError        one model call failed for good; only its task fails
        └── OutputInvalidError    the reply never fitted the expected schema
"""

from __future__ import annotations


class SynthusersError(Exception):
    """An error whose message tells the user what went wrong and what to do."""

    exit_code = 1


class StudyError(SynthusersError):
    """The study, a flag or the environment is invalid; nothing has been run."""

    exit_code = 2


class RunStopped(SynthusersError):
    """Going on would be pointless or unwanted; the run stops and keeps what it has."""


class ModelSetupError(RunStopped):
    """The model cannot be used at all: missing file, missing extra, bad key, bad URL."""

    exit_code = 2


class BudgetExhausted(RunStopped):
    """The study's max_tokens or max_cost is reached; no further call is sent."""


class ModelCallError(SynthusersError):
    """A single model call failed after its retries; the task that made it fails."""


class OutputInvalidError(ModelCallError):
    """The model's reply did not fit the schema, even after feedback; the raw text is kept."""

    def __init__(self, message: str, raw: str) -> None:
        super().__init__(message)
        self.raw = raw
