"""The course classifier: shapes, input checks, and the train-once-then-reload cache."""
import pytest
import torch

from course_lib.models import Classifier
from course_lib.train import classifier as classifier_module, course_classifier
from course_lib.train.checkpoint import has_checkpoint
from course_lib.input_checks import CourseInputError


def test_classifier_gives_logits_and_128_features(device):
    model = Classifier().to(device)
    x = torch.rand(5, 1, 28, 28, device=device)
    assert model(x).shape == (5, 10) and model.features(x).shape == (5, 128)
    assert model.predict(x).shape == (5,)
    with pytest.raises(CourseInputError, match=r"N x 1 x 28 x 28, got uint8 N x 28 x 28"):
        model(torch.zeros(5, 28, 28, dtype=torch.uint8, device=device))


def test_random_shift_moves_whole_pixels_within_the_limit():
    x = torch.zeros(200, 1, 28, 28)
    x[:, :, 14, 14] = 1
    shifted = classifier_module.random_shift(x, 2, torch.Generator().manual_seed(0))
    assert torch.equal(shifted.flatten(1).sum(1), torch.ones(200))  # one bright pixel, moved, not blurred
    rows, cols = shifted[:, 0].nonzero()[:, 1:].T
    assert (rows - 14).abs().max() == 2 and (cols - 14).abs().max() == 2


def test_course_classifier_is_trained_once_then_reloaded(monkeypatch):
    monkeypatch.setattr(classifier_module, "CHECKPOINT", "course-classifier-under-test")
    monkeypatch.setattr(classifier_module, "SETTINGS", {**classifier_module.SETTINGS, "epochs": 1, "n_train": 500})
    monkeypatch.setattr(classifier_module, "_loaded", {})
    first = course_classifier("cpu")
    assert has_checkpoint("course-classifier-under-test")
    assert not first.training and not any(p.requires_grad for p in first.parameters())
    assert course_classifier("cpu") is first  # cached in memory
    monkeypatch.setattr(classifier_module, "_loaded", {})
    reloaded = course_classifier("cpu")  # from the checkpoint, no training
    x = torch.rand(4, 1, 28, 28)
    assert torch.equal(reloaded(x), first(x))


def test_course_classifier_trains_even_when_first_called_under_no_grad(monkeypatch, tmp_path):
    import course_lib.train.classifier as classifier

    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(classifier, "_loaded", {})
    monkeypatch.setitem(classifier.SETTINGS, "epochs", 1)
    with torch.no_grad():
        model = classifier.course_classifier("cpu")
    assert not model.training


def test_predict_labels_batches_in_eval_mode_and_restores_the_mode():
    from course_lib.models.classifier import Classifier, predict_labels

    torch.manual_seed(0)
    model = Classifier().train()
    x = torch.rand(7, 1, 28, 28)
    labels = predict_labels(model, x, batch_size=3)
    assert labels.shape == (7,) and labels.dtype == torch.int64 and not labels.requires_grad
    assert model.training, "the classifier's training mode must be restored"
    model.eval()
    assert torch.equal(labels, model(x).argmax(1)), "eval-mode predictions (dropout off), whatever the batch size"
    assert torch.equal(model.predict(x), labels)


def test_eval_mode_restores_each_modules_own_mode_also_after_an_error():
    from course_lib.utils import eval_mode

    net = torch.nn.Sequential(torch.nn.Dropout(0.5)).train()
    with eval_mode(net) as inside:
        assert inside is net and not net.training
    assert net.training
    net.eval()
    with pytest.raises(RuntimeError):
        with eval_mode(net):
            raise RuntimeError("boom")
    assert not net.training, "a module that was in eval mode stays in eval mode"
    net.train()
    with pytest.raises(RuntimeError):
        with eval_mode(net):
            raise RuntimeError("boom")
    assert net.training, "training mode comes back even when the block raises"
