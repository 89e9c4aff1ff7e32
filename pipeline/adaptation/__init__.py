"""Encoder adaptation: stages whose product is a new named feature set (the MER2024 seeds' levers)."""
