"""Where torch work runs: one reading of the `device` params (`auto`, `cpu`, `cuda`, `cuda:N`)."""

from __future__ import annotations

import torch


def named_device(spec: str) -> torch.device:
    """`auto` is the GPU when torch sees one, else the CPU; any other value names the device itself."""
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(spec)
