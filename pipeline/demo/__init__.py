"""The offline demo corpus: synthetic MER-style clips whose voice, face and words carry emotion cues."""

EMOTIONS = ("neutral", "angry", "happy", "sad", "worried", "surprise")
