"""The offline demo corpus: synthetic MER-style clips whose voice, face and words carry emotion cues."""

EMOTIONS = ("neutral", "angry", "happy", "sad", "worried", "surprise")


def toward(neutral: object, full: object, name: str, intensity: float) -> float:
    """Field `name` of a cue shown at `intensity` (0: the neutral value, 1: the emotion's full one), so
    cues vary in strength from clip to clip."""
    return getattr(neutral, name) + intensity * (getattr(full, name) - getattr(neutral, name))
