"""Frozen vs adapted over training seeds: each set an adaptation stage wrote (align, adapt, prompt) against
the frozen set it came from, alone and in its place among train.sets, SEMI and NOISE WAF per seed.

The comparison is ablation.json's `adapted` (pipeline.training.adapted), repeated with train.seed set to
each seed; the stores are the project's, so run it after `dvc repro` (or `make demo`):
  .venv/bin/python bench/adaptation.py --seeds 0,1,2
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

from pipeline.config.params import check_params
from pipeline.corpus.manifest import DERIVED_MANIFEST, read_manifest
from pipeline.tracks.score import TRACK_SPLITS
from pipeline.training.adapted import ROLES, compare_adapted
from pipeline.training.run import labeled_set


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", default="0,1,2", help="training seeds, comma-separated")
    parser.add_argument("--features", type=Path, default=Path("data/features"))
    parser.add_argument("--out", type=Path, default=Path("bench/results/adaptation.json"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    params = check_params()
    data = labeled_set(
        read_manifest(DERIVED_MANIFEST, params.labels, contained=False), params.labels, params.train
    )
    runs = {}
    for seed in (int(s) for s in args.seeds.split(",")):
        started = time.perf_counter()
        train = params.train.model_copy(update={"seed": seed})
        runs[seed] = compare_adapted(data, params, train, args.features, TRACK_SPLITS)
        print(f"seed {seed}: {time.perf_counter() - started:.0f} s", flush=True)
    _table(runs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"model": params.train.model, "seeds": runs}, indent=2) + "\n")
    print(f"-> {args.out}")


def _table(runs: dict[int, dict]) -> None:
    seeds = list(runs)
    print("| adapted set | compared | sets | " + " | ".join(f"seed {s} SEMI / NOISE" for s in seeds) + " |")
    print("| --- | --- | --- | " + " | ".join("---:" for _ in seeds) + " |")
    first = runs[seeds[0]]
    for name, entry in first.items():
        for role in ROLES:
            if role not in entry:
                continue
            cells = [_pair(runs[s][name][role]["waf"]) for s in seeds]
            print(f"| {name} | {role} | {entry[role]['sets']} | " + " | ".join(cells) + " |")


def _pair(waf: dict[str, float | None]) -> str:
    return " / ".join("-" if waf.get(t) is None else f"{waf[t]:.4f}" for t in ("semi", "noise"))


if __name__ == "__main__":
    main()
