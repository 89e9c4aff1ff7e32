"""What synthetic media (the demo's clips, the built-in babble) is drawn from: a generator per clip, and
cues blended between neutral and an emotion's full value."""

import zlib

import numpy as np


def toward(neutral: object, full: object, name: str, intensity: float) -> float:
    """Field `name` of a cue shown at `intensity` (0: the neutral value, 1: the emotion's full one), so
    cues vary in strength from clip to clip."""
    return getattr(neutral, name) + intensity * (getattr(full, name) - getattr(neutral, name))


def clip_rng(seed: int, split: str, index: int) -> np.random.Generator:
    """Each clip's own generator, so the output does not depend on worker counts or order."""
    return np.random.default_rng([seed, zlib.crc32(split.encode()), index])
