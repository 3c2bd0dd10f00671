"""Submissions that try to get marks without the work, graded by ``course grade`` on notebook 00.

Each attack targets one exercise and answers the other honestly (written differently from the
reference, so nothing is flagged). The rule: the attacked exercise scores 0, the honest one keeps its
points, and the instructor's files are byte-for-byte the same afterwards. All submissions are graded in
one run (one sandbox), once per module. ``python tests/test_grading_adversarial.py`` prints the table.
"""
from __future__ import annotations

import hashlib
import io
import os
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest

from course_lib.tooling.classroom import grade
from course_lib.tooling.sandbox import isolation

ROOT = Path(__file__).resolve().parents[1]
if isolation() == "none":  # without namespaces an attack could really write into this checkout
    pytest.skip("this machine has no namespaces (unshare): the attacks would run unconfined", allow_module_level=True)
STUDENT = ROOT / "notebooks" / "00_start_here.ipynb"
TIMEOUT = 20
HONEST = {"0.1": "def normalize_images(x):\n    return x.to(torch.float32) / 255.0",
          "0.2": "def flatten_images(x):\n    return x.reshape(len(x), -1)"}
NAME = {"0.1": "normalize_images", "0.2": "flatten_images"}
STUB = {"0.1": "def normalize_images(x):\n    raise NotImplementedError()",
        "0.2": "def flatten_images(x):\n    raise NotImplementedError()"}
WRONG = {"0.1": "def normalize_images(x):\n    return x", "0.2": "def flatten_images(x):\n    return x"}
SOLUTION = ROOT / "solutions" / "00_start_here.ipynb"
PWNED = Path("/tmp/course-grader-pwned")
PORT_FILE = "/tmp/course-grader-port"
CLASSMATES = Path("/tmp/course-grader-classmates")  # another learner's solved notebook, readable by anyone

_KEYS = {  # how a memorised answer recognises an input it has seen: the same source defines it at home and in the cell
    "sha256": "def key(x):\n    return hashlib.sha256(x.detach().cpu().contiguous().numpy().tobytes() + f'{x.dtype}{tuple(x.shape)}'.encode()).hexdigest()\n",
    "shape": "def key(x):\n    return f'{x.dtype}{tuple(x.shape)}'\n",
}


def _memorised_answer(exercise_id: str, keyed_by: str) -> str:
    """A cell answering ``exercise_id`` from a table of the reference's outputs on the inputs of every case, visible
    and hidden, each recognised by ``keyed_by``: the SHA-256 of the input, or only its dtype and shape.

    The learner's own copy of the library runs the hidden cases too (``run_cases(..., hidden=True)``), so the table
    can be built at home and pasted in: no answer is written. An input the table does not hold gets nothing (a
    KeyError): what a table earns is all this attack measures (a fallback such as ``x.float()`` earns the shape and
    dtype cases whether or not a table is there).
    """
    import base64

    import torch

    from course_lib.exercises import get, run_cases

    table: dict[str, torch.Tensor] = {}
    namespace: dict[str, object] = {"hashlib": hashlib}
    exec(_KEYS[keyed_by], namespace)
    reference = get(exercise_id).reference

    def recorder(x):
        out = reference(x)
        table[namespace["key"](x)] = out.detach().cpu().clone()
        return out

    run_cases(exercise_id, recorder, "cpu", hidden=True)  # at home: no salt
    buffer = io.BytesIO()
    torch.save(table, buffer)
    return ("import base64, hashlib, io\nimport torch\n"
            f"TABLE = torch.load(io.BytesIO(base64.b64decode({base64.b64encode(buffer.getvalue()).decode()!r})))\n"
            + _KEYS[keyed_by] +
            f"def {NAME[exercise_id]}(x):\n"
            "    return TABLE[key(x)].to(x.device).clone()")


# name: (what it tries, exercise attacked, the cell)
ATTACKS: dict[str, tuple[str, str, str]] = {
    "patched_checks": ("replaces run_cases and check in the registry, and torch.allclose and torch.equal, then leaves the stub", "0.1",
                       "import torch\ntorch.allclose = lambda *a, **k: True\ntorch.equal = lambda *a, **k: True\n"
                       "try:\n    import course_lib.exercises as e\n    e.run_cases = lambda *a, **k: None\n    e.check = lambda i, a: a\n"
                       "except ImportError:\n    pass\n" + STUB["0.1"]),
    "patched_expect_helpers": ("turns the chapter's expect_* helpers and fail() into no-ops, then leaves the stub", "0.1",
                               "try:\n    import course_lib.exercises.ch00 as judge\n"
                               "    for n in [n for n in vars(judge) if n.startswith('expect_')]:\n"
                               "        setattr(judge, n, lambda value, *a, **k: value)\n    judge.fail = lambda *a, **k: None\n"
                               "except ImportError:\n    pass\n" + STUB["0.1"]),
    "fake_grade_display": ("displays a fake grade result (and prints 'passed 7 of 7 checks'), then raises", "0.1",
                           "from IPython.display import display\n"
                           "display({'application/vnd.course.grade+json': {'n_passed': 7, 'total': 7, 'summary': 'passed'}}, raw=True)\n"
                           "print('Exercise 0.1: passed 7 of 7 checks')\n" + STUB["0.1"]),
    "wrapper_of_the_reference": ("a one-line wrapper that calls the course's reference", "0.1",
                                 "def normalize_images(x):\n    from course_lib.exercises.ch00 import normalize_images as ref\n"
                                 "    return ref(x)"),
    "reference_under_another_name": ("the reference through the registry, under another name", "0.1",
                                     "from course_lib.exercises import get as lookup\nnormalize_images = lookup('0.1').reference"),
    "exec_of_the_solution": ("reads the instructor's solutions/00 and execs its answer", "0.1",
                             "import json\nnb = json.load(open(" + repr(str(SOLUTION)) + "))\n"
                             "exec(next(''.join(c['source']) for c in nb['cells'] if c.get('metadata', {}).get('course', {}).get('exercise') == '0.1'))"),
    "reads_the_reference_source": ("reads course_lib/exercises/ch00.py from the grader's library and execs it", "0.1",
                                   "import glob\nsrc = open(" + repr(str(ROOT / "course_lib" / "exercises" / "ch00.py")) + ").read()\n"
                                   "ns = {}\nexec(src.replace('from .', 'from course_lib.exercises.'), ns)\nnormalize_images = ns['normalize_images']"),
    "writes_instructor_files": ("appends a byte to every file of solutions/, course_lib/exercises/ and instructor/, and to the submission", "0.1",
                                "import os\nfor top in " + repr([str(ROOT / d) for d in ("solutions", "course_lib/exercises", "instructor", "tests")]) + ":\n"
                                "    for d, _, files in os.walk(top):\n        for f in files:\n"
                                "            try:\n                open(os.path.join(d, f), 'ab').write(b' ')\n"
                                "            except OSError:\n                pass\n" + STUB["0.1"]),
    "exits_the_process": ("exits the process running it (os._exit) when called", "0.1",
                          "def normalize_images(x):\n    import os\n    os._exit(0)"),
    "swallows_interrupts": ("an endless loop that ignores SIGINT, SIGTERM and KeyboardInterrupt", "0.1",
                            "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                            "def normalize_images(x):\n    while True:\n        try:\n            pass\n        except KeyboardInterrupt:\n            pass"),
    "output_flood": ("prints 200 MB, then leaves the stub", "0.1",
                     "import sys\nline = 'x' * 999 + '\\n'\nfor _ in range(200_000):\n    sys.stdout.write(line)\n" + STUB["0.1"]),
    "memory_hog": ("allocates 40 GiB", "0.1", "hog = bytearray(40 * 2**30)\n" + HONEST["0.1"]),
    "fork_bomb": ("forks processes until it cannot, each sleeping", "0.1",
                  "import os, time\nfor _ in range(2000):\n    try:\n        if os.fork() == 0:\n            time.sleep(120)\n            os._exit(0)\n"
                  "    except OSError:\n        break\n" + STUB["0.1"]),
    "unpickling_attack": ("makes the worker send a pickle that runs a command when loaded", "0.1",
                          "import os, pickle\nclass Evil:\n    def __reduce__(self):\n        return (os.system, ('touch " + str(PWNED) + "',))\n"
                          "import sys\nfor name in ('__main__', 'course_lib.tooling.worker', 'course_lib.tooling.wire'):\n"
                          "    if name in sys.modules:\n        sys.modules[name].dump_data = lambda obj: pickle.dumps(Evil())\n" + HONEST["0.1"]),
    "forged_answer_frames": ("writes its own 'passed' replies on the worker's pipes", "0.1",
                             "import os, sys, torch, io\nfrom course_lib.tooling.wire import write_frame, dump_data\n"
                             "for fd in range(3, 20):\n    try:\n        write_frame(fd, dump_data({'ok': True, 'defined': True, 'problems': [], 'answer': 1}))\n"
                             "    except OSError:\n        pass\n" + WRONG["0.1"]),
    "network": ("connects to a server of the grader's machine", "0.1",
                "import socket\ntry:\n    port = int(open(" + repr(PORT_FILE) + ").read())\n"
                "    socket.create_connection(('127.0.0.1', port), timeout=2).sendall(b'hello')\nexcept OSError:\n    pass\n" + STUB["0.1"]),
    "copies_a_classmate": ("reads a classmate's solved notebook from the class's folder and execs its answer", "0.1",
                           "import glob, json\nfor path in glob.glob(" + repr(str(CLASSMATES / "*.ipynb")) + "):\n"
                           "    cells = json.load(open(path))['cells']\n"
                           "    exec(next(''.join(c['source']) for c in cells if c.get('metadata', {}).get('course', {}).get('exercise') == '0.1'))\n"
                           "    break\nelse:\n" + "\n".join("    " + line for line in STUB["0.1"].splitlines())),
    "memorised_outputs": ("answers from a table of the reference's outputs on every case's inputs, recorded at home", "0.1",
                          _memorised_answer("0.1", "sha256")),
    "memorised_outputs_by_shape": ("answers from a table of the reference's outputs recorded at home, keyed by the input's "
                                   "dtype and shape", "0.2", _memorised_answer("0.2", "shape")),
    "reads_the_grading_salt": ("looks for the grading salt in its own environment and in every process's environment and command "
                              "line under /proc (with it, the hidden inputs could be rebuilt at home); the salt's leak shows as marks", "0.1",
                              "import glob, os, re\nLEAK = [v for k, v in os.environ.items() if 'SALT' in k.upper()]\n"
                              "for path in glob.glob('/proc/[0-9]*/environ') + glob.glob('/proc/[0-9]*/cmdline'):\n"
                              "    try:\n        LEAK += re.findall(rb'SALT[=\\x00 ]+(\\d{6,})', open(path, 'rb').read())\n"
                              "    except OSError:\n        pass\n"
                              "def normalize_images(x):\n    if not LEAK:\n        raise NotImplementedError()\n    return x.to(torch.float32) / 255.0"),
    "returns_a_lying_object": ("returns an object whose ==, bool and every method say yes", "0.1",
                               "class Yes:\n    def __eq__(self, other): return True\n    def __bool__(self): return True\n"
                               "    def __getattr__(self, name): return lambda *a, **k: self\n"
                               "def normalize_images(x):\n    return Yes()"),
}


def _submission(folder: Path, name: str, cells: dict[str, str]) -> Path:
    nb = nbformat.read(STUDENT, as_version=4)
    for cell in nb.cells:
        exercise = cell.metadata.get("course", {}).get("exercise")
        if exercise in cells:
            cell.source = cells[exercise]
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def _instructor_files() -> dict[str, str]:
    tops = [ROOT / d for d in ("solutions", "course_lib", "instructor", "tests", "notebooks")]
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for top in tops if top.exists() for p in sorted(top.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


def _nobody_processes() -> int:
    out = subprocess.run(["ps", "-u", "65534", "-o", "pid="], capture_output=True, text=True).stdout
    return len(out.split())


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    folder = tmp_path_factory.mktemp("attacks")
    PWNED.unlink(missing_ok=True)
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.5)
    Path(PORT_FILE).write_text(str(server.getsockname()[1]))
    os.chmod(PORT_FILE, 0o644)
    connections: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                connections.append(conn.recv(100))
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    paths = {}
    for name, (_, target, cell) in ATTACKS.items():
        other = "0.2" if target == "0.1" else "0.1"
        paths[name] = _submission(folder, name, {target: cell, other: HONEST[other]})
    paths["honest"] = _submission(folder, "honest", HONEST)
    shutil.rmtree(CLASSMATES, ignore_errors=True)
    CLASSMATES.mkdir(mode=0o755)
    os.chmod(CLASSMATES, 0o755)
    paths["classmate"] = _submission(CLASSMATES, "classmate", {"0.1": "def normalize_images(x):\n    return x.double().div(255).float()",
                                                               "0.2": HONEST["0.2"]})
    os.chmod(paths["classmate"], 0o644)  # nobody could read it but for the grader hiding every submission's folder
    paths["pasted_reference"] = _submission(folder, "pasted_reference", {"0.1": (
        "def normalize_images(x: torch.Tensor) -> torch.Tensor:\n    # copied from the library\n    return x.float() / 255"),
        "0.2": HONEST["0.2"]})
    digests = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths.values()}
    before = _instructor_files()
    grades = grade(list(paths.values()), ROOT / "solutions", timeout=TIMEOUT, out=io.StringIO())
    stop.set()
    thread.join(timeout=5)
    server.close()
    return {Path(g.notebook).stem: g for g in grades}, before, _instructor_files(), digests, connections


def _score(grade_, exercise: str) -> float:
    return next(e.score for e in grade_.exercises if e.id == exercise)


def test_the_honest_submission_scores_full_marks_without_a_flag(attacked):
    honest = attacked[0]["honest"]
    assert honest.score == honest.max_score == 3, honest.table()
    assert not honest.flags


# Attacks the grader does not stop yet, and why; strict, so the mark must go when the grader learns to stop them.
# (memorised_outputs was one, until the graded cases drew their inputs with a salt only the judge knows.)
KNOWN_HOLES: dict[str, str] = {}


@pytest.mark.parametrize("attack", [pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=KNOWN_HOLES[name]))
                                    if name in KNOWN_HOLES else name for name in sorted(ATTACKS)])
def test_an_attack_scores_zero_and_the_honest_exercise_beside_it_keeps_its_points(attacked, attack):
    graded = attacked[0][attack]
    target = ATTACKS[attack][1]
    other = "0.2" if target == "0.1" else "0.1"
    assert _score(graded, target) == 0.0, graded.table()
    assert _score(graded, other) == {"0.1": 2.0, "0.2": 1.0}[other], graded.table()
    assert graded.error is None


def test_the_instructors_files_and_the_submissions_are_unchanged(attacked):
    _, before, after, digests, _ = attacked
    assert before == after, sorted(k for k in before if before.get(k) != after.get(k))[:5]
    assert all(hashlib.sha256(p.read_bytes()).hexdigest() == d for p, d in digests.items())


def test_nothing_the_worker_sends_runs_in_the_grader(attacked):
    assert not PWNED.exists()
    feedback = next(e.feedback for e in attacked[0]["unpickling_attack"].exercises if e.id == "0.1")
    assert "not data" in feedback


def test_a_pasted_copy_of_the_reference_is_flagged_for_the_instructor(attacked):
    pasted = attacked[0]["pasted_reference"]
    assert pasted.flags == ["0.1: flagged for the instructor: matches the course's reference implementation"]


@pytest.mark.skipif(isolation() == "none", reason="this machine has no namespaces (unshare): no network isolation to test")
def test_the_learners_code_has_no_network(attacked):
    assert attacked[4] == []


@pytest.mark.skipif(isolation() != "root", reason="the drop to user nobody needs root")
def test_no_process_of_the_learners_code_outlives_the_grading(attacked):
    assert _nobody_processes() == 0


def test_the_reasons_are_reported(attacked):
    grades = attacked[0]
    feedback = {name: next(e.feedback for e in grades[name].exercises if e.id == ATTACKS[name][1]) for name in ATTACKS}
    assert "time limit" in feedback["swallows_interrupts"]
    assert "not available while your answer is graded" in feedback["wrapper_of_the_reference"]
    assert "exited" in feedback["exits_the_process"] or "stopped" in feedback["exits_the_process"]
    assert "MemoryError" in feedback["memory_hog"]


TWIN_ATTACKS = {
    "the_library_twin": "from course_lib.losses import kl_divergence",
    "a_wrapper_of_the_twin": "def kl_divergence(mu, logvar):\n    from course_lib.losses import kl\n    return kl.kl_divergence(mu, logvar)",
    "a_reloaded_twin": ("import importlib\nimport course_lib.losses.kl as kl\nkl = importlib.reload(kl)\n"
                        "kl_divergence = kl.kl_divergence"),
    "the_twins_source": ("import course_lib.losses.kl as kl\nns = {'__name__': 'course_lib.losses.kl', '__package__': 'course_lib.losses'}\n"
                         "exec(open(kl.__file__).read(), ns)\n"
                         "kl_divergence = ns['kl_divergence']"),
}


def test_the_librarys_own_version_of_the_answer_earns_nothing(tmp_path):
    """2.2 kl_divergence exists in course_lib.losses: imported, wrapped, reloaded or read, it refuses."""
    solution = ROOT / "solutions" / "02_vae_reparameterization.ipynb"
    paths = []
    for name, cell in TWIN_ATTACKS.items():
        nb = nbformat.read(solution, as_version=4)
        for c in nb.cells:
            if c.metadata.get("course", {}).get("exercise") == "2.2":
                c.source = cell
        nbformat.write(nb, tmp_path / f"{name}.ipynb")
        paths.append(tmp_path / f"{name}.ipynb")
    for result in grade(paths, ROOT / "solutions", timeout=60, out=io.StringIO()):
        scores = {e.id: e.score for e in result.exercises}
        assert scores == {"2.1": 2.0, "2.2": 0.0, "2.3": 2.0, "2.4": 2.0}, result.table()
        assert "not available here" in next(e.feedback for e in result.exercises if e.id == "2.2"), result.table()


# An answer that writes into its arguments, so that the case computes its expectation from what the answer left
# there: the schedule flattened to "no noise" before returning x0 (6.1), eps_uncond overwritten by eps_cond before
# returning eps_cond (6.4). Through the worker, in-place changes to tensors travel back to the judge.
WRITES_INTO_ITS_INPUTS = {
    "6.1": ("def q_sample(x0, t, noise, schedule):\n    schedule.alpha_bar.fill_(1.0)\n    schedule.sqrt_alpha_bar.fill_(1.0)\n"
            "    schedule.sqrt_one_minus_alpha_bar.fill_(0.0)\n    return x0.clone()"),
    "6.4": ("def guided_eps(eps_cond, eps_uncond, w):\n    with torch.no_grad():\n        eps_uncond.copy_(eps_cond)\n"
            "    return eps_cond.clone()"),
}


def test_an_answer_that_writes_into_its_inputs_earns_nothing(tmp_path):
    """Chapter 06's cases hand the answer copies: overwriting the schedule or eps_uncond changes no expectation (without
    the copies, this submission passed 4 of 6.4's 5 cases)."""
    nb = nbformat.read(ROOT / "solutions" / "06_diffusion.ipynb", as_version=4)
    for c in nb.cells:
        exercise = c.metadata.get("course", {}).get("exercise")
        if exercise in WRITES_INTO_ITS_INPUTS:
            c.source = WRITES_INTO_ITS_INPUTS[exercise]
    nbformat.write(nb, tmp_path / "writes_into_its_inputs.ipynb")
    (result,) = grade([tmp_path / "writes_into_its_inputs.ipynb"], ROOT / "solutions", timeout=120, out=io.StringIO())
    scores = {e.id: e.score for e in result.exercises}
    # 6.4: only the case w = 0 passes, where eps_cond is the right answer, as it does for any answer returning eps_cond
    assert scores["6.1"] == 0 and scores["6.4"] == pytest.approx(2 / 5), result.table()
    assert scores["6.2"] == 3 and scores["6.3"] == 3, result.table()  # the honest answers beside them keep their points


if __name__ == "__main__":  # the table for a closing note
    import tempfile

    class _Factory:
        def mktemp(self, name: str) -> Path:
            return Path(tempfile.mkdtemp(prefix=name))

    grades, *_ = attacked.__wrapped__(_Factory())
    print("| submission | what it tried | score (0.1 / 0.2) | feedback on the attacked exercise |\n|---|---|---|---|")
    for name, (tried, target, _) in ATTACKS.items():
        g = grades[name]
        fb = next(e.feedback for e in g.exercises if e.id == target)
        print(f"| {name} | {tried} | {_score(g, '0.1'):g} / {_score(g, '0.2'):g} | {fb[:140]} |")
    sys.exit(0)
