"""mer-pipeline: staged multimodal emotion recognition (MER2024-style)."""

__version__ = "0.1.0"
