"""The eight claims of chapter 06: each rule gives the verdict its sentence promises on hand-made tables."""
import copy

import pytest

from course_lib.analysis.comparison.claims import (
    CLAIMS, DEPENDS, DOES_NOT_HOLD, HOLDS, VERDICTS, MissingMetricError, judge_all, verdict_rows, verdicts_html,
)


def table_where_every_claim_holds() -> dict:
    return {
        "AE": {"recon_train": 10.0, "recon_test": 20.0, "roughness": 3.0, "auroc_held_out_digit": 0.85, "auroc_noise": 0.99},
        "VAE": {"recon_train": 15.0, "recon_test": 16.0, "sharpness": 0.5, "entropy_worst": 0.99, "classes_worst": 10,
                "fd_cv": 0.05, "roughness": 1.5, "auroc_held_out_digit": 0.82, "auroc_noise": 0.98},
        "CVAE": {"recon_train": 12.0, "recon_test": 13.0, "label_accuracy": 0.97},
        "DCGAN": {"sharpness": 1.0, "entropy_worst": 0.80, "classes_worst": 9, "fd_cv": 0.40},
        "WGAN-GP": {"sharpness": 0.9, "entropy_worst": 0.97, "classes_worst": 10, "fd_cv": 0.10},
        "real data": {"sharpness": 1.1, "label_accuracy": 0.98},
    }


def verdicts(table) -> dict[int, str]:
    return {j.claim.number: j.verdict for j in judge_all(table)}


def edited(**changes) -> dict:
    """The all-holds table with ``changes`` given as model__metric=value."""
    table = copy.deepcopy(table_where_every_claim_holds())
    for key, v in changes.items():
        model, metric = key.split("__")
        table[model.replace("_", "-") if model == "WGAN_GP" else model][metric] = v
    return table


def test_there_are_eight_claims_numbered_in_order_each_with_a_rule():
    assert [c.number for c in CLAIMS] == list(range(1, 9))
    assert all(c.rule and c.text.endswith(".") for c in CLAIMS)


def test_every_claim_holds_on_the_table_built_for_it():
    assert verdicts(table_where_every_claim_holds()) == {n: HOLDS for n in range(1, 9)}


@pytest.mark.parametrize("ae, expected", [(10.0, HOLDS), (14.8, DEPENDS), (15.2, DEPENDS), (18.0, DOES_NOT_HOLD)])
def test_claim_1_compares_train_errors_with_a_tie_band(ae, expected):
    assert verdicts(edited(AE__recon_train=ae))[1] == expected


def test_claim_2_depends_when_the_ae_overfits_more_but_is_still_better_on_test_data():
    assert verdicts(edited(AE__recon_train=8.0, AE__recon_test=12.0))[2] == DEPENDS


def test_claim_2_does_not_hold_without_a_train_test_gap():
    assert verdicts(edited(AE__recon_test=10.2))[2] == DOES_NOT_HOLD


def test_claim_2_does_not_hold_when_the_vae_gap_is_larger():
    assert verdicts(edited(VAE__recon_train=10.0, VAE__recon_test=30.0))[2] == DOES_NOT_HOLD


@pytest.mark.parametrize("vae, expected", [(0.5, HOLDS), (0.95, DEPENDS), (2.0, DOES_NOT_HOLD)])
def test_claim_3_compares_sharpness_with_both_gans(vae, expected):
    assert verdicts(edited(VAE__sharpness=vae))[3] == expected


def test_claim_4_does_not_hold_when_both_gans_are_as_even_as_the_vae():
    assert verdicts(edited(DCGAN__entropy_worst=0.99, DCGAN__classes_worst=10, WGAN_GP__entropy_worst=0.985))[4] == DOES_NOT_HOLD


def test_claim_4_depends_when_one_gan_collapses_and_the_other_is_more_even():
    assert verdicts(edited(VAE__entropy_worst=0.90, WGAN_GP__entropy_worst=0.99))[4] == DEPENDS


def test_claim_4_holds_when_a_gan_misses_a_class():
    assert verdicts(edited(DCGAN__entropy_worst=0.99, DCGAN__classes_worst=8))[4] == HOLDS


@pytest.mark.parametrize("vae, gp, expected", [(0.05, 0.1, HOLDS), (0.5, 0.1, DEPENDS), (0.05, 0.6, DEPENDS), (0.5, 0.6, DOES_NOT_HOLD)])
def test_claim_5_compares_spreads_over_seeds_with_the_dcgan(vae, gp, expected):
    assert verdicts(edited(VAE__fd_cv=vae, WGAN_GP__fd_cv=gp))[5] == expected


@pytest.mark.parametrize("vae, expected", [(1.5, HOLDS), (2.9, DEPENDS), (3.5, DOES_NOT_HOLD)])
def test_claim_6_compares_interpolation_roughness(vae, expected):
    assert verdicts(edited(VAE__roughness=vae))[6] == expected


def test_claim_7_depends_when_one_anomaly_set_is_hard():
    assert verdicts(edited(AE__auroc_held_out_digit=0.7))[7] == DEPENDS


def test_claim_7_does_not_hold_when_every_auc_is_near_chance():
    table = edited(AE__auroc_held_out_digit=0.5, AE__auroc_noise=0.55, VAE__auroc_held_out_digit=0.6, VAE__auroc_noise=0.5)
    assert verdicts(table)[7] == DOES_NOT_HOLD


@pytest.mark.parametrize("acc, expected", [(0.95, HOLDS), (0.7, DEPENDS), (0.3, DOES_NOT_HOLD)])
def test_claim_8_reads_the_conditional_accuracy(acc, expected):
    assert verdicts(edited(CVAE__label_accuracy=acc))[8] == expected


def test_a_missing_metric_is_named_in_the_error():
    table = table_where_every_claim_holds()
    del table["VAE"]["sharpness"]
    with pytest.raises(MissingMetricError, match="sharpness"):
        judge_all(table)


def test_a_missing_row_is_named_in_the_error():
    table = table_where_every_claim_holds()
    del table["CVAE"]
    with pytest.raises(MissingMetricError, match="CVAE"):
        judge_all(table)


def test_rows_and_html_carry_every_verdict_and_its_evidence():
    judgements = judge_all(edited(CVAE__label_accuracy=0.7))
    rows = verdict_rows(judgements)
    assert [r["verdict"] for r in rows][-1] == DEPENDS and all(r["verdict"] in VERDICTS for r in rows)
    assert "70%" in rows[-1]["evidence"]
    html = verdicts_html(judgements)
    assert html.count("<tr>") == 9 and "depends" in html
    assert "verdict: DEPENDS" in str(judgements[-1])
