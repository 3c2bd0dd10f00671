"""Exercises and their checks: ``answer = check("0.1", answer)`` in a notebook; see ``registry`` to add a chapter."""
from .registry import (
    CaseFailure,
    CaseResult,
    Exercise,
    Report,
    UnknownExerciseError,
    all_exercises,
    check,
    fail,
    get,
    register,
    run_cases,
)

__all__ = [
    "CaseFailure", "CaseResult", "Exercise", "Report", "UnknownExerciseError",
    "all_exercises", "check", "fail", "get", "register", "run_cases",
]
