"""Building blocks shared by the fusion models."""

from __future__ import annotations

import torch
from torch import nn


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over axis 1 of (B, T, D) where mask (B, T) is true (0 where nothing is)."""
    weights = mask.float().unsqueeze(-1)
    return (x * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1.0)


class LayerWeights(nn.Module):
    """s3prl's featurizer: a learned softmax-weighted sum over a layer stack."""

    def __init__(self, layers: int):
        super().__init__()
        self.logits = nn.Parameter(torch.zeros(layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.einsum("btd,t->bd", x, self.logits.softmax(dim=0))


class ModalityEncoder(nn.Module):
    """(B, D) or (B, T, D) -> (B, H): learned layer weights for layer stacks, masked mean for frames."""

    def __init__(self, in_dim: int, hidden: int, dropout: float, steps: int = 0, layer_stack: bool = False):
        super().__init__()
        self.pool = LayerWeights(steps) if layer_stack else None
        self.mlp = nn.Sequential(
            nn.Linear(in_dim, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, hidden), nn.ReLU()
        )

    def forward(self, x: torch.Tensor, steps: torch.Tensor | None = None) -> torch.Tensor:
        if x.ndim == 3:
            x = self.pool(x) if self.pool is not None else masked_mean(x, steps)
        return self.mlp(x)


def drop_modalities(present: torch.Tensor, p: float, generator: torch.Generator) -> torch.Tensor:
    """Drop each present modality with probability p per sample, never all of a sample's modalities.
    The draws come from `generator`, a CPU generator whatever device `present` is on."""
    if p <= 0:
        return present
    keep = present & (torch.rand(present.shape, generator=generator).to(present.device) >= p)
    emptied = present.any(dim=1) & ~keep.any(dim=1)
    if emptied.any():
        rows = emptied.nonzero().squeeze(1)
        draw = torch.rand(len(rows), present.shape[1], generator=generator).to(present.device)
        draw = draw * present[rows].float()
        keep[rows, draw.argmax(dim=1)] = True
    return keep
