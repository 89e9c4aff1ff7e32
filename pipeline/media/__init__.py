"""Media: decoding audio and frames from clips, writing clips, and the MER-NOISE corruption."""
