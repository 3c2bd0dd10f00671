"""Progress bars, input validation, plots and the `course doctor` command."""
import io

import matplotlib
import pytest
import torch

matplotlib.use("Agg")

from course_lib import viz
import course_lib.tooling.cli as cli_module
from course_lib.tooling.cli import doctor, main
from course_lib.utils import progress, progress_enabled
from course_lib.train import History
from course_lib.input_checks import CourseInputError, check_images, check_module_device, check_same_device, check_tensor


def test_progress_is_quiet_in_ci_and_when_switched_off(monkeypatch):
    monkeypatch.delenv("COURSE_PROGRESS", raising=False)
    monkeypatch.setenv("CI", "true")
    assert not progress_enabled() and progress(range(3)).disable
    monkeypatch.delenv("CI")
    assert progress_enabled()
    monkeypatch.setenv("COURSE_PROGRESS", "0")
    assert not progress_enabled()


def test_check_images_explains_uint8_without_channel():
    x = torch.zeros(5, 28, 28, dtype=torch.uint8)
    with pytest.raises(CourseInputError, match=r"expected images in \[0, 1\] shaped N x 1 x 28 x 28, got uint8 N x 28 x 28"):
        check_images(x)


def test_check_images_rejects_values_out_of_range_and_non_tensors():
    with pytest.raises(CourseInputError, match=r"got values in \[255, 255\]"):
        check_images(torch.full((2, 1, 28, 28), 255.0))
    with pytest.raises(CourseInputError, match="got list"):
        check_images([1, 2])
    assert check_images(torch.rand(2, 1, 64, 64), shape=(1, None, None)).shape == (2, 1, 64, 64)


def test_check_tensor_shapes_and_dtypes():
    with pytest.raises(CourseInputError, match="expected shape N x 20, got float32 N x 10"):
        check_tensor(torch.zeros(3, 10), "mu", shape=(None, 20))
    with pytest.raises(CourseInputError, match="integer tensor"):
        check_tensor(torch.zeros(3), "labels", integer=True)
    with pytest.raises(CourseInputError, match="floating-point"):
        check_tensor(torch.zeros(3, dtype=torch.long), "x", floating=True)


def test_device_mismatch_is_explained():
    meta = torch.zeros(2, device="meta")
    with pytest.raises(CourseInputError, match="different devices"):
        check_same_device(torch.zeros(2), meta, names=["x", "y"])
    with pytest.raises(CourseInputError, match="use x.to"):
        check_module_device(torch.nn.Linear(2, 2, device="meta"), torch.zeros(1, 2))


def test_show_images_draws_a_grid_with_row_labels():
    ax = viz.show_images(torch.rand(20, 1, 28, 28), nrow=10, title="digits", row_labels=["a", "b"])
    image = ax.get_images()[0].get_array()
    assert image.shape[:2] == (62, 302) and ax.get_title() == "digits"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    with pytest.raises(ValueError, match="N x C x H x W"):
        viz.image_grid(torch.zeros(28))


def test_plot_history_draws_one_line_per_loss():
    h = History()
    for v in (3.0, 2.0, 1.0):
        h.append({"loss": v, "acc": 0.5}, prefix="train_")
        h.append({"loss": v + 1}, prefix="test_")
    ax = viz.plot_history(h, title="curves")
    assert len(ax.get_lines()) == 2 and ax.get_xlabel() == "epoch"


def test_doctor_reports_all_set():
    out = io.StringIO()
    assert doctor(out) == 0
    text = out.getvalue()
    for word in ("torch", "torchvision", "device", "data dir", "jupyter", "All set"):
        assert word in text


def test_doctor_says_how_to_open_the_course_for_a_checkout_and_for_an_installed_wheel(monkeypatch, tmp_path):
    import course_lib.tooling.shipped_notebooks as shipped

    assert "make lab" in cli_module.how_to_open()  # this checkout
    monkeypatch.setattr(shipped, "LIBRARY", tmp_path / "site-packages" / "course_lib")
    text = cli_module.how_to_open()
    assert "make lab" not in text and "course notebooks" in text and "jupyter lab dgm-course" in text


def test_doctor_fails_when_a_package_is_missing(monkeypatch):
    import course_lib.tooling.cli as cli

    monkeypatch.setattr(cli, "REQUIRED", cli.REQUIRED + ["surely_not_installed_pkg"])
    out = io.StringIO()
    assert doctor(out) == 1 and "surely_not_installed_pkg is missing" in out.getvalue()


def test_cli_doctor_exit_code(capsys):
    assert main(["doctor"]) == 0
    assert "course doctor" in capsys.readouterr().out


def test_trusted_skips_only_the_range_check():
    from course_lib.input_checks import trusted

    with trusted():
        check_images(torch.full((2, 1, 28, 28), 5.0))  # range not read: no device sync in training loops
        with pytest.raises(CourseInputError, match="shaped N x 1 x 28 x 28"):
            check_images(torch.zeros(2, 28, 28))
    with pytest.raises(CourseInputError, match="got values"):
        check_images(torch.full((2, 1, 28, 28), 5.0))
