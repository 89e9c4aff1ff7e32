"""Does a feature set of pure noise cost the fusion anything (issue: fusion that ignores a useless set)?

In a project whose `dvc repro` has run (the demo, or a scratch clone after bench/real_corpora.py), this
writes a generated store of Gaussian noise (--dims per clip, flagged random) beside the real stores and
cross-validates, in-process on the train stage's folds, train.sets alone, train.sets + the noise set
with train.screen_sets on, and the same with it off. Each out-of-fold WAF carries its 95% bootstrap
interval over clips and each noisy run its paired difference from train.sets alone.

  .venv/bin/python bench/noise_set.py --project /tmp/fresh --model conv_attention
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from pipeline.config.base import validated
from pipeline.config.params import Params, load_params
from pipeline.config.train import ViewSpec
from pipeline.corpus.manifest import DERIVED_MANIFEST, read_manifest
from pipeline.features.store import Batch, StoreInfo, write_shard
from pipeline.tracks.metrics import paired_difference, score_intervals, waf
from pipeline.training.run import labeled_set, train
from pipeline.training.views import load_views, views_from_params

NOISE = "noise_set"


def noise_store(folder: Path, names: list[str], dims: int, seed: int) -> Path:
    x = np.random.default_rng(seed).normal(0, 1, (len(names), 1, dims)).astype(np.float32)
    info = StoreInfo("video", "random:noise", "main", [0], dims, "generated noise", True)
    write_shard(
        folder / "shard-00000.h5", info, Batch(names, x, np.ones(len(names), bool), [""] * len(names))
    )
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--project", type=Path, default=Path("."))
    parser.add_argument("--model", default="", help="train.model (default: the project's)")
    parser.add_argument("--dims", type=int, default=768, help="width of the noise (768: a base encoder's)")
    parser.add_argument("--out", type=Path, default=Path("bench/results/noise_set.json"))
    args = parser.parse_args()
    out = args.out.resolve()
    os.chdir(args.project)
    params = validated(Params, load_params(Path("params.yaml")))
    cfg = params.train.model_copy(update={"model": args.model} if args.model else {})
    data = labeled_set(read_manifest(DERIVED_MANIFEST, params.labels, contained=False), params.labels, cfg)
    views = views_from_params(params.train, Path("data/features"), data.names)
    store = noise_store(Path("data/bench") / NOISE, data.names, args.dims, cfg.seed)
    noise = load_views({NOISE: store}, {NOISE: ViewSpec(layers="all", combine="mean")}, data.names)
    runs = {
        "train.sets alone": (views, cfg),
        "+ noise, screen_sets on": (views + noise, cfg.model_copy(update={"screen_sets": True})),
        "+ noise, screen_sets off": (views + noise, cfg.model_copy(update={"screen_sets": False})),
    }
    y = data.y[data.train_rows]
    preds, report = {}, {"project": str(args.project), "model": cfg.model, "sets": cfg.sets, "runs": {}}
    for name, (subset, run_cfg) in runs.items():
        started = time.perf_counter()
        result = train(data, subset, params.labels, run_cfg)
        preds[name] = result.oof_logits.argmax(axis=1)
        report["runs"][name] = {
            "cv_waf": round(waf(y, preds[name]), 4),
            "cv_waf_ci": score_intervals(y, preds[name])["waf_ci"],
            "minus_alone": paired_difference(y, preds[name], preds["train.sets alone"]),
            "sets": [v.name for v in subset],
            "kept": (result.screening or {}).get("kept", [v.name for v in subset]),
            "chosen": (result.selection or {}).get("chosen"),
            "seconds": round(time.perf_counter() - started, 1),
        }
    print(f"{args.project}: {len(y)} training clips, {cfg.sets} + {args.dims}-d noise, model {cfg.model}")
    print("| run | CV WAF [95%] | minus alone [95%] | sets kept | auto chose | seconds |")
    print("| --- | --- | --- | --- | --- | ---: |")
    for name, row in report["runs"].items():
        low, high = row["cv_waf_ci"]
        gap = row["minus_alone"]
        print(
            f"| {name} | {row['cv_waf']:.3f} [{low:.3f}, {high:.3f}] | {gap['waf_diff']:+.3f} "
            f"[{gap['ci'][0]:+.3f}, {gap['ci'][1]:+.3f}] | {', '.join(row['kept'])} | "
            f"{row['chosen'] or '-'} | {row['seconds']:.0f} |"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
