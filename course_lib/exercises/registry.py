"""The exercise registry: one :class:`Exercise` per id ("2.1"), checked in notebooks and by the grader.

How to add a chapter's exercises
--------------------------------
1. Create ``course_lib/exercises/chNN.py`` (NN: the chapter on two digits; exercise "2.1" lives in ``ch02``).
   It is imported lazily the first time one of its ids is asked for.
2. Write the reference (or import it from ``course_lib``), a few cases and at least two typical wrong
   answers, then register them::

       import torch
       from .expect import expect_close, expect_shape, expect_tensor
       from .registry import Exercise, register

       def reparameterize(mu, logvar):                       # the reference
           return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)

       def keeps_the_shape_of_mu(candidate, device):         # a case: its name is the feedback's title
           mu = torch.zeros(5, 3, device=device)
           expect_shape(expect_tensor(candidate(mu, mu), "z"), (5, 3), "z")

       register(Exercise(
           id="2.1", title="the reparameterization trick", reference=reparameterize,
           visible_cases=[keeps_the_shape_of_mu, ...], hidden_cases=[...],   # hidden: other shapes, seeds, edges
           wrong_answers=[("uses the log-variance as sigma", lambda mu, lv: mu + lv * torch.randn_like(mu)), ...],
           hint="z = mu + exp(logvar / 2) * eps, with eps drawn from N(0, I) by torch.randn_like(mu).",
       ))

3. A case takes the learner's object (a function, or an ``nn.Module`` class it builds itself) and a
   ``torch.device``. It passes by returning ``None``; it fails by raising :class:`CaseFailure` (through
   :func:`fail` or the helpers in ``course_lib.exercises.expect``) or by returning a message. Test
   properties with tolerances and put every tensor on ``device``.

   Draw every random input from ``case_generator(seed)`` (``torch.randn(5, 3, generator=case_generator(1))``;
   a different seed for each independent draw), reseed the global RNG only with ``seed_case_rng(seed)``, and
   give a case on constant inputs (zeros, a full tensor, literal edge values) sizes from ``case_size``, or put
   its literal values at drawn places of a drawn tensor (``ch00``'s ``maps_0_to_0_and_255_to_1``). In the
   notebook's checks nothing is salted: ``case_generator(1)`` is ``torch.Generator().manual_seed(1)`` and
   the verdicts are reproducible. The grader runs the same cases inside ``salted_cases(salt)``, with a salt
   drawn in its own process for each grading run and never shown to the learner's code, so every seed is
   mixed with it and the inputs are ones nobody has seen: a learner's copy of the library runs the hidden
   cases too, and a table of the reference's outputs on fixed inputs would pass them. Hence a case must hold
   for every salt: ``tests/test_exercises.py`` runs every reference, equivalent answer and wrong answer
   under several salts, so a tolerance fitted to one seed's draw fails there.
4. In the notebook: the exercise cell defines ``reparameterize`` and the next cell is
   ``reparameterize = check("2.1", reparameterize)``. ``tests/test_exercises.py`` covers the new module by
   itself: the reference passes, a ``NotImplementedError`` stub fails, every wrong answer fails with an
   "expected ..., got ..." message.
"""
from __future__ import annotations

import hashlib
import importlib
import linecache
import pkgutil
import sys
import sysconfig
import traceback
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, NoReturn, Sequence, TypeVar

import torch

Case = Callable[[Any, torch.device], "str | None"]
T = TypeVar("T")

_REGISTRY: dict[str, "Exercise"] = {}
_PACKAGE = __name__.rsplit(".", 1)[0]  # course_lib.exercises
_LIBRARY_DIRS = tuple(
    {str(Path(__file__).resolve().parents[1])}
    | {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
)


class UnknownExerciseError(LookupError):
    """No exercise with this id is registered (or its chapter module does not exist yet)."""


class CaseFailure(AssertionError):
    """A case's verdict on a wrong answer: what was expected and what came back."""

    def __init__(self, expected: str, got: str, note: str = "") -> None:
        self.expected, self.got, self.note = expected, got, note
        super().__init__(f"expected {expected}, got {got}" + (f" ({note})" if note else ""))


def fail(expected: str, got: str, note: str = "") -> NoReturn:
    """Fail the current case: ``fail("1.0 for a pixel of 255", "0.996")``."""
    raise CaseFailure(expected, got, note)


@dataclass(frozen=True)
class Exercise:
    """One exercise: the reference answer, the cases that check an answer, and typical mistakes."""

    id: str
    title: str
    reference: Any
    visible_cases: Sequence[Case]
    hidden_cases: Sequence[Case] = ()
    wrong_answers: Sequence[tuple[str, Any]] = ()
    hint: str = ""
    equivalent_answers: Sequence[tuple[str, Any]] = ()  # correct answers written differently: they must pass too


    @property
    def name(self) -> str:
        """The name the notebook gives the answer (the reference's name)."""
        return getattr(self.reference, "__name__", self.id)

    def cases(self, hidden: bool = False) -> list[Case]:
        return list(self.visible_cases) + (list(self.hidden_cases) if hidden else [])


@dataclass
class CaseResult:
    """The outcome of one case on one answer."""

    name: str
    passed: bool
    expected: str = ""
    got: str = ""
    note: str = ""
    error: str = ""  # "ValueError: ..." when the answer raised
    where: str = ""  # "line 3 in normalize_images: return x / 256"
    not_implemented: bool = False
    interrupted: bool = False

    def describe(self, indent: str = "    ") -> str:
        """The lines that say what went wrong."""
        if self.passed:
            return ""
        if self.interrupted:
            return f"{indent}stopped by an interrupt (an endless loop?)"
        if self.not_implemented:
            return f"{indent}still raises NotImplementedError"
        if self.error:
            lines = [f"{indent}your code raised {self.error}"]
            if self.where:
                lines.append(f"{indent}at {self.where}")
            return "\n".join(lines)
        lines = [f"{indent}expected: {self.expected}", f"{indent}got:      {self.got}"] if self.expected or self.got else []
        if self.note:
            lines.append(f"{indent}{'note:     ' if lines else ''}{self.note}")
        return "\n".join(lines)

    def one_line(self) -> str:
        """The failure in one line, for a score table."""
        if self.passed or self.interrupted or self.not_implemented:
            return self.describe(indent="")
        if self.error:
            return f"raised {self.error}" + (f" at {self.where}" if self.where else "")
        text = f"expected {self.expected}, got {self.got}" if self.expected or self.got else ""
        return "; ".join(t for t in (text, self.note) if t)


def _checks(n: int) -> str:
    return f"{n} check{'s' if n != 1 else ''}"


@dataclass
class Report:
    """All case results of one answer to one exercise."""

    exercise_id: str
    title: str
    hint: str
    results: list[CaseResult] = field(default_factory=list)

    @property
    def n_passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def passed(self) -> bool:
        return bool(self.results) and self.n_passed == self.total

    @property
    def not_done(self) -> bool:
        return bool(self.results) and all(r.not_implemented for r in self.results if not r.passed) and not self.passed

    def summary(self) -> str:
        """One line: "passed 7 of 7 checks", "not done yet", or the first failing case."""
        if self.passed:
            return f"passed {self.total} of {_checks(self.total)}"
        if self.not_done:
            return "not done yet (NotImplementedError)"
        first = next(r for r in self.results if not r.passed)
        return f"passed {self.n_passed} of {_checks(self.total)}; failed '{first.name}': {first.one_line()}"

    def feedback(self, fallback: bool = True) -> str:
        """The friendly block the check prints: verdict, expected vs got, hint, and the fallback."""
        head = f"Exercise {self.exercise_id} ({self.title})"
        if self.passed:
            checks = f"{self.total} visible check{'s' if self.total != 1 else ''}"
            return f"{head}: passed {'all ' if self.total > 1 else ''}{checks}. The grader runs more (hidden cases)."
        failed = [r for r in self.results if not r.passed]
        if self.not_done:
            lines = [f"{head}: not done yet (the cell still raises NotImplementedError)."]
        else:
            first = failed[0]
            lines = [f"{head}: {self.n_passed} of {_checks(self.total)} passed. Not quite yet:", f"  - {first.name}", first.describe()]
            if len(failed) > 1:
                lines.append("  also failed: " + "; ".join(r.name for r in failed[1:]))
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        if fallback:
            lines.append("  The reference implementation is used from here on, so the rest of the notebook runs.")
            lines.append("  Edit your cell, then run it and this check again.")
        return "\n".join(lines)


def register(exercise: Exercise) -> Exercise:
    """Add ``exercise`` to the registry; re-registering from the same module (a reload) replaces it."""
    old = _REGISTRY.get(exercise.id)
    if old is not None and _module_of(old) != _module_of(exercise):
        raise ValueError(f"exercise {exercise.id} is registered twice: in {_module_of(old)} and in {_module_of(exercise)}.")
    if not exercise.visible_cases:
        raise ValueError(f"exercise {exercise.id} has no visible cases.")
    _REGISTRY[exercise.id] = exercise
    return exercise


def _module_of(exercise: Exercise) -> str:
    return getattr(exercise.visible_cases[0], "__module__", "?") if exercise.visible_cases else "?"


def chapter_module(exercise_id: str) -> str:
    """The module that registers ``exercise_id``: "2.1" -> "course_lib.exercises.ch02"."""
    chapter = str(exercise_id).split(".")[0]
    if not chapter.isdigit():
        raise UnknownExerciseError(f"exercise ids look like '2.1' (chapter.number), got {exercise_id!r}.")
    return f"{_PACKAGE}.ch{int(chapter):02d}"


def get(exercise_id: str) -> Exercise:
    """The exercise ``exercise_id``, importing its chapter module the first time."""
    exercise_id = str(exercise_id)
    if exercise_id not in _REGISTRY:
        module = chapter_module(exercise_id)
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as err:
            if err.name != module:
                raise
            raise UnknownExerciseError(
                f"exercise {exercise_id}: there is no module {module} yet, so chapter {exercise_id.split('.')[0]}'s "
                f"checks are not written (see the docstring of {__name__} to add them)."
            ) from None
    if exercise_id not in _REGISTRY:
        known = sorted(k for k in _REGISTRY if k.split(".")[0] == exercise_id.split(".")[0])
        raise UnknownExerciseError(f"exercise {exercise_id} is not registered; {chapter_module(exercise_id)} has {', '.join(known) or 'none'}.")
    return _REGISTRY[exercise_id]


def all_exercises() -> list[Exercise]:
    """Every registered exercise, after importing every ``chNN`` module of the package."""
    package = importlib.import_module(_PACKAGE)
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("ch") and info.name[2:].isdigit():
            importlib.import_module(f"{_PACKAGE}.{info.name}")
    return [_REGISTRY[k] for k in sorted(_REGISTRY, key=lambda k: [int(p) if p.isdigit() else p for p in k.split(".")])]


def _where(err: BaseException) -> str:
    """'line N in name: source' of the deepest frame outside course_lib and installed libraries."""
    frames = traceback.extract_tb(err.__traceback__)
    outside = [f for f in frames if not str(Path(f.filename).resolve()).startswith(_LIBRARY_DIRS)]
    if not outside:
        return ""
    frame = outside[-1]
    line = (frame.line or linecache.getline(frame.filename, frame.lineno or 0)).strip()
    return f"line {frame.lineno} in {frame.name}: {line}" if line else f"line {frame.lineno} in {frame.name}"


def _caused_by_not_implemented(err: BaseException) -> bool:
    """True when a NotImplementedError (a stub) is behind ``err``, even if a case re-raised something else."""
    seen = 0
    while err is not None and seen < 10:
        if isinstance(err, NotImplementedError):
            return True
        err, seen = err.__cause__ or err.__context__, seen + 1
    return False


def _case_name(case: Case) -> str:
    doc = (getattr(case, "__doc__", None) or "").strip()
    return doc.splitlines()[0] if doc else getattr(case, "__name__", "a check").replace("_", " ")


CASE_SEED = 0
"""Every case starts from this torch seed, salted (inside a forked random state, so the caller's is untouched)."""

_SALT: ContextVar["int | None"] = ContextVar("course_case_salt", default=None)


def case_salt() -> int | None:
    """The grading salt the cases run under now (``None``: the notebook's checks, unsalted)."""
    return _SALT.get()


@contextmanager
def salted_cases(salt: int | None) -> Iterator[None]:
    """Run the cases inside under ``salt``: every seed a case uses is mixed with it, so the inputs are ones
    nobody outside this run has seen. ``None`` is the unsalted default. The salt before is restored on exit."""
    if salt is not None and (isinstance(salt, bool) or not isinstance(salt, int)):
        raise TypeError(f"a grading salt is an int, got {type(salt).__name__}")
    token = _SALT.set(salt)
    try:
        yield
    finally:
        _SALT.reset(token)


def salted_seed(seed: int) -> int:
    """``seed`` itself when unsalted, else a seed derived from (salt, seed): SHA-256, mod 2**63."""
    salt = _SALT.get()
    if salt is None:
        return seed
    digest = hashlib.sha256(f"course-case-salt:{salt}:{seed}".encode()).digest()
    return int.from_bytes(digest[:8], "little") % 2**63


def case_generator(seed: int) -> torch.Generator:
    """A CPU generator for a case's random inputs: seeded with ``seed``, or with (salt, seed) under a salt."""
    return torch.Generator().manual_seed(salted_seed(seed))


def case_size(n: int, seed: int, low: int, high: int) -> int:
    """A size for a case whose inputs are constants (zeros, a full tensor): ``n`` unsalted, else drawn from
    ``low..high`` with the salt, so even a constant input has a shape nobody recorded an output for."""
    if _SALT.get() is None:
        return n
    return int(torch.randint(low, high + 1, (1,), generator=case_generator(seed)))


def seed_case_rng(seed: int) -> None:
    """``torch.manual_seed(seed)`` for a case that reseeds the global RNG (salted like ``case_generator``)."""
    torch.manual_seed(salted_seed(seed))


def _rng_devices(device: torch.device) -> list[int]:
    if device.type == "cuda" and torch.cuda.is_available():
        return [device.index if device.index is not None else torch.cuda.current_device()]
    return []


def run_case(case: Case, candidate: Any, device: torch.device, catch_interrupt: bool = False) -> CaseResult:
    """Run one case without touching the caller's random state; never raises because of the answer."""
    name = _case_name(case)
    try:
        with torch.random.fork_rng(devices=_rng_devices(device)), torch.enable_grad():
            seed_case_rng(CASE_SEED)  # the same answer gets the same verdict, whatever ran before it
            message = case(candidate, device)
    except CaseFailure as failure:
        return CaseResult(name, False, failure.expected, failure.got, failure.note)
    except NotImplementedError:
        return CaseResult(name, False, not_implemented=True)
    except KeyboardInterrupt:
        if not catch_interrupt:
            raise
        return CaseResult(name, False, interrupted=True)
    except (Exception, SystemExit) as err:  # the learner's code may raise anything
        if _caused_by_not_implemented(err):
            return CaseResult(name, False, not_implemented=True)
        text = str(err).strip().splitlines()
        return CaseResult(name, False, error=f"{type(err).__name__}: {text[0] if text else ''}".rstrip(": "), where=_where(err))
    if message:
        return CaseResult(name, False, note=str(message))
    return CaseResult(name, True)


def run_cases(
    exercise: Exercise | str,
    candidate: Any,
    device: torch.device | str | None = None,
    hidden: bool = False,
    catch_interrupt: bool = False,
) -> Report:
    """Run the visible cases (and the hidden ones) on ``candidate``; an interrupt stops the run."""
    exercise = get(exercise) if isinstance(exercise, str) else exercise
    device = default_device(device)
    report = Report(exercise.id, exercise.title, exercise.hint)
    if not callable(candidate):
        got = "None (was the cell run?)" if candidate is None else f"a {type(candidate).__name__}"
        report.results.append(CaseResult(f"{exercise.name} is a function or class", False, f"a function or class named {exercise.name}", got))
        return report
    for case in exercise.cases(hidden):
        result = run_case(case, candidate, device, catch_interrupt)
        report.results.append(result)
        if result.interrupted:
            break
    return report


def default_device(device: torch.device | str | None = None) -> torch.device:
    """``device`` if given, else the course's configured device (CPU when the configuration cannot say)."""
    if device is not None:
        return torch.device(device)
    try:
        from ..config import get_device

        return get_device()
    except Exception:
        return torch.device("cpu")


def check(exercise_id: str, candidate: T, device: torch.device | str | None = None) -> T:
    """Check a learner's answer on the visible cases and print one feedback block.

    Returns ``candidate`` when every case passes, else the reference implementation, so every later
    cell of the notebook still runs. Never raises because of the answer.
    """
    exercise = get(exercise_id)
    report = run_cases(exercise, candidate, device, hidden=False, catch_interrupt=True)
    print(report.feedback(fallback=not report.passed))
    sys.stdout.flush()
    return candidate if report.passed else exercise.reference
