"""A number in the text is what its label says: notebook 05's table of the settings it really uses matches
``course_lib.train.settings`` (full profile), so changing a setting without the text fails here."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from course_lib.train.settings import SETTINGS

ROOT = Path(__file__).resolve().parents[1]
ROWS = {"GAN, ring": "ring8_gan", "WGAN, ring": "ring8_wgan", "WGAN-GP, ring": "ring8_wgan_gp",
        "GAN, grid": "grid25_gan", "WGAN, grid": "grid25_wgan", "WGAN-GP, grid": "grid25_wgan_gp", "WGAN-GP, MNIST": "wgan_gp"}


def settings_table() -> dict[str, list[str]]:
    nb = nbformat.read(ROOT / "solutions" / "05_gan_wgan.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.get("id") == "wgan-md")
    rows = [[part.strip() for part in line.strip("|").split("|")] for line in cell.source.splitlines() if line.startswith("| ")]
    return {row[0]: row[1:] for row in rows if row[0] in ROWS}


def number(text: str) -> float | None:
    return None if text == "-" else float(text.replace(",", ""))


@pytest.mark.parametrize("row", list(ROWS))
def test_the_settings_table_of_notebook_05_is_what_the_runs_use(row):
    steps, n_critic, batch, clip, weight, optimiser = settings_table()[row]
    train = SETTINGS[ROWS[row]]["full"]["train"]
    assert number(steps) == train["steps"]
    assert number(n_critic) == train.get("n_critic", 1)
    assert number(batch) == train["batch_size"]
    assert number(clip) == (train.get("clip") if train["mode"] == "wgan" else None)
    assert number(weight) == (train.get("gp_weight") if train["mode"] == "wgan_gp" else None)
    assert optimiser.lower().startswith(train.get("optimizer", "adam"))
    lr = re.search(r"lr ([0-9.e-]+)", optimiser)
    assert lr and float(lr.group(1)) == train["lr"]


def test_the_toy_runs_of_notebook_05_have_equal_generator_steps_on_each_set():
    for profile in ("quick", "full"):
        for toy in ("ring8", "grid25"):
            steps = {mode: SETTINGS[f"{toy}_{mode}"][profile]["train"]["steps"] for mode in ("gan", "wgan", "wgan_gp")}
            assert len(set(steps.values())) == 1, (profile, toy, steps)
