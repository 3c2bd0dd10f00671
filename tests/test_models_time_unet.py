"""The time-conditioned U-Net: eps_hat has the input's shape, depends on t and y, trains its time MLP, refuses bad input."""
import pytest
import torch
import torch.nn as nn

from course_lib.diffusion import linear_schedule, noise_prediction_loss
from course_lib.input_checks import CourseInputError
from course_lib.models import TimeConditionedUNet, timestep_embedding


def tiny(**kwargs) -> TimeConditionedUNet:
    return TimeConditionedUNet(base_width=4, **kwargs)


def test_output_shape_equals_input_shape_for_mnist_sizes(device):
    model = tiny(n_classes=10).to(device)
    x = torch.randn(3, 1, 28, 28, device=device)
    assert model(x, torch.tensor([0, 10, 999], device=device), torch.tensor([0, 9, 10], device=device)).shape == x.shape
    assert tiny(in_channels=3, depth=3).to(device)(torch.randn(2, 3, 16, 16, device=device), 5).shape == (2, 3, 16, 16)


def test_different_timesteps_give_different_outputs(device):
    model = tiny().to(device).eval()
    x = torch.randn(1, 1, 28, 28, device=device).expand(2, -1, -1, -1)
    out = model(x, torch.tensor([1, 500], device=device))
    assert not torch.allclose(out[0], out[1], atol=1e-4)


def test_labels_change_the_output_and_no_labels_mean_the_null_class(device):
    model = tiny(n_classes=3).to(device).eval()
    x, t = torch.randn(2, 1, 28, 28, device=device), torch.tensor([7, 7], device=device)
    assert model.null_label == 3
    assert not torch.allclose(model(x, t, torch.tensor([0, 0], device=device)), model(x, t, torch.tensor([1, 1], device=device)), atol=1e-4)
    assert torch.equal(model(x, t), model(x, t, torch.tensor([3, 3], device=device)))


def test_gradients_reach_the_time_mlp_and_the_label_embedding():
    model = tiny(n_classes=2)
    model(torch.randn(2, 1, 28, 28), torch.tensor([3, 90]), torch.tensor([0, 1])).pow(2).mean().backward()
    for part in (model.time_mlp, model.label_emb):
        assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in part.parameters())


def test_timestep_embedding_is_sin_then_cos_of_geometric_frequencies():
    emb = timestep_embedding(torch.tensor([0, 1, 100]), 8)
    assert emb.shape == (3, 8)
    assert torch.equal(emb[0], torch.tensor([0.0] * 4 + [1.0] * 4))
    assert torch.allclose(emb[1, 0], torch.sin(torch.tensor(1.0))) and torch.allclose(emb[2, 4], torch.cos(torch.tensor(100.0)))
    assert timestep_embedding(torch.tensor([5]), 7).shape == (1, 7)


def test_a_zero_initialised_head_gives_a_loss_near_the_noise_variance():
    model = tiny()
    nn.init.zeros_(model.head.weight)
    nn.init.zeros_(model.head.bias)
    x0 = torch.rand(16, 1, 28, 28) * 2 - 1
    loss = noise_prediction_loss(model, x0, linear_schedule(100), generator=torch.Generator().manual_seed(0))
    assert abs(loss.item() - 1.0) < 0.05  # E[eps^2] = 1, over 16 x 784 draws


def test_the_loss_trains_the_model_a_little():
    torch.manual_seed(0)
    model, s = tiny(), linear_schedule(100)
    x0 = torch.zeros(8, 1, 8, 8)  # the noise is all there is to predict: eps = x_t / sqrt(1 - alpha_bar_t)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(30):
        loss = noise_prediction_loss(model, x0, s)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert sum(losses[-5:]) / 5 < 0.5 * sum(losses[:5]) / 5


def test_bad_inputs_are_refused_with_what_was_expected():
    model = tiny(n_classes=3)
    with pytest.raises(CourseInputError, match=r"multiples of 2\^depth = 4.*got float32 N x 1 x 30 x 30"):
        model(torch.randn(2, 1, 30, 30), 0)
    with pytest.raises(CourseInputError, match="N x 1 x H x W"):
        model(torch.randn(2, 3, 28, 28), 0)
    with pytest.raises(CourseInputError, match=r"t: expected one timestep per image, shape \(2,\)"):
        model(torch.randn(2, 1, 28, 28), torch.tensor([1, 2, 3]))
    with pytest.raises(CourseInputError, match=r"labels: expected classes 0..2 or 3 \(no label\), got values in 0..4"):
        model(torch.randn(2, 1, 28, 28), 0, torch.tensor([0, 4]))
    with pytest.raises(CourseInputError, match="this U-Net is unconditional"):
        tiny()(torch.randn(2, 1, 28, 28), 0, torch.tensor([0, 1]))
    with pytest.raises(CourseInputError, match="expected in_channels, base_width, depth"):
        TimeConditionedUNet(depth=0)
