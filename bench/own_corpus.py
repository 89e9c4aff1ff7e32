"""A 120-clip corpus of one's own through `mer init` and `dvc repro`, timed (the "any corpus" scenario).

Builds data/mycorpus (60 train / 30 test / 30 unlabeled mp4 clips with the six MER2024 labels, drawn by
the demo's clip generator but written outside DVC, as a user's corpus would be), runs `mer init` on its
manifest, points selftrain.truth at its known pool labels, then times `dvc repro` with the profile's
models. Checks that the source manifest is unchanged and the demo was not generated. Prints a table,
writes JSON.

Run it in a scratch clone (it rewrites params.yaml and data/): git clone . /tmp/own && cd /tmp/own &&
make .venv/.installed && .venv/bin/python -m bench.own_corpus
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from bench.common import stage_table, timed_repro
from pipeline.config.demo import DemoConfig
from pipeline.demo.corpus import make_demo_corpus
from pipeline.params_file import set_keys

SIZES = {"train": 60, "test": 30, "unlabeled": 30}


def run(*command: str) -> str:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("bench/results/own_corpus.json"))
    args = parser.parse_args()
    corpus = Path("data/mycorpus")
    manifest = make_demo_corpus(DemoConfig(seed=11, **SIZES, workers=2), corpus)
    source = manifest.read_bytes()
    print(run("mer", "init", str(manifest)))
    set_keys(Path("params.yaml"), {"selftrain.truth": str(corpus / "unlabeled_truth.csv")})
    seconds, stages = timed_repro()
    metrics = {t: json.loads(Path(f"data/metrics/{t}.json").read_text()) for t in ("semi", "noise", "ov")}
    selftrain = json.loads(Path("data/metrics/selftrain.json").read_text())
    result = {
        "clips": sum(SIZES.values()),
        "dvc_repro_s": round(seconds, 1),
        "source_unchanged": manifest.read_bytes() == source,
        "demo_generated": Path("data/corpus/clean/manifest.csv").exists(),
        "semi_waf": metrics["semi"]["waf"],
        "noise_waf": metrics["noise"]["waf"],
        "ov_avg": metrics["ov"]["avg"],
        "pseudo_labels": selftrain["rounds"][0]["selected"],
        "pseudo_precision": selftrain["rounds"][0]["precision"],
    }
    print("| " + " | ".join(result) + " |")
    print("| " + " | ".join("---" for _ in result) + " |")
    print("| " + " | ".join(str(v) for v in result.values()) + " |")
    print(stage_table(stages))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({**result, "stages_s": stages}, indent=2))


if __name__ == "__main__":
    main()
