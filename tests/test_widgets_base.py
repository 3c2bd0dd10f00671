import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from course_lib.widgets import Explorer, figure_png, slider


def _draw(level: float) -> Figure:
    fig = Figure(figsize=(2, 2))
    fig.add_subplot().imshow(np.full((4, 4), level), vmin=0, vmax=1, cmap="gray")
    return fig


def test_figure_png_is_a_png():
    assert figure_png(_draw(0.5))[:8] == b"\x89PNG\r\n\x1a\n"


def test_moving_a_control_redraws_a_different_picture():
    explorer = Explorer({"level": slider("level", 0.1, 0.0, 1.0)}, _draw, title="demo")
    before = explorer.image.value
    explorer.controls["level"].value = 0.9
    assert explorer.redraws == 2 and explorer.image.value != before
    assert isinstance(explorer.widget, widgets.VBox)
    assert "application/vnd.jupyter.widget-view+json" in explorer._repr_mimebundle_()
