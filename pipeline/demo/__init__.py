"""The offline demo corpus: synthetic MER-style clips whose voice, face and words carry emotion cues."""
