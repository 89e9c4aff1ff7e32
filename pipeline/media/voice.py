"""A voice-like harmonic signal whose prosody carries the emotion cue."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from pipeline.media.synthetic import toward


@dataclass(frozen=True)
class Prosody:
    pitch: float  # multiple of the speaker's base f0
    glide: float  # relative pitch change from start to end
    loudness: float  # peak amplitude, 0..1
    tempo: float  # syllables per second
    tremolo: float  # relative depth of a 6 Hz pitch wobble
    brightness: float  # harmonic roll-off: higher is brighter


PROSODY = {
    "neutral": Prosody(1.0, 0.0, 0.45, 4.0, 0.0, 0.45),
    "angry": Prosody(1.2, -0.15, 0.85, 5.5, 0.0, 0.85),
    "happy": Prosody(1.3, 0.2, 0.65, 5.0, 0.0, 0.65),
    "sad": Prosody(0.8, -0.15, 0.25, 2.5, 0.0, 0.3),
    "worried": Prosody(1.1, 0.05, 0.4, 3.5, 0.06, 0.45),
    "surprise": Prosody(1.45, 0.45, 0.7, 4.0, 0.0, 0.6),
}


def _envelope(t: np.ndarray, tempo: float, rng: np.random.Generator) -> np.ndarray:
    """Syllable-like bursts with short pauses."""
    phase = rng.uniform(0, np.pi)
    bursts = np.abs(np.sin(np.pi * tempo * t + phase)) ** 0.6
    fade = np.minimum(1.0, np.minimum(t, t[-1] - t) / 0.05)
    return bursts * fade


def synth_voice(
    emotion: str, seconds: float, rng: np.random.Generator, intensity: float = 1.0, sample_rate: int = 16_000
) -> np.ndarray:
    """`intensity` in 0..1 blends the emotion's prosody with neutral, so cues vary in strength."""
    mix = partial(toward, PROSODY["neutral"], PROSODY[emotion], intensity=intensity)
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    speaker_f0 = rng.uniform(110, 160)
    drift = np.cumsum(rng.normal(0, 0.002, t.size))
    f0 = speaker_f0 * mix("pitch") * (1 + mix("glide") * t / t[-1] + drift)
    f0 *= 1 + mix("tremolo") * np.sin(2 * np.pi * 6.0 * t)
    phase = 2 * np.pi * np.cumsum(f0) / sample_rate
    harmonics = np.arange(1, 11)
    weights = mix("brightness") ** (harmonics - 1)
    voice = (weights[:, None] * np.sin(harmonics[:, None] * phase[None, :])).sum(axis=0)
    voice *= _envelope(t, mix("tempo") * rng.uniform(0.85, 1.15), rng)
    voice /= np.abs(voice).max() + 1e-9
    loudness = mix("loudness") * rng.uniform(0.8, 1.2)
    noise = rng.normal(0, 0.01, t.size)
    return np.clip(loudness * voice + noise, -1, 1).astype(np.float32)
