"""Every plot of the course, re-exported here: image grids and training curves (``common``), the chapters' figures
(``compare``, ``conditional``, ``diffusion``, ``segmentation``)."""
from .common import image_grid, plot_history, show_images
from .compare import metric_panels, samples_page
from .conditional import plot_conditional_accuracy
from .diffusion import plot_forward_process, plot_metric_curve, plot_schedules
from .segmentation import as_rgb, class_agreement, class_colors, error_overlay, overlay, show_masks, show_segmentations

__all__ = [
    "as_rgb", "class_agreement", "class_colors", "error_overlay", "image_grid", "metric_panels", "overlay", "plot_conditional_accuracy",
    "plot_forward_process", "plot_history", "plot_metric_curve", "plot_schedules", "samples_page", "show_images", "show_masks", "show_segmentations",
]
