"""Scale-out engines and incremental stores, on the demo corpus (run `make demo` first).

engines      the same audio extraction with features.engine local and ray (a local 2-CPU Ray started
             here; its start-up is timed apart), same batch/bucket/shards: clips/s of each
incremental  extract 2,000 clips, add 100 (5%) to the manifest, extract again: clips extracted, shards
             rewritten and unchanged, and the time against the full run
Targets (#7): Ray within 20% of local; the add extracts only the 100 new clips.

Usage: python bench/scale_out.py [--modality audio] [--out bench/results/scale_out.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import time
from pathlib import Path

from pipeline.corpus.manifest import Manifest, read_manifest
from pipeline.features.config import ExtractConfig
from pipeline.features.extract import extract

MODELS = {"audio": "random:hubert-tiny", "video": "random:clip-tiny", "text": "minilm"}


def _config(modality: str) -> ExtractConfig:
    return ExtractConfig(
        modality=modality,
        model=MODELS[modality],
        device="cpu",
        dtype="float32",
        workers=1,
        batch_size=16,
        bucket=64,
        shards=64,
        max_failed_fraction=1.0,
    )


def _digests(store: Path) -> dict[str, str]:
    return {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in store.glob("shard-*.h5")}


def engines(manifest: Manifest, cfg: ExtractConfig, work: Path) -> dict:
    import ray

    shutil.rmtree(work, ignore_errors=True)
    local = extract(manifest, cfg, work / "local")
    started = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    ray_start = time.perf_counter() - started
    on_ray = extract(manifest, cfg.model_copy(update={"engine": "ray"}), work / "ray")
    ray.shutdown()
    return {
        "clips": local.clips,
        "local_s": round(local.seconds, 2),
        "ray_s": round(on_ray.seconds, 2),
        "ray_start_s": round(ray_start, 2),
        "local_clips_per_s": round(local.clips_per_s, 1),
        "ray_clips_per_s": round(on_ray.clips_per_s, 1),
        "ray_vs_local": round(on_ray.clips_per_s / local.clips_per_s, 3),
        "ray_vs_local_with_start": round(local.seconds / (on_ray.seconds + ray_start), 3),
    }


def incremental(manifest: Manifest, cfg: ExtractConfig, work: Path, n: int = 2000, added: int = 100) -> dict:
    store = work / "incremental"
    shutil.rmtree(store, ignore_errors=True)
    rows = manifest.rows.head(n + added)
    full = extract(Manifest(manifest.path, rows.head(n).reset_index(drop=True)), cfg, store)
    before = _digests(store)
    add = extract(Manifest(manifest.path, rows.reset_index(drop=True)), cfg, store)
    after = _digests(store)
    return {
        "clips_before": n,
        "clips_added": added,
        "clips_extracted": add.clips,
        "shards_rewritten": add.rewritten_shards,
        "shards_unchanged_bytes": sum(after[s] == before.get(s) for s in after),
        "shards": len(after),
        "full_s": round(full.seconds, 2),
        "add_s": round(add.seconds, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--manifest", type=Path, default=Path("data/corpus/manifest.csv"))
    parser.add_argument("--modality", default="audio", choices=sorted(MODELS))
    parser.add_argument("--work", type=Path, default=Path("bench/results/scale_out_work"))
    parser.add_argument("--out", type=Path, default=Path("bench/results/scale_out.json"))
    args = parser.parse_args()
    manifest = read_manifest(args.manifest)
    cfg = _config(args.modality)
    result = {"modality": args.modality, "engines": engines(manifest, cfg, args.work)}
    result["incremental"] = incremental(manifest, cfg, args.work)
    for part, values in result.items():
        if isinstance(values, dict):
            print(part)
            for key, value in values.items():
                print(f"  {key:26} {value}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
