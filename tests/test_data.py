import pytest
import torch

from course_lib import data
from course_lib.data.torchvision_sets import write_idx
from course_lib.data import Batches, DatasetUnavailableError, UnknownDatasetError, load


def test_mnist5k_is_a_fixed_stratified_split_of_images_in_0_1():
    ds = load("mnist-5k", device="cpu")
    assert ds.train.x.shape == (4000, 1, 28, 28) and ds.test.x.shape == (1000, 1, 28, 28)
    assert ds.train.x.dtype == torch.float32 and ds.train.y.dtype == torch.int64
    assert 0.0 <= ds.train.x.min() and ds.train.x.max() <= 1.0
    assert torch.equal(torch.bincount(ds.test.y), torch.full((10,), 100))
    assert torch.equal(torch.bincount(ds.train.y), torch.full((10,), 400))
    again = load("mnist-5k", device="cpu")
    assert torch.equal(ds.test.x, again.test.x)


def test_mnist5k_train_and_test_do_not_overlap():
    ds = load("mnist-5k", device="cpu")
    train = {hash(x.numpy().tobytes()) for x in ds.train.x}
    assert not any(hash(x.numpy().tobytes()) in train for x in ds.test.x[:200])


def test_load_moves_data_to_the_device(device):
    ds = load("mnist-5k", device=device)
    assert ds.train.x.device.type == device.type


def test_unknown_dataset_names_the_choices():
    with pytest.raises(UnknownDatasetError, match="unknown dataset 'cifar'.*mnist-5k.*digit-scenes"):
        load("cifar")


def test_shapes_are_deterministic_with_masks_that_match_the_images():
    a = load("shapes", device="cpu", n_train=40, n_test=10, seed=3)
    b = data.load_shapes(n_train=40, n_test=10, seed=3)
    assert torch.equal(a.train.x, b.train.x) and torch.equal(a.train.y, b.train.y)
    assert a.train.x.shape == (40, 1, 64, 64) and a.train.y.shape == (40, 64, 64)
    assert set(a.train.y.unique().tolist()) == {0, 1, 2, 3}
    fg, bg = a.train.x[:, 0][a.train.y > 0], a.train.x[:, 0][a.train.y == 0]
    assert fg.mean() > bg.mean() + 0.3
    assert not torch.equal(a.train.x, data.load_shapes(n_train=40, n_test=10, seed=4).train.x)


def test_digit_scenes_label_digit_pixels_by_class_and_the_rest_background():
    ds = load("digit-scenes", device="cpu", n_train=30, n_test=10)
    x, y = ds.train.x, ds.train.y
    assert x.shape == (30, 1, 64, 64) and y.shape == (30, 64, 64)
    assert y.min() >= 0 and y.max() == data.SCENE_BACKGROUND
    assert (x[:, 0][y != 10] > 0.3).all()
    per_scene = [len(set(s.unique().tolist()) - {10}) for s in y]
    assert min(per_scene) >= 1 and max(per_scene) <= 4


@pytest.mark.parametrize("name, n_modes, sigma", [("ring8", 8, 0.02), ("grid25", 25, 0.05)])
def test_toy_sets_sit_on_their_centres(name, n_modes, sigma):
    ds = load(name, device="cpu", n_train=5000, n_test=100)
    centres = data.toy_centres(name)
    assert centres.shape == (n_modes, 2)
    offsets = ds.train.x - centres[ds.train.y]
    assert abs(offsets.std().item() - sigma) < 0.1 * sigma
    assert torch.bincount(ds.train.y, minlength=n_modes).min() > 5000 / n_modes * 0.7


def test_ring8_centres_lie_on_a_circle_of_radius_2():
    assert torch.allclose(data.ring8_centres().norm(dim=1), torch.full((8,), 2.0))


def test_batches_cover_every_item_once_per_epoch(device):
    x = torch.arange(10, device=device).float()
    y = torch.arange(10, device=device) * 2
    batches = Batches(x, y, batch_size=4, generator=torch.Generator().manual_seed(0))
    assert len(batches) == 3
    seen = []
    for bx, by in batches:
        assert bx.device.type == device.type and torch.equal(by, bx.long() * 2)
        seen += bx.tolist()
    assert sorted(seen) == list(range(10))
    first = [b[0].tolist() for b in batches]
    second = [b[0].tolist() for b in batches]
    assert first != second  # a fresh permutation each epoch


def test_batches_drop_last_and_no_shuffle():
    b = Batches(torch.arange(10), batch_size=4, shuffle=False, drop_last=True)
    assert [t[0].tolist() for t in b] == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_batches_reject_mismatched_tensors():
    with pytest.raises(ValueError, match="same length"):
        Batches(torch.zeros(3), torch.zeros(4))
    with pytest.raises(ValueError, match="positive integer"):
        Batches(torch.zeros(3), batch_size=0)


def _fake_raw(root, cls_folder, n_train=12, n_test=6):
    raw = root / cls_folder / "raw"
    g = torch.Generator().manual_seed(0)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = torch.randint(0, 256, (n, 28, 28), generator=g, dtype=torch.uint8)
        labels = torch.arange(n, dtype=torch.uint8) % 10
        write_idx(raw, prefix, images, labels)


@pytest.mark.parametrize("name, folder", [("mnist", "MNIST"), ("fashion-mnist", "FashionMNIST")])
def test_torchvision_sets_load_from_idx_files_in_the_data_dir(tmp_path, monkeypatch, name, folder):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    _fake_raw(tmp_path, folder)
    ds = load(name, device="cpu")
    assert ds.train.x.shape == (12, 1, 28, 28) and ds.test.x.shape == (6, 1, 28, 28)
    assert 0 <= ds.train.x.min() and ds.train.x.max() <= 1 and ds.train.x.max() > 0.9
    assert ds.train.y.tolist()[:3] == [0, 1, 2] and len(ds.classes) == 10


@pytest.mark.parametrize("name, cls", [("mnist", "MNIST"), ("fashion-mnist", "FashionMNIST")])
def test_offline_without_a_cached_copy_names_mnist5k(tmp_path, monkeypatch, name, cls):
    import torchvision

    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(getattr(torchvision.datasets, cls), "mirrors", ["http://127.0.0.1:9/"])
    with pytest.raises(DatasetUnavailableError) as info:
        load(name, device="cpu")
    message = str(info.value)
    assert "mnist-5k" in message and str(tmp_path) in message and "Could not download" in message
