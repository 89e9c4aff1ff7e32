"""openSMILE functionals throughput on demo clips, in one run (issue target: eGeMAPS >= 50 clips/s on a
2-core machine).

Rows:
  decode     the floor: audio decoding through the same DataLoader workers, no openSMILE
  compute    openSMILE alone on already-decoded clips, in this process (one core)
  extract    pipeline.features.extract with `opensmile:<set>` (decoding + functionals in the workers,
             shards written), what `dvc repro` runs

Usage: python -m bench.functionals [--n 600] [--workers 2] [--sets eGeMAPSv02,ComParE_2016]
Run from a project whose demo corpus exists (data/corpus/manifest.csv). Prints a table, writes JSON.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from bench.common import bench_parser, demo_clips, timed
from pipeline.config.features import OPENSMILE
from pipeline.features.config import ExtractConfig
from pipeline.features.decode import DecodeDataset, clip_refs, decode
from pipeline.features.extract import extract
from pipeline.features.functionals import functionals
from pipeline.features.local_engine import loader


def main() -> None:
    parser = bench_parser(__doc__, 600, "bench/results/functionals.json")
    parser.add_argument("--sets", default="eGeMAPSv02,ComParE_2016")
    args = parser.parse_args()
    manifest = demo_clips(args.n)
    refs = clip_refs(manifest)
    n = len(refs)
    rows = []
    batches = loader(
        DecodeDataset(refs, "audio", 8),
        [list(range(i, min(i + 64, n))) for i in range(0, n, 64)],
        args.workers,
    )
    decode_s = timed(lambda: list(batches))
    rows.append({"row": "decode", "set": "-", "clips_per_s": n / decode_s})
    waves = [decode(r, "audio", 8) for r in refs[:100]]
    seconds = float(np.mean([len(w.data) / 16_000 for w in waves if w.ok]))
    for name in args.sets.split(","):
        functionals(waves[0], name)  # load openSMILE once, outside the timing
        compute_s = timed(lambda name=name: [functionals(w, name) for w in waves])
        rows.append({"row": "compute (1 core)", "set": name, "clips_per_s": len(waves) / compute_s})
        cfg = ExtractConfig(
            modality="audio", model=OPENSMILE + name, workers=args.workers, shards=8, name=name
        )
        with tempfile.TemporaryDirectory() as store:
            extract_s = timed(lambda cfg=cfg, store=store: extract(manifest, cfg, Path(store)))
        rows.append({"row": f"extract ({args.workers} workers)", "set": name, "clips_per_s": n / extract_s})
    print(f"{n} demo clips, mean {seconds:.2f} s of audio; {os.cpu_count()} CPUs")
    print(f"{'row':22} {'set':14} {'clips/s':>8}")
    for row in rows:
        print(f"{row['row']:22} {row['set']:14} {row['clips_per_s']:8.1f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"clips": n, "mean_seconds": seconds, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
