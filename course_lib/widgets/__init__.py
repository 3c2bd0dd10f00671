"""Interactive explorers of the notebooks, one module each, all built on :class:`Explorer`.

Widgets are views: they draw and call the library; every number they show is computed by ``metrics``,
``models`` or ``train``.
"""
from .anomaly import anomaly_explorer
from .base import Explorer, figure_png, int_slider, slider
from .code_map import code_map_explorer, decode_point
from .cvae_style import cvae_explorer
from .denoising import denoising_explorer
from .diffusion import guidance_explorer, sampling_steps_explorer, timestep_explorer
from .gan_training import TrainingExplorer, draw_snapshot
from .inpainting import inpainting_explorer
from .interpolation import interpolation_explorer
from .model_gallery import ModelGallery
from .segmentation import segmentation_explorer

__all__ = [
    "Explorer", "ModelGallery", "TrainingExplorer", "anomaly_explorer", "code_map_explorer", "cvae_explorer", "decode_point",
    "denoising_explorer", "draw_snapshot", "figure_png", "guidance_explorer", "inpainting_explorer", "int_slider", "interpolation_explorer",
    "sampling_steps_explorer", "segmentation_explorer", "slider", "timestep_explorer",
]
