"""The course website: the learner's notebooks, executed in the `full` profile, as a Sphinx book.

``make site`` runs ``python -m course_lib.tooling.site``, which does two things and trains nothing:

1. ``prepare(source, pages)`` writes the Sphinx sources into ``pages``: the landing page (README.md,
   its links to repository files rewritten for the site, then the chapters' table of contents) and
   every executed notebook of ``source`` with each widget explorer replaced by a picture of its first
   state (a static page has no kernel to drive it) and a link to the learner's notebook to download.
2. ``sphinx-build`` (myst-nb, sphinx-book-theme, configured in ``site/conf.py``, executing nothing)
   turns them into HTML.

The executed notebooks are recorded once with
``benchmarks/course_time.py --profile full --models shipped --source notebooks --save site/executed``.
"""
from __future__ import annotations

import argparse
import base64
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[2]
CONF_DIR = REPO / "site"  # conf.py: the Sphinx configuration
DEFAULT_SOURCE = REPO / "site" / "executed"
DEFAULT_OUT = REPO / "site" / "_build"
RECORD_COMMAND = "COURSE_PROGRESS=0 .venv/bin/python benchmarks/course_time.py --profile full --models shipped --source notebooks --save site/executed"

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
CHAPTER = re.compile(r"^\d\d_\w+\.ipynb$")
DOWNLOADS = "_notebooks"  # the learner's notebooks, copied beside the pages for the download links


# ---------------------------------------------------------------- explorers as pictures

def _model_id(ref: str) -> str:
    return ref[len("IPY_MODEL_"):] if ref.startswith("IPY_MODEL_") else ref


def _image_bytes(model: dict) -> bytes | None:
    """The PNG bytes of an ``ImageModel`` in saved widget state (in its buffers, or inline)."""
    for buffer in model.get("buffers", []):
        if list(buffer.get("path", [])) == ["value"]:
            data = buffer.get("data", "")
            return bytes.fromhex(data) if buffer.get("encoding") == "hex" else base64.b64decode(data)
    value = model.get("state", {}).get("value")
    return base64.b64decode(value) if isinstance(value, str) and value else None


def first_picture(models: dict, model_id: str) -> bytes | None:
    """The first PNG of the widget ``model_id`` and its children, depth first (None when it has none)."""
    seen: set[str] = set()
    stack = [model_id]
    while stack:
        current = stack.pop()
        if current in seen or current not in models:
            continue
        seen.add(current)
        model = models[current]
        if model.get("model_name") == "ImageModel" and model.get("state", {}).get("format", "png") == "png":
            picture = _image_bytes(model)
            if picture:
                return picture
        children = model.get("state", {}).get("children", [])
        stack.extend(_model_id(ref) for ref in reversed(children) if isinstance(ref, str))
    return None


def pictures_for_widgets(nb: nbformat.NotebookNode) -> int:
    """Replace every widget output of ``nb`` by a picture of its saved first state, in place.

    Each output holding a widget view becomes a ``display_data`` output with the first ``Image`` found
    in the widget's children (an explorer's picture); a widget with no picture keeps only its other
    representations (its text). The saved widget state is removed from the metadata, so the page loads
    no widget JavaScript. Returns how many widgets became pictures.
    """
    models = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    pictures = 0
    for cell in nb.cells:
        for i, output in enumerate(cell.get("outputs", [])):
            data = output.get("data", {})
            if WIDGET_VIEW not in data:
                continue
            picture = first_picture(models, data[WIDGET_VIEW].get("model_id", ""))
            rest = {mime: value for mime, value in data.items() if mime != WIDGET_VIEW}
            if picture is not None:
                rest = {"image/png": base64.b64encode(picture).decode("ascii"),
                        "text/plain": "A picture of the explorer's first state (run the notebook to use its controls)."}
                pictures += 1
            cell.outputs[i] = nbformat.v4.new_output("display_data", data=rest)
    nb.metadata.pop("widgets", None)
    return pictures


# ---------------------------------------------------------------- the landing page

_LINK = re.compile(r"(?<!!)\[([^\]\n]+)\]\(([^)\s]+)\)")
_CHAPTER_LINK = re.compile(r"^(?:\./)?(?:notebooks|solutions)/(\d\d_\w+)\.ipynb(#.*)?$")


def _is_external(target: str) -> bool:
    return target.startswith("#") or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) is not None


def landing_page(readme: str, chapters: list[str]) -> str:
    """README.md as the site's front page, its links fit for the site.

    A link to a chapter's notebook (``notebooks/01_autoencoder.ipynb``, or the one in ``solutions/``)
    leads to the chapter's page; a link to any other file of the repository, which the site does not
    carry, keeps its text and loses the link; web links and anchors stay. A chapter named in code
    (``\\`01_autoencoder\\```, as README's table of notebooks does) becomes a link to its page.
    """
    def link(match: re.Match) -> str:
        text, target = match.group(1), match.group(2)
        if _is_external(target):
            return match.group(0)
        chapter = _CHAPTER_LINK.match(target)
        if chapter and chapter.group(1) in chapters:
            return f"[{text}]({chapter.group(1)}.ipynb)"
        return text

    out = []
    fenced = False
    for line in readme.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        if not fenced:
            line = _LINK.sub(link, line)
            for name in chapters:
                line = re.sub(rf"(?<!\[)`{name}`", f"[`{name}`]({name}.ipynb)", line)
        out.append(line)
    return "\n".join(out) + "\n"


def toctree(chapters: list[str]) -> str:
    """The hidden table of contents that gives the sidebar its chapters, in order."""
    return "\n```{toctree}\n:hidden:\n:caption: Chapters\n\n" + "\n".join(chapters) + "\n```\n"


def download_cell(name: str) -> nbformat.NotebookNode:
    """A note under a chapter's title with a link to download the learner's notebook."""
    return nbformat.v4.new_markdown_cell(
        ":::{note}\nThis page shows the chapter run in the `full` profile, with the exercises left as "
        f"stubs. To work through it yourself, download the notebook {{download}}`{name} <{DOWNLOADS}/{name}>` "
        "and open it in JupyterLab (or copy all of them with `course notebooks`).\n:::"
    )


# ---------------------------------------------------------------- the whole site

def executed_chapters(source: Path) -> list[Path]:
    """The executed chapter notebooks of ``source``, in chapter order."""
    return sorted(path for path in Path(source).glob("*.ipynb") if CHAPTER.match(path.name))


def prepare(source: Path, pages: Path, readme: Path = REPO / "README.md", learner: Path = REPO / "notebooks") -> list[str]:
    """Write the site's Sphinx sources into ``pages`` (emptied first); return the chapters' names."""
    notebooks = executed_chapters(source)
    if not notebooks:
        raise SystemExit(f"no executed notebooks (NN_name.ipynb) in {source}: record them with\n  {RECORD_COMMAND}")
    if pages.exists():
        shutil.rmtree(pages)
    (pages / DOWNLOADS).mkdir(parents=True)
    chapters = [path.stem for path in notebooks]
    for path in notebooks:
        nb = nbformat.read(path, as_version=4)
        pictures_for_widgets(nb)
        nb.cells.insert(1 if nb.cells and nb.cells[0].cell_type == "markdown" else 0, download_cell(path.name))
        nbformat.write(nb, pages / path.name)
        original = learner / path.name
        shutil.copyfile(original if original.exists() else path, pages / DOWNLOADS / path.name)
    (pages / "index.md").write_text(landing_page(readme.read_text(encoding="utf-8"), chapters) + toctree(chapters), encoding="utf-8")
    return chapters


def build(source: Path = DEFAULT_SOURCE, out: Path = DEFAULT_OUT, strict: bool = False) -> Path:
    """Prepare the pages from ``source`` and build the HTML site into ``out/html``; return that folder."""
    out = Path(out)
    chapters = prepare(Path(source), out / "pages")
    missing = sorted({p.stem for p in executed_chapters(REPO / "notebooks")} - set(chapters))
    if missing:
        print(f"site: {source} has no executed notebook for {', '.join(missing)}", file=sys.stderr)
    command = [sys.executable, "-m", "sphinx", "-q", "-b", "html", "-c", str(CONF_DIR), "-d", str(out / "doctrees"),
               str(out / "pages"), str(out / "html")]
    if strict:
        command[4:4] = ["-W", "--keep-going"]
    subprocess.run(command, check=True)
    return out / "html"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_lib.tooling.site", description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="folder of executed notebooks (default site/executed)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="build folder; the site goes to OUT/html (default site/_build)")
    parser.add_argument("--strict", action="store_true", help="turn Sphinx warnings into errors")
    args = parser.parse_args(argv)
    html = build(args.source, args.out, strict=args.strict)
    print(f"site: {html / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
