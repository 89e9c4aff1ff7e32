"""MER2024's six discrete labels, in MERTools' id order: the order `mer init` keeps when a corpus's labels
are among them, and the demo corpus's labels."""

MER2024_LABELS = ("neutral", "angry", "happy", "sad", "worried", "surprise")
