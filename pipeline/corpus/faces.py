"""Face stacks for a whole manifest: every clip with a video and no face stack of its own gets one, and
the derived manifest's `face` column points at it, so the video feature sets read face crops.

Clips that already name a stack (a MERTools corpus with OpenFace crops) keep theirs. A clip whose video
cannot be decoded keeps an empty `face` (its video sets then report it as they always do) and is
listed with its error in faces.csv, beside the per-clip counts of frames with a face and fallbacks.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from pipeline.config.faces import FacesConfig
from pipeline.corpus.manifest import Manifest, write_manifest
from pipeline.media.faces import ClipFaces, crop_clip
from pipeline.parallel import process_map

COUNTS = "faces.csv"


def stack_path(out_dir: Path, name: str) -> Path:
    """MERTools' layout: openface_face/<name>/<name>.npy."""
    return out_dir / "openface_face" / name / f"{name}.npy"


def _crop_job(job: tuple[str, Path, Path, FacesConfig]) -> ClipFaces:
    return crop_clip(*job)


def counts_table(results: list[ClipFaces]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": [r.name for r in results],
            "frames": [len(r.boxes) for r in results],
            "faces": [r.faces for r in results],
            "fallbacks": [r.fallbacks for r in results],
            "error": [r.error for r in results],
        }
    )


def crop_all(manifest: Manifest, out_dir: Path, cfg: FacesConfig) -> list[ClipFaces]:
    """A stack under out_dir for every clip with a video and no stack of its own, in `workers` processes."""
    todo = [
        (row["name"], manifest.media_path(row, "video"), stack_path(out_dir, row["name"]), cfg)
        for row in manifest.rows.to_dict("records")
        if row["video"] and not row.get("face")
    ]
    return process_map(_crop_job, todo, cfg.workers, "faces")


def add_face_stacks(manifest: Manifest, out_dir: Path, out_manifest: Path, cfg: FacesConfig) -> pd.DataFrame:
    """Write the stacks under out_dir and the manifest with `face` filled; returns the per-clip counts."""
    if out_manifest.resolve().parent != manifest.root.resolve():
        raise ValueError(
            f"{out_manifest} must lie beside {manifest.path}: its media paths are relative to that folder"
        )
    rows = manifest.rows.copy()
    if "face" not in rows.columns:
        rows["face"] = ""
    results = crop_all(manifest, out_dir, cfg)
    made = {r.name: stack_path(out_dir, r.name) for r in results if not r.error}
    rows["face"] = [
        os.path.relpath(made[name], out_manifest.parent) if name in made else face
        for name, face in zip(rows["name"], rows["face"], strict=True)
    ]
    counts = counts_table(results)
    out_dir.mkdir(parents=True, exist_ok=True)
    counts.to_csv(out_dir / COUNTS, index=False, lineterminator="\n")
    write_manifest(rows, out_manifest)
    return counts


def summary(counts: pd.DataFrame) -> str:
    ok = counts[counts["error"] == ""]
    frames, faces = int(ok["frames"].sum()), int(ok["faces"].sum())
    share = f"{faces / frames:.1%}" if frames else "-"
    faceless = int((ok["faces"] == 0).sum())
    return (
        f"{len(ok)} clip(s) cropped: {faces} of {frames} frames with a face ({share}), "
        f"{frames - faces} whole-frame fallbacks, {faceless} clip(s) with no face at all; "
        f"{len(counts) - len(ok)} clip(s) could not be decoded (see {COUNTS})"
    )
