"""Where cached data lives, and how it is written: the learner's folder first, the instructor's shared ones after.

On a shared JupyterHub the instructor pre-fills one read-only folder (``COURSE_SHARED_DATA_DIR``, see
:func:`~course_lib.config.shared_data_dirs`) and every learner writes into their own (``COURSE_DATA_DIR``,
:func:`~course_lib.config.data_dir`). Reading looks in the learner's folder, then in each shared one, in order;
writing always goes to the learner's folder, and always in one step, so that learners or grading workers that
write the same entry at the same time never leave a half-written file::

    path = find_cached("datasets/shapes-1a2b3c4d5e6f.pt")          # the first copy found, or None
    atomic_write(data_dir() / "checkpoints/vae.pt", lambda tmp: torch.save(blob, tmp))
    root = install_folder("MNIST", lambda staging: MNIST(staging, download=True), usable=opens)
"""
from __future__ import annotations

import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Callable

from ..config import data_dir, shared_data_dirs

# ---------------------------------------------------------------- reading: the learner's folder, then the shared ones


def data_layers() -> list[tuple[Path, bool]]:
    """``(folder, shared)`` for every place cached data is looked for, the learner's own folder first."""
    return [(data_dir(), False)] + [(folder, True) for folder in shared_data_dirs()]


def cached_copies(relative: str | os.PathLike[str]) -> list[tuple[Path, bool]]:
    """``(path, shared)`` for every existing copy of ``relative`` (a path inside a data folder), in lookup order."""
    found = []
    for folder, shared in data_layers():
        path = folder / relative
        if path.exists():
            found.append((path, shared))
    return found


def find_cached(relative: str | os.PathLike[str]) -> Path | None:
    """The learner's copy of ``relative``, else the first shared folder's, else ``None``."""
    copies = cached_copies(relative)
    return copies[0][0] if copies else None


def warn_corrupt_shared(path: Path, err: BaseException) -> None:
    """Say that a file in a shared folder cannot be read; the caller skips it (a shared file is never deleted)."""
    first_line = (str(err).splitlines() or [""])[0]  # torch's unpickling errors run to a page
    why = type(err).__name__ + (f": {first_line[:100]}" if first_line else "") + ("..." if len(first_line) > 100 else "")
    warnings.warn(
        f"{path} in the shared data folder cannot be read ({why}); it is skipped and your own copy is used or made "
        f"instead. Please tell the instructor, who can replace the file.",
        stacklevel=3,
    )


# ---------------------------------------------------------------- writing: one step, under a name nobody else uses


def _file_mode() -> int:
    """What ``open()`` would give a new file (0o666 less the umask): a pre-filled shared folder stays readable."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], None]) -> Path:
    """Write ``path`` in one step: ``write(tmp)`` fills a temporary file beside it, which then replaces ``path``.

    The temporary name is unique (``.<name>.<random>.tmp``), so concurrent writers never share one; readers see
    the old file or a complete new one, never half of it. On any error the temporary file is removed and the
    error re-raised, and ``path`` is left as it was. Returns ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        os.chmod(tmp, _file_mode())  # mkstemp makes it private (0o600)
        write(tmp)
        with open(tmp, "rb+") as f:  # the bytes on disk before the name points at them
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def install_folder(name: str, fill: Callable[[Path], object], usable: Callable[[Path], bool]) -> Path:
    """Make ``<data dir>/<name>`` in one step: ``fill(staging)`` creates ``staging/<name>`` (e.g. a torchvision
    download with ``root=staging``) in a fresh folder of the learner's data directory, which is then moved into place.

    When the place is taken meanwhile (another learner or worker won the race) and ``usable(data dir)`` says
    their copy works, theirs is kept and ours dropped; a copy that does not work (an interrupted download of an
    older version) is replaced. The staging folder is removed in every case, also on error. Returns the data dir.
    """
    root = data_dir()
    staging = Path(tempfile.mkdtemp(dir=root, prefix=".download-"))
    try:
        fill(staging)
        made, target = staging / name, root / name
        if not made.is_dir():
            raise FileNotFoundError(f"the download did not create {made}")
        try:
            os.replace(made, target)
        except OSError:
            if not target.is_dir():
                raise
            if not usable(root):
                os.replace(target, staging / f"{name}.broken")  # set the broken copy aside, removed with staging
                os.replace(made, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return root
