"""How fast can the course feed a model? Training epochs of a 784-400-20 MLP VAE on MNIST-5k, fed three ways:

(a) course   : the device-resident iterator (course_lib.data.Batches): one tensor on the device, slices
(b) torchvision: the idiomatic pipeline, torchvision.datasets.MNIST (the same images written as IDX files)
               with ToTensor through a shuffling DataLoader: Python work per sample, host-to-device copies
(c) tensor loader: a DataLoader over a TensorDataset (per-sample indexing, then collation)

Median images per second over several repeats; speedup = (a) / (b).
Usage: python benchmarks/throughput.py [--device D] [--json PATH] [--epochs N] [--repeats N]
"""
from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

import _common
import torch
from torch.utils.data import DataLoader, TensorDataset


def main() -> dict:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=2, help="epochs per timed run (default 2)")
    p.add_argument("--repeats", type=int, default=5, help="timed runs per pipeline (default 5)")
    p.add_argument("--batch-size", type=int, default=128)
    args = p.parse_args()

    from torchvision import datasets, transforms

    from course_lib.config import get_device, seed_everything
    from course_lib.data import Batches, load
    from course_lib.data.torchvision_sets import write_idx
    from course_lib.losses import elbo_loss
    from course_lib.models import MLPVAE
    from course_lib.input_checks import trusted

    device = get_device(args.device)
    seed_everything(0)
    train = load("mnist-5k", device="cpu").train
    n = len(train)

    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "MNIST" / "raw"
        pixels = (train.x[:, 0] * 255).round().to(torch.uint8)
        write_idx(raw, "train", pixels, train.y)
        write_idx(raw, "t10k", pixels[:10], train.y[:10])
        tv = datasets.MNIST(tmp, train=True, download=False, transform=transforms.ToTensor())

        pipelines = {
            "course": lambda: Batches(train.x.to(device), train.y.to(device), batch_size=args.batch_size),
            "torchvision_loader": lambda: DataLoader(tv, batch_size=args.batch_size, shuffle=True),
            "tensor_loader": lambda: DataLoader(TensorDataset(train.x, train.y), batch_size=args.batch_size, shuffle=True),
        }
        rates: dict[str, float] = {}
        for name, make in pipelines.items():
            model = MLPVAE(latent_dim=20, hidden=400).to(device)
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)

            def epoch(batches) -> None:
                for x, _ in batches:
                    x = x.to(device, non_blocking=True)
                    x_hat, mu, logvar = model(x)
                    loss, _, _ = elbo_loss(x_hat, x, mu, logvar)
                    opt.zero_grad(set_to_none=True)
                    loss.backward()
                    opt.step()

            batches = make()
            with trusted():
                epoch(batches)  # warm-up: allocator, kernels, file cache
                runs = []
                for _ in range(args.repeats):
                    if device.type == "cuda":
                        torch.cuda.synchronize()
                    start = time.perf_counter()
                    for _ in range(args.epochs):
                        epoch(batches)
                    if device.type == "cuda":
                        torch.cuda.synchronize()
                    runs.append(n * args.epochs / (time.perf_counter() - start))
            rates[name] = statistics.median(runs)

    results = {
        "device": str(device),
        "course_img_per_s": round(rates["course"], 1),
        "torchvision_loader_img_per_s": round(rates["torchvision_loader"], 1),
        "tensor_loader_img_per_s": round(rates["tensor_loader"], 1),
        "speedup": round(rates["course"] / rates["torchvision_loader"], 2),
    }
    print(f"MLP VAE 784-400-20 on MNIST-5k ({n} images), batch {args.batch_size}, device {device}, "
          f"median of {args.repeats} runs of {args.epochs} epochs, {torch.get_num_threads()} threads\n")
    _common.print_table(
        [
            ("(a) course Batches (device-resident)", f"{rates['course']:,.0f}", f"{rates['course'] / rates['torchvision_loader']:.2f}x"),
            ("(b) torchvision MNIST + ToTensor + DataLoader", f"{rates['torchvision_loader']:,.0f}", "1.00x"),
            ("(c) DataLoader(TensorDataset)", f"{rates['tensor_loader']:,.0f}", f"{rates['tensor_loader'] / rates['torchvision_loader']:.2f}x"),
        ],
        ("pipeline", "images/s", "vs (b)"),
    )
    print(f"\nspeedup (a)/(b) = {results['speedup']:.2f}")
    _common.write_json(args.json, results)
    return results


if __name__ == "__main__":
    main()
