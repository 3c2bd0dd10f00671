"""course build: student notebooks generated from solutions/, and the mistakes the build refuses."""
from __future__ import annotations

import io
import re
from argparse import Namespace
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course_lib.tooling.authoring import BEGIN, END, NotebookReadError, build, build_main, read_notebook, strip_solution

ROOT = Path(__file__).resolve().parents[1]

ANSWER = f"""def normalize_images(x):
    \"\"\"uint8 -> [0, 1]\"\"\"
    {BEGIN}
    y = x.float()
    return y / 255
    {END}
"""
CHECK = 'normalize_images = check("0.1", normalize_images)'


def exercise(source: str = ANSWER, exercise_id: str = "0.1", points: int = 2) -> nbformat.NotebookNode:
    return new_code_cell(source, metadata={"course": {"exercise": exercise_id, "points": points}})


def write_solution(root: Path, cells: list, name: str = "00_start_here.ipynb", chapter: str | None = "00") -> Path:
    nb = new_notebook(cells=cells, metadata={"course": {"chapter": chapter}} if chapter else {})
    path = root / "solutions" / name
    path.parent.mkdir(exist_ok=True)
    nbformat.write(nb, path)
    return path


def run_build(root: Path, check: bool = False):
    out = io.StringIO()
    result = build(root, check=check, out=out)
    return result, out.getvalue()


def test_a_solution_region_becomes_a_stub_at_the_markers_indent():
    source, problems = strip_solution(ANSWER)
    assert not problems
    assert source == 'def normalize_images(x):\n    """uint8 -> [0, 1]"""\n    # YOUR CODE HERE\n    raise NotImplementedError()\n'


def test_two_regions_in_a_class_become_two_stubs():
    source, problems = strip_solution(f"class Net:\n    def __init__(self):\n        {BEGIN}\n        self.a = 1\n        {END}\n"
                                      f"    def forward(self, x):\n        {BEGIN}\n        return x\n        {END}\n")
    assert not problems
    assert source.count("        raise NotImplementedError()") == 2 and "self.a" not in source and "return x" not in source


def test_the_student_notebook_has_stubs_no_outputs_and_the_same_ids_and_metadata(tmp_path):
    cell = exercise()
    cell.outputs = [new_output("stream", text="hello")]
    cell.execution_count = 3
    intro = new_markdown_cell("# Start here")
    write_solution(tmp_path, [intro, cell, new_code_cell(CHECK, execution_count=4, outputs=[new_output("stream", text="passed")])])
    result, text = run_build(tmp_path)
    assert result.ok and result.written == ["notebooks/00_start_here.ipynb"], text
    student = read_notebook(tmp_path / "notebooks" / "00_start_here.ipynb")
    assert [c.id for c in student.cells] == [intro.id, cell.id, student.cells[2].id]
    assert student.cells[1].metadata == {"course": {"exercise": "0.1", "points": 2}}
    assert student.metadata["course"] == {"chapter": "00"}
    assert "raise NotImplementedError()" in student.cells[1].source and "/ 255" not in student.cells[1].source
    assert all(c.outputs == [] and c.execution_count is None for c in student.cells if c.cell_type == "code")


def test_cells_tagged_nbval_check_output_keep_their_reference_output_and_their_tags(tmp_path):
    shape = new_code_cell("print((4000, 1, 28, 28))", execution_count=1, metadata={"tags": ["nbval-check-output"]},
                          outputs=[new_output("stream", text="(4000, 1, 28, 28)\n")])
    plot = new_code_cell("print('a widget')", execution_count=2, metadata={"tags": ["nbval-ignore-output"]},
                         outputs=[new_output("stream", text="a widget\n")])
    write_solution(tmp_path, [shape, plot])
    result, text = run_build(tmp_path)
    assert result.ok, text
    student = read_notebook(tmp_path / "notebooks" / "00_start_here.ipynb")
    assert student.cells[0].outputs == shape.outputs and student.cells[0].execution_count == 1
    assert student.cells[1].outputs == [] and student.cells[1].execution_count is None
    assert [c.metadata["tags"] for c in student.cells] == [["nbval-check-output"], ["nbval-ignore-output"]]


@pytest.mark.parametrize("marker, tag", [("# NBVAL_CHECK_OUTPUT", "nbval-check-output"),
                                         ("# NBVAL_IGNORE_OUTPUT", "nbval-ignore-output")])
def test_an_nbval_comment_in_the_source_is_refused_and_the_message_names_the_tag(tmp_path, marker, tag):
    write_solution(tmp_path, [new_code_cell(f"x = 1\n{marker}\nprint(x)")])
    result, text = run_build(tmp_path)
    assert not result.ok and marker in text and f'"tags": ["{tag}"]' in text and "line 2" in text, text
    assert not (tmp_path / "notebooks" / "00_start_here.ipynb").exists(), "a refused build writes nothing"


def test_no_notebook_of_the_course_carries_an_nbval_comment_a_learner_would_read():
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        for cell in read_notebook(path).cells:
            assert "NBVAL_" not in cell.source, f"{path.name}, cell {cell.get('id')}: use nbval's cell tags instead"


def test_check_passes_after_a_build_and_names_a_notebook_out_of_date(tmp_path):
    write_solution(tmp_path, [exercise(), new_code_cell(CHECK)])
    assert build_main(Namespace(root=tmp_path, check=False)) == 0
    assert build_main(Namespace(root=tmp_path, check=True)) == 0
    write_solution(tmp_path, [new_markdown_cell("new intro"), exercise(), new_code_cell(CHECK)])
    before = (tmp_path / "notebooks" / "00_start_here.ipynb").read_text()
    result, text = run_build(tmp_path, check=True)
    assert not result.ok and "out of date: notebooks/00_start_here.ipynb" in text
    assert (tmp_path / "notebooks" / "00_start_here.ipynb").read_text() == before, "--check writes nothing"
    assert build_main(Namespace(root=tmp_path, check=True)) == 1


def test_a_student_notebook_without_a_source_is_out_of_date(tmp_path):
    write_solution(tmp_path, [new_code_cell("x = 1")])
    run_build(tmp_path)
    nbformat.write(new_notebook(), tmp_path / "notebooks" / "07_orphan.ipynb")
    result, text = run_build(tmp_path, check=True)
    assert "out of date: notebooks/07_orphan.ipynb" in text
    run_build(tmp_path)
    assert not (tmp_path / "notebooks" / "07_orphan.ipynb").exists()


REFUSALS = {
    "unterminated": ([exercise(f"def f(x):\n    {BEGIN}\n    return x\n"), new_code_cell(CHECK)], "cell 1", "line 2", "unterminated"),
    "nested": ([exercise(f"def f(x):\n    {BEGIN}\n    {BEGIN}\n    return x\n    {END}\n"), new_code_cell(CHECK)], "cell 1", "line 3", "nested"),
    "malformed marker": ([exercise(f"def f(x):\n    {BEGIN}\n    return x\n    ## END SOLUTION\n"), new_code_cell(CHECK)], "cell 1", "line 4", "malformed marker"),
    "top-level region": ([exercise(f"{BEGIN}\nx = 1\n{END}\n"), new_code_cell(CHECK)], "cell 1", "line 1", "top level"),
    "answer left in the student cell": ([exercise("def f(x):\n    return x / 255\n"), new_code_cell(CHECK)], "cell 1", "", "would show the answer"),
    "markers outside an exercise": ([new_code_cell(ANSWER)], "cell 1", "", "without exercise metadata"),
    "markers in markdown": ([new_markdown_cell(f"{BEGIN}\nsecret\n{END}")], "cell 1", "", "markdown cell"),
    "no check right after": ([exercise(), new_markdown_cell("now check"), new_code_cell(CHECK)], "cell 1", "", "needs a check right after"),
    "two exercises with one id": ([exercise(), new_code_cell(CHECK), exercise(), new_code_cell(CHECK)], "cell 3", "", "two exercises with the id 0.1"),
    "unregistered id": ([exercise(exercise_id="0.77"), new_code_cell(CHECK.replace("0.1", "0.77"))], "cell 1", "", "0.77 is not registered"),
    "wrong chapter": ([exercise(exercise_id="1.1"), new_code_cell(CHECK.replace("0.1", "1.1"))], "cell 1", "", "belongs to chapter 1"),
    "no points": ([exercise(points=0), new_code_cell(CHECK)], "cell 1", "", "positive number of points"),
}


@pytest.mark.parametrize("cells, cell, line, words", REFUSALS.values(), ids=REFUSALS.keys())
def test_the_build_refuses_with_file_cell_and_line(tmp_path, cells, cell, line, words):
    write_solution(tmp_path, cells)
    result, text = run_build(tmp_path)
    assert not result.ok and not (tmp_path / "notebooks").exists(), "nothing is written"
    message = next(str(p) for p in result.problems if words in str(p))
    assert message.startswith(f"solutions/00_start_here.ipynb, {cell} (id ")
    assert line in message
    assert f"error: {message}" in text


def test_the_build_needs_the_chapter_in_the_notebook_metadata(tmp_path):
    write_solution(tmp_path, [new_code_cell("x = 1")], chapter=None)
    result, _ = run_build(tmp_path)
    assert any('"chapter": "00"' in str(p) for p in result.problems)


@pytest.mark.parametrize("text, words", [("{not json", "not valid JSON (line 1"), ('{"a": 1}', "not a Jupyter notebook"),
                                         ('{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code"}]}', "not a valid Jupyter notebook")])
def test_reading_a_corrupt_notebook_says_what_is_wrong(tmp_path, text, words):
    path = tmp_path / "broken.ipynb"
    path.write_text(text)
    with pytest.raises(NotebookReadError, match=re.escape(words)):
        read_notebook(path)
