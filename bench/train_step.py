"""Where one training step's time goes: ours against the per-sample DataLoader reference of bench/train.py.

bench/train.py's synthetic data (1024 + 768 + 4096 features), `attention`, batch 32, 5 folds of 4,000
training rows, mean milliseconds per fold and step after warm-up, at 1 and 2 torch threads:
  ours         the five folds in one stack (pipeline.training.stacking), as cross_validate trains them:
               batch (gather and per-fold standardisation), forward, backward, fused AdamW, each timed
  products     the stack's first Linear layers alone (forward + weight gradient): the matrix work no
               training loop can avoid
  reference    a DataLoader batch of per-sample items, forward, backward, plain AdamW (one fold)
The 2x target needs ours <= reference / 2; `floor` = products + AdamW is what ours cannot shed.

Usage: python bench/train_step.py [--steps 500] [--out bench/results/train_step.json]
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn
from train import CLASSES, reference_setup, reference_step, synthetic_views

from pipeline.config.train import TrainConfig
from pipeline.training.fit import FoldInputs, FoldJob, seeded_models
from pipeline.training.stacking import stack

BATCH, ROWS, FOLDS, WARMUP = 32, 4000, 5, 100
CFG = TrainConfig(model="attention", batch_size=BATCH, device="cpu")  # a CPU breakdown, wherever it runs


def stacked(views, y: np.ndarray) -> tuple[nn.Module, FoldInputs]:
    """Five folds' models, each built from its own seed, in one stack; fold k trains on rows k*1000..."""
    rows = np.arange(ROWS + ROWS // 4)
    jobs = [
        FoldJob(
            views,
            y,
            np.ones(len(y), np.float32),
            np.roll(rows, -k * ROWS // 4)[:ROWS],
            rows[:0],
            rows[:0],
            CLASSES,
            CFG,
            k,
        )
        for k in range(FOLDS)
    ]
    return stack(*seeded_models(views, jobs)), FoldInputs(views, jobs, torch.device("cpu"))


def ours_ms(views, y: np.ndarray, steps: int) -> dict[str, float]:
    net, data = stacked(views, y)
    optimizer = torch.optim.AdamW(net.parameters(), lr=CFG.lr, weight_decay=CFG.weight_decay, fused=True)
    targets, weights, folds = torch.from_numpy(y), torch.ones(len(y)), torch.arange(FOLDS)
    order = torch.randperm(ROWS, generator=torch.Generator().manual_seed(0))
    spent = dict.fromkeys(("batch", "forward", "backward", "adamw"), 0.0)
    for step in range(WARMUP + steps):
        index = order[(step * BATCH) % (ROWS - BATCH) :][:BATCH]
        t0 = time.perf_counter()
        rows = torch.cat([(index + k * ROWS // 4) % len(y) for k in range(FOLDS)])
        inputs, present = data.batch(rows, folds, reuse=True), data.present[rows]
        t1 = time.perf_counter()
        losses = nn.functional.cross_entropy(net(inputs, present), targets[rows], reduction="none")
        loss = (losses * weights[rows]).reshape(FOLDS, -1).mean(dim=1).sum()
        t2 = time.perf_counter()
        optimizer.zero_grad()
        loss.backward()
        t3 = time.perf_counter()
        optimizer.step()
        t4 = time.perf_counter()
        if step >= WARMUP:
            for key, seconds in zip(spent, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                spent[key] += seconds
    return {k: 1000 * v / steps / FOLDS for k, v in spent.items()}


def products_ms(views, y: np.ndarray, steps: int) -> float:
    net, data = stacked(views, y)
    firsts = [encoder.mlp[0] for encoder in net.encoders]
    rows = torch.arange(FOLDS * BATCH)
    batch = data.batch(rows, torch.arange(FOLDS))
    inputs = [batch[v.name] for v in views]
    upstream = torch.ones(FOLDS * BATCH, CFG.hidden_dim)  # stands for the gradient that reaches the output
    for step in range(WARMUP + steps):
        if step == WARMUP:
            started = time.perf_counter()
        for layer, x in zip(firsts, inputs, strict=True):
            layer.zero_grad()
            layer(x).backward(upstream)
    return 1000 * (time.perf_counter() - started) / steps / FOLDS


def reference_ms(views, y: np.ndarray, steps: int) -> float:
    model, optimizer, loader = reference_setup(views, y, np.arange(ROWS), CFG, seed=0)
    batches = itertools.chain.from_iterable(itertools.repeat(loader))
    for step, batch in enumerate(itertools.islice(batches, WARMUP + steps)):
        if step == WARMUP:
            started = time.perf_counter()
        reference_step(model, optimizer, batch)
    return 1000 * (time.perf_counter() - started) / steps


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--out", type=Path, default=Path("bench/results/train_step.json"))
    args = parser.parse_args()
    views, y = synthetic_views(ROWS + ROWS // 4)
    results = {}
    print("threads  batch  forward  backward  adamw   ours  products  floor  reference  ratio")
    for threads in (1, 2):
        torch.set_num_threads(threads)
        ours = ours_ms(views, y, args.steps)
        row = {
            **ours,
            "ours": sum(ours.values()),
            "products": products_ms(views, y, args.steps),
            "reference": reference_ms(views, y, args.steps),
        }
        row["floor"] = row["products"] + row["adamw"]
        row["ratio"] = row["reference"] / row["ours"]
        results[threads] = {k: round(v, 3) for k, v in row.items()}
        print(
            f"{threads:7d}  {row['batch']:5.2f}  {row['forward']:7.2f}  {row['backward']:8.2f}  "
            f"{row['adamw']:5.2f}  {row['ours']:5.2f}  {row['products']:8.2f}  {row['floor']:5.2f}  "
            f"{row['reference']:9.2f}  {row['ratio']:4.2f}x",
            flush=True,
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"steps": args.steps, "ms_per_step_by_threads": results}, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
