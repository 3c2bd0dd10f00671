"""The course as a learner meets it: JupyterLab in headless Chromium, driven by Playwright.

JupyterLab is started the way README's ``make lab`` starts it (``.venv/bin/jupyter lab``), on a
temporary copy of ``notebooks/`` and ``solutions/`` (nothing a learner wrote is touched), on
127.0.0.1 with a free port and a random token, in the ``quick`` profile. Each test opens one notebook,
runs every cell with JupyterLab's "Run All Cells", waits for the kernel to go idle and reads the page:
no errors, the checks' feedback, the explorer drawn as a real widget whose picture changes when its
slider moves, figures drawn as images. Screenshots go to ``artifacts/browser/`` (git-ignored).

Needs the system Chromium (``apt-get install chromium``) and Playwright's Python package (in the
``dev`` extra; no browser download); skipped, with the reason, when either is missing.
Run it alone with ``make test-browser``.
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from browser_support import (
    JS_NOTEBOOK_STATE,
    NOT_DONE,
    PASSED,
    REPO,
    BlockedRequests,
    chromium_browser,
    exercise_checks,
    jupyter_lab,
    missing_browser_reason,
    output_text,
    run_all_cells,
    wait_for_kernel_idle,
)

# The notebooks the test runs: the fastest ones with an explorer in the quick profile. Change here.
STUDENT_NOTEBOOK = "notebooks/00_start_here.ipynb"
SOLUTION_NOTEBOOK = "solutions/00_start_here.ipynb"

ARTIFACTS = REPO / "artifacts" / "browser"
KERNEL_ENV = {"COURSE_PROFILE": "quick", "COURSE_PROGRESS": "1", "COURSE_SEED": "0"}
VIEWPORT = {"width": 1280, "height": 900}
WIDGET_AS_TEXT = re.compile(r"[HV]Box\(children=|model not found|Error displaying widget|Loading widget", re.IGNORECASE)

_REASON = missing_browser_reason()
pytestmark = [
    pytest.mark.browser,
    pytest.mark.timeout(420),
    pytest.mark.skipif(_REASON is not None, reason=_REASON or ""),
]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on a temporary copy of the course's notebooks; stopped at the end, pass or fail."""
    for relative in (STUDENT_NOTEBOOK, SOLUTION_NOTEBOOK):
        assert (REPO / relative).is_file(), f"{relative} does not exist: change STUDENT_NOTEBOOK / SOLUTION_NOTEBOOK in {__file__}"
    home = tmp_path_factory.mktemp("lab")
    root = home / "course"
    for folder in {Path(STUDENT_NOTEBOOK).parts[0], Path(SOLUTION_NOTEBOOK).parts[0]}:
        shutil.copytree(REPO / folder, root / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    env = {**KERNEL_ENV, "COURSE_DATA_DIR": str(home / "course-data")}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):  # no stale screenshots from an earlier run
        old.unlink()
    try:
        with jupyter_lab(root, home, env=env) as server:
            yield server
    finally:
        if (home / "jupyterlab.log").exists():
            shutil.copy(home / "jupyterlab.log", ARTIFACTS / "jupyterlab.log")


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as chromium:
        yield chromium


@pytest.fixture
def page(browser, lab, request):
    """A fresh page that can reach 127.0.0.1 only; records what it tried to reach beyond, and its errors.

    When the test fails, the page as it was is saved to ``artifacts/browser/<test>-failed.png``.
    The kernels are shut down afterwards, so that the next test starts from a quiet server.
    """
    failures_before = request.session.testsfailed
    context = browser.new_context(viewport=VIEWPORT)
    blocked = BlockedRequests()
    context.route("**/*", blocked.route)
    page = context.new_page()
    page.blocked = blocked
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    try:
        yield page
    finally:
        try:
            if request.session.testsfailed > failures_before:
                page.set_viewport_size(VIEWPORT)
                page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-failed.png"))
        finally:
            context.close()
            try:
                for kernel in lab.api("/api/kernels"):
                    lab.api(f"/api/kernels/{kernel['id']}", method="DELETE")
            except OSError:
                pass  # the server is gone; the lab fixture reports it


# ------------------------------------------------------------------------------------------- helpers

def shot_name(relative: str, what: str) -> Path:
    return ARTIFACTS / f"{relative.replace('/', '-').removesuffix('.ipynb')}-{what}.png"


def open_and_run(page, lab, relative: str) -> dict:
    """Open ``relative`` in JupyterLab, run all cells, wait for the end; the notebook's final state."""
    page.goto(lab.lab_url(relative))
    try:
        wait_for_kernel_idle(page)
    except Exception as error:  # playwright's TimeoutError: say what the server said
        raise AssertionError(f"the kernel of {relative} did not start ({error}); JupyterLab's log:\n{lab.log_tail()}") from None
    state = run_all_cells(page)
    page.wait_for_timeout(500)  # let the last outputs paint
    return state


def screenshot_notebook(page, relative: str) -> Path:
    """The whole notebook in one picture: the window made as tall as the notebook, then put back."""
    to_top = """() => {
      const scroller = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer');
      scroller.scrollTop = 0;
      const cells = document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell');
      return [scroller.scrollHeight, cells[cells.length - 1].getBoundingClientRect().bottom];
    }"""
    height, _ = page.evaluate(to_top)
    page.set_viewport_size({"width": VIEWPORT["width"], "height": min(int(height) + 200, 16000)})
    _, bottom = page.evaluate(to_top)  # the notebook ends here; below is JupyterLab's scroll-past-end space
    page.set_viewport_size({"width": VIEWPORT["width"], "height": min(int(bottom) + 60, 16000)})
    page.evaluate(to_top)
    page.wait_for_timeout(500)
    path = shot_name(relative, "notebook")
    page.screenshot(path=str(path))
    page.set_viewport_size(VIEWPORT)
    page.wait_for_timeout(300)
    return path


def dom_cell(page, index: int):
    return page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").nth(index)


def assert_ran_cleanly(page, state: dict) -> None:
    """Every code cell ran; no cell shows an error or anything on stderr; the page raised nothing."""
    cells = state["cells"]
    assert page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").count() == len(cells)
    not_run = [i for i, c in enumerate(cells) if c["type"] == "code" and c["execution_count"] is None]
    errors = [f"cell {i}: {output_text(o)}" for i, c in enumerate(cells) for o in c["outputs"] if o.get("output_type") == "error"]
    assert not errors, "cells raised errors:\n" + "\n".join(errors)
    assert not not_run, f"code cells {not_run} did not run"
    shown = page.locator('.jp-NotebookPanel .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
    texts = [shown.nth(i).inner_text()[:500] for i in range(shown.count())]
    assert not texts, "outputs on stderr (shown in red to the learner):\n" + "\n---\n".join(texts)
    assert not page.errors, f"the page raised: {page.errors}"
    assert not page.blocked.urls, f"the page tried to reach beyond loopback: {page.blocked.urls}"


def check_feedback(page, state: dict, pattern: re.Pattern, what: str) -> list[str]:
    """Every exercise check cell shows feedback matching ``pattern``; returns the exercise ids."""
    checks = exercise_checks(state["cells"])
    assert checks, "the notebook has no `name = check(\"id\", name)` cells"
    for index, exercise_id, text in checks:
        shown = dom_cell(page, index).locator(".jp-OutputArea").inner_text()
        assert pattern.search(shown), f"exercise {exercise_id} (cell {index}) should show {what}; the page shows:\n{shown}"
        assert pattern.search(text)
    return [exercise_id for _, exercise_id, _ in checks]


def assert_figures_are_images(page, state: dict) -> None:
    """Every image/png output is an <img> that loaded (not a '<Figure size ...>' text)."""
    n_png = sum("image/png" in (o.get("data") or {}) for c in state["cells"] for o in c["outputs"])
    assert n_png >= 1, "no cell drew a figure"
    sizes = page.eval_on_selector_all(
        ".jp-NotebookPanel .jp-RenderedImage img", "imgs => imgs.map(i => [i.complete, i.naturalWidth, i.naturalHeight])"
    )
    assert len(sizes) == n_png, f"{n_png} figures in the outputs, {len(sizes)} shown as images"
    assert all(done and w > 50 and h > 20 for done, w, h in sizes), f"a figure did not load: {sizes}"
    as_text = page.get_by_text(re.compile(r"^<Figure size .* with \d+ Axes>$"))
    assert as_text.count() == 0, "a figure is shown as text"


def explorer_cell_index(state: dict) -> int:
    """The first cell whose output is a widget and whose code builds an Explorer."""
    widget_cells = [
        i for i, c in enumerate(state["cells"])
        if any("application/vnd.jupyter.widget-view+json" in (o.get("data") or {}) for o in c["outputs"])
    ]
    assert widget_cells, "no cell shows a widget"
    explorers = [i for i in widget_cells if "Explorer" in state["cells"][i]["source"]]
    return (explorers or widget_cells)[0]


def check_explorer(page, state: dict, relative: str) -> dict:
    """The explorer is a real widget, and moving its slider redraws its picture. Returns what it saw."""
    outputs_text = page.locator(".jp-NotebookPanel .jp-OutputArea").all_inner_texts()
    broken = [t[:300] for t in outputs_text if WIDGET_AS_TEXT.search(t)]
    assert not broken, f"a widget is shown as text instead of a widget: {broken}"

    index = explorer_cell_index(state)
    explorer = dom_cell(page, index).locator(".jp-OutputArea-output .widget-vbox").first
    explorer.scroll_into_view_if_needed()
    slider = explorer.locator(".widget-slider").first
    handle = slider.locator(".noUi-handle").first
    image = explorer.locator("img.widget-image").first
    for part, name in ((explorer, "explorer"), (slider, "slider"), (handle, "slider handle"), (image, "picture")):
        assert part.is_visible(), f"the {name} of the explorer (cell {index}) is not visible"
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle(), timeout=30_000)

    before = {"src": image.get_attribute("src"), "value": handle.get_attribute("aria-valuenow"),
              "png": explorer.screenshot(path=str(shot_name(relative, "explorer-before")))}
    assert before["src"].startswith(("blob:", "data:")), before["src"]
    handle.focus()
    key = "ArrowLeft" if float(before["value"]) > float(handle.get_attribute("aria-valuemin")) else "ArrowRight"
    page.keyboard.press(key)
    page.wait_for_function(
        "([img, old]) => img.getAttribute('src') !== old && img.complete && img.naturalWidth > 0",
        arg=[image.element_handle(), before["src"]], timeout=30_000,
    )
    page.wait_for_timeout(300)
    after = {"src": image.get_attribute("src"), "value": handle.get_attribute("aria-valuenow"),
             "png": explorer.screenshot(path=str(shot_name(relative, "explorer-after")))}
    assert after["value"] != before["value"], "the slider did not move"
    readout = slider.locator(".widget-readout").inner_text().strip()
    assert float(readout) == float(after["value"]), f"the readout shows {readout}, the slider {after['value']}"
    assert after["png"] != before["png"], "the picture looks the same after the slider moved"
    return {"cell": index, "key": key, "before": before["value"], "after": after["value"]}


# --------------------------------------------------------------------------------------------- tests

def test_student_notebook_runs_in_jupyterlab_with_fallback_feedback_and_a_live_explorer(page, lab):
    state = open_and_run(page, lab, STUDENT_NOTEBOOK)
    screenshot_notebook(page, STUDENT_NOTEBOOK)
    assert_ran_cleanly(page, state)
    check_feedback(page, state, NOT_DONE, '"not done yet, the reference implementation is used"')
    assert_figures_are_images(page, state)
    check_explorer(page, state, STUDENT_NOTEBOOK)
    assert_ran_cleanly(page, page.evaluate(JS_NOTEBOOK_STATE))  # nothing broke while the slider moved


def test_solution_notebook_runs_in_jupyterlab_with_every_check_passed_and_a_live_explorer(page, lab):
    state = open_and_run(page, lab, SOLUTION_NOTEBOOK)
    screenshot_notebook(page, SOLUTION_NOTEBOOK)
    assert_ran_cleanly(page, state)
    check_feedback(page, state, PASSED, '"passed all N visible checks. The grader runs more"')
    assert_figures_are_images(page, state)
    check_explorer(page, state, SOLUTION_NOTEBOOK)
    assert_ran_cleanly(page, page.evaluate(JS_NOTEBOOK_STATE))


def test_a_learners_feedback_page_reads_well_in_chromium_with_its_score_table(browser, tmp_path):
    """``course grade --feedback``: one learner (0.1 solved, 0.2 not) graded for real, the page opened from disk."""
    import io

    import nbformat

    from course_lib.tooling.classroom import grade

    nb = nbformat.read(REPO / STUDENT_NOTEBOOK, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("course", {}).get("exercise") == "0.1":
            cell.source = cell.source.replace("    # YOUR CODE HERE\n    raise NotImplementedError()", "    return x.float() / 255")
    (tmp_path / "class" / "dave").mkdir(parents=True)
    nbformat.write(nb, tmp_path / "class" / "dave" / Path(STUDENT_NOTEBOOK).name)
    grade([tmp_path / "class"], timeout=60, out=io.StringIO(), feedback=tmp_path / "feedback")
    context = browser.new_context(viewport=VIEWPORT)
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    try:
        page = context.new_page()
        page.goto((tmp_path / "feedback" / "dave.html").as_uri())
        rows = page.locator("#scores tr").evaluate_all(
            "rows => rows.map(r => Array.from(r.cells).map(c => c.innerText.trim()))")
        assert rows[0] == ["exercise", "answer", "visible checks", "hidden checks", "score", "points"]
        assert rows[1][:2] == ["0.1", "normalize_images"] and rows[1][4:] == ["2", "2"]
        assert rows[2][0] == "0.2" and rows[2][4:] == ["0", "1"]
        assert rows[-1][1] == "total" and rows[-1][4:] == ["2", "3"]
        assert page.locator("#total").inner_text() == "2 of 3 points"
        assert "x.float() / 255" in page.locator('[id="exercise-0.1"] pre').inner_text()
        assert "Hidden checks:" in page.locator('[id="exercise-0.2"]').inner_text()
        color = page.locator("#scores tbody tr").first.evaluate("row => getComputedStyle(row).color")
        assert color == "rgb(26, 127, 55)"  # a full score reads green: the page's style sheet was applied
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "feedback.png"), full_page=True)
    finally:
        context.close()
