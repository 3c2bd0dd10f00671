"""Helpers for tests/test_browser.py: find Chromium, run JupyterLab on loopback, drive a notebook.

Nothing here reaches beyond 127.0.0.1: JupyterLab listens on loopback only with its news feed, update
check and PyPI extension manager switched off, Chromium starts without background networking, and
every request the page makes to another host is aborted (and recorded, so a test can say which).
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
INSTALL_HINT = "apt-get install chromium, or set COURSE_CHROMIUM=/path/to/chrome (see README, 'Browser test')"

# JupyterLab settings for the test's private config dir: no news toast, no update check, and every
# cell kept in the page (no windowing) so that the whole notebook can be read and photographed.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def find_chromium() -> str | None:
    """The path of the system Chromium (or of the browser named by ``COURSE_CHROMIUM``), or None."""
    chosen = os.environ.get("COURSE_CHROMIUM")
    for name in ([chosen] if chosen else CHROMIUM_CANDIDATES):
        path = name if os.path.isabs(name) else shutil.which(name)
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


def missing_browser_reason() -> str | None:
    """Why the browser test cannot run here (None when it can)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright's Python package not found: pip install -e '.[dev]' (see README, 'Browser test')"
    if find_chromium() is None:
        chosen = os.environ.get("COURSE_CHROMIUM")
        if chosen:
            return f"COURSE_CHROMIUM={chosen} is not an executable browser"
        return f"Chromium not found: {INSTALL_HINT}"
    return None


@contextmanager
def chromium_browser() -> Iterator[Any]:
    """Headless Chromium (the system's, see :func:`find_chromium`) driven by Playwright, closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def is_loopback(url: str) -> bool:
    """True for URLs that stay on this machine (loopback hosts, data: and blob: URLs)."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.hostname in ("127.0.0.1", "localhost", "::1")


def jupyter_command() -> list[str]:
    """README's ``.venv/bin/jupyter lab``: the jupyter next to this Python, else ``python -m jupyterlab``."""
    jupyter = Path(sys.executable).with_name("jupyter")
    return [str(jupyter), "lab"] if jupyter.exists() else [sys.executable, "-m", "jupyterlab"]


@dataclass
class LabServer:
    """A running JupyterLab: its base URL, token, root folder, process and log file."""

    url: str
    token: str
    root: Path
    process: subprocess.Popen
    log: Path

    def api(self, path: str, method: str = "GET") -> Any:
        request = urllib.request.Request(f"{self.url}{path}", method=method, headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            body = response.read()
        return json.loads(body) if body else None

    def lab_url(self, relative: str) -> str:
        """The JupyterLab URL that opens ``relative`` (a path under the root)."""
        return f"{self.url}/lab/tree/{relative}?token={self.token}&reset"

    def log_tail(self, n: int = 40) -> str:
        lines = self.log.read_text(errors="replace").splitlines() if self.log.exists() else []
        return "\n".join(lines[-n:])


def _write_lab_settings(config_dir: Path) -> None:
    for relative, values in LAB_SETTINGS.items():
        path = config_dir / "lab" / "user-settings" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


@contextmanager
def jupyter_lab(root: Path, home: Path, env: dict[str, str] | None = None, startup_timeout: float = 90) -> Iterator[LabServer]:
    """Start JupyterLab on ``root`` (127.0.0.1, a free port, a random token); always stop it on exit.

    ``home`` receives the private Jupyter config/data/runtime folders and the server log, so the
    learner's own settings, workspaces and kernels are neither read nor touched.
    """
    token = secrets.token_hex(24)
    port = free_port()
    config_dir, data_dir, runtime_dir = home / "jupyter-config", home / "jupyter-data", home / "jupyter-runtime"
    for folder in (config_dir, data_dir, runtime_dir):
        folder.mkdir(parents=True, exist_ok=True)
    _write_lab_settings(config_dir)
    full_env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config_dir),
        "JUPYTER_DATA_DIR": str(data_dir),
        "JUPYTER_RUNTIME_DIR": str(runtime_dir),
        "JUPYTER_PLATFORM_DIRS": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        **(env or {}),
    }
    # A learner's kernel draws figures inline: drop the Agg backend that `make test` sets for pytest.
    for name in ("JUPYTER_TOKEN", "MPLBACKEND", "JUPYTER_PATH"):
        full_env.pop(name, None)
    command = [
        *jupyter_command(),
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.allow_remote_access=False",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
        "--LabApp.expose_app_in_browser=True",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # CI containers run as root
    log = home / "jupyterlab.log"
    with open(log, "wb") as log_file:
        process = subprocess.Popen(command, cwd=root, env=full_env, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True)
    server = LabServer(f"http://127.0.0.1:{port}", token, root, process, log)
    try:
        _wait_until_up(server, startup_timeout)
        yield server
    finally:
        stop_server(server)


def _wait_until_up(server: LabServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with code {server.process.returncode} while starting:\n{server.log_tail()}")
        try:
            server.api("/api/status")
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            time.sleep(0.5)
    raise RuntimeError(f"JupyterLab did not answer on {server.url} within {timeout:.0f} s:\n{server.log_tail()}")


def stop_server(server: LabServer, timeout: float = 15) -> None:
    """Shut down the kernels, then the server: SIGTERM, then SIGKILL to its process group after ``timeout``."""
    process = server.process
    if process.poll() is None:
        try:
            for kernel in server.api("/api/kernels"):
                server.api(f"/api/kernels/{kernel['id']}", method="DELETE")
        except Exception:
            pass  # the server may already be going; SIGTERM below shuts its kernels down too
        process.terminate()  # SIGTERM: jupyter server stops its kernels and exits
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
    try:  # whatever the server left in its own process group (it was started in a new session)
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if process.poll() is None:
        process.wait(timeout=5)


# ---------------------------------------------------------------- the page ---------------------------

@dataclass
class BlockedRequests:
    """Requests the page tried to make beyond loopback (all aborted)."""

    urls: list[str] = field(default_factory=list)

    def route(self, route) -> None:
        url = route.request.url
        if is_loopback(url):
            route.continue_()
        else:
            self.urls.append(url)
            route.abort()


# JavaScript run in the page; ``window.jupyterapp`` exists because of --LabApp.expose_app_in_browser.
JS_NOTEBOOK_STATE = """() => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  if (!panel || !panel.content || !panel.content.model || !panel.sessionContext) return null;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = [];
  const model = panel.content.model;
  for (let i = 0; i < model.cells.length; i++) {
    const cell = model.cells.get(i);
    const json = cell.toJSON();
    cells.push({type: json.cell_type, source: Array.isArray(json.source) ? json.source.join('') : json.source,
                execution_count: json.execution_count === undefined ? null : json.execution_count,
                outputs: json.outputs || []});
  }
  const prompts = Array.from(document.querySelectorAll('.jp-Notebook .jp-InputPrompt')).map(p => p.textContent.trim());
  return {kernel: kernel ? kernel.status : null, ready: panel.sessionContext.isReady,
          busy_prompts: prompts.filter(t => t.includes('*')).length, cells: cells};
}"""


def output_text(output: dict) -> str:
    """The text a learner reads in one output (stream, text/plain result, error)."""
    kind = output.get("output_type")
    if kind == "stream":
        text = output.get("text", "")
    elif kind == "error":
        text = f"{output.get('ename')}: {output.get('evalue')}"
    else:
        text = (output.get("data") or {}).get("text/plain", "")
    return "".join(text) if isinstance(text, list) else str(text)


CHECK_CELL = re.compile(r"^\s*(\w+)\s*=\s*check\(\s*['\"]([\w.]+)['\"]\s*,\s*\1\s*\)\s*$", re.MULTILINE)
NOT_DONE = re.compile(r"not done yet.*reference implementation is used", re.IGNORECASE | re.DOTALL)
PASSED = re.compile(r"\bpassed (all )?\d+ visible checks?\b.*the grader runs more", re.IGNORECASE | re.DOTALL)


def exercise_checks(cells: list[dict]) -> list[tuple[int, str, str]]:
    """(cell index, exercise id, output text) of every ``name = check("id", name)`` cell."""
    found = []
    for index, cell in enumerate(cells):
        match = CHECK_CELL.search(cell["source"]) if cell["type"] == "code" else None
        if match:
            found.append((index, match.group(2), "".join(output_text(o) for o in cell["outputs"])))
    return found


JS_KERNEL_IDLE = """() => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  const session = panel && panel.sessionContext && panel.sessionContext.session;
  return !!(session && session.kernel && session.kernel.status === 'idle');
}"""


def wait_for_kernel_idle(page, timeout: float = 120) -> None:
    """Wait until the open notebook's kernel has started and is idle."""
    page.wait_for_function(JS_KERNEL_IDLE, timeout=timeout * 1000, polling=250)


def run_all_cells(page, timeout: float = 180, settle: float = 1.0) -> dict:
    """Run every cell with JupyterLab's own command and wait until the run is over.

    Over means: the kernel is idle, no prompt shows ``[*]``, and every code cell has an execution
    count (or a cell failed, which stops "run all"), for ``settle`` seconds in a row.
    Returns the final :data:`JS_NOTEBOOK_STATE`.
    """
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    deadline = time.monotonic() + timeout
    quiet_since = None
    state = None
    while time.monotonic() < deadline:
        state = page.evaluate(JS_NOTEBOOK_STATE)
        code = [c for c in state["cells"] if c["type"] == "code"] if state else []
        failed = any(o.get("output_type") == "error" for c in code for o in c["outputs"])
        finished = bool(code) and (all(c["execution_count"] is not None for c in code) or failed)
        if state and state["kernel"] == "idle" and state["busy_prompts"] == 0 and finished:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= settle:
                return state
        else:
            quiet_since = None
        time.sleep(0.25)
    raise TimeoutError(f"the notebook was still running after {timeout:.0f} s (kernel {state and state['kernel']})")
