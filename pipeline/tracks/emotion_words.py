"""English emotion words grouped into families around the six MER2024 labels.

Used to draw the demo corpus's open-vocabulary sets and, later, by the OV lexicon grouper.
The first word of each family is its head.
"""

FAMILIES: dict[str, tuple[str, ...]] = {
    "neutral": ("neutral", "calm", "indifferent", "composed", "serious", "peaceful"),
    "angry": ("angry", "annoyed", "furious", "irritated", "frustrated", "resentful", "dissatisfied"),
    "happy": ("happy", "joyful", "excited", "cheerful", "delighted", "pleased", "satisfied"),
    "sad": ("sad", "disappointed", "depressed", "sorrowful", "helpless", "gloomy", "lonely"),
    "worried": ("worried", "anxious", "nervous", "uneasy", "tense", "concerned", "fearful"),
    "surprise": ("surprised", "astonished", "amazed", "shocked", "startled", "curious", "confused"),
}

# Families that co-occur in real open-vocabulary annotations (a clip's set can reach into them).
NEIGHBOURS: dict[str, tuple[str, ...]] = {
    "neutral": ("happy", "sad"),
    "angry": ("sad", "surprise"),
    "happy": ("surprise", "neutral"),
    "sad": ("worried", "angry"),
    "worried": ("sad", "surprise"),
    "surprise": ("happy", "worried"),
}
