"""The sandbox a learner's code runs in while it is graded: its own process, user, files and limits.

What a worker gets (``Sandbox.describe()`` says which of these this machine applied):

- a process of its own, started fresh for each exercise, that talks to the grader only through two
  pipes of data (``wire.py``); it is killed, with everything it started, when a case runs too long;
- a scratch working directory, and a copy of ``course_lib`` with no ``exercises`` (no references, no
  cases) and no tooling but the worker itself; the course's own implementation of the exercise being
  graded (``course_lib.losses.kl_divergence`` for 2.2, say) is replaced in that copy by a function that
  refuses, so importing it under any name earns nothing;
- where the grader runs as root (CI, Gradescope): the unprivileged user ``nobody``; new mount, network
  and PID namespaces (``unshare``): no network, and the instructor's folders (solutions, hidden cases,
  tests, the library the grader imports, the submissions) mounted over by empty ones; as another user,
  the same through a user namespace where the kernel allows one;
- limits: memory (``RLIMIT_DATA``), CPU time, processes, size of a written file, open files.
"""
from __future__ import annotations

import ast
import functools
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .wire import WireError, dump_request, load_data, read_frame, write_frame

NOBODY = 65534
LIBRARY = Path(__file__).resolve().parents[1]  # the course_lib the grader imports
WORKER_TOOLING = ("__init__.py", "wire.py", "worker.py")


@dataclass(frozen=True)
class Limits:
    """What one worker may use."""

    memory_bytes: int = 6 * 2**30
    cpu_seconds: int = 900
    processes: int = 256  # threads count too; per user (nobody) when the worker drops to it
    file_bytes: int = 64 * 2**20
    open_files: int = 512


class CaseTimeout(Exception):
    """The worker did not answer within the time limit (it was killed)."""


class WorkerDied(Exception):
    """The worker exited (or closed its pipe) before answering."""


@functools.lru_cache(maxsize=None)
def _can(command: tuple[str, ...]) -> bool:
    try:
        return subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def isolation() -> str:
    """'root' (namespaces and a drop to nobody), 'userns' (namespaces as this user) or 'none'."""
    if not sys.platform.startswith("linux") or not shutil.which("unshare"):
        return "none"
    if os.geteuid() == 0 and shutil.which("setpriv") and _can(("unshare", "--mount", "--net", "--pid", "--fork", "true")):
        return "root"
    if _can(("unshare", "--user", "--map-root-user", "--mount", "--net", "--pid", "--fork", "true")):
        return "userns"
    return "none"


def _blocked_source(source: str, names: Iterable[str], message: str) -> str:
    """``source`` with the top-level functions and classes ``names`` replaced by ones that refuse."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    edits = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in names:
            start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
            if isinstance(node, ast.ClassDef):
                bases = ", ".join(ast.get_source_segment(source, b) or "object" for b in node.bases) or "object"
                text = (f"class {node.name}({bases}):\n    def __init__(self, *args, **kwargs):\n"
                        f"        raise RuntimeError({message!r})\n")
            else:
                text = f"def {node.name}(*args, **kwargs):\n    raise RuntimeError({message!r})\n"
            edits.append((start, node.end_lineno, text))
    for start, end, text in sorted(edits, reverse=True):
        lines[start:end] = [text]
    return "".join(lines)


def library_copy(target: Path, blocked: dict[str, list[str]] | None = None, message: str = "") -> Path:
    """A copy of course_lib for a worker under ``target``: no exercises, no grader, ``blocked`` refusing.

    ``blocked`` maps a module path relative to course_lib ("losses/kl.py") to top-level names.
    Returns the folder to put on the worker's ``PYTHONPATH``.
    """
    destination = target / "course_lib"
    shutil.copytree(LIBRARY, destination, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.rmtree(destination / "exercises")
    (destination / "exercises").mkdir()
    (destination / "exercises" / "__init__.py").write_text(
        '"""Not available while an answer is graded: the checks and references stay with the grader."""\n'
        "raise ImportError('course_lib.exercises is not available while your answer is graded')\n")
    for item in (destination / "tooling").iterdir():
        if item.name not in WORKER_TOOLING:
            shutil.rmtree(item) if item.is_dir() else item.unlink()
    for relative, names in (blocked or {}).items():
        path = destination / relative
        path.write_text(_blocked_source(path.read_text(encoding="utf-8"), names, message), encoding="utf-8")
    for root, dirs, files in os.walk(target):
        os.chmod(root, 0o755)
        for name in files:
            os.chmod(os.path.join(root, name), 0o644)
    return target


def _apply_limits(limits: Limits) -> None:  # runs in the child between fork and exec
    os.setsid()
    for kind, value in ((resource.RLIMIT_DATA, limits.memory_bytes), (resource.RLIMIT_CPU, limits.cpu_seconds),
                        (resource.RLIMIT_FSIZE, limits.file_bytes), (resource.RLIMIT_NOFILE, limits.open_files),
                        (resource.RLIMIT_CORE, 0)):
        try:
            resource.setrlimit(kind, (value, value))
        except (ValueError, OSError):
            pass
    if os.geteuid() == 0:  # as another user the limit would count all of that user's processes
        resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))


@dataclass
class Sandbox:
    """Where and how workers run: the folders to hide, the limits, the scratch space."""

    hidden: list[Path] = field(default_factory=list)
    limits: Limits = field(default_factory=Limits)
    mode: str = field(default_factory=isolation)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="course-grade-")))
    threads: int = 2  # CPU threads of a worker (one each when several submissions are graded at once)

    def __post_init__(self) -> None:
        os.chmod(self.root, 0o711)
        self._libraries: dict[tuple, Path] = {}
        self._count = 0
        self._workers: list[WorkerProcess] = []
        repo = LIBRARY.parent
        hidden = {LIBRARY, *(Path(p).resolve() for p in self.hidden)}
        hidden |= {repo / name for name in ("solutions", "instructor", "tests", ".git", "benchmarks")}
        hidden |= {Path(p).resolve() / "course_lib" for p in sys.path if p and (Path(p) / "course_lib").is_dir()}
        # never hide what the worker needs: the interpreter, its libraries, or the sandbox itself
        needed = [Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), self.root.resolve()]
        self.hidden = sorted(p for p in hidden if p.is_dir() and not any(n == p or p in n.parents for n in needed))
        # the course's own folder (its venv too, when it lives there) is read-only for the learner's code
        self.read_only = [repo] if repo.is_dir() and not (repo == self.root or repo in self.root.parents) else []

    def describe(self) -> str:
        """What this machine applied, in one line, for the grading report."""
        m = self.limits
        limits = (f"memory {m.memory_bytes / 2**30:g} GiB, CPU {m.cpu_seconds} s, files up to {m.file_bytes / 2**20:g} MiB, "
                  f"{m.open_files} open files")
        if self.mode == "root":
            return (f"each exercise in its own process as user nobody, with no network, in a scratch directory, with "
                    f"{len(self.hidden)} instructor folders hidden and the course read-only; limits: {limits}, {m.processes} processes")
        if self.mode == "userns":
            return (f"each exercise in its own process in a user namespace, with no network, in a scratch directory, "
                    f"with {len(self.hidden)} instructor folders hidden and the course read-only; limits: {limits} (the process limit and the drop "
                    f"to an unprivileged user need root)")
        return (f"each exercise in its own process in a scratch directory; limits: {limits}. Not applied here (no "
                f"unshare or namespaces): no-network, hidden instructor folders, the drop to an unprivileged user")

    def library(self, blocked: dict[str, list[str]], message: str) -> Path:
        key = tuple(sorted((k, tuple(v)) for k, v in blocked.items()))
        if key not in self._libraries:
            self._libraries[key] = library_copy(Path(tempfile.mkdtemp(dir=self.root, prefix="lib-")), blocked, message)
        return self._libraries[key]

    def start(self, blocked: dict[str, list[str]] | None = None, message: str = "") -> "WorkerProcess":
        self._count += 1
        workdir = self.root / f"work-{self._count}"
        workdir.mkdir(mode=0o700)
        if self.mode == "root":
            os.chown(workdir, NOBODY, NOBODY)
        self._workers = [w for w in self._workers if w.alive]
        self._workers.append(WorkerProcess(self, self.library(blocked or {}, message), workdir))
        return self._workers[-1]

    def cleanup(self) -> None:
        """Stop any worker still running (a grader told to stop mid-case) and remove the scratch space."""
        for worker in self._workers:
            worker.kill()
        self._workers = []
        shutil.rmtree(self.root, ignore_errors=True)


class WorkerProcess:
    """One running worker and its two pipes."""

    def __init__(self, sandbox: Sandbox, library: Path, workdir: Path) -> None:
        self.direct = sandbox.mode == "none"  # the worker is our own child, not unshare's
        to_worker_r, self._to_worker = os.pipe()
        self._from_worker, from_worker_w = os.pipe()
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(workdir), "PYTHONPATH": str(library),
               "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": str(sandbox.threads), "MKL_NUM_THREADS": str(sandbox.threads),
               "COURSE_PROFILE": "quick", "COURSE_PROGRESS": "0", "MPLBACKEND": "Agg", "TMPDIR": str(workdir),
               "LANG": "C.UTF-8", "CUDA_VISIBLE_DEVICES": os.environ.get("CUDA_VISIBLE_DEVICES", "")}
        if "CUDA_VISIBLE_DEVICES" not in os.environ:
            env.pop("CUDA_VISIBLE_DEVICES")
        python = [sys.executable, "-s", "-m", "course_lib.tooling.worker", str(to_worker_r), str(from_worker_w)]
        read_only = " ".join(_quote(str(p)) for p in sandbox.read_only)
        mounts = (f'for p in {read_only}; do mount --bind "$p" "$p" && mount -o remount,bind,ro "$p" "$p"; done; ' if read_only else "")
        mounts += 'for p in "$@"; do mount -t tmpfs -o size=64k,mode=755 course-hidden "$p"; done; '
        if sandbox.mode == "root":
            drop = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--no-new-privs"]
            command = ["unshare", "--mount", "--net", "--pid", "--fork", "--kill-child", "--", "sh", "-c",
                       mounts + "exec " + " ".join(map(_quote, drop + python)),
                       "sh", *map(str, sandbox.hidden)]
        elif sandbox.mode == "userns":
            command = ["unshare", "--user", "--map-root-user", "--mount", "--net", "--pid", "--fork", "--kill-child", "--",
                       "sh", "-c", mounts + "exec " + " ".join(map(_quote, python)), "sh", *map(str, sandbox.hidden)]
        else:
            command = python
        self.process = subprocess.Popen(
            command, cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(to_worker_r, from_worker_w), preexec_fn=functools.partial(_apply_limits, sandbox.limits),
        )
        os.close(to_worker_r)
        os.close(from_worker_w)

    def request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        """Send ``message``, wait up to ``timeout`` seconds for the answer (data), or kill the worker."""
        import select

        try:
            write_frame(self._to_worker, dump_request(message))
        except (BrokenPipeError, OSError):
            self.kill()
            raise WorkerDied("the process running your code had stopped") from None
        ready, _, _ = select.select([self._from_worker], [], [], timeout)
        if not ready:
            self.kill()
            raise CaseTimeout(f"no answer within {timeout:g} s")
        try:
            deadline = time.monotonic() + max(timeout, 5.0)
            payload = _read_before(self._from_worker, deadline)
            return load_data(payload)
        except (WireError, OSError) as err:
            self.kill()
            code = self.process.poll()
            raise WorkerDied(_death(code, str(err))) from None
        except CaseTimeout:
            self.kill()
            raise
        except Exception as err:  # not data: the answer is refused
            self.kill()
            raise WorkerDied(f"it sent back something that is not data ({type(err).__name__})") from None

    def kill(self) -> None:
        """Stop the worker and everything it started (its PID namespace dies with it), and reap it.

        Under ``unshare`` the worker is unshare's child: it is killed first so that unshare reaps it (a
        worker whose parent died first would stay a zombie of user nobody, and count against its limit).
        """
        if self.process.poll() is None:
            for child in [] if self.direct else _children(self.process.pid):
                try:
                    os.kill(child, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                self.process.wait(timeout=0.01 if self.direct else 5)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    self.process.kill()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        for fd in (self._to_worker, self._from_worker):
            try:
                os.close(fd)
            except OSError:
                pass
        self._to_worker = self._from_worker = -1

    @property
    def alive(self) -> bool:
        return self._to_worker >= 0 and self.process.poll() is None


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for task in Path(f"/proc/{pid}/task").iterdir() for c in (task / "children").read_text().split()]
    except OSError:
        return []


def _read_before(fd: int, deadline: float) -> bytes:
    """A whole frame, or CaseTimeout when the worker stops half-way for too long."""
    import select

    from .wire import HEADER, MAX_FRAME

    def exactly(n: int) -> bytes:
        chunks, left = [], n
        while left:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise CaseTimeout("the answer stopped half-way")
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                raise WireError("the pipe closed")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    (size,) = HEADER.unpack(exactly(HEADER.size))
    if size > MAX_FRAME:
        raise WireError(f"an answer of {size} bytes")
    return exactly(size)


def _death(code: int | None, detail: str) -> str:
    if code is not None and code < 0:
        name = signal.Signals(-code).name if -code in signal.Signals._value2member_map_ else str(-code)
        return f"the process running your code was killed by {name} (a memory or CPU limit?)"
    if code is not None:
        return f"the process running your code exited (status {code})"
    return f"the process running your code stopped answering ({detail})"


def _quote(text: str) -> str:
    import shlex

    return shlex.quote(text)
