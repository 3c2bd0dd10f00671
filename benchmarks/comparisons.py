"""Notebook 07's measurement as a benchmark: six models x five seeds (three in quick), one table, nine verdicts.

Usage: python benchmarks/comparisons.py [--device D] [--json PATH] [--profile full|quick] [--record]

The models come from the ``pretrained`` cache of the data directory (``COURSE_DATA_DIR``), and what is missing is
trained, exactly as in notebook 07: after a run of the notebook this takes a minute. ``--record`` (``full`` profile
only) stores the table, the settings and the time as the course's reference run
(``course_lib/analysis/comparison/recorded_runs/07_comparisons_full.json``), the verdicts notebook 07 quotes for the ``full`` profile.
JSON keys: device, profile, minutes (training from an empty cache plus measuring), table, verdicts.
"""
from __future__ import annotations

import time

import _common

REFERENCE_NAME = "07_comparisons_full"


def main() -> None:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--profile", default="full", choices=("quick", "full"))
    p.add_argument("--record", action="store_true", help="store the result as the course's reference run")
    args = p.parse_args()
    if args.record and args.profile != "full":
        raise SystemExit("--record stores the verdicts of the full profile; run it with --profile full.")

    from course_lib.analysis.comparison.claims import judge_all
    from course_lib.analysis.comparison.measure import CONTENDERS, comparison_seeds, format_table, measure
    from course_lib.config import get_device
    from course_lib.data import load
    from course_lib.train import course_classifier
    from course_lib.analysis.comparison.recorded import record_run
    from course_lib.train import pretrained
    from course_lib.train.pretrained import RECIPES

    device = get_device(args.device)
    seeds = comparison_seeds(args.profile)
    data = load("mnist-5k", device=device)
    classifier = course_classifier(device)
    models: dict = {name: {} for name in CONTENDERS}
    seconds: dict = {name: {} for name in CONTENDERS}
    for name, recipe in CONTENDERS.items():
        for seed in seeds:
            model = pretrained(recipe, args.profile, device=device, seed=seed)
            models[name][seed], seconds[name][seed] = model, model.training_record.seconds
    start = time.perf_counter()
    table = measure(models, data, seconds=seconds, classifier=classifier, seed=0).table
    measuring = time.perf_counter() - start
    minutes = (sum(s for by_seed in seconds.values() for s in by_seed.values()) + measuring) / 60

    print(f"\nprofile {args.profile}, device {device}, seeds {list(seeds)}: {minutes:.1f} minutes from an empty cache "
          f"(training {minutes - measuring / 60:.1f}, measuring {measuring / 60:.1f})\n")
    print(format_table(table))
    judgements = judge_all(table)
    print()
    _common.print_table([(str(j.claim.number), j.verdict, j.evidence) for j in judgements], ("claim", "verdict", "measured"))
    if args.record:
        path = record_run(REFERENCE_NAME, table, recipes=sorted({RECIPES[r].settings for r in CONTENDERS.values()}),
                                device=_common.describe_device(device), profile=args.profile, seeds=list(seeds),
                                minutes=minutes)
        print(f"\nrecorded the reference run in {path}")
    _common.write_json(args.json, {"device": str(device), "profile": args.profile, "minutes": round(minutes, 2),
                                   "table": table, "verdicts": {j.claim.number: j.verdict for j in judgements}})


if __name__ == "__main__":
    main()
