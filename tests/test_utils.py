"""The shared utilities: devices, eval mode, batched inference; and the one model interface built on them."""
import pytest
import torch

from course_lib.models import CVAE, ConvVAE, DCGANGenerator, MLPAutoencoder, MLPGenerator, MLPVAE
from course_lib.utils import batched, module_device, resolve_device


def test_resolve_device_keeps_a_device_and_reads_a_name():
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")
    assert resolve_device("cpu") == torch.device("cpu")


def test_module_device_reads_parameters_then_buffers_and_defaults_to_the_cpu():
    assert module_device(torch.nn.Linear(2, 2)) == torch.device("cpu")
    assert module_device(torch.nn.BatchNorm1d(3, affine=False)) == torch.device("cpu")
    assert module_device(torch.nn.ReLU()) == torch.device("cpu")


def test_batched_equals_one_call_runs_in_eval_mode_under_no_grad_and_restores_the_mode():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Dropout(0.9)).train()
    x = torch.randn(11, 4)
    seen = []

    def fn(xb):
        seen.append((net.training, torch.is_grad_enabled(), len(xb)))
        return net(xb)

    out = batched(fn, x, batch_size=4, model=net)
    assert [s[2] for s in seen] == [4, 4, 3] and not any(s[0] or s[1] for s in seen)
    assert net.training
    net.eval()
    assert torch.allclose(out, net(x))


def test_batched_takes_several_tensors_and_an_empty_batch():
    x, y = torch.arange(5.0), torch.arange(5.0) * 10
    assert torch.equal(batched(lambda a, b: a + b, x, y, batch_size=2), x + y)
    assert batched(lambda a: a * 2, torch.zeros(0, 3)).shape == (0, 3)
    with pytest.raises(ValueError, match="at least one tensor"):
        batched(lambda: None)


@pytest.mark.parametrize("make", [lambda: MLPVAE(latent_dim=4), lambda: ConvVAE(latent_dim=4), lambda: CVAE(latent_dim=4),
                                  lambda: DCGANGenerator(latent_dim=8, width=8), lambda: MLPGenerator(latent_dim=2, hidden=8)])
def test_every_generative_model_samples_in_eval_mode_under_no_grad_and_keeps_its_mode(make):
    model = make().train()
    samples = model.sample(6, generator=torch.Generator().manual_seed(0))
    again = model.sample(6, generator=torch.Generator().manual_seed(0))
    assert len(samples) == 6 and not samples.requires_grad and model.training
    assert torch.equal(samples, again), "a seeded sample is reproducible (eval mode: no batch statistics)"
    assert isinstance(model.latent_dim, int)


def test_the_autoencoders_name_their_code_size_latent_dim():
    assert MLPAutoencoder(latent_dim=7).encode(torch.rand(2, 1, 28, 28)).shape == (2, 7)


def test_a_cvae_samples_the_classes_in_turn_or_the_labels_asked_for():
    model = CVAE(latent_dim=4)
    assert torch.equal(model.default_labels(12), torch.arange(12) % 10)
    assert model.sample(3, labels=torch.tensor([1, 2, 3])).shape == (3, 1, 28, 28)
    with pytest.raises(ValueError, match="one label per sample"):
        model.sample(3, labels=torch.tensor([1, 2]))
