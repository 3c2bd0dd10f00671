"""`course notebooks [DEST]`: a learner with only the installed package gets the notebooks, and never loses a file."""
from __future__ import annotations

from pathlib import Path

from course_lib.tooling.cli import main
from course_lib.tooling.shipped_notebooks import copy_notebooks, notebooks_folder

ROOT = Path(__file__).resolve().parents[1]
NAMES = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_a_checkout_reads_the_notebooks_from_its_notebooks_folder():
    assert notebooks_folder() == ROOT / "notebooks"
    assert "00_start_here.ipynb" in NAMES


def test_the_command_copies_every_learner_notebook_byte_for_byte(tmp_path, capsys):
    dest = tmp_path / "course"
    assert main(["notebooks", str(dest)]) == 0
    assert sorted(p.name for p in dest.iterdir()) == NAMES
    assert all((dest / n).read_bytes() == (ROOT / "notebooks" / n).read_bytes() for n in NAMES)
    out = capsys.readouterr().out
    assert f"Copied {len(NAMES)} notebooks into {dest}" in out and "00_start_here.ipynb" in out and "Kept" not in out


def test_the_default_folder_is_dgm_course_in_the_working_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["notebooks"]) == 0
    assert sorted(p.name for p in (tmp_path / "dgm-course").iterdir()) == NAMES


def test_a_notebook_already_there_is_kept_and_reported(tmp_path, capsys):
    (tmp_path / NAMES[1]).write_text("the learner's work", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["notebooks", str(tmp_path)]) == 0
    assert (tmp_path / NAMES[1]).read_text(encoding="utf-8") == "the learner's work"
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"
    out = capsys.readouterr().out
    assert f"Copied {len(NAMES) - 1} notebooks" in out
    assert "Kept 1 that was already there (not overwritten" in out and f"  {NAMES[1]}" in out


def test_running_it_twice_copies_nothing_the_second_time(tmp_path):
    first = copy_notebooks(tmp_path)
    second = copy_notebooks(tmp_path)
    assert first.copied == NAMES and not first.kept
    assert not second.copied and second.kept == NAMES


def test_a_file_as_destination_is_a_clear_error(tmp_path, capsys):
    target = tmp_path / "taken.ipynb"
    target.write_text("x", encoding="utf-8")
    assert main(["notebooks", str(target)]) == 1
    assert "is a file, not a folder" in capsys.readouterr().out
    assert target.read_text(encoding="utf-8") == "x"
