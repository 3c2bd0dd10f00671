"""Diffusion models (chapter 06): noise schedules, the forward process, the noise-prediction loss and the samplers.

    schedule:  betas -> alpha_bar_t, beta_tilde_t          linear (DDPM) and cosine (improved DDPM)
    forward:   q_sample: x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps
    loss:      noise_prediction_loss: || eps - eps_theta(x_t, t) ||^2, labels dropped for classifier-free guidance
    samplers:  ddpm_step / ddpm_sample, ddim_step / ddim_sample, guided_eps, inpaint
    model:     DiffusionModel: the time-conditioned U-Net and its schedule, images in [0, 1] in and out (loss, sample)
The network is :class:`course_lib.models.TimeConditionedUNet`; nothing but :class:`DiffusionModel` depends on it
(the steps and samplers take any ``model(x_t, t[, labels]) -> eps``).
"""
from .forward import check_timesteps, q_sample
from .model import DiffusionModel
from .loss import drop_labels, noise_prediction_loss, predict_noise
from .samplers import ddim_sample, ddim_step, ddim_timesteps, ddpm_sample, ddpm_step, guided_eps, inpaint, posterior_mean, predict_x0
from .schedule import NoiseSchedule, cosine_schedule, linear_schedule

__all__ = [
    "DiffusionModel", "NoiseSchedule", "check_timesteps", "cosine_schedule", "ddim_sample", "ddim_step", "ddim_timesteps", "ddpm_sample", "ddpm_step",
    "drop_labels", "guided_eps", "inpaint", "linear_schedule", "noise_prediction_loss", "posterior_mean", "predict_noise", "predict_x0",
    "q_sample",
]
