"""How fast does ``course grade`` grade a class? 40 generated submissions of notebook 02, --jobs 1 vs 2.

Usage: python benchmarks/grading.py [--count 40] [--jobs 1 2] [--timeout 60] [--keep DIR] [--json PATH]

The submissions are a mix, in turn: solved (the instructor's notebook), unsolved (the student notebook),
partly solved (2.1 and 2.2 answered, the rest not) and crashing (2.1's answer kills its worker with
``os._exit``, 2.2 answered). Each --jobs value grades all of them through ``course grade``'s own code,
and the table gives submissions per minute, the ratio to the first --jobs value, and the mean time per
submission spent outside the learner's code (the grading process's start, the sandbox's set-up, each
exercise's worker start). Then it checks that nothing was lost or graded twice (the gradebook has one
row per submission whose totals match the per-learner results.json), and prints one partly solved
submission's results.json and the class summary. Run it on an otherwise idle machine.
JSON keys: cpus, count, runs (list of {jobs, seconds, per_minute, ratio, outside_mean, wall_mean}), summary.
"""
from __future__ import annotations

import csv
import io
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import _common

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = "02_vae_reparameterization.ipynb"
KINDS = ("solved", "unsolved", "partly", "crashing")
CRASH = "def reparameterize(mu, logvar, generator=None):\n    import os\n    os._exit(3)  # kills the worker on every call\n"


def make_submissions(folder: Path, count: int) -> dict[str, str]:
    """``count`` submissions in ``folder``, one per learner folder (as an LMS export has them); {learner: kind}."""
    import nbformat

    solution = nbformat.read(ROOT / "solutions" / CHAPTER, as_version=4)
    answers = {c.metadata["course"]["exercise"]: c.source for c in solution.cells if "exercise" in c.metadata.get("course", {})}
    kinds = {}
    for n in range(count):
        kind, learner = KINDS[n % len(KINDS)], f"learner{n:02d}"
        nb = nbformat.read((ROOT / "solutions" if kind == "solved" else ROOT / "notebooks") / CHAPTER, as_version=4)
        for cell in nb.cells:
            exercise = cell.metadata.get("course", {}).get("exercise")
            if kind == "partly" and exercise in ("2.1", "2.2"):
                cell.source = answers[exercise]
            if kind == "crashing" and exercise == "2.1":
                cell.source = CRASH
            if kind == "crashing" and exercise == "2.2":
                cell.source = answers[exercise]
        (folder / learner).mkdir(parents=True)
        nbformat.write(nb, folder / learner / CHAPTER)
        kinds[learner] = kind
    return kinds


def check_gradebook(gradebook: Path, results: Path, grades: list) -> str:
    """Nothing lost or graded twice: one row per submission, totals equal to each learner's results.json."""
    with open(gradebook, newline="") as f:
        rows = list(csv.DictReader(f))
    learners = [r["learner"] for r in rows]
    problems = []
    if len(rows) != len(grades) or len(set(learners)) != len(learners):
        problems.append(f"{len(rows)} rows for {len(grades)} submissions ({len(set(learners))} distinct learners)")
    for row in rows:
        data = json.loads((results / f"results-{row['learner']}.json").read_text())
        if abs(float(row["total"]) - data["score"]) > 1e-9:
            problems.append(f"{row['learner']}: gradebook {row['total']}, results.json {data['score']}")
    return "; ".join(problems) or f"ok: {len(rows)} rows, {len(set(learners))} learners, totals match results.json"


def main() -> None:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--count", type=int, default=40)
    p.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    p.add_argument("--timeout", type=float, default=60.0, help="time limit per case (course grade --timeout)")
    p.add_argument("--keep", type=Path, default=None, help="keep the submissions, gradebooks, feedback and results here")
    args = p.parse_args()
    from course_lib.tooling.classroom import grade

    work = args.keep or Path(tempfile.mkdtemp(prefix="grading-bench-"))
    submissions = work / "submissions"
    kinds = make_submissions(submissions, args.count)
    rows, runs, summary, checks = [], [], "", []
    for jobs in args.jobs:
        out_dir = work / f"jobs-{jobs}"
        log = io.StringIO()
        started = time.perf_counter()
        grades = grade([submissions], timeout=args.timeout, json_path=out_dir / "results.json", out=log, jobs=jobs,
                       gradebook=out_dir / "grades.csv", feedback=out_dir / "feedback")
        seconds = time.perf_counter() - started
        per_minute = len(grades) / seconds * 60
        outside = statistics.fmean(g.overhead for g in grades)
        wall = statistics.fmean(g.wall_time for g in grades)
        ratio = per_minute / runs[0]["per_minute"] if runs else 1.0
        runs.append({"jobs": jobs, "seconds": round(seconds, 1), "per_minute": round(per_minute, 2), "ratio": round(ratio, 2),
                     "outside_mean": round(outside, 2), "wall_mean": round(wall, 2)})
        rows.append((str(jobs), f"{seconds:.0f}", f"{per_minute:.2f}", f"{ratio:.2f}", f"{wall:.1f}", f"{outside:.1f}",
                     f"{100 * outside / wall:.0f}%"))
        checks.append(f"--jobs {jobs}: {check_gradebook(out_dir / 'grades.csv', out_dir, grades)}")
        summary = log.getvalue()[log.getvalue().index("class summary"):].split("\nwrote ")[0]
    print(f"\ngrading {args.count} submissions of {CHAPTER} ({', '.join(f'{KINDS.count(k) * args.count // len(KINDS)} {k}' for k in KINDS)}) "
          f"on {os.cpu_count()} CPUs, --timeout {args.timeout:g}\n")
    _common.print_table(rows, ("jobs", "seconds", "submissions/min", "ratio", "s per submission", "outside the notebook",
                               "share"))
    print("\n" + "\n".join(checks))
    partly = next(learner for learner, kind in kinds.items() if kind == "partly")
    print(f"\nresults.json of {partly} (partly solved), --jobs {args.jobs[-1]}:")
    print((work / f"jobs-{args.jobs[-1]}" / f"results-{partly}.json").read_text())
    print(summary)
    if args.keep is None:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    _common.write_json(args.json, {"cpus": os.cpu_count(), "count": args.count, "runs": runs, "summary": summary})


if __name__ == "__main__":
    sys.exit(main())
