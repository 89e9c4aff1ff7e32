"""Small labeled corpora: the linear baseline against the fusion models on one feature set, with the
training settings that could explain a gap (issue: on ~300 clips of handcrafted features a standardised
logistic regression beat every fusion model).

The labeled set is `--labeled` clips of the demo's unlabeled pool, stratified and seeded, labeled with
their true labels (data/corpus/clean/unlabeled_truth.csv); the demo's own 120 train clips and their noisy
copies are left out, and train.noise_augment is off (the pool clips have no copies). Every variant is
cross-validated on them (train.folds) and scored on `test` (SEMI) and `test_noise` (NOISE). Each variant
is a JSON object of train.* overrides on params.yaml's; the default compares the models.

Usage, after `make demo`:
  .venv/bin/python bench/small_corpus.py --labeled 300 --set egemaps --seeds 0,1,2 \\
      '{"model": "linear"}' '{"model": "conv_attention"}' '{"model": "mlp", "weight_decay": 1.0}'
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from pipeline.config.base import validated
from pipeline.config.params import check_params
from pipeline.config.train import TrainSection
from pipeline.corpus.manifest import DERIVED_MANIFEST, read_manifest
from pipeline.tracks.score import TRACK_SPLITS
from pipeline.training.pseudo_labels import read_truth
from pipeline.training.run import LabeledSet, labeled_set, score_subset
from pipeline.training.views import load_views

MODELS = ["linear", "mlp", "attention", "conv_attention", "lightgbm"]


def pool_labeled(data: LabeledSet, truth: dict[str, str], labels: list[str], n: int, seed: int) -> LabeledSet:
    """`n` pool clips with their true labels as the train split; every other train clip left out."""
    splits, y = data.splits.copy(), np.full(len(data.names), -1, np.int64)
    pool = np.array([i for i, name in enumerate(data.names) if name in truth])
    pool_y = np.array([labels.index(truth[data.names[i]]) for i in pool])
    chosen, _ = train_test_split(pool, train_size=n, stratify=pool_y, random_state=seed)
    scored = np.isin(splits, list(TRACK_SPLITS.values()))
    y[scored], splits[~scored] = data.y[scored], "left_out"
    splits[chosen], y[chosen] = "train", [labels.index(truth[data.names[i]]) for i in chosen]
    return replace(data, splits=splits, y=y, weights=np.ones(len(y), np.float32))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("variants", nargs="*", help="JSON objects of train.* overrides (default: each model)")
    parser.add_argument("--labeled", type=int, default=300)
    parser.add_argument("--set", default="egemaps", help="the feature set, under data/features")
    parser.add_argument("--seeds", default="0,1,2", help="training seeds (the labeled sample is seed 0's)")
    parser.add_argument("--out", type=Path, default=Path("bench/results/small_corpus.json"))
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    params = check_params()
    labels = params.labels
    variants = [json.loads(v) for v in args.variants] or [{"model": m} for m in MODELS]
    base = {**params.train.model_dump(), "noise_augment": False, "sets": [args.set]}
    configs = [validated(TrainSection, {**base, **v}, "train") for v in variants]  # bad keys stop here
    full = labeled_set(read_manifest(DERIVED_MANIFEST, labels, contained=False), labels)
    data = pool_labeled(full, read_truth(params.selftrain.truth), labels, args.labeled, 0)
    views = load_views(
        {args.set: Path("data/features") / args.set}, {args.set: configs[0].view(args.set)}, data.names
    )
    rows = []
    print(f"{args.set}, {args.labeled} labeled clips, {params.train.folds} folds; WAF SEMI / NOISE per seed")
    for variant, cfg in zip(variants, configs, strict=True):
        cells, started = [], time.perf_counter()
        for seed in (int(s) for s in args.seeds.split(",")):
            waf = score_subset(data, views, labels, cfg.model_copy(update={"seed": seed}), TRACK_SPLITS).waf
            rows.append({"variant": variant, "seed": seed, "waf": waf})
            cells.append(f"{waf['semi']:.4f} / {waf['noise']:.4f}")
        print(
            f"{json.dumps(variant):60} " + "  ".join(cells) + f"  ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"set": args.set, "labeled": args.labeled, "rows": rows}, indent=2) + "\n")
    print(f"-> {args.out}")


if __name__ == "__main__":
    main()
