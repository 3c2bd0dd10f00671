"""Grading a class: what counts as a submission (folders, globs, zips, safely unpacked), and one grader
that crashes costing only its own submission's grade."""
from __future__ import annotations

import io
import stat
import sys
import zipfile
from pathlib import Path

import pytest

from course_lib.tooling import classroom
from course_lib.tooling.submissions import SubmissionsError, collect, unpack_zip

NOTEBOOK = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


def write(path: Path, text: str = NOTEBOOK) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def names(submissions) -> list[str]:
    return [s.learner for s in submissions]


def test_a_folder_per_learner_gives_the_folders_name_and_checkpoints_are_left_out(tmp_path):
    root = tmp_path / "export"
    write(root / "submission_101" / "02_vae.ipynb")
    write(root / "submission_102" / "02_vae.ipynb")
    write(root / "submission_102" / ".ipynb_checkpoints" / "02_vae-checkpoint.ipynb")
    write(root / "carol" / "a.ipynb"), write(root / "carol" / "b.ipynb")
    write(root / "loose.ipynb")
    found = collect([root], tmp_path / "scratch")
    assert names(found) == ["carol/a", "carol/b", "loose", "submission_101", "submission_102"]
    assert all(s.root == root for s in found)


def test_files_and_globs_take_the_stem_and_the_same_file_named_twice_is_graded_once(tmp_path):
    a, b = write(tmp_path / "x" / "alice.ipynb"), write(tmp_path / "y" / "alice.ipynb")
    found = collect([a, str(tmp_path / "*" / "*.ipynb")], tmp_path / "scratch")
    assert names(found) == ["alice", "alice-2"] and [s.path for s in found] == [a, b]


def test_a_zip_is_unpacked_into_scratch_with_one_name_per_learner(tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("submission_1/lab.ipynb", NOTEBOOK)
        zf.writestr("submission_2/lab.ipynb", NOTEBOOK)
        zf.writestr("submission_metadata.yml", "{}")
        zf.writestr("__MACOSX/submission_1/._lab.ipynb", "junk")
    found = collect([archive], tmp_path / "scratch")
    assert names(found) == ["submission_1", "submission_2"]
    assert all((tmp_path / "scratch") in s.path.parents and s.path.read_text() == NOTEBOOK for s in found)
    assert not list((tmp_path / "scratch").rglob("*.yml"))  # only notebooks come out


@pytest.mark.parametrize("member, why", [("../evil.ipynb", "outside"), ("/etc/evil.ipynb", "outside"),
                                          ("a/../../evil.ipynb", "outside")])
def test_a_zip_member_outside_its_folder_is_refused(tmp_path, member, why):
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(member, NOTEBOOK)
    with pytest.raises(SubmissionsError, match=why):
        unpack_zip(archive, tmp_path / "out")
    assert not (tmp_path / "evil.ipynb").exists()


def test_a_symbolic_link_in_a_zip_is_refused(tmp_path):
    archive = tmp_path / "link.zip"
    info = zipfile.ZipInfo("a/link.ipynb")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(SubmissionsError, match="symbolic link"):
        unpack_zip(archive, tmp_path / "out")


def test_a_zip_bomb_is_stopped_at_the_size_limit(tmp_path, monkeypatch):
    monkeypatch.setattr("course_lib.tooling.submissions.MAX_NOTEBOOK_BYTES", 1000)
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a/big.ipynb", "x" * 100_000)
    with pytest.raises(SubmissionsError, match="MiB"):
        unpack_zip(archive, tmp_path / "out")


def test_names_that_give_nothing_are_clear_errors(tmp_path):
    write(tmp_path / "empty.zip", "not a zip")
    (tmp_path / "nothing").mkdir()
    with pytest.raises(SubmissionsError, match="no such file"):
        collect([tmp_path / "typo.ipynb"], tmp_path / "s")
    with pytest.raises(SubmissionsError, match="no notebook matches"):
        collect([str(tmp_path / "*.ipynb")], tmp_path / "s")
    with pytest.raises(SubmissionsError, match="no .ipynb"):
        collect([tmp_path / "nothing"], tmp_path / "s")


def test_course_grade_says_what_was_wrong_with_its_arguments(tmp_path, capsys):
    from course_lib.tooling.cli import main

    assert main(["grade", str(tmp_path / "missing")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


CRASHING_GRADER = '''
import os, sys
if os.path.basename(sys.argv[1]) == "crash.ipynb":
    print("the grader fell over", flush=True)
    os._exit(3)
from course_lib.tooling.grade_process import main
sys.exit(main())
'''


def test_a_grader_that_crashes_costs_only_its_own_submission(tmp_path, monkeypatch):
    """A grading process that dies (here: a grader module that exits on one submission) gives that
    submission a note and no score; the others are graded as usual, in order."""
    write(tmp_path / "fake" / "fake_grader.py", CRASHING_GRADER)
    monkeypatch.setenv("PYTHONPATH", f"{tmp_path / 'fake'}{':' + sys.path[0] if sys.path[0] else ''}")
    monkeypatch.setattr(classroom, "GRADER_MODULE", "fake_grader")
    subs = tmp_path / "subs"
    write(subs / "ann.ipynb", "not json")
    write(subs / "crash.ipynb")
    write(subs / "zed.ipynb", "not json either")
    out = io.StringIO()
    grades = classroom.grade([subs], timeout=5, out=out, jobs=2, gradebook=tmp_path / "grades.csv")
    assert [g.learner for g in grades] == ["ann", "crash", "zed"]
    assert "not valid JSON" in grades[0].error and "not valid JSON" in grades[2].error
    assert grades[1].error.startswith("not graded: the grading process exited with status 3")
    assert "the grader fell over" in grades[1].error and grades[1].score == 0
    assert len((tmp_path / "grades.csv").read_text().splitlines()) == 4
