"""Extraction at full model size: random-init models built from the real configs shipped in
pipeline/features/configs (HuBERT-large: 25 hidden states x 1024; CLIP ViT-L/14 on 8 frames; Qwen2-7B
storing 5 layers, bf16), each through `mer extract`'s code path (params.yaml -> extract_config ->
extract) on N clips of a freshly generated demo corpus (1.5-3 s each, 96x96 frames, 8 fps).

Each set runs in its own process, so its peak RSS and GPU memory are its own. Per set: model build
seconds, seconds per clip (model build excluded), clips/s, peak RSS, peak GPU memory, store bytes per
clip, and the hours 120,000 clips would take at that rate (the clips of MER2024 are longer than the
demo's: audio and text cost grows with length, video with the frame count only).

--sizes full runs the models above; tiny runs the tiny stand-ins through the same path (seconds, for
the test of this script); auto picks full where CUDA is present, else tiny. On a GPU box: bench/gpu.sh.

Usage: python -m bench.fullsize [--n 20] [--sizes full] [--device auto] [--workers 2] [--out ...]
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

import yaml

from bench.common import bench_parser

SCALE = 120_000  # clips in MER2024's pool plus its test sets
SETS = {
    "full": {
        "hubert_large": {"modality": "audio", "model": "random:hubert-large"},
        "clip_large": {"modality": "video", "model": "random:clip-vit-large", "frames": 8},
        "qwen2_7b": {
            "modality": "text",
            "model": "random:qwen2-7b",
            "layers": [12, 16, 20, 24, 28],
            "dtype": "bfloat16",  # float32 would need 28 GB
        },
    },
    "tiny": {
        "hubert_tiny": {"modality": "audio", "model": "random:hubert-tiny"},
        "clip_tiny": {"modality": "video", "model": "random:clip-tiny", "frames": 8},
        "qwen2_tiny": {"modality": "text", "model": "random:qwen2-tiny", "layers": [0, 1, 2, 3, 4]},
    },
}


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def _gpu_peak_gb() -> float:
    import torch

    return torch.cuda.max_memory_allocated() / 2**30


def write_project(folder: Path, n: int, sets: dict, device: str, workers: int, batch_size: int) -> None:
    """A demo corpus of n clips and a params.yaml naming the sets."""
    from pipeline.config.demo import DemoConfig
    from pipeline.demo.corpus import make_demo_corpus

    make_demo_corpus(DemoConfig(train=n, unlabeled=0, test=0, workers=2), folder / "corpus")
    settings = {"device": device, "workers": workers, "batch_size": batch_size, "shards": 4}
    params = {
        "features": {
            "max_failed_fraction": 0.05,
            "sets": {name: {**settings, **values} for name, values in sets.items()},
        }
    }
    (folder / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def child(folder: Path, name: str) -> None:
    """One set, as `mer extract NAME` runs it; writes what the parent reports."""
    from pipeline.config.params import check_section
    from pipeline.corpus.manifest import read_manifest
    from pipeline.features.config import extract_config
    from pipeline.features.extract import extract

    cfg = extract_config(check_section("features", folder / "params.yaml"), name)
    store = folder / "features" / name
    result = extract(read_manifest(folder / "corpus/manifest.csv", contained=False), cfg, store)
    ok = result.total - result.failed - result.absent
    cuda = _cuda()
    row = {
        "set": name,
        "model": cfg.model,
        "dtype": cfg.dtype,
        "clips": result.clips,
        "ok": ok,
        "build_s": round(result.load_s, 1),
        "s_per_clip": round((result.seconds - result.load_s) / max(result.clips, 1), 3),
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
        "gpu_peak_gb": round(_gpu_peak_gb(), 2) if cuda else None,
        "store_kb_per_clip": round(sum(p.stat().st_size for p in store.glob("*.h5")) / 1024 / max(ok, 1), 1),
    }
    row["clips_per_s"] = round(1 / row["s_per_clip"], 2) if row["s_per_clip"] else None
    row["hours_120k"] = round(SCALE * row["s_per_clip"] / 3600, 2)
    (folder / f"{name}.json").write_text(json.dumps(row))


def run_sets(folder: Path, sets: dict) -> list[dict]:
    rows = []
    for name in sets:
        started = time.perf_counter()
        command = [sys.executable, "-m", "bench.fullsize", "--child", name, "--folder", str(folder)]
        subprocess.run(command, check=True)
        row = json.loads((folder / f"{name}.json").read_text())
        rows.append({**row, "process_s": round(time.perf_counter() - started, 1)})
    return rows


def report(rows: list[dict], sizes: str, device: str) -> None:
    print(f"\nfull-size extraction ({sizes} models, random-init stand-ins; device {device})")
    head = f"{'set':13} {'model':24} {'clips':>5} {'build s':>8} {'s/clip':>7} {'clips/s':>8} {'RSS GB':>7}"
    print(f"{head} {'GPU GB':>7} {'KB/clip':>8} {'h @120k':>8}")
    for r in rows:
        gpu = "-" if r["gpu_peak_gb"] is None else f"{r['gpu_peak_gb']:.2f}"
        print(
            f"{r['set']:13} {r['model']:24} {r['clips']:5d} {r['build_s']:8.1f} {r['s_per_clip']:7.3f} "
            f"{r['clips_per_s'] or 0:8.2f} {r['peak_rss_gb']:7.2f} {gpu:>7} {r['store_kb_per_clip']:8.1f} "
            f"{r['hours_120k']:8.2f}"
        )
    total = sum(r["hours_120k"] for r in rows)
    print(f"all three sets over {SCALE:,} clips, one after another: {total:.2f} h")


def main() -> None:
    parser = bench_parser(__doc__, 20, "bench/results/fullsize.json")
    parser.add_argument("--sizes", choices=["full", "tiny", "auto"], default="full")
    parser.add_argument("--device", default="auto", help="auto: CUDA when present, else CPU")
    parser.add_argument("--batch-size", type=int, default=16, help="clips per forward pass")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.folder, args.child)
        return
    sizes = ("full" if _cuda() else "tiny") if args.sizes == "auto" else args.sizes
    if args.sizes == "auto" and sizes == "tiny":
        print("no CUDA device: running the tiny stand-ins on CPU (the fallback path; no figures to record)")
    sets = SETS[sizes]
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        write_project(folder, args.n, sets, args.device, args.workers, args.batch_size)
        rows = run_sets(folder, sets)
    report(rows, sizes, args.device)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    summary = {"sizes": sizes, "device": args.device, "n": args.n, "rows": rows}
    args.out.write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
