"""Babble noise (overlapping synthetic voices): the NOISE split's noise when no folder of recordings
(MUSAN speech, as in the challenge's recipe) is given."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from pipeline.corpus.labels import MER2024_LABELS
from pipeline.media.audio import SAMPLE_RATE
from pipeline.media.synthetic import clip_rng
from pipeline.media.voice import synth_voice


def write_babble(out: Path, seed: int, files: int = 8, seconds: float = 8.0, voices: int = 5) -> list[Path]:
    """`files` wav files of `voices` overlapping voices each, a function of `seed` alone."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(files):
        rng = clip_rng(seed, "babble", i)
        mix = np.zeros(int(seconds * SAMPLE_RATE), np.float32)
        for _ in range(voices):
            voice = synth_voice(MER2024_LABELS[rng.integers(len(MER2024_LABELS))], rng.uniform(1.5, 3.0), rng)
            start = int(rng.integers(0, mix.size - voice.size))
            mix[start : start + voice.size] += voice
        path = out / f"babble_{i:02d}.wav"
        sf.write(path, mix / (np.abs(mix).max() + 1e-9) * 0.5, SAMPLE_RATE, subtype="PCM_16")
        paths.append(path)
    return paths
