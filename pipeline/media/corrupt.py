"""MER-NOISE corruption: speech-like noise at 5-10 dB SNR and blur by down- and up-scaling.

Follows the challenge recipe: SNR drawn uniformly from the integers 5..10, noise made by
concatenating randomly ordered noise files and cropping at a random start, scaled so that its RMS
is clean_rms / 10**(snr/20), the mix rescaled if it would clip; frames downscaled by a factor
drawn from {1, 2, 4} and upscaled back.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
import torch.nn.functional as F

from pipeline.config.corrupt import CorruptConfig
from pipeline.media.audio import SAMPLE_RATE, resample


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def measured_snr(clean: np.ndarray, noisy: np.ndarray) -> float:
    """SNR of `noisy` against `clean`, after undoing any global rescaling of the mix."""
    scale = float(np.dot(noisy, clean) / np.dot(clean, clean))
    noise = noisy / scale - clean
    return 20 * np.log10(rms(clean) / rms(noise))


def mix_at_snr(clean: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """Add `noise` (same length) at `snr_db`; scale the mix down if it would clip (SNR unchanged)."""
    noise_rms = rms(noise)
    if noise_rms == 0 or rms(clean) == 0:
        return clean.astype(np.float32)
    mix = clean + noise * (rms(clean) / 10 ** (snr_db / 20) / noise_rms)
    peak = np.abs(mix).max()
    return (mix / peak * 0.99 if peak > 0.99 else mix).astype(np.float32)


@lru_cache(maxsize=64)
def _noise_file(path: Path) -> np.ndarray:
    samples, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return resample(samples.mean(axis=1), rate, SAMPLE_RATE)


def build_noise(files: list[Path], length: int, rng: np.random.Generator) -> np.ndarray:
    """Concatenate noise files in random order until long enough, then crop at a random start."""
    pieces, total = [], 0
    while total < 2 * length:
        for index in rng.permutation(len(files)):
            piece = _noise_file(files[index])
            pieces.append(piece)
            total += piece.size
            if total >= 2 * length:
                break
    joined = np.concatenate(pieces)
    start = int(rng.integers(0, joined.size - length + 1))
    return joined[start : start + length]


def blur(frames: np.ndarray, factor: int) -> np.ndarray:
    """Downscale (area) by `factor` and upscale back (bilinear); factor 1 leaves frames as they are."""
    if factor == 1:
        return frames
    x = torch.from_numpy(frames).permute(0, 3, 1, 2).float()
    h, w = x.shape[-2:]
    small = F.interpolate(x, size=(max(1, h // factor), max(1, w // factor)), mode="area")
    back = F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False)
    return back.round().clamp(0, 255).byte().permute(0, 2, 3, 1).numpy()


@dataclass(frozen=True)
class Draw:
    snr_db: int
    blur_factor: int


def draw_for(name: str, cfg: CorruptConfig) -> tuple[Draw, np.random.Generator]:
    """The clip's own generator: a clip's corruption does not depend on which others are processed."""
    rng = np.random.default_rng([cfg.seed, zlib.crc32(name.encode())])
    low, high = cfg.snr_db
    draw = Draw(int(rng.integers(low, high + 1)), int(rng.choice(cfg.blur_factors)))
    return draw, rng
