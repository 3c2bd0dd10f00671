"""Do the reference models reach the course's quality targets? Trains every model with the ``full`` settings.

Usage: python benchmarks/quality.py [--device D] [--json PATH] [--profile full|quick] [--only ae,vae,...] [--reuse-cache]

Groups (``--only``): classifier, ae, vae, cvae, unet, toy, fd, diffusion. JSON keys:
  ae_mse / pca_mse      {"2", "16", "32"}: test MSE per pixel, course ConvAutoencoder vs sklearn PCA
  vae_test_loss         course ConvVAE test loss (BCE summed per image + KL) after 10 epochs
  mlp_vae_test_loss     plain 784-400-20 MLP VAE, Adam 1e-3, batch 128, 10 epochs
  cvae_cond_acc         course classifier accuracy on 1,000 CVAE samples of requested labels
  classifier_acc        course classifier accuracy on the MNIST-5k test split
  unet_miou             {"shapes", "digit-scenes", "shapes-noskip"}: test mean IoU
  toy                   toy[set][mode] = {"modes", "hq"}, set in ring8 / grid25, mode in gan / wgan / wgan_gp
  fd                    {"dcgan", "wgan_gp", "floor"}: Frechet distance (course classifier features), 1,000 vs 1,000
  diffusion             {"ddim_<steps>", "guidance_<w>": {"fd", "precision", "recall", "classes", "seconds_per_image"},
                        "ddpm_seconds_per_image", "vae_fd", "train_seconds"}: the ddpm recipe (chapter 06), 1,000 samples
  seconds               wall time per row, and "total"
Targets: AE beats PCA at every code size; course VAE beats MLP VAE; CVAE cond acc >= 90 %; U-Net mIoU >= 0.95
shapes, >= 0.80 digit-scenes, no-skip worse; WGAN-GP 8/8 ring modes with >= 80 % hq, >= 24/25 grid modes with >= 60 % hq;
diffusion: 10/10 classes and an FD below the course VAE's (same classifier, 1,000 samples against the 1,000 test digits).
"""
from __future__ import annotations

import os
import tempfile
import time

import _common

GROUPS = ("classifier", "ae", "vae", "cvae", "unet", "toy", "fd", "diffusion")
DDIM_STEPS = (10, 20, 50)  # the sampling steps of chapter 06's steps-versus-quality table
GUIDANCE = (0.0, 0.5, 1.0, 2.0, 4.0)  # classifier-free guidance weights w (eps = (1 + w) eps_y - w eps_null), at 20 DDIM steps


def main() -> None:
    p = _common.parser(__doc__.splitlines()[0])
    p.add_argument("--profile", default="full", choices=("quick", "full"))
    p.add_argument("--only", default=",".join(GROUPS), help="comma-separated groups: " + ", ".join(GROUPS))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--reuse-cache", action="store_true", help="use the data directory's cached classifier instead of a fresh one")
    args = p.parse_args()
    if not args.reuse_cache:
        os.environ["COURSE_DATA_DIR"] = tempfile.mkdtemp(prefix="course-quality-")

    import torch

    from course_lib.config import get_device

    device = get_device(args.device)
    groups = [g.strip() for g in args.only.split(",") if g.strip()]
    unknown = set(groups) - set(GROUPS)
    if unknown:
        raise SystemExit(f"unknown groups {sorted(unknown)}; choose from {', '.join(GROUPS)}")
    results: dict = {"device": str(device), "profile": args.profile, "threads": torch.get_num_threads(), "seconds": {}}
    rows = Rows()
    start = time.perf_counter()
    for group in GROUPS:
        if group in groups:
            globals()[f"bench_{group}"](device, args.profile, args.seed, results, rows)
    results["seconds"]["total"] = round(time.perf_counter() - start, 1)
    rows.append(("total", "", "", "", "", f"{results['seconds']['total']:.0f}"))
    print()
    _common.print_table(rows, ("row", "metric", "value", "target", "ok", "seconds"))
    _common.write_json(args.json, results)


class Rows(list):
    """The table's rows; each is also printed as soon as it is measured (a long run shows its progress)."""

    def append(self, row: tuple[str, ...]) -> None:
        print("  " + " | ".join(row), flush=True)
        super().append(row)


class timer:
    """``with timer(results, "vae"):`` stores the wall time of the block in results["seconds"]["vae"]."""

    def __init__(self, results: dict, key: str) -> None:
        self.results, self.key = results, key

    def __enter__(self) -> "timer":
        self.start, self.cpu_start = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start
        cpu = time.process_time() - self.cpu_start  # CPU time of all threads: tells a busy machine from a slow model
        self.results["seconds"][self.key] = round(self.seconds, 1)
        self.results.setdefault("cpu_seconds", {})[self.key] = round(cpu, 1)
        print(f"  {self.key}: {self.seconds:.1f} s wall, {cpu:.1f} s CPU", flush=True)


def yes(ok: bool) -> str:
    return "yes" if ok else "NO"


def bench_classifier(device, profile, seed, results, rows) -> None:
    from course_lib.data import load
    from course_lib.train import course_classifier

    with timer(results, "classifier") as t:
        classifier = course_classifier(device)
        test = load("mnist-5k", device=device).test
        acc = float((classifier.predict(test.x) == test.y).float().mean())
    results["classifier_acc"] = acc
    rows.append(("classifier", "test accuracy", f"{acc:.3f}", ">= 0.95", yes(acc >= 0.95), f"{t.seconds:.0f}"))


def bench_ae(device, profile, seed, results, rows) -> None:
    import torch
    from sklearn.decomposition import PCA

    from course_lib.data import load
    from course_lib.models import ConvAutoencoder
    from course_lib.train import model_settings, settings, train_autoencoder

    data = load("mnist-5k", device=device)
    results["ae_mse"], results["pca_mse"] = {}, {}
    for k in (2, 16, 32):
        with timer(results, f"ae_{k}") as t:
            torch.manual_seed(seed)
            model = ConvAutoencoder(**model_settings("autoencoder", profile, latent_dim=k)).to(device)
            history = train_autoencoder(model, data.train, test=data.test, **settings("autoencoder", profile, seed=seed))
            ae = history.last("test_mse")
            xtr, xte = data.train.x.flatten(1).cpu().numpy(), data.test.x.flatten(1).cpu().numpy()
            pca = PCA(k, random_state=seed).fit(xtr)
            pca_mse = float(((pca.inverse_transform(pca.transform(xte)) - xte) ** 2).mean())
        results["ae_mse"][str(k)], results["pca_mse"][str(k)] = ae, pca_mse
        rows.append((f"autoencoder k={k}", "test MSE/pixel (PCA)", f"{ae:.4f} ({pca_mse:.4f})", "< PCA", yes(ae < pca_mse), f"{t.seconds:.0f}"))


def vae_test_loss(model, test, passes: int = 5) -> float:
    """BCE summed per image + KL, averaged over the test set and over ``passes`` draws of z."""
    import torch

    from course_lib.losses import elbo_loss

    model.eval()
    total = 0.0
    with torch.no_grad():
        for _ in range(passes):
            for i in range(0, len(test.x), 500):
                x = test.x[i : i + 500]
                x_hat, mu, logvar = model(x)
                total += float(elbo_loss(x_hat, x, mu, logvar)[0]) * len(x)
    return total / (passes * len(test.x))


def bench_vae(device, profile, seed, results, rows) -> None:
    import torch

    from course_lib.data import load
    from course_lib.models import ConvVAE, MLPVAE
    from course_lib.train import model_settings, settings, train_vae

    data = load("mnist-5k", device=device)
    with timer(results, "vae") as t:
        torch.manual_seed(seed)
        model = ConvVAE(**model_settings("vae", profile)).to(device)
        train_vae(model, data.train, **settings("vae", profile, epochs=10, seed=seed))
        course = vae_test_loss(model, data.test)
    with timer(results, "mlp_vae") as t_mlp:
        torch.manual_seed(seed)
        baseline = MLPVAE(latent_dim=20, hidden=400).to(device)
        train_vae(baseline, data.train, epochs=10, batch_size=128, lr=1e-3, schedule=None, seed=seed)
        plain = vae_test_loss(baseline, data.test)
    results["vae_test_loss"], results["mlp_vae_test_loss"] = course, plain
    rows.append(("VAE (10 epochs)", "test loss (MLP VAE)", f"{course:.1f} ({plain:.1f})", "< MLP VAE", yes(course < plain), f"{t.seconds:.0f} ({t_mlp.seconds:.0f})"))


def bench_cvae(device, profile, seed, results, rows) -> None:
    import torch

    from course_lib.data import load
    from course_lib.models import CVAE
    from course_lib.train import course_classifier
    from course_lib.train import model_settings, settings, train_cvae

    data = load("mnist-5k", device=device)
    with timer(results, "cvae") as t:
        torch.manual_seed(seed)
        model = CVAE(**model_settings("cvae", profile)).to(device)
        train_cvae(model, data.train, **settings("cvae", profile, seed=seed))
        wanted = torch.arange(1000, device=device) % 10
        samples = model.sample(len(wanted), generator=torch.Generator().manual_seed(seed), labels=wanted)
        acc = float((course_classifier(device).predict(samples) == wanted).float().mean())
    results["cvae_cond_acc"] = acc
    rows.append(("CVAE", "cond. accuracy", f"{acc:.3f}", ">= 0.90", yes(acc >= 0.9), f"{t.seconds:.0f}"))


def bench_unet(device, profile, seed, results, rows) -> None:
    import torch

    from course_lib.data import load
    from course_lib.metrics import mean_iou
    from course_lib.models import UNet
    from course_lib.train import data_settings, model_settings, settings, train_unet
    from course_lib.train.segmentation import predict_masks

    results["unet_miou"] = {}
    for key, dataset, n_classes, skips, target in (
        ("shapes", "shapes", 4, True, 0.95), ("digit-scenes", "digit-scenes", 11, True, 0.80), ("shapes-noskip", "shapes", 4, False, None),
    ):
        name = f"unet_{dataset.replace('-', '_')}"
        with timer(results, key) as t:
            data = load(dataset, device=device, **data_settings(name, profile))
            torch.manual_seed(seed)
            model = UNet(in_channels=1, n_classes=n_classes, skips=skips, **model_settings(name, profile)).to(device)
            train_unet(model, data.train, **settings(name, profile, seed=seed))
            miou = mean_iou(predict_masks(model, data.test.x), data.test.y, n_classes)
        results["unet_miou"][key] = miou
        if target is None:
            ok, want = miou < results["unet_miou"].get("shapes", 1.0) - 0.01, "< with skips"
        else:
            ok, want = miou >= target, f">= {target:.2f}"
        rows.append((f"U-Net {key}", "test mIoU", f"{miou:.3f}", want, yes(ok), f"{t.seconds:.0f}"))


def bench_toy(device, profile, seed, results, rows) -> None:
    import torch

    from course_lib.data import load
    from course_lib.metrics import mode_coverage
    from course_lib.models import MLPDiscriminator, MLPGenerator
    from course_lib.train import model_settings, settings, train_gan
    from course_lib.train.pretrained import RECIPES

    results["toy"] = {}
    targets = {"ring8": (8, 0.80), "grid25": (24, 0.60)}
    for dataset in ("ring8", "grid25"):
        data = load(dataset, device=device)
        results["toy"][dataset] = {}
        for mode in ("gan", "wgan", "wgan_gp"):
            name = RECIPES[f"{dataset}_{mode}"].settings  # e.g. ring8_wgan_gp: equal generator steps on each set
            with timer(results, f"{dataset}_{mode}") as t:
                torch.manual_seed(seed)
                m = model_settings(name, profile)
                generator = MLPGenerator(**m).to(device)
                critic = MLPDiscriminator(in_dim=2, hidden=m["hidden"], depth=m["depth"]).to(device)
                train_gan(generator, critic, data.train, **settings(name, profile, seed=seed))
                with torch.no_grad():
                    modes, hq = mode_coverage(generator.sample(2500, generator=torch.Generator().manual_seed(seed)), dataset)
            results["toy"][dataset][mode] = {"modes": modes, "hq": hq}
            n_modes = 8 if dataset == "ring8" else 25
            if mode == "wgan_gp":
                want_modes, want_hq = targets[dataset]
                ok, want = yes(modes >= want_modes and hq >= want_hq), f">= {want_modes}, >= {want_hq:.0%}"
            else:
                ok, want = "", ""
            rows.append((f"{dataset} {mode}", "modes, hq", f"{modes}/{n_modes}, {hq:.1%}", want, ok, f"{t.seconds:.0f}"))


def bench_fd(device, profile, seed, results, rows) -> None:
    import torch

    from course_lib.data import load
    from course_lib.metrics import classifier_features, frechet_distance
    from course_lib.models import DCGANCritic, DCGANDiscriminator, DCGANGenerator
    from course_lib.train import course_classifier
    from course_lib.train import model_settings, settings, train_gan

    data = load("mnist-5k", device=device)
    classifier = course_classifier(device)
    test_features = classifier_features(data.test.x, classifier)
    results["fd"] = {"floor": frechet_distance(classifier_features(data.train.x[:1000], classifier), test_features)}
    rows.append(("FD floor", "train vs test", f"{results['fd']['floor']:.2f}", "", "", ""))
    for name, critic_class in (("dcgan", DCGANDiscriminator), ("wgan_gp", DCGANCritic)):
        with timer(results, name) as t:
            torch.manual_seed(seed)
            m = model_settings(name, profile)
            generator = DCGANGenerator(**m).to(device)
            critic = critic_class(width=m["width"]).to(device)
            train_gan(generator, critic, data.train, **settings(name, profile, seed=seed))
            with torch.no_grad():
                samples = generator.sample(1000, generator=torch.Generator().manual_seed(seed))
            fd = frechet_distance(classifier_features(samples, classifier), test_features)
        results["fd"][name] = fd
        rows.append((name.upper().replace("_", "-"), "FD (floor)", f"{fd:.2f} ({results['fd']['floor']:.2f})", "", "", f"{t.seconds:.0f}"))


def bench_diffusion(device, profile, seed, results, rows) -> None:
    import torch

    from course_lib.data import load
    from course_lib.metrics import class_coverage, classifier_features, frechet_distance, precision_recall
    from course_lib.train import course_classifier, pretrained

    data = load("mnist-5k", device=device)
    classifier = course_classifier(device)
    real = classifier_features(data.test.x, classifier)
    out = results["diffusion"] = {}
    with timer(results, "ddpm") as t:
        model = pretrained("ddpm", profile, device=device, seed=seed)
    out["train_seconds"] = model.training_record.seconds
    vae = pretrained("vae", profile, device=device, seed=seed)
    with torch.no_grad():
        out["vae_fd"] = frechet_distance(classifier_features(vae.sample(1000), classifier), real)
    rows.append(("diffusion", "training", f"{out['train_seconds']:.0f} s", "", "", f"{t.seconds:.0f}"))

    def measure(key: str, steps: int, guidance: float) -> dict:
        start = time.perf_counter()
        x = model.sample(1000, steps=steps, guidance=guidance, generator=torch.Generator().manual_seed(seed))
        per_image = (time.perf_counter() - start) / 1000
        features = classifier_features(x, classifier)
        pr, coverage = precision_recall(real, features), class_coverage(x, classifier)
        row = {"fd": frechet_distance(features, real), "precision": pr.precision, "recall": pr.recall,
               "classes": coverage.covered, "seconds_per_image": per_image}
        out[key] = row
        return row

    for steps in DDIM_STEPS:
        r = measure(f"ddim_{steps}", steps, 0.0)
        ok = r["classes"] == 10 and r["fd"] < out["vae_fd"]
        rows.append((f"diffusion DDIM {steps}", "FD, P, R, classes", f"{r['fd']:.1f}, {r['precision']:.2f}, {r['recall']:.2f}, {r['classes']}/10",
                     f"10/10, FD < VAE {out['vae_fd']:.1f}", yes(ok), f"{1000 * r['seconds_per_image']:.0f} ms/image"))
    for w in GUIDANCE:
        r = measure(f"guidance_{w:g}", 20, w)
        rows.append((f"diffusion w = {w:g}", "FD, P, R, classes", f"{r['fd']:.1f}, {r['precision']:.2f}, {r['recall']:.2f}, {r['classes']}/10",
                     "", "", f"{1000 * r['seconds_per_image']:.0f} ms/image"))
    n = 20  # DDPM's T ancestral steps are slow on a CPU: timed on a few images
    start = time.perf_counter()
    model.sample(n, steps=None, generator=torch.Generator().manual_seed(seed))
    out["ddpm_seconds_per_image"] = (time.perf_counter() - start) / n
    rows.append((f"diffusion DDPM {model.T}", "sampling time", f"{out['ddpm_seconds_per_image']:.2f} s/image ({n} images)", "", "", ""))


if __name__ == "__main__":
    main()
