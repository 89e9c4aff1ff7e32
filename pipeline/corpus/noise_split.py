"""Build the NOISE track's test split (and optional noisy training copies) and a combined manifest."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.config.base import ParamError
from pipeline.config.corrupt import CorruptConfig
from pipeline.corpus.manifest import Manifest, rebase_paths, write_manifest
from pipeline.media.audio import SAMPLE_RATE, load_audio
from pipeline.media.babble import write_babble
from pipeline.media.corrupt import blur, build_noise, draw_for, mix_at_snr
from pipeline.media.frames import read_video
from pipeline.media.write import write_clip
from pipeline.parallel import process_map

log = logging.getLogger(__name__)
SUFFIX = "_noise"


@dataclass(frozen=True)
class NoiseJob:
    name: str
    video: Path | None
    audio: Path | None
    out: Path


def noise_files(folder: Path | None, out_dir: Path, seed: int) -> list[Path]:
    """The recordings under `folder`, or built-in babble written to out_dir/babble when there is none."""
    if folder is None:
        return write_babble(out_dir / "babble", seed)
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in {".wav", ".flac", ".ogg"})
    if not files:
        raise FileNotFoundError(f"{folder}: no .wav/.flac/.ogg noise files (corrupt.noise_dir / --noise-dir)")
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
        video = read_video(job.video) if job.video else None
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


def noise_targets(source_split: str, augment_split: str = "") -> dict[str, str]:
    """Source split -> corrupted split: the scored test copy, and optionally training copies to learn from
    ("" for either builds none). The same split for both would overwrite the test_noise entry, so that
    stops here (for every caller)."""
    targets = {source_split: "test_noise"} if source_split else {}
    if augment_split and augment_split == source_split:
        raise ParamError(
            f"the split to augment ({augment_split!r}, corrupt.augment_split / --augment-split) must differ "
            f'from the split corrupted into test_noise ({source_split!r}); use "" for no training copies'
        )
    if augment_split:
        targets[augment_split] = f"{augment_split}_noise"
    return targets


def _corrupt_split(
    manifest: Manifest,
    split: str,
    target: str,
    files: list[Path],
    cfg: CorruptConfig,
    out_dir: Path,
    out_manifest: Path,
    workers: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Corrupt one split: (manifest rows of the copies that worked, per-clip outcome table)."""
    source = manifest.split(split)
    if source.empty:
        raise ParamError(
            f"{manifest.path} has no rows in split {split!r} to corrupt (corrupt.source_split / "
            f"corrupt.augment_split); its splits are {sorted(manifest.rows['split'].unique())}: name one of "
            'them, or "" to build no such copies'
        )
    jobs = [
        NoiseJob(
            row["name"] + SUFFIX,
            manifest.media_path(row, "video"),
            manifest.media_path(row, "audio"),
            out_dir / "clips" / f"{row['name']}{SUFFIX}.mp4",
        )
        for row in source.to_dict("records")
    ]
    results = process_map(_corrupt_star, [(j, files, cfg) for j in jobs], workers, f"corrupt {split}", 4)
    table = pd.DataFrame(results).assign(source=list(source["name"]))
    if "error" not in table:
        table["error"] = None
    ok = table["error"].isna().to_numpy()
    noisy = source[ok].assign(
        name=list(table["name"][ok]),
        split=target,
        audio="",
        face="",
        source=list(source["name"][ok]),
        video=[
            Path(os.path.relpath(j.out, out_manifest.parent)).as_posix()
            for j, k in zip(jobs, ok, strict=True)
            if k
        ],
    )
    return noisy, table


def build_noise_split(
    manifest: Manifest,
    noise_dir: Path | None,
    out_dir: Path,
    out_manifest: Path,
    cfg: CorruptConfig,
    targets: dict[str, str],
    workers: int = 2,
) -> pd.DataFrame:
    """Corrupt every clip of each source split in `targets` into its target split (names get `_noise`);
    write `out_manifest` = all rows + the copies, each copy's `source` naming its clean clip. The noise
    comes from the recordings under `noise_dir`, or built-in babble when it is None.

    Writes out_dir/corruption.csv (name, source, snr_db, blur_factor) and out_dir/failures.csv.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    files = noise_files(noise_dir, out_dir, cfg.seed) if targets else []
    parts = [
        _corrupt_split(manifest, split, target, files, cfg, out_dir, out_manifest, workers)
        for split, target in targets.items()
    ]
    columns = ["name", "source", "snr_db", "blur_factor", "error"]
    table = pd.concat([pd.DataFrame(columns=columns)] + [t for _, t in parts], ignore_index=True)
    failed = table["error"].notna()
    table[failed][["name", "error"]].to_csv(out_dir / "failures.csv", index=False)
    if failed.any():
        log.warning("%d clip(s) could not be corrupted; see %s", int(failed.sum()), out_dir / "failures.csv")
    done = table[~failed]
    done[["name", "source", "snr_db", "blur_factor"]].to_csv(out_dir / "corruption.csv", index=False)
    combined = pd.concat(
        [rebase_paths(manifest.rows, manifest.root, out_manifest.parent)] + [rows for rows, _ in parts],
        ignore_index=True,
    )
    write_manifest(combined, out_manifest)
    return done
