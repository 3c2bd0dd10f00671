import torch
from matplotlib.figure import Figure

from course_lib.models import UNet
from course_lib.analysis.unet import draw_unet, format_trace, trace_unet


def test_the_trace_halves_the_size_per_level_and_concatenates_the_skips(device):
    model = UNet(1, 4, depth=3, base_width=4).to(device)
    rows = trace_unet(model, torch.rand(2, 1, 32, 32, device=device))
    shapes = {(r.kind, r.level): r.shape for r in rows}
    assert rows[0].kind == "input" and rows[-1].kind == "head" and shapes[("head", 0)] == (2, 4, 32, 32)
    for level, width in enumerate([4, 8, 16]):
        assert shapes[("down", level)] == (2, width, 32 >> level, 32 >> level)
        assert shapes[("concat", level)] == (2, 2 * width, 32 >> level, 32 >> level)  # skip + upsampled
        assert shapes[("decode", level)] == (2, width, 32 >> level, 32 >> level)
    assert shapes[("bottleneck", 3)] == (2, 32, 4, 4) and shapes[("pool", 3)] == (2, 16, 4, 4)


def test_without_skips_there_is_no_concatenation_and_the_hooks_are_removed(device):
    model = UNet(1, 2, depth=2, base_width=4, skips=False).to(device).train()
    rows = trace_unet(model, torch.rand(1, 1, 16, 16, device=device))
    assert not [r for r in rows if r.kind == "concat"]
    assert model.training
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())


def test_the_table_and_the_picture_name_every_level():
    rows = trace_unet(UNet(1, 4, depth=2, base_width=4), torch.rand(1, 1, 16, 16))
    text = format_trace(rows)
    assert "bottleneck" in text and "8 x 16 x 16" in text and len(text.splitlines()) == len(rows) + 1
    fig = draw_unet(rows)
    assert isinstance(fig, Figure)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["level 0", "level 1", "level 2"]
