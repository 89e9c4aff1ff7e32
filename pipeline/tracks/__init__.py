"""Tracks and metrics: SEMI, NOISE and OV scoring, and the emotion vocabulary they share."""
