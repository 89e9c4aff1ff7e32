"""Longer fault runs: SIGKILL `mer extract` at random moments, resume, compare with an uninterrupted run.

On the demo corpus (run `make demo` first): one uninterrupted extraction of the first N clips, then
`--kills` runs that are each killed after a random delay and resumed (sometimes killed again while
resuming); every resumed store must be byte-identical to the uninterrupted one with no .tmp left.

Usage: python bench/faults.py [--clips 600] [--kills 12] [--modality audio] [--out bench/results/faults.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

MODELS = {"audio": "random:hubert-tiny", "video": "random:clip-tiny", "text": "minilm"}


def _setup(work: Path, manifest: Path, clips: int, modality: str) -> tuple[Path, Path]:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    rows = pd.read_csv(manifest, dtype=str, keep_default_na=False).head(clips)
    subset = manifest.parent / "bench_faults_manifest.csv"
    rows.to_csv(subset, index=False)
    settings = {"modality": modality, "model": MODELS[modality], "device": "cpu", "workers": 1, "shards": 32}
    params = work / "params.yaml"
    features = {"max_failed_fraction": 1.0, "sets": {modality: settings}}
    params.write_text(yaml.safe_dump({"features": features}))
    return subset, params


def _extract(modality: str, params: Path, manifest: Path, store: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "pipeline.cli.main", "extract", modality, "--params", str(params)]
    command += ["--manifest", str(manifest), "--store", str(store)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _digests(store: Path) -> dict[str, str]:
    return {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in sorted(store.glob("shard-*.h5"))}


def _kill_after(process: subprocess.Popen, delay: float) -> bool:
    """SIGKILL after `delay` seconds unless it finished first; True when it was killed."""
    try:
        process.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        return True


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--manifest", type=Path, default=Path("data/corpus/manifest.csv"))
    parser.add_argument("--clips", type=int, default=600)
    parser.add_argument("--kills", type=int, default=12)
    parser.add_argument("--modality", default="audio", choices=sorted(MODELS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--work", type=Path, default=Path("bench/results/faults_work"))
    parser.add_argument("--out", type=Path, default=Path("bench/results/faults.json"))
    args = parser.parse_args()
    manifest, params = _setup(args.work, args.manifest, args.clips, args.modality)
    started = time.perf_counter()
    assert _extract(args.modality, params, manifest, args.work / "whole").wait() == 0
    full = time.perf_counter() - started
    expected = _digests(args.work / "whole")
    rng = random.Random(args.seed)
    rows = []
    for run in range(args.kills):
        store = args.work / f"killed_{run}"
        delays = [rng.uniform(2.0, full)] + ([rng.uniform(1.0, full / 2)] if run % 3 == 2 else [])
        kills = [_kill_after(_extract(args.modality, params, manifest, store), d) for d in delays]
        at_kill = len(list(store.glob("shard-*.h5")))
        code = _extract(args.modality, params, manifest, store).wait()
        same = code == 0 and _digests(store) == expected and not list(store.glob("*.tmp"))
        rows.append({"run": run, "kills": sum(kills), "shards_at_kill": at_kill, "identical": same})
        print(
            f"run {run:2}: killed {sum(kills)}x at {[round(d, 1) for d in delays]} s, "
            f"{at_kill}/{len(expected)} shards done, resumed store identical: {same}"
        )
    summary = {
        "clips": args.clips,
        "modality": args.modality,
        "uninterrupted_s": round(full, 1),
        "runs": rows,
        "all_identical": all(r["identical"] for r in rows),
        "kills": sum(r["kills"] for r in rows),
    }
    print(
        f"{summary['kills']} SIGKILLs in {len(rows)} runs; "
        f"all resumed stores identical: {summary['all_identical']}"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2))
    manifest.unlink()


if __name__ == "__main__":
    main()
