import pytest
import torch

from course_lib.data import Batches
from course_lib.train import History, NonFiniteLossError, evaluate_in_batches, fit, has_checkpoint, load_checkpoint, save_checkpoint


def _regression(device):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(256, 3, generator=g)
    y = x @ torch.tensor([1.0, -2.0, 0.5]) + 0.3
    return x.to(device), y.to(device)


def test_fit_learns_a_linear_map_and_records_history(device):
    x, y = _regression(device)
    model = torch.nn.Linear(3, 1).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    def step(batch):
        xb, yb = batch
        loss = ((model(xb).squeeze(1) - yb) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return {"loss": loss.detach(), "abs": loss.detach().sqrt()}

    def evaluate():
        return {"loss": ((model(x).squeeze(1) - y) ** 2).mean()}

    history = fit(step, Batches(x, y, batch_size=32), epochs=8, evaluate=evaluate)
    assert len(history) == 8 and set(history.keys()) == {"train_loss", "train_abs", "test_loss"}
    assert history.last("train_loss") < history["train_loss"][0] / 100
    assert history.last("test_loss") < 1e-3
    assert "8 epochs" in repr(history)


def test_evaluation_runs_without_gradients():
    seen = []
    fit(lambda b: {"loss": b[0].sum()}, Batches(torch.ones(4)), 1, evaluate=lambda: seen.append(torch.is_grad_enabled()) or {})
    assert seen == [False]


def test_nan_loss_names_epoch_and_batch(device):
    calls = {"n": 0}

    def step(batch):
        calls["n"] += 1
        value = float("nan") if calls["n"] == 6 else 1.0
        return {"loss": torch.tensor(value, device=device)}

    with pytest.raises(NonFiniteLossError, match="epoch 2, batch 2"):
        fit(step, Batches(torch.zeros(16, device=device), batch_size=4), epochs=3)


def test_step_must_return_a_loss():
    with pytest.raises(TypeError, match="'loss' key"):
        fit(lambda b: {"kl": torch.tensor(1.0)}, Batches(torch.zeros(4)), 1)


def test_history_unknown_key_lists_the_known_ones():
    h = History()
    h.append({"loss": 1.0}, prefix="train_")
    with pytest.raises(KeyError, match="train_loss"):
        h["test_loss"]


def test_evaluate_in_batches_weights_by_batch_size():
    x = torch.arange(10.0)
    out = evaluate_in_batches(lambda b: {"mean": b[0].mean()}, Batches(x, batch_size=4, shuffle=False))
    assert out["mean"] == pytest.approx(4.5)


def test_checkpoint_round_trip(device):
    model = torch.nn.Linear(4, 2).to(device)
    save_checkpoint(model, "unit-linear", epochs=3)
    other = torch.nn.Linear(4, 2).to(device)
    meta = load_checkpoint(other, "unit-linear")
    assert meta == {"epochs": 3} and has_checkpoint("unit-linear")
    assert torch.equal(model.weight, other.weight) and other.weight.device.type == device.type


def test_checkpoint_errors_are_clear():
    with pytest.raises(FileNotFoundError, match="no checkpoint named 'nothing'"):
        load_checkpoint(torch.nn.Linear(1, 1), "nothing")
    save_checkpoint(torch.nn.Linear(4, 2), "shape-a")
    with pytest.raises(ValueError, match="does not fit this Linear"):
        load_checkpoint(torch.nn.Linear(5, 2), "shape-a")
    with pytest.raises(ValueError, match="letters, digits"):
        save_checkpoint(torch.nn.Linear(1, 1), "../escape")
