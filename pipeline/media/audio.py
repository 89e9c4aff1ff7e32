"""Audio to 16 kHz mono float32, from a sound file (soundfile) or a video's audio stream (decord)."""

from __future__ import annotations

from math import gcd
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy.signal import resample_poly

from pipeline.media.probe import probe
from pipeline.media.result import Decoded

SAMPLE_RATE = 16_000


def resample(samples: np.ndarray, source_rate: int, target_rate: int = SAMPLE_RATE) -> np.ndarray:
    if source_rate == target_rate:
        return samples.astype(np.float32, copy=False)
    factor = gcd(source_rate, target_rate)
    return resample_poly(samples, target_rate // factor, source_rate // factor).astype(np.float32)


def _from_sound_file(path: Path, sample_rate: int) -> np.ndarray:
    samples, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return resample(samples.mean(axis=1), rate, sample_rate)


def _from_video(path: Path, sample_rate: int) -> np.ndarray | None:
    import decord

    if not probe(path).audio:
        return None
    reader = decord.AudioReader(str(path), sample_rate=sample_rate, mono=True)
    return reader[:].asnumpy().reshape(-1).astype(np.float32)


def _checked(samples: np.ndarray | None, source: Path) -> Decoded:
    if samples is None:
        return Decoded.absent(f"{source.name} has no audio stream")
    if samples.size == 0:
        return Decoded.absent(f"{source.name} has zero-length audio")
    if not np.isfinite(samples).all():
        return Decoded.failed(f"{source.name} has NaN or infinite samples")
    return Decoded("ok", samples)


def load_audio(audio: Path | None, video: Path | None, sample_rate: int = SAMPLE_RATE) -> Decoded:
    """Prefer the separate audio file; fall back to the video's audio stream."""
    source = audio or video
    if source is None:
        return Decoded.absent("no audio or video file given")
    if not source.exists():
        return Decoded.failed(f"{source} not found")
    try:
        samples = _from_sound_file(source, sample_rate) if audio else _from_video(source, sample_rate)
    except Exception as exc:  # any decoder error is one broken clip, never a crashed run
        return Decoded.failed(f"cannot decode audio from {source.name}: {type(exc).__name__}: {exc}")
    return _checked(samples, source)
