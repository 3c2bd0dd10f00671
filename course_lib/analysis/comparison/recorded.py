"""Recorded reference runs: a measured table, the date, the machine and the settings it was measured with.

Notebook 07 in the ``quick`` profile trains for seconds, so its verdicts say little about the models. The
verdicts of the ``full`` profile come from a recorded run of the same measurement (``benchmarks/comparisons.py
--record``), stored next to this module as JSON. The notebook computes the verdicts from the recorded *numbers*
with the same rules (``course_lib.analysis.comparison.claims``), so no verdict is typed by hand, and :meth:`RecordedRun.stale`
says when the course's settings have changed since the recording (``tests/test_recorded_runs.py`` fails then).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Iterable, Mapping

from ...train.settings import SETTINGS

RECORDED_DIR = Path(__file__).parent / "recorded_runs"
RECORD_COMMAND = "python benchmarks/comparisons.py --record"


def _plain(value: Any) -> Any:
    """``value`` as it reads back from JSON (tuples become lists), so recorded and current settings compare."""
    return json.loads(json.dumps(value))


def settings_snapshot(recipes: Iterable[str], profile: str = "full") -> dict[str, Any]:
    """The settings of ``recipes`` under ``profile``, as stored in a record."""
    return {recipe: _plain(SETTINGS[recipe][profile]) for recipe in recipes}


@dataclass(frozen=True)
class RecordedRun:
    """One recorded run: ``table[model][metric]`` as :func:`course_lib.analysis.comparison.measure.measure` returns it."""

    name: str
    recorded: str
    device: str
    profile: str
    seeds: list[int]
    minutes: float | None
    settings: dict[str, Any]
    table: dict[str, dict[str, float | None]]

    def stale(self) -> list[str]:
        """The recipes whose settings differ from the course's current ones (empty when the record is current)."""
        now = settings_snapshot(self.settings, self.profile)
        return sorted(recipe for recipe in self.settings if self.settings[recipe] != now[recipe])

    def describe(self) -> str:
        """One paragraph: when, where and with what the run was recorded, and whether it is still current."""
        took = f", {self.minutes:.0f} minutes from an empty cache" if self.minutes else ""
        text = (f"Reference run {self.name!r}: profile {self.profile}, seeds {self.seeds}, recorded {self.recorded} "
                f"on {self.device}{took}.")
        stale = self.stale()
        if stale:
            text += (f"\nWARNING: the settings of {', '.join(stale)} have changed since; these numbers are out of date "
                     f"(re-record with `{RECORD_COMMAND}`).")
        return text


def available(folder: Path | None = None) -> list[str]:
    """The names of the recorded runs in ``folder`` (default: the course's own records)."""
    return sorted(p.stem for p in (folder or RECORDED_DIR).glob("*.json"))


def load_recorded_run(name: str, folder: Path | None = None) -> RecordedRun:
    """Read the recorded run ``name`` (e.g. ``"07_comparisons_full"``) from ``folder`` (default: the course's records)."""
    folder = folder or RECORDED_DIR
    path = folder / f"{name}.json"
    if not path.exists():
        raise FileNotFoundError(f"no reference run named {name!r} in {folder}; recorded runs: "
                                f"{', '.join(available(folder)) or 'none'}. Record one with `{RECORD_COMMAND}`.")
    try:
        record = json.loads(path.read_text())
        return RecordedRun(name=name, **record)
    except (json.JSONDecodeError, TypeError) as err:
        raise ValueError(f"{path} is not a valid reference run ({err}); re-record it with `{RECORD_COMMAND}`.") from err


def record_run(
    name: str,
    table: Mapping[str, Mapping[str, float | None]],
    *,
    recipes: Iterable[str],
    device: str,
    profile: str,
    seeds: list[int],
    minutes: float | None = None,
    folder: Path | None = None,
) -> Path:
    """Write a run to ``folder`` (default: the course's own records) and return the file."""
    record = {
        "recorded": date.today().isoformat(), "device": device, "profile": profile, "seeds": list(seeds),
        "minutes": None if minutes is None else round(minutes, 1),
        "settings": settings_snapshot(recipes, profile), "table": _plain(table),
    }
    path = (folder or RECORDED_DIR) / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    return path
