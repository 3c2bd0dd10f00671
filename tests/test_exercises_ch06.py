"""Chapter 06's checks name the mistake: each typical wrong answer fails the case meant for it, with its note."""
from __future__ import annotations

import pytest

from course_lib.exercises import get, run_cases
from course_lib.exercises import ch06

MISTAKES = [
    ("6.1", ch06._q_alpha_t, "alpha_bar_t = schedule.alpha_bar[t]"),
    ("6.1", ch06._q_no_sqrt, "square roots"),
    ("6.1", ch06._q_first_t_for_all, "not t[0]"),
    ("6.1", ch06._q_swapped, "not the other way round"),
    ("6.1", ch06._q_t_minus_1, "0-based"),
    ("6.2", ch06._loss_one_t_for_the_batch, "not one number for the whole batch"),
    ("6.2", ch06._loss_never_the_last_step, "t = T - 1 is never drawn"),
    ("6.2", ch06._loss_to_x0, "not x0"),
    ("6.2", ch06._loss_l1, "squares the errors"),
    ("6.2", ch06._loss_sum, "do not sum"),
    ("6.3", ch06._step_beta_variance_everywhere, "at t = 0 the step must not add noise"),
    ("6.3", ch06._step_wrapped_alpha_bar_prev, "at t = 0 the step must not add noise"),
    ("6.3", ch06._step_alpha_bar_factor, "not 1 / sqrt(alpha_bar_t)"),
    ("6.3", ch06._step_no_noise, "noise term is missing"),
    ("6.3", ch06._step_variance_not_std, "not by the variance"),
    ("6.3", ch06._step_beta_variance_skips_t0, "posterior variance"),
    ("6.3", ch06._step_own_noise, "use the noise argument"),
    ("6.4", ch06._guide_interpolates, "w = 0 means no guidance"),
    ("6.4", ch06._guide_scale_convention, "guidance_scale"),
    ("6.4", ch06._guide_cond_only, "not eps_cond alone"),
    ("6.4", ch06._guide_sign_flipped, "plus sign"),
]


@pytest.mark.parametrize("exercise_id, wrong, words", MISTAKES, ids=[f"{e}-{w.__name__}" for e, w, _ in MISTAKES])
def test_a_typical_mistake_fails_a_visible_case_whose_note_names_it(exercise_id, wrong, words):
    report = run_cases(get(exercise_id), wrong, "cpu")
    assert not report.passed
    first = next(r for r in report.results if not r.passed)
    assert words in first.note, first.one_line()


def test_t_drawn_from_1_to_T_fails_on_the_range_of_the_timesteps():
    report = run_cases(get("6.2"), ch06._loss_t_from_1_to_T, "cpu")
    first = next(r for r in report.results if not r.passed)
    assert "0 .. 9" in first.error or "0 .. 9" in first.expected, first.one_line()
