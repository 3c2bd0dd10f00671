"""The pattern every explorer of the course follows: controls above, a picture below.

Each change of a control calls ``draw(**values)``, which returns a matplotlib figure; the figure is
rendered to PNG and shown in an ``ipywidgets.Image``. Rendering to PNG (instead of an interactive
matplotlib backend) works the same in JupyterLab, VS Code, Colab and in tests without a browser:
a test sets ``explorer.controls["label"].value = 3`` and compares ``explorer.image.value`` before and after.
"""
from __future__ import annotations

import io
from typing import Callable, Mapping

import ipywidgets as widgets

from matplotlib.figure import Figure


def figure_png(fig: Figure, dpi: int = 100) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


class Explorer:
    """Interactive controls and the picture they drive: ``Explorer({"z1": slider}, draw)``.

    ``draw`` receives the controls' values as keyword arguments and returns a new
    ``matplotlib.figure.Figure`` (create it with ``Figure(figsize=...)``, not ``plt.figure``, so nothing
    is shown twice). Display the explorer by making it the last expression of a cell.
    """

    def __init__(
        self,
        controls: Mapping[str, widgets.ValueWidget],
        draw: Callable[..., Figure],
        title: str | None = None,
        dpi: int = 100,
    ) -> None:
        self.controls = dict(controls)
        self.draw = draw
        self.dpi = dpi
        self.redraws = 0
        self.image = widgets.Image(format="png")
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        header = [widgets.HTML(f"<b>{title}</b>")] if title else []
        self.widget = widgets.VBox([*header, widgets.HBox(list(self.controls.values())), self.image])
        self.redraw()

    def values(self) -> dict[str, object]:
        return {name: control.value for name, control in self.controls.items()}

    def redraw(self) -> None:
        """Draw the picture for the current values of the controls."""
        self.image.value = figure_png(self.draw(**self.values()), dpi=self.dpi)
        self.redraws += 1

    def _on_change(self, _change: dict) -> None:
        self.redraw()

    def _repr_mimebundle_(self, **kwargs):  # shown as the widget in a notebook
        return self.widget._repr_mimebundle_(**kwargs)


def slider(description: str, value: float, low: float, high: float, step: float = 0.1, width: str = "260px") -> widgets.FloatSlider:
    """A float slider that updates only when released (continuous_update off keeps the kernel responsive)."""
    return widgets.FloatSlider(
        value=value, min=low, max=high, step=step, description=description, continuous_update=False,
        layout=widgets.Layout(width=width), style={"description_width": "initial"},
    )


def int_slider(description: str, value: int, low: int, high: int, width: str = "260px") -> widgets.IntSlider:
    return widgets.IntSlider(
        value=value, min=low, max=high, description=description, continuous_update=False,
        layout=widgets.Layout(width=width), style={"description_width": "initial"},
    )
