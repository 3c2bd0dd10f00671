"""Chapter 06's measurements: sample quality against the sampler's settings, and inpainting scores."""
import pytest
import torch

from course_lib.analysis.diffusion import fill_scores, format_rows, sample_quality, sampler_table, sampling_labels, score_samples
from course_lib.diffusion import DiffusionModel
from course_lib.input_checks import CourseInputError
from course_lib.models import Classifier
from course_lib.models.classifier import predict_labels


@pytest.fixture
def parts():
    torch.manual_seed(0)
    model = DiffusionModel(base_width=4, depth=1, n_classes=10, T=20)
    classifier = Classifier(width=4, n_features=16).eval()
    test_x = torch.rand(40, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    return model, classifier, test_x


def test_labels_ask_for_the_classes_in_turn_or_for_none(parts):
    model = parts[0]
    assert sampling_labels(model, 12, True).tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    assert sampling_labels(model, 3, False).tolist() == [10, 10, 10]  # the null label of classifier-free guidance
    unconditional = DiffusionModel(base_width=4, depth=1, T=20)
    assert sampling_labels(unconditional, 3, False) is None
    with pytest.raises(CourseInputError, match="class-conditional"):
        sampling_labels(unconditional, 3, True)


def test_sample_quality_measures_the_samples_the_sampler_gives(parts, monkeypatch):
    model, classifier, test_x = parts
    row = sample_quality(model, test_x, classifier, n=20, steps=5, seed=3)
    assert set(row) == {"fd", "precision", "recall", "classes", "ms", "on_class"}
    assert set(sample_quality(model, test_x, classifier, n=20, steps=5, classes=False)) == {"fd", "precision", "recall", "classes", "ms"}
    assert row["fd"] >= 0 and 0 <= row["precision"] <= 1 and 0 <= row["recall"] <= 1 and row["ms"] > 0
    assert sample_quality(model, test_x, classifier, n=20, steps=5, seed=3)["fd"] == pytest.approx(row["fd"])  # seeded
    seen = {}
    drawn = test_x[:10]
    monkeypatch.setattr(model, "sample", lambda n, **kw: seen.update(kw) or drawn)
    on_class = sample_quality(model, test_x, classifier, n=10, steps=7, guidance=2.0, seed=0)["on_class"]
    assert on_class == pytest.approx(float((predict_labels(classifier, drawn) == torch.arange(10)).float().mean()))
    assert seen["steps"] == 7 and seen["guidance"] == 2.0 and seen["labels"].tolist() == list(range(10))
    with pytest.raises(CourseInputError, match="at most 40"):
        sample_quality(model, test_x, classifier, n=41)
    with pytest.raises(CourseInputError, match="guidance needs a class"):
        sample_quality(model, test_x, classifier, n=10, guidance=1.0, classes=False)


def test_a_sampler_table_has_one_row_per_setting_and_prints(parts):
    model, classifier, test_x = parts
    rows = sampler_table(model, test_x, classifier, [{"steps": 2}, {"steps": 5}, {"steps": 5, "guidance": 1.0}], n=20)
    assert [r["steps"] for r in rows] == [2, 5, 5] and rows[2]["guidance"] == 1.0
    assert rows[0]["fd"] != rows[1]["fd"]  # other steps, other samples
    text = format_rows(rows, ["steps", "fd", "ms"])
    assert text.count("\n") == 3 and text.split("\n")[0].split() == ["steps", "fd", "ms"]


def test_fill_scores_read_only_the_hidden_pixels_and_the_true_class():
    classifier = Classifier(width=4, n_features=16).eval()
    x = 0.5 * torch.rand(6, 1, 28, 28, generator=torch.Generator().manual_seed(0))  # in [0, 0.5]: x + 0.5 stays an image
    y = torch.arange(6)
    observed = torch.zeros_like(x, dtype=torch.bool)
    observed[:, :, :14] = True
    wrong_where_seen = torch.where(observed, 1 - x, x)  # differs only on observed pixels: no error on the hidden ones
    scores = fill_scores({"perfect": x.clone(), "off": torch.where(observed, x, x + 0.5), "seen": wrong_where_seen}, x, y, observed, classifier)
    assert scores["perfect"]["error"] == 0 and scores["seen"]["error"] == 0
    assert scores["off"]["error"] == pytest.approx(0.25)
    assert scores["perfect"]["recognised"] == float((classifier(x).argmax(1) == y).float().mean())
    with pytest.raises(CourseInputError, match="fills\\['bad'\\]"):
        fill_scores({"bad": x[:2]}, x, y, observed, classifier)


def test_any_models_samples_are_scored_with_the_same_rulers(parts):
    _, classifier, test_x = parts
    on_itself = score_samples(test_x[:20], test_x, classifier)
    assert on_itself["fd"] == pytest.approx(0, abs=1e-3) and on_itself["precision"] == 1 and on_itself["recall"] == 1
    blank = score_samples(torch.zeros(20, 1, 28, 28), test_x, classifier)
    assert blank["fd"] > on_itself["fd"] + 1e-3 and blank["classes"] <= 1
    with pytest.raises(CourseInputError, match="at most 40"):
        score_samples(torch.rand(41, 1, 28, 28), test_x, classifier)


def test_a_row_without_a_value_prints_a_dash():
    text = format_rows([{"sampler": "VAE", "fd": 83.5}, {"sampler": "DDPM, 1000 steps", "ms": 669.4}], ["sampler", "fd", "ms"])
    vae, ddpm = text.split("\n")[1:]
    assert vae.split()[-1] == "-" and ddpm.split()[-2:] == ["-", "669.4"]
