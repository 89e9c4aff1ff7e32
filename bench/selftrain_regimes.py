"""Self-training with a small labeled set: gain and pseudo-label precision, per selection setting.

Runs on a project whose corpus and feature stores are already built (so sizes and corpus knobs are
chosen once, by its params.yaml, and each setting here costs training only). The labeled set is a
stratified, seeded subsample of the `train` split (the rest of `train` is left out entirely, and so
are their `train_noise` copies, whose source is then in no fold; all of it when --labeled is at least
its size); the teacher is cross-validated on it, then the real
selection and self-training rounds (pipeline.training.pseudo_labels.select,
pipeline.training.selftrain.run_rounds) run per setting.
Precision is measured against the pool's true labels (data/corpus/clean/unlabeled_truth.csv), overall
and per class.

Usage on the default demo (BENCHMARKS.md "Self-training", last block): after `make demo`,
  .venv/bin/python bench/selftrain_regimes.py --project . --labeled 120 --seeds 0,1,2,3,4,5,6 '{}'
The earlier blocks' figures, on a larger scratch project:
  git clone . /tmp/big && ln -s "$PWD/.venv" /tmp/big/.venv
  # in /tmp/big/params.yaml: demo.unlabeled 3000, demo.test 1000, demo.text_misleading 0.05
  (cd /tmp/big && PATH=$PWD/.venv/bin:$PATH dvc repro extract@hubert extract@clip extract@minilm)
  .venv/bin/python bench/selftrain_regimes.py --project /tmp/big --labeled 300 --seeds 0,1,2,3,4 \\
      '{"threshold": 0.9, "rounds": 2}' '{"threshold": 0.9, "min_class_precision": 0.8, "rounds": 2}'
  (--labeled 90 keeps a stratified 90 of the 300 train clips instead.)
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from pipeline.config.base import validated
from pipeline.config.params import check_params
from pipeline.config.selftrain import SelfTrainSection
from pipeline.corpus.manifest import DERIVED_MANIFEST, read_manifest
from pipeline.tracks.score import TRACK_SPLITS
from pipeline.training.pseudo_labels import read_truth, select
from pipeline.training.run import LabeledSet, labeled_set, prediction_table, split_waf, train
from pipeline.training.selftrain import run_rounds
from pipeline.training.views import views_from_params


def subsample(data: LabeledSet, n: int, seed: int) -> LabeledSet:
    """Only `n` of the train clips keep their label; the others leave training and prediction alike
    (`n` at or above the number of train clips keeps them all)."""
    rows = data.train_rows
    if n >= len(rows):
        return data
    kept, _ = train_test_split(rows, train_size=n, stratify=data.y[rows], random_state=seed)
    dropped = np.setdiff1d(rows, kept)
    y, splits = data.y.copy(), data.splits.copy()
    y[dropped], splits[dropped] = -1, "left_out"
    return replace(data, y=y, splits=splits)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("settings", nargs="+", help="JSON objects of selftrain.* overrides")
    parser.add_argument("--project", type=Path, required=True)
    parser.add_argument("--labeled", type=int, default=90)
    parser.add_argument("--seeds", default="0,1,2", help="subsample and training seeds")
    parser.add_argument("--out", type=Path, default=Path("bench/results/selftrain_regimes.json"))
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    out = args.out.resolve()
    os.chdir(args.project)
    params = check_params()
    labels, base_train, base_select = params.labels, params.train, params.selftrain
    settings = [json.loads(s) for s in args.settings]
    configs = [  # bad keys stop before training
        validated(SelfTrainSection, {**base_select.model_dump(), **setting}, "selftrain")
        for setting in settings
    ]
    full = labeled_set(read_manifest(DERIVED_MANIFEST, labels, contained=False), labels, base_train)
    views = views_from_params(params.train, Path("data/features"), full.names)
    truth = read_truth(base_select.truth)
    rows = []
    print("seed  setting  round  selected  precision  SEMI gain  NOISE gain  per-class precision")
    for seed in (int(s) for s in args.seeds.split(",")):
        data, train_cfg = subsample(full, args.labeled, seed), base_train.model_copy(update={"seed": seed})
        teacher = prediction_table(data, labels, train(data, views, labels, train_cfg))
        supervised = {track: split_waf(teacher, split) for track, split in TRACK_SPLITS.items()}
        for k, (setting, cfg) in enumerate(zip(settings, configs, strict=True)):
            first = select(teacher, labels, cfg)
            _, _, reports = run_rounds(
                data, views, labels, train_cfg, teacher, first, cfg, truth, TRACK_SPLITS
            )
            for r in reports:
                gain = {t: 100 * (r.waf[t] - supervised[t]) for t in TRACK_SPLITS}
                per_class = {c: None if v is None else round(v, 3) for c, v in r.precision_per_class.items()}
                rows.append(
                    {"seed": seed, "setting": setting, "round": r.round, "selected": r.selected,
                     "precision": r.precision, "precision_per_class": per_class,
                     "supervised_waf": supervised, "gain_points": gain}
                )  # fmt: skip
                shown = "n/a" if r.precision is None else f"{r.precision:.3f}"
                print(
                    f"{seed:4d}  {k:7d}  {r.round:5d}  {r.selected:8d}  {shown:>9}  {gain['semi']:+9.1f}  "
                    f"{gain['noise']:+10.1f}  {per_class}",
                    flush=True,
                )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {"labeled": args.labeled, "settings": args.settings, "params": params["demo"], "rows": rows},
            indent=2,
        )
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
