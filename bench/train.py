"""Training speed: 5-fold `attention` on 5,000 clips x (1024 + 768 + 4096) features.

Both loops train the same model with the same protocol (batch 32, AdamW, 100 epochs max, early
stopping on validation WAF with the same patience, the same seeds), in one run:
  ours       pipeline.training.cv.cross_validate with the default train.fold_workers = 1: the five
             folds in one stack (pipeline.training.stacking: batched products, one fused AdamW step
             for all folds), features in memory, index-sliced mini-batches standardised per fold
  ours, 2    the same with train.fold_workers = 2: folds dealt to two processes (a stack of 3, one of 2)
  reference  the baseline toolkit's way: a per-sample Dataset behind a DataLoader (default collate),
             plain AdamW, folds one after another, each batch moved to the device as it comes
Both run on --device (a train.device value; auto: the GPU when torch sees one, else the CPU).
Targets: ours under 2 minutes, and at least 2x faster than the reference (on a 2-core CPU).

Usage: python bench/train.py [--n 5000] [--device auto] [--out bench/results/train.json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from pipeline.config.train import TrainConfig
from pipeline.tracks.metrics import waf
from pipeline.training.cv import cross_validate
from pipeline.training.device import training_device
from pipeline.training.fit import build_model, to_tensors
from pipeline.training.splits import folds
from pipeline.training.views import View, standardize

DIMS = {"audio": 1024, "video": 768, "text": 4096}
CLASSES = 6


def synthetic_views(n: int, seed: int = 0) -> tuple[list[View], np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, CLASSES, n)
    views = []
    for name, dim in DIMS.items():
        centers = rng.normal(0, 0.03, (CLASSES, dim)).astype(np.float32)
        x = centers[y] + rng.normal(0, 1, (n, dim)).astype(np.float32)
        views.append(View(name, x, rng.random(n) > 0.03))
    return views, y


class PerSample(Dataset):
    def __init__(self, views: list[View], y: np.ndarray, rows: np.ndarray):
        self.views, self.y, self.rows = views, y, rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> tuple[dict, torch.Tensor, int]:
        row = self.rows[i]
        inputs = {v.name: torch.from_numpy(v.x[row]) for v in self.views}
        return inputs, torch.tensor([bool(v.ok[row]) for v in self.views]), int(self.y[row])


def reference_setup(views, y, train, cfg: TrainConfig, seed: int):
    """The baseline toolkit's way: the model, plain AdamW and a per-sample DataLoader over `train`."""
    torch.manual_seed(seed)
    model = build_model(views, CLASSES, cfg).to(training_device(cfg))
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    return model, optimizer, DataLoader(PerSample(views, y, train), batch_size=cfg.batch_size, shuffle=True)


def reference_step(model, optimizer, batch) -> None:
    device = next(model.parameters()).device
    inputs, present, targets = batch
    inputs = {k: v.to(device) for k, v in inputs.items()}
    loss = torch.nn.functional.cross_entropy(model(inputs, present.to(device)), targets.to(device))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


@torch.inference_mode()
def reference_logits(
    model, inputs: dict[str, torch.Tensor], present: torch.Tensor, batch: int = 4096
) -> np.ndarray:
    model.eval()
    device = next(model.parameters()).device
    chunks = [
        model({k: v[s : s + batch].to(device) for k, v in inputs.items()}, present[s : s + batch].to(device))
        for s in range(0, len(present), batch)
    ]
    return torch.cat(chunks).cpu().numpy()


def reference_fold(views, y, train, val, cfg: TrainConfig, seed: int) -> int:
    model, optimizer, loader = reference_setup(views, y, train, cfg, seed)
    x_val, p_val = to_tensors(views, val)
    best, best_epoch = -1.0, 0
    for epoch in range(cfg.max_epochs):
        model.train()
        for batch in loader:
            reference_step(model, optimizer, batch)
        score = waf(y[val], reference_logits(model, x_val, p_val).argmax(axis=1))
        if score > best:
            best, best_epoch = score, epoch
        elif epoch - best_epoch >= cfg.patience:
            break
    return best_epoch


def epochs_run(best_epochs: list[int], cfg: TrainConfig) -> int:
    """Epochs trained over all folds: early stopping ends a fold `patience` epochs after its best one, so
    loops whose seeds lead to later best epochs train longer; seconds per epoch compares the loops alone."""
    return sum(min(best + cfg.patience + 1, cfg.max_epochs) for best in best_epochs)


def reference_cv(views, y, cfg: TrainConfig) -> list[int]:
    epochs = []
    for k, (a, b) in enumerate(folds(y, cfg.folds, cfg.seed)):
        mask = np.zeros(len(y), bool)
        mask[a] = True
        epochs.append(reference_fold(standardize(views, mask), y, a, b, cfg, cfg.seed * 1000 + k))
    return epochs


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (train.device)")
    parser.add_argument("--out", type=Path, default=Path("bench/results/train.json"))
    args = parser.parse_args()
    views, y = synthetic_views(args.n)
    cfg = TrainConfig(
        model="attention", folds=5, max_epochs=100, patience=10, batch_size=32, device=args.device
    )
    torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))])  # the first optimizer imports torch._dynamo
    # (~1.2 s, once per process): paid here, so neither loop's time includes it
    rows = np.arange(args.n)
    started = time.perf_counter()
    result = cross_validate(views, y, np.ones(args.n, np.float32), rows, np.arange(0), CLASSES, cfg)
    ours = time.perf_counter() - started
    print(
        f"ours:      {ours:6.1f} s  best epochs {result.best_epochs}, "
        f"fold WAF {[round(s, 3) for s in result.fold_waf]}",
        flush=True,
    )
    started = time.perf_counter()
    cross_validate(
        views,
        y,
        np.ones(args.n, np.float32),
        rows,
        np.arange(0),
        CLASSES,
        cfg.model_copy(update={"fold_workers": 2}),
    )
    processes = time.perf_counter() - started
    print(f"ours, 2 fold processes: {processes:6.1f} s", flush=True)
    started = time.perf_counter()
    reference_epochs = reference_cv(views, y, cfg)
    reference = time.perf_counter() - started
    print(f"reference: {reference:6.1f} s  best epochs {reference_epochs}", flush=True)
    ours_epochs, reference_epochs_run = epochs_run(result.best_epochs, cfg), epochs_run(reference_epochs, cfg)
    per_epoch = (reference / reference_epochs_run) / (ours / ours_epochs)
    print(
        f"ours is {reference / ours:.2f}x faster ({reference / processes:.2f}x with 2 fold processes); "
        f"{args.n} clips x {sum(DIMS.values())} features, 5 folds, {training_device(cfg)}, "
        f"{torch.get_num_threads()} threads\n"
        f"epochs trained: ours {ours_epochs}, reference {reference_epochs_run}; per epoch: {per_epoch:.2f}x"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "n": args.n,
                "device": str(training_device(cfg)),
                "features": DIMS,
                "ours_seconds": round(ours, 1),
                "ours_2_processes_seconds": round(processes, 1),
                "reference_seconds": round(reference, 1),
                "speedup": round(reference / ours, 2),
                "speedup_2_processes": round(reference / processes, 2),
                "ours_best_epochs": result.best_epochs,
                "reference_best_epochs": reference_epochs,
                "ours_fold_waf": result.fold_waf,
                "ours_epochs_run": ours_epochs,
                "reference_epochs_run": reference_epochs_run,
                "speedup_per_epoch": round(per_epoch, 2),
            },
            indent=2,
        )
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
