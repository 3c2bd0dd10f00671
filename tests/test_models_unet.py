"""U-Net: output size equals input size, a clear error for sizes the depth does not allow, skips, overfitting."""
import pytest
import torch
import torch.nn.functional as F

from course_lib.data import make_shapes
from course_lib.models import UNet
from course_lib.input_checks import CourseInputError


@pytest.mark.parametrize("depth, size", [(1, (6, 10)), (3, (64, 64)), (3, (24, 40)), (4, (16, 32))])
@pytest.mark.parametrize("skips", [True, False])
def test_unet_output_size_equals_input_size(device, depth, size, skips):
    model = UNet(in_channels=1, n_classes=4, depth=depth, base_width=4, skips=skips).to(device)
    x = torch.rand(2, 1, *size, device=device)
    assert model(x).shape == (2, 4, *size)


def test_unet_rejects_sizes_the_depth_does_not_allow_and_says_why(device):
    model = UNet(in_channels=1, n_classes=3, depth=3, base_width=4).to(device)
    with pytest.raises(CourseInputError, match=r"multiples of 2\^depth = 8.*got float32 N x 1 x 30 x 30"):
        model(torch.rand(2, 1, 30, 30, device=device))
    with pytest.raises(CourseInputError, match="N x 1 x H x W"):
        model(torch.rand(2, 3, 32, 32, device=device))
    with pytest.raises(CourseInputError, match="floating"):
        model(torch.zeros(2, 1, 32, 32, dtype=torch.uint8, device=device))


def test_unet_takes_several_input_channels_and_can_output_probabilities(device):
    model = UNet(in_channels=3, n_classes=1, depth=2, base_width=4, sigmoid=True).to(device)
    out = model(torch.rand(2, 3, 16, 16, device=device))
    assert out.shape == (2, 1, 16, 16) and 0 <= out.min() and out.max() <= 1


def test_skips_carry_information_past_a_zeroed_bottleneck(device):
    torch.manual_seed(0)
    x = torch.rand(2, 1, 16, 16, device=device)
    for skips in (True, False):
        model = UNet(n_classes=2, depth=2, base_width=4, skips=skips).to(device).eval()
        a = model(x, zero_bottleneck=True)
        b = model(x.flip(-1), zero_bottleneck=True)
        assert torch.allclose(a, b) != skips  # without skips, the output no longer depends on the input


def test_the_ablation_has_fewer_decoder_inputs(device):
    with_skips = sum(p.numel() for p in UNet(depth=2, base_width=4).parameters())
    without = sum(p.numel() for p in UNet(depth=2, base_width=4, skips=False).parameters())
    assert without < with_skips


@pytest.mark.parametrize("skips", [True, False])
def test_unet_overfits_one_small_batch(device, skips):
    torch.manual_seed(0)
    data = make_shapes(2, size=32, seed=0)
    x, y = data.x.to(device), data.y.to(device)
    model = UNet(n_classes=4, depth=2, base_width=8, skips=skips).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    first = F.cross_entropy(model(x), y).item()
    for _ in range(80):
        loss = F.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < first / 10
