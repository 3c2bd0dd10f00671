"""How long does the course take? Executes every notebook of solutions/ (or notebooks/) headless and times each.

Usage: python benchmarks/course_time.py [--profile quick|full] [--device D] [--json PATH] [--only 01,02] [--save DIR]
                                        [--source solutions|notebooks] [--models live|shipped]
--save DIR keeps each executed notebook (with its figures) in DIR, for looking at the results afterwards;
``--source notebooks --profile full --save site/executed`` records the outputs the course website shows.
JSON keys: device, profile, seconds (dict keyed by notebook file name), total.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import _common

ROOT = Path(__file__).resolve().parents[1]


def run_notebook(path: Path, env: dict[str, str], timeout: int, save: Path | None = None) -> tuple[float, str]:
    """Execute one notebook in a fresh kernel (kept in ``save`` when given); return (seconds, 'ok' or the first error)."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the kernel inherits this process's environment
    start = time.perf_counter()
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
        status = "ok"
    except CellExecutionError as err:
        status = "error: " + str(err).strip().splitlines()[-1][:120]
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    seconds = time.perf_counter() - start
    if save is not None:
        save.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, save / path.name)
    return seconds, status


def main() -> dict:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--profile", choices=["quick", "full"], default="quick")
    p.add_argument("--only", default=None, help="comma-separated notebook numbers, e.g. 01,02")
    p.add_argument("--timeout", type=int, default=1800, help="time limit per cell in seconds")
    p.add_argument("--save", type=Path, default=None, help="folder to keep the executed notebooks in")
    p.add_argument("--models", choices=["live", "shipped"], default="live",
                   help="train the models (live) or load the course's shipped ones where there is one (COURSE_MODELS)")
    p.add_argument("--source", choices=["solutions", "notebooks"], default="solutions",
                   help="run the reference solutions or the learner's notebooks (exercise stubs fall back to the reference)")
    args = p.parse_args()

    from course_lib.config import get_device

    device = get_device(args.device)
    notebooks = sorted((ROOT / args.source).glob("[0-9][0-9]_*.ipynb"))
    if args.only:
        keep = set(args.only.split(","))
        notebooks = [nb for nb in notebooks if nb.name[:2] in keep]
    if not notebooks:
        sys.exit(f"no notebooks found in {args.source}/")
    # no MPLBACKEND: the kernel draws figures inline, as in JupyterLab (and the time includes drawing them)
    os.environ.pop("MPLBACKEND", None)
    env = {"COURSE_PROFILE": args.profile, "COURSE_DEVICE": device.type, "COURSE_PROGRESS": "0", "COURSE_MODELS": args.models}
    seconds: dict[str, float] = {}
    rows = []
    for nb in notebooks:
        t, status = run_notebook(nb, env, args.timeout, args.save)
        seconds[nb.name] = round(t, 1)
        rows.append((nb.name, f"{t:7.1f}", status))
        print(f"  {nb.name}: {t:.1f} s ({status})", file=sys.stderr)
    total = round(sum(seconds.values()), 1)
    print(f"\nprofile {args.profile}, models {args.models}, {args.source}/, device {device}, {os.cpu_count()} CPU cores\n")
    _common.print_table(rows + [("total", f"{total:7.1f}", "")], ("notebook", "seconds", "status"))
    results = {"device": str(device), "profile": args.profile, "models": args.models, "source": args.source,
               "seconds": seconds, "total": total}
    _common.write_json(args.json, results)
    return results


if __name__ == "__main__":
    main()
