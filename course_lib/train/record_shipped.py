"""Record the models the course ships: train each in full (or take it from the cache), write it in half precision.

    COURSE_PROGRESS=0 python -m course_lib.train.record_shipped          # writes course_lib/train/shipped/
    python -m course_lib.train.record_shipped --list                      # what is shipped now

``tests/test_shipped_models.py`` fails, naming this command, when a shipped model's settings change.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch.nn as nn

from . import shipped
from .pretrained import pretrained, pretrained_key
from .shipped import SIZE_LIMIT_MB, Shipped, manifest, save_shipped, shipped_models, write_manifest


def expected_key(item: Shipped) -> str:
    """The checkpoint key ``pretrained`` computes today for ``item`` in the full profile."""
    return pretrained_key(item.name, "full", seed=item.seed, **item.overrides)


def record(folder: Path | None = None) -> list[tuple[str, str, str, str]]:
    """Train (or load from the cache) every model of :func:`shipped_models` in full and write it to ``folder``; rows for a table."""
    folder = folder or shipped.SHIPPED_DIR
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.safetensors"):
        old.unlink()
    models, rows = {}, []
    for item in shipped_models():
        model = pretrained(item.name, "full", device="cpu", seed=item.seed, **item.overrides)
        rec = model.training_record
        module = nn.ModuleDict({"generator": model, "critic": rec.critic}) if rec.critic is not None else model
        meta = {"spec": rec.spec, "seconds": rec.seconds, "history": dict(rec.history.records),
                "snapshots": [[s, x] for s, x in rec.snapshots]}
        entry = save_shipped(module, rec.key, meta, item, folder)
        models[rec.key] = entry
        rows.append((item.file, f"{entry['bytes'] / 1e6:.2f}", f"{rec.seconds:.0f}", rec.key))
    total = write_manifest(models, folder)
    if total > SIZE_LIMIT_MB:
        raise SystemExit(f"the shipped models take {total:.1f} MB, more than the {SIZE_LIMIT_MB:.0f} MB allowed; ship fewer.")
    return rows + [("total", f"{total:.2f}", "", "")]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", action="store_true", help="list the shipped models instead of recording them")
    parser.add_argument("--out", type=Path, default=None, help="folder to write them to (default: the package's)")
    args = parser.parse_args(argv)
    if args.list:
        for key, entry in manifest(args.out)["models"].items():
            print(f"{entry['file']:52s} {entry['bytes'] / 1e6:6.2f} MB  trained in {entry['seconds']:6.0f} s  {key}")
        return
    rows = record(args.out)
    width = max(len(r[0]) for r in rows)
    print(f"{'file':{width}s}  {'MB':>6s}  {'train s':>7s}  key")
    for file, mb, seconds, key in rows:
        print(f"{file:{width}s}  {mb:>6s}  {seconds:>7s}  {key}")


if __name__ == "__main__":
    main()
