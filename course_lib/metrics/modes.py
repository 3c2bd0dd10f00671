"""Mode coverage on the 2-D toy mixtures, the standard protocol (Srivastava et al. 2017, VEEGAN, section 5.1).

Draw 2,500 samples. A sample is *high quality* when it lies within 3 standard deviations of its nearest
centre; a mode is *covered* when at least 20 high-quality samples fall on it. Report the number of modes
covered and the high-quality fraction. Samples of the true mixture score all modes and a fraction
P(|x - mu| <= 3 sigma) = 1 - exp(-9/2) ~ 98.9 % (the mass of a 2-D Gaussian within 3 sigma).
"""
from __future__ import annotations

from typing import NamedTuple

import torch

from ..input_checks import CourseInputError, check_tensor

N_SAMPLES = 2_500


class ModeCoverage(NamedTuple):
    modes: int  # modes covered
    hq: float  # fraction of high-quality samples


def mode_coverage(
    samples: torch.Tensor,
    centres: torch.Tensor | str,
    sigma: float | None = None,
    n_required: int = 20,
    n_std: float = 3.0,
) -> ModeCoverage:
    """``(modes covered, high-quality fraction)`` of N x 2 ``samples``; ``centres`` a K x 2 tensor or "ring8" / "grid25"."""
    from ..data.toy import TOY_SIGMA, toy_centres

    if isinstance(centres, str):
        if centres not in TOY_SIGMA:
            raise CourseInputError(f"centres: expected a K x 2 tensor or one of {sorted(TOY_SIGMA)}, got {centres!r}.")
        sigma = TOY_SIGMA[centres] if sigma is None else sigma
        centres = toy_centres(centres)
    if sigma is None:
        raise CourseInputError("sigma: expected the standard deviation of the mixture components with a tensor of centres.")
    check_tensor(samples, "samples", shape=(None, 2), floating=True)
    check_tensor(centres, "centres", shape=(None, 2), floating=True)
    distance, nearest = torch.cdist(samples.detach().float().cpu(), centres.float().cpu()).min(dim=1)  # N
    high_quality = distance <= n_std * sigma
    per_mode = torch.bincount(nearest[high_quality], minlength=len(centres))
    return ModeCoverage(int((per_mode >= n_required).sum()), float(high_quality.float().mean()))
