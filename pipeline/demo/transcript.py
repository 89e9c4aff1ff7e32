"""Templated English transcripts with emotion words; some are neutral or misleading on purpose."""

from __future__ import annotations

import numpy as np

OPENERS = (
    "Listen,",
    "Well,",
    "You know,",
    "Honestly,",
    "So",
    "Look,",
    "Okay,",
    "Hey,",
)
EVENTS = (
    "the results came back this morning",
    "my brother called about the house",
    "they changed the schedule again",
    "the package finally arrived",
    "we are moving to another city",
    "the meeting was moved to Friday",
    "she told me what happened at work",
    "the doctor looked at the test",
    "our team got the final decision",
    "he left the keys on the table",
)
PHRASES = {
    "neutral": (
        "I will let you know later",
        "that is how it is",
        "we can talk about it tomorrow",
        "it is on the list",
        "nothing else to report",
    ),
    "angry": (
        "this is outrageous and I am furious",
        "I am so angry about it",
        "how dare they do this to me",
        "I am sick of this nonsense",
        "that really makes me mad",
    ),
    "happy": (
        "I am so happy and excited",
        "this is wonderful news",
        "I could not be more delighted",
        "what a great day, I love it",
        "that made me so glad",
    ),
    "sad": (
        "I feel so sad and lonely",
        "it breaks my heart",
        "I just want to cry",
        "everything feels hopeless now",
        "I am really down about it",
    ),
    "worried": (
        "I am worried something is wrong",
        "I am so nervous about it",
        "what if it goes badly",
        "I cannot stop feeling anxious",
        "I am afraid of what comes next",
    ),
    "surprise": (
        "wow, I did not expect that at all",
        "I am completely shocked",
        "really? that is unbelievable",
        "no way, what a surprise",
        "I am amazed, truly",
    ),
}


def make_transcript(cue: str, rng: np.random.Generator) -> str:
    """One sentence about an event plus a phrase whose words express `cue`."""
    opener = OPENERS[rng.integers(len(OPENERS))]
    event = EVENTS[rng.integers(len(EVENTS))]
    phrase = PHRASES[cue][rng.integers(len(PHRASES[cue]))]
    return f"{opener} {event}. {phrase[0].upper()}{phrase[1:]}."
