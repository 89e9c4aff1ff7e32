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


def drop_modalities(
    present: torch.Tensor, p: float, generator: torch.Generator, groups: torch.Tensor | None = None
) -> torch.Tensor:
    """Drop each present modality with probability p per sample, never all of a sample's modalities.

    present is (B, S) over feature sets; `groups` (S,) gives each set's modality index, so the sets of
    one modality are dropped together (None: each set is its own modality). The draws come from
    `generator`, a CPU generator whatever device `present` is on."""
    if p <= 0:
        return present
    if groups is None:
        groups = torch.arange(present.shape[1], device=present.device)
    count = int(groups.max()) + 1
    had = torch.zeros(len(present), count, device=present.device).index_add_(1, groups, present.float()) > 0
    keep = had & (torch.rand(had.shape, generator=generator).to(present.device) >= p)
    emptied = had.any(dim=1) & ~keep.any(dim=1)
    if emptied.any():
        rows = emptied.nonzero().squeeze(1)
        draw = torch.rand(len(rows), count, generator=generator).to(present.device)
        draw = draw * had[rows].float()
        keep[rows, draw.argmax(dim=1)] = True
    return present & keep[:, groups]
