"""synthusers: run studies with synthetic users.

from synthusers import load_study, run_study
result = run_study(load_study("examples/meal-kit.yaml"), "runs/meal-kit")
print(result.report.comparison)
"""

from .errors import ModelCallError, ModelSetupError, StudyError, SynthusersError
from .report import IdeaReport, QuestionSummary, StudyReport
from .runner import RunResult, run_study, run_study_async, with_overrides
from .study import Idea, PanelSpec, Study, load_study, parse_study

__all__ = [
    "Idea",
    "IdeaReport",
    "ModelCallError",
    "ModelSetupError",
    "PanelSpec",
    "QuestionSummary",
    "RunResult",
    "Study",
    "StudyError",
    "StudyReport",
    "SynthusersError",
    "load_study",
    "parse_study",
    "run_study",
    "run_study_async",
    "with_overrides",
]
