"""The course website (``make site``, course_lib/tooling/site.py): its glue code, and the built site.

The unit tests need nothing but the library. The site tests build the site from the recorded `full`
run in ``site/executed`` (or from the folder named by ``COURSE_SITE_SOURCE``) into a temporary folder,
executing nothing, and are skipped, with the command that records it, when there is none. The browser
test (marker ``browser``) serves the site on loopback and opens every page in headless Chromium with
every request beyond loopback blocked: the site must work offline.
"""
from __future__ import annotations

import base64
import os
import re
import threading
from functools import partial
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

from browser_support import REPO, BlockedRequests, chromium_browser, missing_browser_reason
from course_lib.tooling import site

SOURCE = Path(os.environ.get("COURSE_SITE_SOURCE") or REPO / "site" / "executed")
CHAPTERS = [path.stem for path in site.executed_chapters(REPO / "notebooks")]
NO_SOURCE = (
    None if site.executed_chapters(SOURCE) else
    f"{SOURCE} holds no executed notebooks: record them with `{site.RECORD_COMMAND}` "
    "(or point COURSE_SITE_SOURCE at a folder of executed notebooks)"
)
PNG = b"\x89PNG\r\n\x1a\n fake picture"


# ---------------------------------------------------------------- explorers as pictures

def explorer_notebook(image_state: dict, buffers: list | None = None) -> nbformat.NotebookNode:
    """A notebook whose one output is an explorer as nbclient saves it: VBox(HTML, HBox(slider), Image)."""
    models = {
        "box": {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_title", "IPY_MODEL_controls", "IPY_MODEL_image"]}},
        "title": {"model_name": "HTMLModel", "state": {"value": "<b>Latent explorer</b>"}},
        "controls": {"model_name": "HBoxModel", "state": {"children": ["IPY_MODEL_slider"]}},
        "slider": {"model_name": "FloatSliderModel", "state": {"value": 0.5}},
        "image": {"model_name": "ImageModel", "state": {"format": "png", **image_state}, **({"buffers": buffers} if buffers else {})},
    }
    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {site.WIDGET_STATE: {"state": models, "version_major": 2, "version_minor": 0}}
    view = {site.WIDGET_VIEW: {"model_id": "box", "version_major": 2, "version_minor": 0}, "text/plain": "VBox(children=(...))"}
    nb.cells.append(nbformat.v4.new_code_cell("explorer", outputs=[nbformat.v4.new_output("execute_result", data=view, execution_count=1)]))
    return nb


@pytest.mark.parametrize("where", ["buffer", "inline"])
def test_an_explorer_becomes_the_picture_of_its_first_state(where):
    encoded = base64.b64encode(PNG).decode()
    nb = (explorer_notebook({}, [{"data": encoded, "encoding": "base64", "path": ["value"]}]) if where == "buffer"
          else explorer_notebook({"value": encoded}))
    assert site.pictures_for_widgets(nb) == 1
    (output,) = nb.cells[0].outputs
    assert output.output_type == "display_data"
    assert base64.b64decode(output.data["image/png"]) == PNG
    assert site.WIDGET_VIEW not in output.data
    assert "widgets" not in nb.metadata  # no widget state left: the page loads no widget JavaScript
    nbformat.validate(nb)


def test_a_widget_without_a_picture_keeps_its_text():
    nb = explorer_notebook({})  # an Image with no value: nothing to show
    assert site.pictures_for_widgets(nb) == 0
    assert dict(nb.cells[0].outputs[0].data) == {"text/plain": "VBox(children=(...))"}


def test_the_picture_is_found_through_nested_children():
    models = {"outer": {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_inner"]}},
              "inner": {"model_name": "HBoxModel", "state": {"children": ["IPY_MODEL_img"]}},
              "img": {"model_name": "ImageModel", "state": {"format": "png", "value": base64.b64encode(PNG).decode()}}}
    assert site.first_picture(models, "outer") == PNG
    assert site.first_picture(models, "missing") is None


# ---------------------------------------------------------------- the landing page

def test_the_landing_page_keeps_only_links_the_site_can_follow():
    readme = "\n".join([
        "See [chapter one](notebooks/01_autoencoder.ipynb) and [its solution](solutions/01_autoencoder.ipynb#top).",
        "The [grader](course_lib/tooling/grading.py), [a paper](https://arxiv.org/abs/1312.6114), [below](#start).",
        "| 01 | `01_autoencoder` | encoders |",
        "```bash",
        "echo `01_autoencoder` [x](tests/a.py)",
        "```",
    ])
    page = site.landing_page(readme, ["01_autoencoder"])
    assert "[chapter one](01_autoencoder.ipynb)" in page
    assert "[its solution](01_autoencoder.ipynb)" in page
    assert "The grader," in page  # a repository file the site does not carry: its text, no link
    assert "[a paper](https://arxiv.org/abs/1312.6114)" in page and "[below](#start)" in page
    assert "| 01 | [`01_autoencoder`](01_autoencoder.ipynb) |" in page
    assert "echo `01_autoencoder` [x](tests/a.py)" in page  # code blocks are left alone


def test_prepare_writes_the_landing_page_and_each_chapter_with_its_download(tmp_path):
    source, learner = tmp_path / "executed", tmp_path / "notebooks"
    source.mkdir(), learner.mkdir()
    executed = explorer_notebook({"value": base64.b64encode(PNG).decode()})
    executed.cells.insert(0, nbformat.v4.new_markdown_cell("# 01 · Autoencoders"))
    nbformat.write(executed, source / "01_autoencoder.ipynb")
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# learner copy")]), learner / "01_autoencoder.ipynb")
    (tmp_path / "README.md").write_text("# The course\n\nOpen `01_autoencoder`.\n")

    chapters = site.prepare(source, tmp_path / "pages", readme=tmp_path / "README.md", learner=learner)

    assert chapters == ["01_autoencoder"]
    index = (tmp_path / "pages" / "index.md").read_text()
    assert index.startswith("# The course") and "[`01_autoencoder`](01_autoencoder.ipynb)" in index
    assert re.search(r"```\{toctree\}\n:hidden:\n:caption: Chapters\n\n01_autoencoder\n```", index)
    page = nbformat.read(tmp_path / "pages" / "01_autoencoder.ipynb", as_version=4)
    assert page.cells[0].source == "# 01 · Autoencoders"  # the title stays first
    assert "{download}`01_autoencoder.ipynb <_notebooks/01_autoencoder.ipynb>`" in page.cells[1].source
    assert "image/png" in page.cells[2].outputs[0].data
    download = nbformat.read(tmp_path / "pages" / "_notebooks" / "01_autoencoder.ipynb", as_version=4)
    assert download.cells[0].source == "# learner copy"  # the learner's notebook, not the executed one


def test_prepare_without_executed_notebooks_names_the_command_that_records_them(tmp_path):
    with pytest.raises(SystemExit, match="course_time.py --profile full --models shipped --source notebooks --save site/executed"):
        site.prepare(tmp_path, tmp_path / "pages")


# ---------------------------------------------------------------- the built site

class _Text(HTMLParser):
    """The visible text of a page (scripts and styles left out)."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style") and self._skip > 0

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def page_text(path: Path) -> str:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return " ".join("".join(parser.parts).split())


def solution_only_lines(chapter: str) -> list[str]:
    """Lines of the chapter's solutions that neither the learner's notebook nor its recorded outputs show.

    (A check's hint may quote a short line of the answer, as it does when the learner runs the notebook.)
    """
    solution = nbformat.read(REPO / "solutions" / f"{chapter}.ipynb", as_version=4)
    learner = "\n".join(cell.source for cell in nbformat.read(REPO / "notebooks" / f"{chapter}.ipynb", as_version=4).cells)
    executed = nbformat.read(SOURCE / f"{chapter}.ipynb", as_version=4)
    for output in (output for cell in executed.cells for output in cell.get("outputs", [])):
        learner += "\n" + output.get("text", "") + "\n".join(
            value for mime, value in output.get("data", {}).items() if mime.startswith("text/") and isinstance(value, str))
    lines = []
    for cell in solution.cells:
        for block in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", cell.source, flags=re.S):
            lines += [" ".join(line.split()) for line in block.splitlines()
                      if len(line.strip()) >= 20 and line.strip() not in learner]
    return lines


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The site built from SOURCE into a temporary folder; its html folder."""
    if NO_SOURCE:
        pytest.skip(NO_SOURCE)
    return site.build(SOURCE, tmp_path_factory.mktemp("site"))


def test_the_site_has_a_page_per_chapter_in_the_sidebar_in_chapter_order(built):
    missing = [chapter for chapter in CHAPTERS if not (built / f"{chapter}.html").is_file()]
    assert not missing, f"no page for {missing}: {SOURCE} lacks their executed notebooks"
    sidebar = (built / "index.html").read_text(encoding="utf-8").split('id="pst-primary-sidebar"', 1)[1]
    order = [href for href in re.findall(r'href="(\d\d_\w+)\.html"', sidebar)]
    assert list(dict.fromkeys(order)) == CHAPTERS


def test_the_site_shows_the_exercises_as_stubs_never_the_solutions(built):
    for chapter in CHAPTERS:
        text = page_text(built / f"{chapter}.html")
        lines = solution_only_lines(chapter)
        assert lines, f"{chapter}: found no solution-only line to look for"
        leaked = [line for line in lines if line in text]
        assert not leaked, f"{chapter}.html shows lines of the solution: {leaked[:3]}"
        assert "BEGIN SOLUTION" not in text
        assert "# YOUR CODE HERE" in text and "raise NotImplementedError()" in text, f"{chapter}.html shows no exercise stub"


def test_explorers_are_pictures_and_no_page_asks_for_widget_javascript(built):
    for chapter in CHAPTERS:
        page = (built / f"{chapter}.html").read_text(encoding="utf-8")
        assert "widget-view+json" not in page and "require.js" not in page, f"{chapter}.html still holds a live widget"
    executed = nbformat.read(site.executed_chapters(SOURCE)[0], as_version=4)
    assert "widgets" in executed.metadata, "the recorded notebooks should carry their widget state (nbclient keeps it)"


MACHINE_PATH = re.compile(r"(?<![\w~.])/(?:tmp|root|home|Users|work|var/folders)/[^\s'\"<>)]*")


def recorded_output_texts(notebook: Path):
    """(cell id, text) for every text output of an executed notebook: streams, plain text, HTML, errors."""
    for cell in nbformat.read(notebook, as_version=4).cells:
        for output in cell.get("outputs", []):
            texts = [output.get("text", ""), *output.get("traceback", [])]
            texts += [v for mime, v in output.get("data", {}).items() if mime.startswith("text/") and isinstance(v, str)]
            for text in texts:
                yield cell.get("id", "?"), text


def test_a_machine_path_in_a_recorded_output_is_found():
    assert MACHINE_PATH.search("     data: /tmp/shipdata") and MACHINE_PATH.search("saved in /root/.cache/dgm-course/x.pt")
    assert not MACHINE_PATH.search("     data: ~/.cache/dgm-course") and not MACHINE_PATH.search("ratio 3/4 and a/tmp/b")


@pytest.mark.skipif(NO_SOURCE is not None, reason=NO_SOURCE or "")
def test_the_recorded_pages_show_no_path_of_the_machine_that_recorded_them():
    """A page read by every learner shows ``~/.cache/dgm-course``, never the recording machine's folders."""
    found = [(nb.stem, cell, m.group(0)) for nb in site.executed_chapters(SOURCE)
             for cell, text in recorded_output_texts(nb) for m in MACHINE_PATH.finditer(text)]
    assert not found, f"recorded outputs show machine paths (re-record with `{site.RECORD_COMMAND}`): {found[:5]}"


# ---------------------------------------------------------------- in the browser, offline

_REASON = missing_browser_reason()
PAGE_TIMEOUT_MS = 60_000


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # no request log in the test output
        pass


@pytest.fixture(scope="module")
def served(built):
    """The built site served on loopback; its base URL and folder."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(built)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", built
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser():
    with chromium_browser() as chromium:
        yield chromium


# every image that has loaded, every broken one, the MathJax output, and every link's target
JS_PAGE = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) { await MathJax.startup.promise; }
  const images = Array.from(document.querySelectorAll('article img'));
  return {
    shown: images.filter(i => i.complete && i.naturalWidth > 0).length,
    broken: images.filter(i => i.complete && i.naturalWidth === 0).map(i => i.getAttribute('src')),
    maths: document.querySelectorAll('mjx-container').length,
    mathErrors: document.querySelectorAll('mjx-merror').length,
    links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
  };
}"""


def broken_internal_links(links: list[str], base: str, root: Path) -> list[str]:
    """Links to the site itself whose file is not in the built site (anchors are not checked)."""
    broken = []
    for link in links:
        if not link.startswith(base):
            continue
        path = unquote(urlsplit(link).path)[len(urlsplit(base).path):]
        target = root / path
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            broken.append(link)
    return broken


@pytest.mark.browser
@pytest.mark.timeout(600)
@pytest.mark.skipif(_REASON is not None, reason=_REASON or "")
@pytest.mark.parametrize("name", ["index", *CHAPTERS])
def test_every_page_works_offline_with_its_figures_and_maths(name, served, browser):
    base, root = served
    assert (root / f"{name}.html").is_file(), f"no page {name}.html: {SOURCE} lacks its executed notebook"
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    blocked = BlockedRequests()
    context.route("**/*", blocked.route)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{base}{name}.html", wait_until="load", timeout=PAGE_TIMEOUT_MS)
        seen = page.evaluate(JS_PAGE)
    finally:
        context.close()
    assert not blocked.urls, f"{name}.html asked the network for {blocked.urls[:5]}"
    assert not errors, f"{name}.html: console errors {errors[:5]}"
    assert not seen["broken"], f"{name}.html: images that did not load {seen['broken'][:5]}"
    assert not broken_internal_links(seen["links"], base, root), f"{name}.html: broken links {broken_internal_links(seen['links'], base, root)[:5]}"
    if name != "index":
        assert seen["shown"] >= 1, f"{name}.html shows no figure"
        assert seen["maths"] >= 1, f"{name}.html shows no rendered maths (no MathJax output)"
        assert seen["mathErrors"] == 0, f"{name}.html: {seen['mathErrors']} formulas MathJax could not typeset"
