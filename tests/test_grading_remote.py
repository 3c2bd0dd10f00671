"""The grader's proxy changes no verdict: through a sandboxed worker, every reference still passes every
case (visible and hidden) and every typical wrong answer written as a function still fails one."""
from __future__ import annotations

import inspect

import pytest
import torch

from course_lib.exercises import all_exercises
from course_lib.exercises.registry import run_case
from course_lib.tooling.remote import Channel, RemoteCallable
from course_lib.tooling.sandbox import Sandbox
from course_lib.tooling.wire import source_bundle

EXERCISES = all_exercises()
SETUP = [("setup", "import math"), ("setup", "import torch"), ("setup", "import torch.nn.functional as F"), ("setup", "from torch import nn")]


def _program(exercise):
    """The reference and the wrong answers written as functions or classes, defined in one worker."""
    answers = [("reference", exercise.reference)] + [(label, w) for label, w in exercise.wrong_answers
                                                     if getattr(w, "__name__", "<lambda>") != "<lambda>" and inspect.getmodule(w)]
    pieces, table = [], []
    for label, answer in answers:
        pieces.extend(source_bundle(answer))
        table.append(f"{label!r}: {answer.__name__}")
    return SETUP + [("exercise", "\n\n".join(dict.fromkeys(pieces)) + "\n\nANSWERS = {" + ", ".join(table) + "}")], [a[0] for a in answers]


@pytest.fixture(scope="module")
def sandbox():
    box = Sandbox()
    yield box
    box.cleanup()


@pytest.mark.parametrize("exercise", EXERCISES, ids=[e.id for e in EXERCISES])
def test_through_the_worker_the_reference_passes_and_wrong_answers_fail(sandbox, exercise):
    program, labels = _program(exercise)
    channel = Channel(sandbox, program, "ANSWERS", timeout=60)
    try:
        answers = channel.answer()
        assert isinstance(answers, dict) and sorted(answers) == sorted(labels), channel.loaded.get("problems")
        assert all(isinstance(a, RemoteCallable) for a in answers.values())
        for label in labels:
            results = []
            for case in exercise.cases(hidden=True):
                channel.start_case()
                results.append(run_case(case, answers[label], torch.device("cpu")))
            if label == "reference":
                assert all(r.passed for r in results), [(r.name, r.one_line()) for r in results if not r.passed]
            else:
                assert not all(r.passed for r in results), f"{exercise.id}: the wrong answer '{label}' passes every case"
    finally:
        channel.close()
