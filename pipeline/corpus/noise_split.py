"""Build the NOISE track's test split: corrupt a manifest's clean clips and write a combined manifest."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.corpus.manifest import Manifest, rebase_paths, write_manifest
from pipeline.media.audio import SAMPLE_RATE, load_audio
from pipeline.media.corrupt import CorruptConfig, blur, build_noise, draw_for, mix_at_snr
from pipeline.media.frames import read_all_frames
from pipeline.media.write import write_clip
from pipeline.parallel import process_map

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NoiseJob:
    name: str
    video: Path | None
    audio: Path | None
    out: Path


def noise_files(folder: Path) -> list[Path]:
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in {".wav", ".flac", ".ogg"})
    if not files:
        raise FileNotFoundError(f"{folder}: no .wav/.flac/.ogg noise files (set corrupt.noise_dir)")
    return files


def corrupt_one(job: NoiseJob, files: list[Path], cfg: CorruptConfig) -> dict[str, object]:
    """Write the corrupted clip; return its draw, or the error that stopped it."""
    draw, rng = draw_for(job.name, cfg)
    try:
        decoded = load_audio(job.audio, job.video)
        if decoded.status == "failed":
            raise ValueError(decoded.reason)
        audio = None
        if decoded.ok:
            audio = mix_at_snr(decoded.data, build_noise(files, decoded.data.size, rng), draw.snr_db)
        video = read_all_frames(job.video) if job.video else None
        frames, fps = (blur(video[0], draw.blur_factor), video[1]) if video else (None, 25.0)
        if audio is None and frames is None:
            raise ValueError("clip has neither audio nor video")
        write_clip(job.out, frames, fps, audio, SAMPLE_RATE)
    except Exception as exc:  # one broken clip is recorded, the split goes on
        return {"name": job.name, "error": f"{type(exc).__name__}: {exc}"}
    return {
        "name": job.name,
        "snr_db": draw.snr_db if audio is not None else "",
        "blur_factor": draw.blur_factor if frames is not None else "",
    }


def _corrupt_star(args: tuple[NoiseJob, list[Path], CorruptConfig]) -> dict[str, object]:
    return corrupt_one(*args)


def build_noise_split(
    manifest: Manifest,
    noise_dir: Path,
    out_dir: Path,
    out_manifest: Path,
    cfg: CorruptConfig,
    source_split: str = "test",
    target_split: str = "test_noise",
    suffix: str = "_noise",
    workers: int = 2,
) -> pd.DataFrame:
    """Corrupt every `source_split` clip into `out_dir`; write `out_manifest` = all rows + the new split.

    Writes out_dir/corruption.csv (name, source, snr_db, blur_factor) and out_dir/failures.csv.
    """
    files = noise_files(noise_dir)
    source = manifest.split(source_split)
    if source.empty:
        raise ValueError(
            f"{manifest.path}: no rows in split {source_split!r} to corrupt (corrupt.source_split)"
        )
    jobs = [
        NoiseJob(
            row["name"] + suffix,
            manifest.media_path(row, "video"),
            manifest.media_path(row, "audio"),
            out_dir / "clips" / f"{row['name']}{suffix}.mp4",
        )
        for row in source.to_dict("records")
    ]
    results = process_map(_corrupt_star, [(j, files, cfg) for j in jobs], workers, "corrupt", chunksize=4)
    table = pd.DataFrame(results).assign(source=list(source["name"]))
    failed = table["error"].notna() if "error" in table else pd.Series(False, index=table.index)
    table[failed].reindex(columns=["name", "error"]).to_csv(out_dir / "failures.csv", index=False)
    if failed.any():
        log.warning("%d clip(s) could not be corrupted; see %s", int(failed.sum()), out_dir / "failures.csv")
    done = table[~failed]
    done[["name", "source", "snr_db", "blur_factor"]].to_csv(out_dir / "corruption.csv", index=False)
    noisy = source[~failed.to_numpy()].assign(
        name=list(done["name"]),
        split=target_split,
        audio="",
        face="",
        video=[
            Path(os.path.relpath(j.out, out_manifest.parent)).as_posix()
            for j, f in zip(jobs, failed, strict=True)
            if not f
        ],
    )
    combined = pd.concat(
        [rebase_paths(manifest.rows, manifest.root, out_manifest.parent), noisy], ignore_index=True
    )
    write_manifest(combined, out_manifest)
    return done
