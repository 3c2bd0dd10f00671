"""Deep generative models, hands on: the library behind the course's notebooks.

Start a notebook with ``cfg = setup()``; check an exercise with ``answer = check("2.1", answer)``.

The layout is a small core whose packages are layers, bottom to top:

    config, utils, input_checks   configuration, shared utilities, input checks
    data                          datasets and device-resident batches
    models                        architectures only
    losses                        the training objectives
    metrics                       what is measured (classifier-based metrics take the classifier as an argument)
    train                         engine, trainers, settings, the pretrained cache, the classifier's recipe
    viz                           every plot
    widgets                       views: they draw and call the library, they compute nothing of their own

and beside it ``analysis`` (the chapters' own code, one module per chapter topic, at the edge: nothing in the
core imports it), ``exercises`` (registry and checks) and ``tooling`` (build, grading, the command line).
Imports only point down; ``tests/test_layout.py`` enforces it. A helper moves from a chapter's analysis
into the core when a second chapter needs it.
"""
from .config import Config, setup
from .utils import progress

__version__ = "0.1.0"


def check(exercise_id: str, answer: object, device: object = None) -> object:
    """Check a learner's answer to exercise ``exercise_id``; return it when it passes, else the reference."""
    from .exercises import check as _check

    return _check(exercise_id, answer, device=device)


__all__ = ["Config", "check", "progress", "setup", "__version__"]
