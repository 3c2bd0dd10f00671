"""Recorded reference runs: round trip, staleness, and the course's own record of notebook 07's full profile."""
import json

import pytest

from course_lib.analysis.comparison import recorded as reference
from course_lib.analysis.comparison.claims import VERDICTS, judge_all
from course_lib.analysis.comparison.measure import CONTENDERS, REAL, comparison_seeds
from course_lib.analysis.comparison.recorded import load_recorded_run, record_run
from course_lib.train.pretrained import RECIPES
from course_lib.train.settings import SETTINGS

TABLE = {"AE": {"recon_train": 9.0, "fd_cv": float("nan"), "label_accuracy": None}, REAL: {"fd": 2.5}}


def test_a_recorded_run_reads_back_as_written(tmp_path):
    path = record_run("demo", TABLE, recipes=["vae"], device="CPU", profile="full", seeds=[0, 1], minutes=3.14,
                            folder=tmp_path)
    run = load_recorded_run("demo", folder=tmp_path)
    assert path.name == "demo.json" and reference.available(tmp_path) == ["demo"]
    assert run.table["AE"]["recon_train"] == 9.0 and run.table["AE"]["label_accuracy"] is None
    assert run.seeds == [0, 1] and run.minutes == 3.1 and run.stale() == []
    assert "recorded" in run.describe() and "WARNING" not in run.describe()


def test_a_change_of_settings_makes_the_record_stale(tmp_path, monkeypatch):
    record_run("demo", TABLE, recipes=["vae", "cvae"], device="CPU", profile="full", seeds=[0], folder=tmp_path)
    changed = {**SETTINGS["cvae"], "full": {**SETTINGS["cvae"]["full"], "train": {**SETTINGS["cvae"]["full"]["train"], "beta": 1.0}}}
    monkeypatch.setitem(reference.SETTINGS, "cvae", changed)
    run = load_recorded_run("demo", folder=tmp_path)
    assert run.stale() == ["cvae"]
    assert "WARNING" in run.describe() and "cvae" in run.describe() and reference.RECORD_COMMAND in run.describe()


def test_missing_and_corrupt_records_say_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="benchmarks/comparisons.py --record"):
        load_recorded_run("nothing-here", folder=tmp_path)
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(ValueError, match="not a valid reference run"):
        load_recorded_run("broken", folder=tmp_path)
    (tmp_path / "odd.json").write_text(json.dumps({"table": {}}))
    with pytest.raises(ValueError, match="re-record"):
        load_recorded_run("odd", folder=tmp_path)


def test_the_course_record_of_notebook_07_is_current_and_complete():
    run = load_recorded_run("07_comparisons_full")
    assert run.profile == "full" and run.seeds == list(comparison_seeds("full")) and len(run.seeds) >= 5
    assert set(run.settings) == {RECIPES[r].settings for r in CONTENDERS.values()}
    assert run.stale() == [], (f"the settings of {run.stale()} changed since the reference run of notebook 07 was "
                               f"recorded; re-record it: {reference.RECORD_COMMAND}")
    assert set(run.table) == {REAL, *CONTENDERS}
    for name in CONTENDERS:  # the budget each verdict holds under, and the rulers beyond the FD
        row = run.table[name]
        assert all(row.get(k) is not None for k in ("code_size", "parameters", "steps", "images_seen", "train_seconds", "precision",
                                                    "recall", "copies", "fd_cv_low", "fd_cv_high")), name
    judgements = judge_all(run.table)
    assert [j.claim.number for j in judgements] == list(range(1, 10))
    assert all(j.verdict in VERDICTS for j in judgements)


# Section 5 of notebook 07 discusses the reference run's verdicts in words; a re-recording that changes one of them
# must come with a revised discussion (and this table).
DISCUSSED_VERDICTS = {1: "depends", 2: "depends", 3: "holds", 4: "holds", 5: "depends", 6: "does not hold", 7: "depends",
                      8: "holds", 9: "does not hold"}


def test_the_discussion_of_notebook_07_matches_the_recorded_verdicts():
    verdicts = {j.claim.number: j.verdict for j in judge_all(load_recorded_run("07_comparisons_full").table)}
    changed = {n: (DISCUSSED_VERDICTS[n], v) for n, v in verdicts.items() if v != DISCUSSED_VERDICTS[n]}
    assert not changed, f"claims whose verdict changed (discussed, recorded): {changed}; revise notebook 07, section 5"
