"""Interactive explorers of the notebooks, one module each, all built on :class:`Explorer`."""
from .base import Explorer, figure_png, int_slider, slider

__all__ = ["Explorer", "figure_png", "int_slider", "slider"]
