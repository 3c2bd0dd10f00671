"""``course grade SUBMISSIONS... [--jobs N] [--gradebook grades.csv] [--feedback DIR]``: grade a class.

Each submission is graded in a grading process of its own (``grade_process.py``), N at a time, and
each of its exercises in a sandboxed worker of its own (``sandbox.py``): a submission that crashes,
hangs or exhausts its grader costs only its own grade, which then carries a note saying so. Every
other submission's folder is hidden from the workers too. Results come back in the order the
submissions were given; the score tables, the per-learner ``results.json`` (Gradescope's format), the
gradebook, the feedback pages and the class summary are all made from the same grades.

One grading salt (``grading.draw_salt``) serves the whole run: every submission's cases run on inputs drawn
with it. It reaches the grading processes in their environment, never their command line, and shows in the
instructor's output and the class summary; ``course grade --salt N`` regrades with the same inputs.
"""
from __future__ import annotations

import csv
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any, Sequence, TextIO

from .grading import DEFAULT_TIMEOUT, NotebookGrade, default_source_dir, draw_salt
from .submissions import Submission, SubmissionsError, collect, unique_names

GRADER_MODULE = "course_lib.tooling.grade_process"
SUBMISSION_TIMEOUT = 3600.0  # seconds for one whole submission, its grader's start included


def default_jobs() -> int:
    return max(1, os.cpu_count() or 1)


def _last_lines(log: Path, n: int = 3) -> str:
    try:
        lines = [line.strip() for line in log.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return " | ".join(lines[-n:])


def _stop_with_parent() -> None:  # runs in the grading process between fork and exec
    """On Linux, the grading process gets SIGTERM when ``course grade`` dies (it then kills its worker)."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass


def grade_in_process(submission: Submission, scratch: Path, index: int, source_dir: Path, timeout: float, threads: int,
                     hide: Sequence[Path], submission_timeout: float = SUBMISSION_TIMEOUT, salt: int | None = None) -> NotebookGrade:
    """Grade one submission in a grading process of its own, under ``salt`` (``None``: the process draws one);
    a grader that fails gives a grade with a note."""
    from .grade_process import SALT_VARIABLE

    result, log = scratch / f"result-{index}.json", scratch / f"log-{index}.txt"
    command = [sys.executable, "-m", GRADER_MODULE, str(submission.path), str(result), "--learner", submission.learner,
               "--source-dir", str(source_dir), "--timeout", str(timeout), "--threads", str(threads)]
    for folder in hide:
        command += ["--hide", str(folder)]
    env = {**os.environ, "COURSE_PROGRESS": "0", "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    env.pop(SALT_VARIABLE, None)
    if salt is not None:
        env[SALT_VARIABLE] = str(int(salt))
    started, why = time.perf_counter(), ""
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env,
                                   preexec_fn=_stop_with_parent)
        try:
            code = process.wait(submission_timeout)
        except subprocess.TimeoutExpired:
            process.terminate()  # the grader kills its running worker on SIGTERM
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            code, why = None, f"it ran past the {submission_timeout:g} s limit for one submission"
    wall = time.perf_counter() - started
    grade = None
    if code == 0 and result.exists():
        try:
            grade = NotebookGrade.from_dict(json.loads(result.read_text(encoding="utf-8")))
        except (ValueError, TypeError, KeyError) as err:
            why = f"its result could not be read ({type(err).__name__})"
    elif not why:
        why = f"the grading process exited with status {code}"
    if grade is None:
        detail = _last_lines(log)
        grade = NotebookGrade(str(submission.path), learner=submission.learner,
                              error=f"not graded: {why}{': ' + detail if detail else ''}. Nothing was scored; "
                                    f"grade it alone (course grade {submission.path}) to see more", salt=salt)
    grade.learner = submission.learner
    grade.wall_time = round(wall, 3)
    grade.overhead = round(max(wall - grade.execution_time, 0.0) + grade.overhead, 3) if grade.exercises else round(wall, 3)
    return grade


def grade_submissions(submissions: Sequence[Submission], source_dir: Path | None = None, timeout: float = DEFAULT_TIMEOUT,
                      jobs: int | None = None, submission_timeout: float = SUBMISSION_TIMEOUT,
                      scratch: Path | None = None, salt: int | None = None) -> list[NotebookGrade]:
    """Grade ``submissions``, ``jobs`` at a time (default: the CPU count), with a progress bar; in order. All of
    them under ``salt`` (``None``: a fresh one for this run)."""
    from ..utils import progress

    source_dir = Path(source_dir) if source_dir else default_source_dir()
    salt = draw_salt() if salt is None else int(salt)
    jobs = max(1, min(jobs or default_jobs(), len(submissions) or 1))
    threads = max(1, default_jobs() // jobs)
    hide = sorted({s.root.resolve() for s in submissions} | {s.path.resolve().parent for s in submissions})
    own = scratch is None
    scratch = Path(tempfile.mkdtemp(prefix="course-class-")) if own else scratch
    os.chmod(scratch, 0o700)
    grades: list[NotebookGrade | None] = [None] * len(submissions)
    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool, \
                progress(total=len(submissions), desc="grading", unit="submission") as bar:
            futures = {pool.submit(grade_in_process, s, scratch, i, source_dir, timeout, threads, [*hide, scratch],
                                   submission_timeout, salt): i for i, s in enumerate(submissions)}
            for future in as_completed(futures):
                grades[futures[future]] = future.result()
                bar.update()
    finally:
        if own:
            shutil.rmtree(scratch, ignore_errors=True)
    return [g for g in grades if g is not None]


# ---------------------------------------------------------------- what comes out

def file_name(learner: str) -> str:
    """A learner's name as a file name: letters, digits, ``-_.`` kept, anything else ``_``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", learner).strip("._") or "learner"


def _unique_names(grades: Sequence[NotebookGrade]) -> list[str]:
    return unique_names(file_name(g.learner or Path(g.notebook).stem) for g in grades)


def json_paths(json_path: Path, grades: Sequence[NotebookGrade]) -> list[Path]:
    """One notebook: ``json_path``. Several: ``<stem>-<learner>.json`` next to it, one per learner."""
    if len(grades) == 1:
        return [json_path]
    return [json_path.with_name(f"{json_path.stem}-{name}.json") for name in _unique_names(grades)]


def exercise_columns(grades: Sequence[NotebookGrade]) -> list[str]:
    columns: list[str] = []
    for g in grades:
        columns += [e.id for e in g.exercises if e.id not in columns]
    return columns


def write_gradebook(grades: Sequence[NotebookGrade], path: Path) -> Path:
    """One row per learner: learner, notebook, chapter, one column per exercise, total, max, note."""
    columns = exercise_columns(grades)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["learner", "notebook", "chapter", *columns, "total", "max", "note"])
        for g in grades:
            scores = {e.id: e.score for e in g.exercises}
            note = "; ".join([*([g.error] if g.error else []), *g.flags])
            writer.writerow([g.learner, g.notebook, g.chapter or "", *(f"{scores[c]:g}" if c in scores else "" for c in columns),
                             f"{g.score:g}", f"{g.max_score:g}", note])
    return path


def _percent(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def class_summary(grades: Sequence[NotebookGrade], slowest: int = 5) -> str:
    """Per chapter: the median score, each exercise's pass rate, each case's pass rate (hardest first), and
    the slowest submissions; which exercise the class found hard, at a glance."""
    lines = [f"class summary: {len(grades)} submissions, {sum(1 for g in grades if g.error and not g.exercises)} not graded"]
    salts = sorted({g.salt for g in grades if g.salt is not None})
    if salts:
        lines.append(f"cases drawn with salt {', '.join(map(str, salts))} (course grade --salt N regrades with the same inputs)")
    for chapter in sorted({g.chapter for g in grades if g.exercises and g.chapter}):
        group = [g for g in grades if g.chapter == chapter and g.exercises]
        total = group[0].max_score
        scores = [g.score for g in group]
        lines += ["", f"chapter {chapter}: {len(group)} graded; median score {statistics.median(scores):g} of {total:g} "
                      f"(lowest {min(scores):g}, highest {max(scores):g})",
                  f"  {'exercise':<34} {'points':>6} {'mean':>6} {'full marks':>10} {'visible':>8} {'hidden':>7}"]
        cases: dict[tuple[str, str, bool], list[bool]] = {}
        for exercise_id in exercise_columns(group):
            rows = [e for g in group for e in g.exercises if e.id == exercise_id]
            visible = [c.passed for e in rows for c in e.cases if not c.hidden]
            hidden = [c.passed for e in rows for c in e.cases if c.hidden]
            n_visible, n_hidden = sum(e.n_visible for e in rows), sum(e.n_hidden for e in rows)
            full = sum(e.score >= e.points for e in rows)
            mean = statistics.fmean(e.score for e in rows)
            lines.append(f"  {exercise_id + ' ' + rows[0].name:<34} {rows[0].points:>6g} {mean:>6.2f} {_percent(full, len(rows)):>10} "
                         f"{_percent(sum(visible), n_visible):>8} {_percent(sum(hidden), n_hidden):>7}")
            for e in rows:
                for c in e.cases:
                    cases.setdefault((e.id, c.name, c.hidden), []).append(c.passed)
        lines.append("  cases, hardest first (pass rate over the submissions that ran them):")
        for (exercise_id, name, hidden), passed in sorted(cases.items(), key=lambda item: (sum(item[1]) / len(item[1]), item[0])):
            kind = "hidden " if hidden else "visible"
            lines.append(f"    {_percent(sum(passed), len(passed)):>4}  {exercise_id:<4} {kind} {name}")
    timed = sorted((g for g in grades if g.wall_time or g.execution_time), key=lambda g: -(g.wall_time or g.execution_time))
    if timed:
        lines += ["", f"slowest submissions:"]
        lines += [f"  {g.wall_time or g.execution_time:7.1f} s  {g.learner or g.notebook}" + (f"  ({g.error})" if g.error else "")
                  for g in timed[:slowest]]
    return "\n".join(lines)


def grade(
    notebooks: Sequence[str | Path],
    source_dir: str | Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    json_path: str | Path | None = None,
    out: TextIO | None = None,
    jobs: int | None = None,
    gradebook: str | Path | None = None,
    feedback: str | Path | None = None,
    summary: str | Path | None = None,
    publish_hidden: bool = False,
    submission_timeout: float = SUBMISSION_TIMEOUT,
    salt: int | None = None,
) -> list[NotebookGrade]:
    """Grade the submissions ``notebooks`` names (files, folders, globs, zips); print a score table for each,
    one row per learner and the class summary; write what was asked for. Raises ``SubmissionsError`` when
    an argument names nothing gradeable. Every case runs under ``salt`` (``None``: a fresh one, printed for the
    instructor; the same salt again regrades with the same inputs)."""
    from .feedback import write_feedback
    from .sandbox import Sandbox

    out = out or sys.stdout
    source_dir = Path(source_dir) if source_dir else default_source_dir()
    salt = draw_salt() if salt is None else int(salt)
    with tempfile.TemporaryDirectory(prefix="course-class-") as scratch:
        submissions = collect(notebooks, Path(scratch) / "unpacked")
        jobs = max(1, min(jobs or default_jobs(), len(submissions)))
        probe = Path(scratch) / "probe"
        probe.mkdir()
        hidden = [source_dir, *{s.root for s in submissions}]
        print(f"sandbox: {Sandbox(hidden=hidden, root=probe).describe()}", file=out)
        print(f"grading {len(submissions)} submission{'s' if len(submissions) != 1 else ''}, {jobs} at a time, "
              f"cases drawn with salt {salt} (--salt {salt} regrades with the same inputs)", file=out, flush=True)
        grades = grade_submissions(submissions, source_dir, timeout, jobs, submission_timeout, Path(scratch), salt)
    for g in grades:
        print(g.table() + "\n", file=out)
    if len(grades) > 1:
        width = max(len(g.learner) for g in grades)
        print(f"{'learner':<{width}}  chapter   score     max  note", file=out)
        for g in grades:
            print(f"{g.learner:<{width}}  {g.chapter or '-':>7}  {g.score:>6.2f}  {g.max_score:>6g}  {g.error or ''}", file=out)
    written = []
    if json_path is not None:
        for g, target in zip(grades, json_paths(Path(json_path), grades)):
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(g.gradescope(), indent=2) + "\n", encoding="utf-8")
            written.append(target)
    if gradebook is not None:
        written.append(write_gradebook(grades, Path(gradebook)))
    if feedback is not None:
        written += write_feedback(grades, Path(feedback), _unique_names(grades), publish_hidden)
    text = class_summary(grades)
    if len(grades) > 1:
        print("\n" + text, file=out)
    near = next((Path(p) for p in (gradebook, feedback, json_path) if p is not None), None)
    if summary is None and len(grades) > 1 and near is not None:
        summary = near.parent / "class-summary.txt"  # beside the gradebook (or the feedback folder), not in it
    if summary is not None:
        Path(summary).parent.mkdir(parents=True, exist_ok=True)
        Path(summary).write_text(text + "\n", encoding="utf-8")
        written.append(Path(summary))
    for target in written:
        print(f"wrote {target}", file=out)
    return grades


def grade_main(args: Any) -> int:
    """Entry point of ``course grade``: 0 when every submission could be graded, 1 otherwise (2: bad arguments)."""
    try:
        grades = grade(args.notebooks, getattr(args, "source_dir", None), getattr(args, "timeout", None) or DEFAULT_TIMEOUT,
                       getattr(args, "json", None), jobs=getattr(args, "jobs", None), gradebook=getattr(args, "gradebook", None),
                       feedback=getattr(args, "feedback", None), summary=getattr(args, "summary", None),
                       publish_hidden=getattr(args, "publish_hidden", False),
                       submission_timeout=getattr(args, "submission_timeout", None) or SUBMISSION_TIMEOUT,
                       salt=getattr(args, "salt", None))
    except SubmissionsError as err:
        print(f"course grade: {err}", file=sys.stderr)
        return 2
    return 0 if all(g.error is None for g in grades) else 1
