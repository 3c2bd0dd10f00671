"""Chapter 07's measurements: every model kind measured the same way, the table the claims read."""
import math

import pytest
import torch

from course_lib.analysis.comparison.claims import judge_all
from course_lib.analysis.comparison.measure import (
    BUDGET_COLUMNS, DIFFUSION_STEPS, REAL, anomaly_scores, mean_interval, anomaly_sets, draw_samples, encode, format_table, kind_of, measure, reconstruction_bce,
    reconstruction_errors, spread_interval, table_html,
)
from course_lib.analysis.comparison.budget import training_budget
from course_lib.data import Dataset, Split
from course_lib.diffusion import DiffusionModel
from course_lib.models import CVAE, Classifier, ConvAutoencoder, ConvVAE, DCGANGenerator, MLPAutoencoder
from course_lib.input_checks import CourseInputError


def tiny_data(device, n_train=60, n_test=40) -> Dataset:
    g = torch.Generator().manual_seed(0)
    x = (torch.rand(n_train + n_test, 1, 28, 28, generator=g) ** 3).to(device)
    y = (torch.arange(n_train + n_test) % 10).to(device)
    return Dataset("tiny", Split(x[:n_train], y[:n_train]), Split(x[n_train:], y[n_train:]), [str(i) for i in range(10)])


def tiny_models(device, seeds=(0, 1)) -> dict:
    out = {"AE": {}, "VAE": {}, "CVAE": {}, "DCGAN": {}, "WGAN-GP": {}, "diffusion": {}}
    for s in seeds:
        torch.manual_seed(s)
        out["AE"][s] = MLPAutoencoder(latent_dim=4, hidden=(16,)).to(device)
        out["VAE"][s] = ConvVAE(latent_dim=4, width=4, hidden=16).to(device)
        out["CVAE"][s] = CVAE(latent_dim=4, width=4, hidden=16).to(device)
        out["DCGAN"][s] = DCGANGenerator(latent_dim=8, width=4).to(device)
        out["WGAN-GP"][s] = DCGANGenerator(latent_dim=8, width=4).to(device)
        out["diffusion"][s] = DiffusionModel(base_width=4, depth=1, n_classes=10, T=10).to(device)
    return out


@pytest.fixture
def classifier(device):
    torch.manual_seed(0)
    return Classifier(width=4, n_features=16).to(device).eval()


def test_kinds_are_read_from_the_model_class():
    assert [kind_of(m[0]) for m in tiny_models("cpu", seeds=(0,)).values()] == ["ae", "vae", "cvae", "gan", "gan", "diffusion"]
    with pytest.raises(CourseInputError, match="expected an autoencoder"):
        kind_of(torch.nn.Linear(2, 2))


def test_samples_of_every_kind_are_images_and_the_cvae_says_which_labels(device):
    data = tiny_data(device)
    for name, by_seed in tiny_models(device, seeds=(0,)).items():
        x, asked = draw_samples(by_seed[0], 20, torch.Generator().manual_seed(0), data.train.x)
        assert x.shape == (20, 1, 28, 28) and 0 <= float(x.min()) and float(x.max()) <= 1, name
        assert (asked is not None) == (name == "CVAE")
    assert asked is None


def test_the_diffusion_model_samples_without_a_class_and_no_guidance(device, monkeypatch):
    model = DiffusionModel(base_width=4, depth=1, n_classes=10, T=30).to(device)
    seen = {}
    original = model.sample

    def spy(n, labels=None, steps=50, guidance=0.0, **kw):
        seen.update(labels=labels, steps=steps, guidance=guidance)
        return original(n, labels=labels, steps=steps, guidance=guidance, **kw)

    monkeypatch.setattr(model, "sample", spy)
    x, asked = draw_samples(model, 6, torch.Generator().manual_seed(0))
    assert x.shape == (6, 1, 28, 28) and asked is None
    assert seen["steps"] == DIFFUSION_STEPS and seen["guidance"] == 0
    assert torch.equal(seen["labels"].cpu(), torch.full((6,), model.null_label))  # the null label: no class
    again, _ = draw_samples(model, 6, torch.Generator().manual_seed(0))
    torch.testing.assert_close(x, again)  # deterministic DDIM: a seed gives the same samples


def test_a_mean_interval_holds_the_mean_and_narrows_with_agreement():
    low, high = mean_interval([10.0, 12.0, 11.0, 13.0, 9.0])
    assert low < 11.0 < high and high - low < 4
    tight = mean_interval([11.0, 11.1, 10.9, 11.0, 11.05])
    assert tight[1] - tight[0] < (high - low) / 10
    assert all(math.isnan(v) for v in mean_interval([1.0, 2.0]))


def test_reconstruction_error_is_the_squared_pixel_error_summed_per_image(device):
    ae = ConvAutoencoder(latent_dim=4, width=4, hidden=8).to(device)
    x = tiny_data(device).test.x[:5]
    errors = reconstruction_errors(ae, x)
    assert errors.shape == (5,) and (errors > 0).all()
    x_hat = ae.eval()(x)
    torch.testing.assert_close(errors, (x_hat - x).pow(2).flatten(1).sum(1))


def test_cvae_codes_carry_the_label_and_anomaly_scores_take_the_best_label(device):
    cvae = CVAE(latent_dim=4, width=4, hidden=16).to(device)
    data = tiny_data(device)
    z = encode(cvae, data.test.x[:6], data.test.y[:6])
    assert z.shape == (6, 14) and torch.equal(z[:, 4:].argmax(1), data.test.y[:6])
    scores = anomaly_scores(cvae, data.test.x[:6])
    assert (scores <= reconstruction_errors(cvae, data.test.x[:6], data.test.y[:6]) + 1e-4).all()


def test_anomaly_sets_are_images_in_range_on_the_data_device(device):
    sets = anomaly_sets(tiny_data(device), n=12)
    assert set(sets) == {"noise", "shapes", "rotated"}
    for name, x in sets.items():
        assert x.shape[1:] == (1, 28, 28) and x.device.type == device.type and 0 <= float(x.min()) <= float(x.max()) <= 1, name


def test_measure_fills_every_column_the_claims_read(device, classifier):
    data = tiny_data(device)
    readings = iter([0.0, 0.03, 0.0, 0.09] * 6)  # a fake clock: every model's two timed draws take 0.03 s and 0.09 s
    comparison = measure(tiny_models(device), data, n_samples=30, n_pairs=5, steps=4, classifier=classifier,
                         anomalies={"noise": torch.rand(10, 1, 28, 28, device=device)},
                         seconds={"AE": {0: 1.5, 1: 2.5}}, clock=lambda: next(readings))
    t = comparison.table
    assert list(t) == [REAL, "AE", "VAE", "CVAE", "DCGAN", "WGAN-GP", "diffusion"]
    for name in ("AE", "VAE", "CVAE"):
        assert t[name]["recon_test"] > 0 and 0 <= t[name]["auroc_noise"] <= 1
    assert "recon_train" not in t["DCGAN"] and t["DCGAN"]["roughness"] >= 1
    assert "recon_train" not in t["diffusion"] and t["diffusion"]["roughness"] is None  # no decoder of a code
    assert t["diffusion"]["code_size"] == 784 and t["diffusion"]["label_accuracy"] is None  # x_T; sampled without a class
    for m in (m for m in t if m != REAL):  # 30 samples in 0.03 s and in 0.09 s: 1 and 3 ms per sample, median 2
        assert (t[m]["sample_ms"], t[m]["sample_ms_low"], t[m]["sample_ms_high"], t[m]["sample_runs"]) == pytest.approx((2, 1, 3, 2)), m
    assert next(readings, "read out") == "read out"  # the clock timed the draws, two readings each, and nothing else
    assert all(t[m]["fd_mean_low"] <= t[m]["fd_mean"] <= t[m]["fd_mean_high"] or math.isnan(t[m]["fd_mean_low"]) for m in t if m != REAL)
    assert 0 <= t["CVAE"]["label_accuracy"] <= 1 and t["VAE"]["label_accuracy"] is None
    assert t["AE"]["train_seconds"] == 2.0 and "train_seconds" not in t["VAE"]  # the mean over the two seeds
    assert all(t[m]["seeds"] == 2 and t[m]["fd_std"] >= 0 and 0 <= t[m]["entropy_worst"] <= 1 + 1e-9 for m in t if m != REAL)
    assert t[REAL]["fd"] >= 0 and math.isfinite(t[REAL]["sharpness"])
    assert set(comparison.samples["CVAE"]) == {0, 1} and comparison.samples["CVAE"][0].device.type == "cpu"
    judgements = judge_all(t)  # every rule finds its numbers
    assert len(judgements) == 9
    text = format_table(t)
    assert "AUC noise" in text and "WGAN-GP" in text and "ms / sample" in text and text.count("\n") == 8
    assert table_html(t).count("<tr") == 8


def test_measure_needs_models():
    with pytest.raises(CourseInputError, match="at least one model"):
        measure({}, tiny_data("cpu"))


def bold_in(html: str, column: str) -> list[str]:
    """The models whose cell in ``column`` (a header of the HTML table) is bold."""
    import re

    headers = re.findall(r"<th>(.*?)</th>", html)
    index = next(i for i, h in enumerate(headers) if h.split(" ")[0] == column)
    rows = re.findall(r"<tr[^>]*><td style='text-align:left'><b>(.*?)</b></td>(.*?)</tr>", html)
    return [name for name, cells in rows if re.findall(r"<td>(.*?)</td>", cells)[index - 1].startswith("<b>")]


def reference_like_table() -> dict:
    """The reference run's shape: GANs over-sharp or under-sharp, VAEs blurry, the real digits in between."""
    return {
        REAL: {"fd": 3.5, "classes": 10, "entropy": 0.9999, "sharpness": 0.188},
        "VAE": {"fd": 83.5, "classes": 10, "entropy": 0.9925, "sharpness": 0.046, "roughness": 1.41},
        "DCGAN": {"fd": 75.4, "classes": 10, "entropy": 0.9265, "sharpness": 0.300, "roughness": 1.38},
        "WGAN-GP": {"fd": 77.3, "classes": 10, "entropy": 0.9736, "sharpness": 0.170, "roughness": 1.30},
    }


def test_an_over_sharp_model_does_not_win_sharpness_the_one_closest_to_real_does():
    html = table_html(reference_like_table())
    assert bold_in(html, "sharpness") == ["WGAN-GP"]  # |0.170 - 0.188| beats the sharpest, DCGAN's 0.300
    assert bold_in(html, "entropy") == ["VAE"]  # closest to the real digits' 0.9999 (here also the highest)
    assert bold_in(html, "FD") == ["DCGAN"]  # lower is better, and the real-data floor is never the best
    assert "sharpness &asymp;" in html and "closest to the real-data row" in html


def test_entropy_is_ranked_by_closeness_to_real_not_by_size():
    t = {REAL: {"entropy": 0.90}, "A": {"entropy": 1.0}, "B": {"entropy": 0.88}}
    assert bold_in(table_html(t), "entropy") == ["B"]


def test_no_best_in_the_roughness_column_and_a_footnote_says_why():
    html = table_html(reference_like_table())
    assert bold_in(html, "roughness") == []
    assert "roughness: no best marked: measured on different kinds of paths" in html
    assert html.index("</table>") < html.index("no best marked")  # the footnote sits under the table


def test_without_a_real_value_closeness_columns_get_no_best():
    t = {"VAE": {"fd": 80.0, "sharpness": 0.05}, "DCGAN": {"fd": 70.0, "sharpness": 0.3}}
    html = table_html(t)
    assert bold_in(html, "sharpness") == [] and bold_in(html, "FD") == ["DCGAN"]
    assert "no best marked where the real-data row has no value" in html


def test_models_tied_at_the_best_are_all_marked_and_a_column_where_all_tie_marks_none():
    t = {REAL: {"classes": 10}, "A": {"classes": 10, "fd": 5.0}, "B": {"classes": 10, "fd": 5.0}, "C": {"classes": 10, "fd": 9.0}}
    html = table_html(t)
    assert bold_in(html, "classes") == []  # every model covers all classes: the column tells none apart
    assert bold_in(html, "FD") == ["A", "B"]


def test_the_second_ruler_is_the_summed_binary_cross_entropy_of_the_same_reconstructions(device):
    ae = ConvAutoencoder(latent_dim=4, width=4, hidden=8).to(device).eval()
    x = tiny_data(device).test.x[:5]
    x_hat = ae(x).clamp(1e-6, 1 - 1e-6)
    expected = -(x * x_hat.log() + (1 - x) * (1 - x_hat).log()).flatten(1).sum(1)
    torch.testing.assert_close(reconstruction_bce(ae, x), expected, rtol=1e-4, atol=1e-3)


def test_the_spread_interval_brackets_the_spread_and_needs_three_seeds():
    values = [70.0, 74.0, 77.0, 81.0, 90.0]
    t = torch.tensor(values, dtype=torch.float64)
    cv = float(t.std() / t.mean())
    low, high = spread_interval(values)
    assert 0 <= low < cv < high and high - low > 0.02  # five seeds: a wide interval, as it should be
    assert spread_interval(values) == (low, high)  # seeded: the same interval every time
    assert spread_interval([5.0] * 5) == (0.0, 0.0)
    assert all(math.isnan(v) for v in spread_interval([1.0, 2.0]))


def test_the_budget_is_read_from_how_each_model_was_trained():
    assert training_budget({"train": {"epochs": 10, "batch_size": 32}}, 4000) == {"steps": 1250, "images_seen": 40000}
    gan = training_budget({"train": {"steps": 1000, "n_critic": 3, "batch_size": 64}}, 4000)
    assert gan == {"steps": 1000, "critic_steps": 3000, "images_seen": 192000}
    assert training_budget({"train": {"steps": 1000, "batch_size": 64}}, 4000)["critic_steps"] == 1000


class Copier(torch.nn.Module):
    """A 'generator' that returns training images: the memorising model the copies column must catch."""

    def __init__(self, images: torch.Tensor):
        super().__init__()
        self.images, self.latent_dim = images, 3
        self.anchor = torch.nn.Parameter(torch.zeros(1, device=images.device))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        index = (z[:, 0].abs() * 1000).long() % len(self.images)
        return self.images[index]

    def sample(self, n: int) -> torch.Tensor:
        return self(torch.randn(n, self.latent_dim, device=self.images.device))


def test_measure_adds_precision_recall_copies_and_the_budget_and_a_copier_cannot_win(device, classifier):
    from types import SimpleNamespace

    data = tiny_data(device)
    models = tiny_models(device, seeds=(0, 1, 2))
    for s, model in models["VAE"].items():
        model.training_record = SimpleNamespace(spec={"train": {"epochs": 10, "batch_size": 32}}, seconds=30.0 + s)
    models["copier"] = {s: Copier(data.train.x) for s in (0, 1, 2)}
    t = measure(models, data, n_samples=30, n_pairs=5, steps=4, classifier=classifier,
                anomalies={"noise": torch.rand(10, 1, 28, 28, device=device)}).table
    for name in ("AE", "VAE", "CVAE"):
        assert t[name]["bce_test"] > 0 and t[name]["bce_train"] > 0
    for name, row in t.items():
        assert 0 <= row["precision"] <= 1 and 0 <= row["recall"] <= 1 and 0 <= row["copies"] <= 1, name
    assert t["copier"]["copies"] == 1.0 and t["copier"]["fd"] < t["VAE"]["fd"]  # a perfect copy looks like real data
    assert t["VAE"]["fd_cv_low"] <= t["VAE"]["fd_cv"] <= t["VAE"]["fd_cv_high"]
    assert t["VAE"]["steps"] == 10 * math.ceil(60 / 32) and t["VAE"]["images_seen"] == 600 and t["VAE"]["train_seconds"] == 30.0
    assert t["VAE"]["code_size"] == 4 and t["DCGAN"]["code_size"] == 8 and "steps" not in t["AE"]
    for name in ("AE", "VAE", "DCGAN"):  # the model measured (an AE or VAE: encoder and decoder; a GAN: its generator only), once per row
        assert t[name]["parameters"] == sum(p.numel() for p in models[name][0].parameters()), name
    assert t["copier"]["parameters"] == 1
    html = table_html(t)
    assert "copier" not in bold_in(html, "FD") and "copier" not in bold_in(html, "precision")
    assert "copier: more than 20% of the samples are copies of training images" in html
    budget = table_html(t, BUDGET_COLUMNS)
    assert bold_in(budget, "steps") == [] and "no best is marked" in budget and "&darr;" not in budget
