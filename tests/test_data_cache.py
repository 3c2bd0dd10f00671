"""The classroom-safe data cache: the learner's folder first, the instructor's read-only shared ones after,
and every write in one step, so concurrent learners or grading workers never leave a broken entry.

Tests may run as root, where a read-only folder does not stop a write: the shared folder is made read-only
all the same, and every test also checks its listing (names, sizes, modification times) did not change.
"""
from __future__ import annotations

import io
import multiprocessing
import os
import queue
import warnings
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch
import torch.nn as nn
import torchvision

from course_lib.config import shared_data_dirs
from course_lib.data import DatasetUnavailableError, load
from course_lib.data.cache import cache_entry, cache_path, cached
from course_lib.data.layers import atomic_write, find_cached
from course_lib.data.torchvision_sets import load_torchvision, write_idx
from course_lib.data.types import Dataset, Split
from course_lib.tooling import cli
from course_lib.train.checkpoint import checkpoint_path, has_checkpoint, load_checkpoint, save_checkpoint

from cache_race import ROUNDS, WRITERS, one_writer, race, whole

# ---------------------------------------------------------------- helpers


@pytest.fixture
def layers(tmp_path, monkeypatch):
    """(user folder, shared folder), with COURSE_DATA_DIR and COURSE_SHARED_DATA_DIR pointing at them."""
    user, shared = tmp_path / "user", tmp_path / "shared"
    shared.mkdir()
    monkeypatch.setenv("COURSE_DATA_DIR", str(user))
    monkeypatch.setenv("COURSE_SHARED_DATA_DIR", str(shared))
    yield user, shared
    _chmod_tree(shared, dirs=0o755, files=0o644)  # so that pytest can clean up


@contextmanager
def as_only_layer(monkeypatch, folder: Path):
    """Run as if ``folder`` were the only data folder: how an instructor pre-fills the shared one."""
    with monkeypatch.context() as m:
        m.setenv("COURSE_DATA_DIR", str(folder))
        m.delenv("COURSE_SHARED_DATA_DIR", raising=False)
        yield


def _chmod_tree(folder: Path, dirs: int, files: int) -> None:
    for path in sorted(folder.rglob("*"), reverse=True):
        path.chmod(dirs if path.is_dir() else files)
    folder.chmod(dirs)


def lock(folder: Path) -> dict[str, tuple[int, int]]:
    """Make ``folder`` read-only, as an instructor would, and return its listing to compare with later."""
    _chmod_tree(folder, dirs=0o555, files=0o444)
    return listing(folder)


def listing(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


def files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def tiny(value: float, n: int = 4) -> Dataset:
    x = torch.full((n, 1, 4, 4), float(value))
    return Dataset("toy", Split(x, torch.zeros(n, dtype=torch.int64)), Split(x[:2].clone(), torch.zeros(2, dtype=torch.int64)), ["a"])


def never() -> Dataset:
    raise AssertionError("the cached entry should have been loaded, not built")


# ---------------------------------------------------------------- the layers


def test_shared_data_dirs_keep_their_order_skip_empty_entries_and_are_never_created(tmp_path, monkeypatch):
    a, b = tmp_path / "a", tmp_path / "b"
    monkeypatch.setenv("COURSE_SHARED_DATA_DIR", os.pathsep.join([str(a), "", str(b), ""]))
    assert shared_data_dirs() == [a, b]
    assert not a.exists() and not b.exists()
    monkeypatch.delenv("COURSE_SHARED_DATA_DIR")
    assert shared_data_dirs() == []


def test_find_cached_looks_in_the_learners_folder_then_each_shared_one_in_order(tmp_path, monkeypatch):
    user, first, second = (tmp_path / name for name in ("user", "first", "second"))
    monkeypatch.setenv("COURSE_DATA_DIR", str(user))
    monkeypatch.setenv("COURSE_SHARED_DATA_DIR", os.pathsep.join([str(first), str(second)]))
    assert find_cached("datasets/x.pt") is None
    for folder in (second, first, user):
        (folder / "datasets").mkdir(parents=True)
        (folder / "datasets" / "x.pt").write_bytes(b"")
        assert find_cached("datasets/x.pt") == folder / "datasets" / "x.pt"


def test_an_entry_only_in_the_shared_folder_is_read_from_there_and_nothing_is_written(layers, monkeypatch):
    user, shared = layers
    with as_only_layer(monkeypatch, shared):
        cached("toy", {"k": 1}, lambda: tiny(7))
    before = lock(shared)
    ds = cached("toy", {"k": 1}, never)
    assert ds.train.x.eq(7).all() and len(ds.test) == 2
    assert files(user) == [] and listing(shared) == before


def test_the_learners_own_entry_wins_over_the_shared_one(layers, monkeypatch):
    user, shared = layers
    for folder, value in ((shared, 7), (user, 3)):
        with as_only_layer(monkeypatch, folder):
            cached("toy", {"k": 1}, lambda: tiny(value))
    lock(shared)
    assert cached("toy", {"k": 1}, never).train.x.eq(3).all()


def test_new_entries_go_to_the_learners_folder_and_leave_the_shared_one_untouched(layers, monkeypatch):
    user, shared = layers
    with as_only_layer(monkeypatch, shared):
        cached("toy", {"k": 1}, lambda: tiny(7))
    before = lock(shared)
    built = []
    ds = cached("toy", {"k": 2}, lambda: built.append(1) or tiny(5))
    assert built == [1] and ds.train.x.eq(5).all()
    assert files(user) == [str(cache_entry("toy", {"k": 2}))]  # the entry alone: no temporary file left
    assert listing(shared) == before
    assert cached("toy", {"k": 2}, never).train.x.eq(5).all()


def test_a_corrupt_shared_entry_is_skipped_with_a_warning_and_kept(layers, monkeypatch):
    user, shared = layers
    with as_only_layer(monkeypatch, shared):
        cached("toy", {"k": 1}, lambda: tiny(7))
    broken = shared / cache_entry("toy", {"k": 1})
    broken.write_bytes(b"not a tensor file")
    before = lock(shared)
    with pytest.warns(UserWarning, match=r"shared data folder.*tell the instructor") as record:
        ds = cached("toy", {"k": 1}, lambda: tiny(4))
    assert str(broken) in str(record[0].message)
    assert ds.train.x.eq(4).all() and files(user) == [str(cache_entry("toy", {"k": 1}))]
    assert listing(shared) == before and broken.read_bytes() == b"not a tensor file"


def test_a_corrupt_entry_of_the_learners_own_is_rebuilt_quietly(layers):
    user, _ = layers
    path = cache_path("toy", {"k": 1})
    path.parent.mkdir(parents=True)
    path.write_bytes(b"half a tens")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cached("toy", {"k": 1}, lambda: tiny(2)).train.x.eq(2).all()
    assert torch.load(path, weights_only=True)["train_x"].eq(2).all()
    assert files(user) == [str(cache_entry("toy", {"k": 1}))]


def test_checkpoints_are_read_from_the_shared_folder_and_saved_to_the_learners(layers, monkeypatch):
    user, shared = layers
    torch.manual_seed(0)
    trained = nn.Linear(3, 2)
    with as_only_layer(monkeypatch, shared):
        save_checkpoint(trained, "lin", epochs=1)
    before = lock(shared)
    model = nn.Linear(3, 2)
    assert has_checkpoint("lin") and load_checkpoint(model, "lin") == {"epochs": 1}
    assert torch.equal(model.weight, trained.weight) and files(user) == []
    assert save_checkpoint(model, "lin", epochs=2) == checkpoint_path("lin") == user / "checkpoints" / "lin.pt"
    assert load_checkpoint(nn.Linear(3, 2), "lin") == {"epochs": 2}  # the learner's own copy wins
    assert files(user) == ["checkpoints/lin.pt"] and listing(shared) == before


def test_a_corrupt_checkpoint_is_skipped_when_shared_and_removed_when_the_learners(layers, monkeypatch):
    user, shared = layers
    (shared / "checkpoints").mkdir()
    (shared / "checkpoints" / "lin.pt").write_bytes(b"garbage")
    before = lock(shared)
    with pytest.warns(UserWarning, match="tell the instructor"):
        assert load_checkpoint(nn.Linear(3, 2), "lin", missing_ok=True) is None
    (user / "checkpoints").mkdir(parents=True)
    (user / "checkpoints" / "lin.pt").write_bytes(b"garbage too")
    with pytest.warns(UserWarning, match="tell the instructor"), pytest.raises(FileNotFoundError, match="no checkpoint named 'lin'"):
        load_checkpoint(nn.Linear(3, 2), "lin")
    assert files(user) == [] and listing(shared) == before  # the learner's own is gone (trained again), the shared one kept


# ---------------------------------------------------------------- atomic writes


def test_an_error_inside_an_atomic_write_leaves_neither_the_target_nor_a_temporary_file(tmp_path):
    target = tmp_path / "entry.pt"

    def half_then_fail(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, half_then_fail)
    assert list(tmp_path.iterdir()) == []
    target.write_bytes(b"old")
    with pytest.raises(OSError, match="disk full"):
        atomic_write(target, half_then_fail)
    assert [p.name for p in tmp_path.iterdir()] == ["entry.pt"] and target.read_bytes() == b"old"


def test_atomic_writes_use_a_fresh_hidden_name_beside_the_target_and_a_readable_mode(tmp_path):
    target, seen = tmp_path / "sub" / "entry.pt", []

    def write(tmp: Path) -> None:
        seen.append(tmp)
        tmp.write_bytes(b"payload %d" % len(seen))

    old = os.umask(0o022)
    try:
        atomic_write(target, write)
        atomic_write(target, write)
    finally:
        os.umask(old)
    assert seen[0] != seen[1] and all(p.parent == target.parent for p in seen)
    assert all(p.name.startswith(".entry.pt.") and p.name.endswith(".tmp") and p.name != ".entry.pt.tmp" for p in seen)
    assert [p.name for p in target.parent.iterdir()] == ["entry.pt"] and target.read_bytes() == b"payload 2"
    assert target.stat().st_mode & 0o777 == 0o644  # readable by learners when an instructor pre-fills a shared folder


# ---------------------------------------------------------------- concurrent writers (processes, as on a JupyterHub)


@pytest.fixture(scope="module")
def raced(tmp_path_factory) -> Path:
    """A data folder that WRITERS processes wrote the same entries into at the same time."""
    folder = tmp_path_factory.mktemp("raced")
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(WRITERS), ctx.Queue()
    workers = [ctx.Process(target=race, args=(i, str(folder), barrier, results)) for i in range(WRITERS)]
    for w in workers:
        w.start()
    reports = {}
    try:
        for _ in workers:
            index, problems = results.get(timeout=120)
            reports[index] = problems
    except queue.Empty:
        pass
    for w in workers:
        w.join(timeout=30)
        if w.is_alive():
            w.kill()
    assert sorted(reports) == list(range(WRITERS)), f"writers that did not finish: {sorted(set(range(WRITERS)) - set(reports))}"
    assert not any(reports.values()), reports
    return folder


def test_concurrent_atomic_writes_of_one_entry_leave_one_writers_whole_payload(raced):
    blob = torch.load(raced / "race" / "entry.pt", weights_only=True)
    assert whole(blob) and blob["writer"] in range(WRITERS) and blob["round"] == ROUNDS - 1
    assert [p.name for p in (raced / "race").iterdir()] == ["entry.pt"]  # no temporary file left


def test_concurrent_cached_calls_build_one_consistent_entry_each(raced, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(raced))
    monkeypatch.delenv("COURSE_SHARED_DATA_DIR", raising=False)
    for round_ in range(ROUNDS):
        assert one_writer(cached("race", {"round": round_}, never))
    names = sorted(p.name for p in (raced / "datasets").iterdir())
    assert names == sorted(cache_entry("race", {"round": r}).name for r in range(ROUNDS))  # no temporary file left


# ---------------------------------------------------------------- torchvision downloads


def _idx_files(raw: Path, label: int, n_train: int = 12, n_test: int = 6) -> None:
    g = torch.Generator().manual_seed(0)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        write_idx(raw, prefix, torch.randint(0, 256, (n, 28, 28), generator=g, dtype=torch.uint8), torch.full((n,), label))


def _offline(self) -> None:
    raise AssertionError("nothing should be downloaded")


def test_a_dataset_only_in_the_shared_folder_loads_offline_and_writes_nothing_to_the_learners(layers, monkeypatch):
    user, shared = layers
    _idx_files(shared / "MNIST" / "raw", label=3)
    before = lock(shared)
    monkeypatch.setattr(torchvision.datasets.MNIST, "download", _offline)
    ds = load("mnist", device="cpu")
    assert ds.train.x.shape == (12, 1, 28, 28) and ds.test.x.shape == (6, 1, 28, 28) and ds.train.y.eq(3).all()
    assert list(user.iterdir()) == [] and listing(shared) == before


def test_a_failed_download_leaves_no_temporary_folder_and_says_what_to_do(layers, monkeypatch):
    user, _ = layers

    def half_then_fail(self) -> None:
        Path(self.raw_folder).mkdir(parents=True)
        (Path(self.raw_folder) / "train-images-idx3-ubyte").write_bytes(b"half")
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz")

    monkeypatch.setattr(torchvision.datasets.MNIST, "download", half_then_fail)
    with pytest.raises(DatasetUnavailableError) as info:
        load("mnist", device="cpu")
    message = str(info.value)
    assert "Could not download 'mnist'" in message and "mnist-5k" in message and str(user) in message
    assert list(user.iterdir()) == []
    with pytest.raises(DatasetUnavailableError, match="download=False"):
        load_torchvision("mnist", download=False)


def test_a_finished_download_is_moved_into_the_learners_folder_in_one_piece(layers, monkeypatch):
    user, shared = layers
    monkeypatch.setattr(torchvision.datasets.MNIST, "download", lambda self: _idx_files(Path(self.raw_folder), label=1))
    assert load("mnist", device="cpu").train.y.eq(1).all()
    assert [p.name for p in user.iterdir()] == ["MNIST"] and list(shared.iterdir()) == []
    monkeypatch.setattr(torchvision.datasets.MNIST, "download", _offline)
    assert load("mnist", device="cpu").test.y.eq(1).all()  # the second time, from the learner's folder


def test_when_another_learner_finishes_the_download_first_their_copy_is_kept(layers, monkeypatch):
    user, _ = layers

    def download_while_another_finishes(self) -> None:
        _idx_files(user / "MNIST" / "raw", label=2)  # theirs lands first
        _idx_files(Path(self.raw_folder), label=1)  # ours

    monkeypatch.setattr(torchvision.datasets.MNIST, "download", download_while_another_finishes)
    assert load("mnist", device="cpu").train.y.eq(2).all()
    assert [p.name for p in user.iterdir()] == ["MNIST"]  # ours dropped with its temporary folder


# ---------------------------------------------------------------- course doctor


def _doctor(monkeypatch) -> tuple[int, str]:
    monkeypatch.setattr(cli, "_jupyter_kernel", lambda: "python3 (test)")  # the kernel row is tested in test_support
    out = io.StringIO()
    return cli.doctor(out), out.getvalue()


def _row(text: str, name: str, value: str) -> str:
    return next(line for line in text.splitlines() if name in line and value in line)


def test_doctor_reports_a_read_only_shared_folder_as_fine_and_lists_its_datasets(layers, monkeypatch):
    user, shared = layers
    with as_only_layer(monkeypatch, shared):
        cached("toy", {"k": 1}, lambda: tiny(7))
    lock(shared)
    access = os.access  # root may write to a read-only folder: say it cannot, as for a learner
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p) == shared and mode & os.W_OK else access(p, mode, **kw))
    code, text = _doctor(monkeypatch)
    assert code == 0, text
    assert _row(text, "shared data", str(shared)).split() == ["ok", "shared", "data", str(shared), "(read-only,", "shared)"]
    assert _row(text, "data dir", str(user)).split()[0] == "ok"
    assert f"toy (shared {shared})" in _row(text, "datasets", "toy")


def test_doctor_reports_a_missing_shared_folder_as_bad_with_the_fix(layers, monkeypatch):
    _, shared = layers
    missing = shared.parent / "not-there"
    monkeypatch.setenv("COURSE_SHARED_DATA_DIR", os.pathsep.join([str(shared), "", str(missing)]))
    code, text = _doctor(monkeypatch)
    assert code == 1
    assert _row(text, "shared data", str(shared)).split()[0] == "ok"
    assert _row(text, "shared data", str(missing)).split()[0] == "BAD"
    assert f"the shared data folder {missing} does not exist; correct COURSE_SHARED_DATA_DIR" in text
    assert not missing.exists()
