"""Where the fusion models train: train.device, with auto resolved here (the schema never imports torch)."""

from __future__ import annotations

import torch

from pipeline.config.train import TrainConfig


def training_device(cfg: TrainConfig) -> torch.device:
    """The device train.device names; auto is the GPU when torch sees one."""
    if cfg.device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(cfg.device)
