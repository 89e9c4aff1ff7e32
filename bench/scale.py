"""Scale: 120,000 clips through store reading, pseudo-label selection and scoring, with peak RSS.

A synthetic audio store (1 layer x 1024 dims, float16, 64 shards, written with the real write_shard)
and a synthetic teacher predictions table of the same clips stand in for MER2024's unlabeled pool.
Each step runs in its own process, so its peak RSS is its own (the interpreter with numpy/pandas/h5py
imported is ~100 MB of it) and `read MB` counts the bytes it read from files.
Targets (#5, #8): selection under 30 s and 2 GiB.
With --layers L the store holds L layers; `read_last_layer` selects only one of them, as a view does
(shards chunk `utt` by layer, so it reads about 1/L of the bytes).

Usage: python bench/scale.py [--n 120000] [--layers 1] [--out bench/results/scale.json]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

LABELS = ["neutral", "angry", "happy", "sad", "worried", "surprise"]
DIM = 1024


def build(work: Path, n: int, layers: int) -> None:
    from pipeline.features.store import Batch, StoreInfo, shard_of, write_shard

    names = np.array([f"sample_{i:08d}" for i in range(n)])
    shards = np.array([shard_of(name, 64) for name in names])
    info = StoreInfo("audio", "synthetic", "", list(range(layers)), DIM, "synthetic", True)
    rng = np.random.default_rng(0)
    for index in range(64):
        chosen = np.sort(names[shards == index])
        utt = rng.normal(size=(len(chosen), layers, DIM)).astype(np.float32)
        batch = Batch(list(chosen), utt, np.ones(len(chosen), bool), [""] * len(chosen))
        write_shard(work / "store" / f"shard-{index:05d}.h5", info, batch)
    logits = rng.normal(size=(n, len(LABELS))) * 2.5
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    table = pd.DataFrame(probs.astype(np.float32), columns=[f"prob_{label}" for label in LABELS])
    table.insert(0, "name", names)
    table.insert(1, "split", "unlabeled")
    table.insert(2, "label", np.array(LABELS)[rng.integers(0, 6, n)])
    table["pred"] = np.array(LABELS)[probs.argmax(axis=1)]
    table["agreement"] = rng.choice([0.6, 0.8, 1.0], n).astype(np.float32)
    table.to_csv(work / "predictions.csv", index=False, float_format="%.6f")


def _read(work: Path, layers: str | list[int]) -> dict:
    from pipeline.features.reader import read_store

    names = list(pd.read_csv(work / "predictions.csv", usecols=["name"])["name"])
    arrays = read_store(work / "store", names, layers=layers)
    return {"clips": len(names), "ok": int(arrays.ok.sum()), "array_mb": round(arrays.utt.nbytes / 2**20)}


def step_read(work: Path) -> dict:
    return _read(work, "all")


def step_read_last_layer(work: Path) -> dict:
    return _read(work, [-1])


def step_select(work: Path) -> dict:
    from pipeline.config.selftrain import SelectConfig
    from pipeline.tables import read_table
    from pipeline.training.pseudo_labels import select

    table = read_table(work / "predictions.csv")
    chosen = select(table, LABELS, SelectConfig(threshold=0.8, min_agreement=0.8, balanced=True))
    return {"pool": len(table), "selected": len(chosen)}


def step_score(work: Path) -> dict:
    from pipeline.tables import read_table
    from pipeline.tracks.score import score_split

    table = read_table(work / "predictions.csv")
    table["split"] = "test"
    metrics, _ = score_split(table, "test", LABELS)
    return {"n": metrics["n"], "waf": round(metrics["waf"], 4)}


STEPS = {
    "read_store": step_read,
    "read_last_layer": step_read_last_layer,
    "select": step_select,
    "score": step_score,
}


def bytes_read() -> int:
    """Bytes this process asked the OS to read (Linux /proc/self/io rchar; 0 elsewhere): what a
    cold cache or a network filesystem would have to deliver."""
    io = Path("/proc/self/io")
    if not io.exists():
        return 0
    return int(next(line for line in io.read_text().splitlines() if line.startswith("rchar")).split()[1])


def run_step(name: str, work: Path) -> dict:
    started, read_before = time.perf_counter(), bytes_read()
    result = STEPS[name](work)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "step": name,
        "seconds": round(time.perf_counter() - started, 2),
        "peak_rss_mb": round(peak_mb),
        "read_mb": round((bytes_read() - read_before) / 2**20),
        **result,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=120_000)
    parser.add_argument("--layers", type=int, default=1, help="stored layers per clip")
    parser.add_argument("--work", type=Path, default=Path("bench/results/scale_work"))
    parser.add_argument("--out", type=Path, default=Path("bench/results/scale.json"))
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(run_step(args.step, args.work)))
        return
    started = time.perf_counter()
    build(args.work, args.n, args.layers)
    rows = [{"step": "build (write store + table)", "seconds": round(time.perf_counter() - started, 2)}]
    for name in STEPS:
        command = [sys.executable, __file__, "--step", name, "--work", str(args.work)]
        rows.append(json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout))
    print(f"{'step':28} {'seconds':>8} {'peak RSS MB':>12} {'read MB':>8}  result")
    for row in rows:
        extra = {k: v for k, v in row.items() if k not in ("step", "seconds", "peak_rss_mb", "read_mb")}
        print(
            f"{row['step']:28} {row['seconds']:>8} {row.get('peak_rss_mb', ''):>12} "
            f"{row.get('read_mb', ''):>8}  {extra}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"n": args.n, "layers": args.layers, "steps": rows}, indent=2))


if __name__ == "__main__":
    main()
