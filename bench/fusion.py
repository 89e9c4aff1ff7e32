"""Fusion variants against single modalities on the demo stores, in one run (issue targets for SEMI/NOISE).

Every variant is trained with the same CV protocol on data/features and scored on `test` (SEMI) and
`test_noise` (NOISE). Prints a table, writes JSON; results go into BENCHMARKS.md.

Usage: python bench/fusion.py [--out bench/results/fusion.json]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

from pipeline.corpus.manifest import read_manifest
from pipeline.params import load_params, pick
from pipeline.tracks.score import TRACK_SPLITS
from pipeline.training.config import modalities, train_config
from pipeline.training.run import labeled_set, prediction_table, split_waf, train
from pipeline.training.views import views_from_params

VARIANTS = {
    "attention, no dropout": {"model": "attention", "modality_dropout": 0.0},
    "attention + modality dropout": {"model": "attention", "modality_dropout": 0.3},
    "conv_attention + modality dropout": {"model": "conv_attention", "modality_dropout": 0.3},
    "attention + noise augmentation": {"model": "attention", "modality_dropout": 0.0, "noise_augment": True},
    "conv_attention + dropout + noise augmentation": {
        "model": "conv_attention",
        "modality_dropout": 0.3,
        "noise_augment": True,
    },
    "mlp + modality dropout": {"model": "mlp", "modality_dropout": 0.3},
    "lightgbm": {"model": "lightgbm"},
    "lightgbm_stack": {"model": "lightgbm_stack"},
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=Path("bench/results/fusion.json"))
    args = parser.parse_args()
    params = load_params()
    labels, base, mods = pick(params, "labels", list), train_config(params), modalities(params)
    data = labeled_set(read_manifest(pick(params, "dataset.manifest", str), labels), labels)
    views = views_from_params(params, Path("data/features"), mods, data.names)
    runs = [(f"{m} only ({base.model})", [v for v in views if v.name == m], {}) for m in mods]
    runs += [(name, views, change) for name, change in VARIANTS.items()]
    rows = []
    for name, chosen, change in runs:
        started = time.perf_counter()
        table = prediction_table(data, labels, train(data, chosen, labels, replace(base, **change)))
        row = {
            "variant": name,
            **{f"{track}_waf": split_waf(table, split) for track, split in TRACK_SPLITS.items()},
            "seconds": round(time.perf_counter() - started, 1),
        }
        rows.append(row)
        print(
            f"{name:46} SEMI WAF {row['semi_waf']:.4f}  NOISE WAF {row['noise_waf']:.4f}  "
            f"({row['seconds']} s)",
            flush=True,
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"rows": rows, "encoders": {v.name: v.model for v in views}}, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
