"""Extraction throughput and memory on the demo corpus, in one run.

Modes, each in its own fresh process (so peak RSS is its own):
  decode  the floor: decoding + resampling / frame preprocessing through the same DataLoader, no model
  naive   the reference toolkit's way: one clip per forward pass, one .npy file per clip and layer
  ours    pipeline.features.extract (buckets sorted by length, batched, workers, streaming HDF5)
  ours4x  the same on 4x the clips, for the streaming-memory check

Usage: python bench/extract.py [--n 300] [--out bench/results/extract.json]
Prints a table and writes JSON; results go into BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

MODELS = {"audio": "random:hubert-tiny", "video": "random:clip-tiny"}


def _subset(manifest_path: Path, n: int):
    from pipeline.corpus.manifest import Manifest, read_manifest

    manifest = read_manifest(manifest_path)
    rows = manifest.rows[manifest.rows["split"] != "test_noise"]
    reps = -(-n // len(rows))
    rows = (
        (rows if reps == 1 else __import__("pandas").concat([rows] * reps, ignore_index=True)).head(n).copy()
    )
    rows["name"] = [f"{name}_{i}" for i, name in enumerate(rows["name"])]
    return Manifest(manifest.path, rows.reset_index(drop=True))


def _config(modality: str, workers: int):
    from pipeline.features.config import ExtractConfig

    return ExtractConfig(
        modality=modality,
        model=MODELS[modality],
        device="cpu",
        dtype="float32",
        workers=workers,
        batch_size=16,
        bucket=64,
        shards=8,
        max_failed_fraction=1.0,
    )


def run_decode(manifest, modality: str, workers: int) -> int:
    from pipeline.features.decode import DecodeDataset, clip_refs
    from pipeline.features.local_engine import loader
    from pipeline.features.models import load_model
    from pipeline.features.video import FramePreprocessor, preprocessor_config

    refs = clip_refs(manifest)
    groups = [list(range(s, min(s + 64, len(refs)))) for s in range(0, len(refs), 64)]
    prep = (
        FramePreprocessor(preprocessor_config(load_model(MODELS[modality]))) if modality == "video" else None
    )
    for group in loader(DecodeDataset(refs, modality, 8), groups, workers):
        for _, decoded in group:
            if prep is not None and decoded.ok:
                prep(decoded.data)
    return len(refs)


def run_naive(manifest, modality: str, out: Path) -> int:
    """One clip per forward pass, decoded in the loop, every layer saved as its own .npy."""
    import torch

    from pipeline.features.decode import clip_refs, decode
    from pipeline.features.models import load_model
    from pipeline.features.video import FramePreprocessor, preprocessor_config

    loaded = load_model(MODELS[modality], device="cpu", dtype="float32")
    prep = FramePreprocessor(preprocessor_config(loaded)) if modality == "video" else None
    refs = clip_refs(manifest)
    with torch.inference_mode():
        for ref in refs:
            decoded = decode(ref, modality, 8)
            if not decoded.ok:
                continue
            if modality == "audio":
                states = loaded.model(
                    torch.from_numpy(decoded.data)[None], output_hidden_states=True
                ).hidden_states
                for layer, state in enumerate(states):
                    np.save(out / f"{ref.name}_{layer}.npy", state[0].mean(dim=0).numpy())
            else:
                embeds = loaded.model(pixel_values=prep(decoded.data)).image_embeds
                np.save(out / f"{ref.name}.npy", embeds.mean(dim=0).numpy())
    return len(refs)


def run_ours(manifest, modality: str, out: Path, workers: int) -> int:
    from pipeline.features.extract import extract

    extract(manifest, _config(modality, workers), out)
    return len(manifest.rows)


def worker(mode: str, modality: str, n: int, manifest_path: Path, workers: int) -> dict:
    manifest = _subset(manifest_path, n)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        if mode == "decode":
            clips = run_decode(manifest, modality, workers)
        elif mode == "naive":
            clips = run_naive(manifest, modality, Path(tmp))
        else:
            clips = run_ours(manifest, modality, Path(tmp) / "store", workers)
        seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "mode": mode,
        "modality": modality,
        "clips": clips,
        "seconds": round(seconds, 2),
        "clips_per_s": round(clips / seconds, 1),
        "peak_rss_mib": round(peak, 1),
    }


def measure(mode: str, modality: str, n: int, manifest: Path, workers: int) -> dict:
    command = [
        sys.executable,
        __file__,
        "--worker",
        mode,
        "--modality",
        modality,
        "--n",
        str(n),
        "--manifest",
        str(manifest),
        "--workers",
        str(workers),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--manifest", type=Path, default=Path("data/corpus/manifest.csv"))
    parser.add_argument("--n", type=int, default=300, help="clips per measurement (ours4x uses 4n)")
    parser.add_argument("--workers", type=int, default=1, help="decoding processes for decode and ours")
    parser.add_argument("--out", type=Path, default=Path("bench/results/extract.json"))
    parser.add_argument("--worker")
    parser.add_argument("--modality")
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.modality, args.n, args.manifest, args.workers)))
        return
    rows = []
    for modality in MODELS:
        for mode, n in (("decode", args.n), ("naive", args.n), ("ours", args.n), ("ours4x", 4 * args.n)):
            row = measure(mode.removesuffix("4x"), modality, n, args.manifest, args.workers)
            rows.append({**row, "mode": mode})
            print(
                f"{modality:6} {mode:7} {row['clips']:6d} clips {row['clips_per_s']:8.1f} clips/s "
                f"peak RSS {row['peak_rss_mib']:8.1f} MiB",
                flush=True,
            )
    summary = {}
    for modality in MODELS:
        by = {r["mode"]: r for r in rows if r["modality"] == modality}
        summary[modality] = {
            "ours_vs_naive": round(by["ours"]["clips_per_s"] / by["naive"]["clips_per_s"], 2),
            "ours_vs_decode_floor": round(by["ours"]["clips_per_s"] / by["decode"]["clips_per_s"], 2),
            "rss_4x_vs_1x": round(by["ours4x"]["peak_rss_mib"] / by["ours"]["peak_rss_mib"], 3),
        }
        print(
            f"{modality}: ours/naive {summary[modality]['ours_vs_naive']}x, ours/decode floor "
            f"{summary[modality]['ours_vs_decode_floor']:.0%}, "
            f"peak RSS 4x/1x {summary[modality]['rss_4x_vs_1x']}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"rows": rows, "summary": summary, "n": args.n, "workers": args.workers}, indent=2)
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
