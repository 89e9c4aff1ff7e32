"""The extraction engine's own overhead, which is what bounds a GPU run: a null embedder (the output
shapes of HuBERT-large / CLIP-L/14, no model) through the real local engine (planning, DataLoader
decoding workers, length-sorted batching, shard writing), against the decode-only floor, in one run.

Rows, per modality:
  decode   the floor: the same DataLoader, workers and buckets, decoding only
  engine   extract's plan -> the local engine's outcomes -> write_shards, with the null embedder

Usage: python -m bench.overhead [--n 1200] [--workers 2]   (in a project with the demo corpus)
Target (issue #30): engine >= 0.9x the decode floor in clips/s, audio and video. Prints a table, writes JSON.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np

from bench.common import bench_parser, demo_clips, timed
from pipeline.features.batching import decode_groups, store_info
from pipeline.features.config import ExtractConfig
from pipeline.features.decode import DecodeDataset, clip_refs
from pipeline.features.embedders import Embedder
from pipeline.features.extract import plan_extraction, write_shards
from pipeline.features.local_engine import loader, outcomes

SHAPES = {"audio": (25, 1024), "video": (1, 768)}  # HuBERT-large hidden states; CLIP-L/14 projection


class NullModel:
    """Outputs of the real shapes, computed from nothing."""

    def __init__(self, modality: str, frames: int):
        self.layers, self.dim = SHAPES[modality]
        self.frames = frames if modality == "video" else 0

    def embed(self, items: list) -> tuple[np.ndarray, ...]:
        utt = np.zeros((len(items), self.layers, self.dim), np.float32)
        if not self.frames:
            return (utt,)
        return (
            utt,
            np.zeros((len(items), self.frames, self.dim), np.float32),
            np.ones((len(items), self.frames), bool),
        )


def decode_floor(refs, cfg: ExtractConfig, groups: list[list[int]]) -> None:
    for _ in loader(DecodeDataset(refs, cfg.modality, cfg.frames), groups, cfg.workers):
        pass


def engine(manifest, cfg: ExtractConfig, store: Path) -> None:
    null = NullModel(cfg.modality, cfg.frames)
    embedder = Embedder(null, list(range(null.layers)), null.dim, "null", False, frames=null.frames)
    plans, _ = plan_extraction(clip_refs(manifest), cfg, store, (0, 1))
    todo = [r for p in plans for r in p.todo]
    groups = decode_groups([len(p.todo) for p in plans], cfg.bucket)
    write_shards(plans, outcomes(todo, groups, cfg, embedder), store_info(cfg, embedder), store)


def main() -> None:
    args = bench_parser(__doc__, 1200, "bench/results/overhead.json").parse_args()
    manifest = demo_clips(args.n)
    refs = clip_refs(manifest)
    rows = []
    for modality in ("audio", "video"):
        cfg = ExtractConfig(modality=modality, model="null", workers=args.workers, shards=64, name=modality)
        with tempfile.TemporaryDirectory() as empty:
            plans, _ = plan_extraction(refs, cfg, Path(empty), (0, 1))
        floor_s = timed(
            lambda cfg=cfg, plans=plans: decode_floor(
                [r for p in plans for r in p.todo],
                cfg,
                decode_groups([len(p.todo) for p in plans], cfg.bucket),
            )
        )
        with tempfile.TemporaryDirectory() as store:
            engine_s = timed(lambda cfg=cfg, store=store: engine(manifest, cfg, Path(store)))
        rows.append(
            {
                "modality": modality,
                "clips": len(refs),
                "decode_clips_per_s": len(refs) / floor_s,
                "engine_clips_per_s": len(refs) / engine_s,
                "ratio": floor_s / engine_s,
            }
        )
    print(f"{len(refs)} demo clips, {args.workers} decoding workers; null embedder of shapes {SHAPES}")
    print(f"{'modality':8} {'decode clips/s':>15} {'engine clips/s':>15} {'ratio':>6}")
    for r in rows:
        decode, ours = r["decode_clips_per_s"], r["engine_clips_per_s"]
        print(f"{r['modality']:8} {decode:15.1f} {ours:15.1f} {r['ratio']:6.2f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
