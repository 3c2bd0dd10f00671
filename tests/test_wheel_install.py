"""The installable release: `python -m build` gives a wheel and an sdist that carry the whole course, and the wheel
alone, installed into a fresh virtual environment with no access to the repository, runs notebook 00 and a check.

The fresh environment gets the dependencies without downloading anything: a `.pth` file lists this environment's
site-packages folder. A plain path in a `.pth` does not run that folder's own `.pth` files, so the editable install's
finder (which would import the repository's course_lib) stays out; the test checks that course_lib comes from the wheel.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "course_lib"
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
BUILD_COMMAND = "python -m build --no-isolation"


def _pyproject() -> dict:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _library_files() -> list[str]:
    """What the wheel must hold from course_lib/: every module and the package data (reference runs, shipped models)."""
    data = _pyproject()["tool"]["setuptools"]["package-data"]["course_lib"]
    files = {p for p in LIBRARY.rglob("*.py") if "__pycache__" not in p.parts}
    files |= {p for pattern in data for p in LIBRARY.glob(pattern)}
    return sorted(p.relative_to(ROOT).as_posix() for p in files)


def _package_data_files() -> list[str]:
    return [f for f in _library_files() if not f.endswith(".py")]


def test_pyproject_lists_every_package_of_the_library():
    """pyproject names its packages (course_lib.notebooks is mapped onto notebooks/, which discovery cannot do)."""
    setuptools = _pyproject()["tool"]["setuptools"]
    listed = set(setuptools["packages"])
    folders = {p.parent for p in LIBRARY.rglob("__init__.py") if "__pycache__" not in p.parts}
    wanted = {".".join(f.relative_to(ROOT).parts) for f in folders}
    missing = sorted(wanted - listed)
    assert not missing, f"add {missing} to [tool.setuptools] packages in pyproject.toml, or the wheel leaves them out"
    gone = sorted(p for p in listed - {"course_lib.notebooks"} if not (ROOT / p.replace(".", "/")).is_dir())
    assert not gone, f"pyproject.toml lists packages that no longer exist: {gone}"
    assert setuptools["package-dir"]["course_lib.notebooks"] == "notebooks"
    assert setuptools["package-data"]["course_lib.notebooks"] == ["*.ipynb"]


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> dict[str, Path]:
    """The sdist, and the wheel built from it (what `python -m build` does), in a temporary folder."""
    pytest.importorskip("build", reason="the wheel is built with `build` (pip install -e '.[dev]')")
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, f"`{BUILD_COMMAND}` failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    wheels, sdists = sorted(out.glob("course_lib-*.whl")), sorted(out.glob("course_lib-*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1, sorted(p.name for p in out.iterdir())
    return {"wheel": wheels[0], "sdist": sdists[0]}


@pytest.mark.slow
def test_the_wheel_carries_the_library_its_data_and_the_learner_notebooks(dist):
    with zipfile.ZipFile(dist["wheel"]) as wheel:
        names = set(wheel.namelist())
        missing = [f for f in _library_files() if f not in names]
        assert not missing, f"the wheel lacks {missing}"
        for name in NOTEBOOKS:
            shipped = wheel.read(f"course_lib/notebooks/{name}")
            assert shipped == (ROOT / "notebooks" / name).read_bytes(), f"{name} is not the learner's notebook of notebooks/"
            assert b"BEGIN SOLUTION" not in shipped, f"{name} in the wheel holds a solution"
        assert not [n for n in names if n.startswith(("solutions/", "notebooks/", "tests/"))], "only course_lib/ is installed"
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        assert "course = course_lib.tooling.cli:main" in wheel.read(entry_points).decode()
    assert _package_data_files(), "the recorded reference runs are package data"


@pytest.mark.slow
def test_the_sdist_carries_the_library_its_data_and_the_notebooks(dist):
    with tarfile.open(dist["sdist"]) as sdist:
        top = sdist.getnames()[0].split("/")[0]
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    wanted = _library_files() + [f"notebooks/{n}" for n in NOTEBOOKS] + ["pyproject.toml", "README.md"]
    assert not [f for f in wanted if f not in names], f"{top} lacks {[f for f in wanted if f not in names]}"


def _run(command: list[str], env: dict[str, str], cwd: Path, timeout: float = 120) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)
    assert done.returncode == 0, f"{' '.join(map(str, command))} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def fresh_venv(dist, tmp_path_factory) -> dict:
    """A new virtual environment holding only the wheel; the dependencies come from this one through a `.pth` file."""
    home = tmp_path_factory.mktemp("fresh")
    venv = home / "venv"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_", "COURSE_", "JUPYTER", "VIRTUAL_ENV"))}
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INDEX="1", PIP_NO_CACHE_DIR="1", PYTHONNOUSERSITE="1")
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], env, home)
    python = venv / "bin" / "python"
    # the wheel goes in before the .pth exists, so pip sees no course_lib to replace (this environment's editable one)
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--quiet", str(dist["wheel"])], env, home)
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], env, home).strip())
    ours = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
    (site / "zz_course_test_dependencies.pth").write_text("".join(f"{p}\n" for p in ours))
    # the kernel nbclient starts is this environment's python, named explicitly (no kernelspec of the machine's)
    kernels = venv / "share" / "jupyter" / "kernels" / "python3"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({"argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                                                     "display_name": "Python 3 (fresh)", "language": "python"}))
    work = home / "work"  # the learner's working directory, outside the repository
    work.mkdir()
    env.update(COURSE_PROFILE="quick", COURSE_PROGRESS="0", COURSE_DEVICE="cpu", COURSE_SEED="0", MPLBACKEND="Agg",
               COURSE_DATA_DIR=str(home / "data"), JUPYTER_PATH=str(venv / "share" / "jupyter"),
               JUPYTER_DATA_DIR=str(home / "jupyter-data"), JUPYTER_CONFIG_DIR=str(home / "jupyter-config"),
               IPYTHONDIR=str(home / "ipython"), JUPYTER_PLATFORM_DIRS="1", PYDEVD_DISABLE_FILE_VALIDATION="1")
    return {"python": python, "venv": venv, "site": site, "env": env, "work": work}


PROBE = textwrap.dedent("""\
    import json, sys
    import course_lib
    print(json.dumps({"file": course_lib.__file__, "prefix": sys.prefix, "path": sys.path,
                      "editable": sorted(m for m in sys.modules if "__editable__" in m)}))
""")


def _probe_in_the_venv(text: str) -> dict:
    return json.loads(text.strip().splitlines()[-1])


def _assert_isolated(probe: dict, fresh: dict) -> None:
    assert Path(probe["file"]).is_relative_to(fresh["site"]), f"course_lib came from {probe['file']}, not the wheel"
    assert Path(probe["prefix"]) == fresh["venv"]
    assert not probe["editable"], "the editable install's finder leaked into the fresh environment"
    assert not [p for p in probe["path"] if p and Path(p).resolve() in (ROOT, LIBRARY)], "the repository is on sys.path"


@pytest.mark.slow
def test_the_wheel_alone_gives_the_notebooks_and_runs_notebook_00_and_a_check(fresh_venv):
    python, env, work = fresh_venv["python"], fresh_venv["env"], fresh_venv["work"]
    _assert_isolated(_probe_in_the_venv(_run([str(python), "-c", PROBE], env, work)), fresh_venv)

    # the learner's way to the notebooks: the console script that the wheel installed
    out = _run([str(fresh_venv["venv"] / "bin" / "course"), "notebooks"], env, work)
    course = work / "dgm-course"
    assert sorted(p.name for p in course.glob("*.ipynb")) == NOTEBOOKS and f"Copied {len(NOTEBOOKS)} notebooks" in out
    assert (course / "00_start_here.ipynb").read_bytes() == (ROOT / "notebooks" / "00_start_here.ipynb").read_bytes()

    # notebook 00, as the learner has it (stubs), run by the fresh environment's kernel; a last cell says where it ran
    runner = work / "run_notebook.py"
    runner.write_text(textwrap.dedent(f"""\
        import sys
        import nbformat
        from nbclient import NotebookClient

        path = sys.argv[1]
        nb = nbformat.read(path, as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell({PROBE!r}))
        NotebookClient(nb, timeout=120, kernel_name="python3", resources={{"metadata": {{"path": sys.argv[2]}}}}).execute()
        print(nb.cells[-1].outputs[-1]["text"])
    """))
    out = _run([str(python), str(runner), str(course / "00_start_here.ipynb"), str(course)], env, work, timeout=180)
    _assert_isolated(_probe_in_the_venv(out), fresh_venv)

    # one exercise check, and the package data the installed course reads
    check = textwrap.dedent("""\
        import json
        from course_lib.exercises import check, get, run_cases
        from course_lib.analysis.comparison.recorded import available, load_recorded_run

        exercise = get("0.1")
        report = run_cases(exercise, exercise.reference, "cpu", hidden=True)
        def mine(x):
            return x.float() / 255
        print(json.dumps({"passed": report.passed, "summary": report.summary(), "returns_the_answer": check("0.1", mine, "cpu") is mine,
                          "runs": available(), "run": load_recorded_run(available()[0]).name}))
    """)
    result = _probe_in_the_venv(_run([str(python), "-c", check], env, work))
    assert result["passed"], result["summary"]
    assert result["returns_the_answer"]
    recorded = sorted(p.stem for p in (LIBRARY / "analysis" / "comparison" / "recorded_runs").glob("*.json"))
    assert result["runs"] == recorded and result["run"] == recorded[0]
    assert not (ROOT / "dgm-course").exists()
