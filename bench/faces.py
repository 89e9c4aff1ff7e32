"""Face crops, the `faces` stage's code (decode, detect, crop, write the stack), in worker processes:
frames/s on demo clips at the demo's frame size (96x96; their faces are drawn, not photographed, so the
count of frames with a face shows what the cascade makes of them), then on clips of a real photograph
(scikit-image's astronaut pasted at 5 positions and scales into 144x192 frames), where every frame has one.

Usage: python -m bench.faces [--n 600] [--workers 2]   (in a project with the demo corpus)
Target (issue #28): >= 100 frames/s with 2 workers at the demo's frame size. Prints a table, writes JSON.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace
from pathlib import Path

import pandas as pd

from bench.common import bench_parser, demo_clips, timed
from pipeline.config.faces import FacesConfig
from pipeline.corpus.faces import crop_all
from pipeline.corpus.manifest import Manifest
from pipeline.media.write import write_clip
from tests.photos import astronaut_frames


def photo_clips(folder: Path, n: int) -> Manifest:
    frames, _ = astronaut_frames()
    rows = []
    for i in range(n):
        write_clip(folder / f"photo{i}.mp4", frames, 8, None)
        rows.append({"name": f"photo{i}", "video": f"photo{i}.mp4", "face": ""})
    return Manifest(folder / "manifest.csv", pd.DataFrame(rows))


def measure(label: str, manifest: Manifest, cfg: FacesConfig) -> dict:
    with tempfile.TemporaryDirectory() as out:
        results: list = []
        seconds = timed(lambda: results.extend(crop_all(manifest, Path(out), cfg)))
    frames = sum(len(r.boxes) for r in results)
    faces = sum(r.faces for r in results)
    return {
        "clips": label,
        "n": len(results),
        "frames": frames,
        "frames_per_s": round(frames / seconds, 1),
        "frames_with_face": faces,
        "clips_without_face": sum(r.faces == 0 and not r.error for r in results),
        "failed": sum(bool(r.error) for r in results),
    }


def main() -> None:
    args = bench_parser(__doc__, 600, "bench/results/faces.json").parse_args()
    cfg = FacesConfig(enabled=True, workers=args.workers)
    demo = demo_clips(args.n)
    demo = replace(demo, rows=demo.rows.assign(face=""))
    with tempfile.TemporaryDirectory() as folder:
        rows = [
            measure("demo (drawn faces)", demo, cfg),
            measure("photo", photo_clips(Path(folder), 40), cfg),
        ]
    print(f"face crops, {args.workers} worker processes, {cfg.frames} frames per clip at most")
    print(f"{'clips':20} {'n':>5} {'frames':>7} {'frames/s':>9} {'with face':>10} {'no-face clips':>14}")
    for r in rows:
        print(
            f"{r['clips']:20} {r['n']:5d} {r['frames']:7d} {r['frames_per_s']:9.1f} "
            f"{r['frames_with_face']:10d} {r['clips_without_face']:14d}"
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
