"""Training speed: 5-fold `attention` on 5,000 clips x (1024 + 768 + 4096) features, on this CPU.

  ours      pipeline.training.cv.cross_validate: full-batch tensors, index-sliced mini-batches,
            100 epochs max with early stopping (the target: under 2 minutes for all 5 folds)
  epoch     seconds per training epoch, ours vs a per-sample DataLoader loop of the same model
            (Dataset.__getitem__ per clip, default collate), measured over the same epochs in one run

Usage: python bench/train.py [--n 5000] [--out bench/results/train.json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from pipeline.training.config import TrainConfig
from pipeline.training.cv import cross_validate
from pipeline.training.fit import build_model, to_tensors
from pipeline.training.views import View

DIMS = {"audio": 1024, "video": 768, "text": 4096}
CLASSES = 6


def synthetic_views(n: int, seed: int = 0) -> tuple[list[View], np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, CLASSES, n)
    views = []
    for name, dim in DIMS.items():
        centers = rng.normal(0, 0.15, (CLASSES, dim)).astype(np.float32)
        x = centers[y] + rng.normal(0, 1, (n, dim)).astype(np.float32)
        views.append(View(name, x, rng.random(n) > 0.03))
    return views, y


class PerSample(Dataset):
    def __init__(self, views: list[View], y: np.ndarray):
        self.views, self.y = views, y

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> tuple[dict, torch.Tensor, int]:
        inputs = {v.name: torch.from_numpy(v.x[i]) for v in self.views}
        return inputs, torch.tensor([v.ok[i] for v in self.views]), int(self.y[i])


def epoch_seconds_ours(views, y, cfg: TrainConfig, epochs: int) -> float:
    model = build_model(views, CLASSES, cfg)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    rows = np.arange(len(y))
    inputs, present = to_tensors(views, rows)
    targets = torch.from_numpy(y)
    started = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(len(y))
        for s in range(0, len(y), cfg.batch_size):
            index = order[s : s + cfg.batch_size]
            loss = torch.nn.functional.cross_entropy(
                model({k: v[index] for k, v in inputs.items()}, present[index]), targets[index]
            )
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return (time.perf_counter() - started) / epochs


def epoch_seconds_dataloader(views, y, cfg: TrainConfig, epochs: int) -> float:
    model = build_model(views, CLASSES, cfg)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    loader = DataLoader(PerSample(views, y), batch_size=cfg.batch_size, shuffle=True)
    started = time.perf_counter()
    for _ in range(epochs):
        for inputs, present, targets in loader:
            loss = torch.nn.functional.cross_entropy(model(inputs, present), targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return (time.perf_counter() - started) / epochs


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--epochs", type=int, default=3, help="epochs timed per loop for the per-epoch ratio")
    parser.add_argument("--out", type=Path, default=Path("bench/results/train.json"))
    args = parser.parse_args()
    torch.manual_seed(0)
    views, y = synthetic_views(args.n)
    cfg = TrainConfig(model="attention", folds=5, max_epochs=100, patience=10, batch_size=32)
    ours = epoch_seconds_ours(views, y, cfg, args.epochs)
    loader = epoch_seconds_dataloader(views, y, cfg, args.epochs)
    print(
        f"per epoch on {args.n} clips: ours {ours:.3f} s, per-sample DataLoader {loader:.3f} s "
        f"-> {loader / ours:.2f}x",
        flush=True,
    )
    started = time.perf_counter()
    train = np.arange(args.n)
    result = cross_validate(views, y, np.ones(args.n, np.float32), train, np.arange(0), CLASSES, cfg)
    total = time.perf_counter() - started
    print(
        f"5-fold attention, {args.n} clips x {sum(DIMS.values())} features: {total:.1f} s "
        f"(best epochs {result.best_epochs}, fold WAF {[round(s, 3) for s in result.fold_waf]})"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "n": args.n,
                "features": DIMS,
                "cv_seconds": round(total, 1),
                "best_epochs": result.best_epochs,
                "epoch_seconds_ours": round(ours, 3),
                "epoch_seconds_dataloader": round(loader, 3),
                "speedup": round(loader / ours, 2),
                "threads": torch.get_num_threads(),
            },
            indent=2,
        )
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
