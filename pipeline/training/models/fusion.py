"""Torch fusion models: MER2024 attention baseline, Conv-Attention (MER-NOISE winner's idea), MLP."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from pipeline.training.models.parts import ModalityEncoder, masked_mean


@dataclass(frozen=True)
class InputShape:
    name: str
    dim: int
    steps: int = 0  # 0: pooled (B, D); else (B, T, D)
    layer_stack: bool = False  # the T axis is layers (learned weights) rather than frames


def _steps(inputs: dict[str, torch.Tensor], name: str) -> torch.Tensor | None:
    return inputs.get(f"{name}_steps")


class AttentionFusion(nn.Module):
    """Per-modality MLP encoders, concatenation -> MLP -> one weight per modality, weighted sum, head."""

    def __init__(self, shapes: list[InputShape], classes: int, hidden: int = 128, dropout: float = 0.3):
        super().__init__()
        self.names = [s.name for s in shapes]
        self.encoders = nn.ModuleList(
            ModalityEncoder(s.dim, hidden, dropout, s.steps, s.layer_stack) for s in shapes
        )
        self.attention = nn.Sequential(
            nn.Linear(hidden * len(shapes), hidden), nn.ReLU(), nn.Linear(hidden, len(shapes))
        )
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(hidden, classes))

    def forward(self, inputs: dict[str, torch.Tensor], present: torch.Tensor) -> torch.Tensor:
        hidden = torch.stack(
            [enc(inputs[n], _steps(inputs, n)) for n, enc in zip(self.names, self.encoders, strict=True)],
            dim=1,
        )
        hidden = hidden * present.unsqueeze(-1).float()
        scores = self.attention(hidden.flatten(1)).masked_fill(~present, float("-inf"))
        weights = torch.nan_to_num(scores.softmax(dim=1))
        return self.head((hidden * weights.unsqueeze(-1)).sum(dim=1))


class ConvTokenizer(nn.Module):
    """One token per modality: 1-D convolutions over its sequence axis (frames or layers), then pooling."""

    def __init__(self, shape: InputShape, hidden: int, dropout: float):
        super().__init__()
        self.conv = (
            nn.Sequential(
                nn.Conv1d(shape.dim, hidden, kernel_size=3, padding=1),
                nn.GELU(),
                nn.Dropout(dropout),
                nn.Conv1d(hidden, hidden, kernel_size=3, padding=1),
                nn.GELU(),
            )
            if shape.steps
            else None
        )
        self.proj = (
            None
            if shape.steps
            else nn.Sequential(nn.Linear(shape.dim, hidden), nn.GELU(), nn.Dropout(dropout))
        )

    def forward(self, x: torch.Tensor, steps: torch.Tensor | None) -> torch.Tensor:
        if self.conv is None:
            return self.proj(x)
        steps = steps if steps is not None else torch.ones(x.shape[:2], dtype=torch.bool, device=x.device)
        local = self.conv((x * steps.unsqueeze(-1)).transpose(1, 2)).transpose(1, 2)
        return masked_mean(local, steps)


class ConvAttentionFusion(nn.Module):
    """Local patterns by convolution, global context by attention across modality tokens, gated."""

    def __init__(
        self, shapes: list[InputShape], classes: int, hidden: int = 128, dropout: float = 0.3, heads: int = 4
    ):
        super().__init__()
        self.names = [s.name for s in shapes]
        self.tokenizers = nn.ModuleList(ConvTokenizer(s, hidden, dropout) for s in shapes)
        self.modality_embedding = nn.Parameter(torch.zeros(len(shapes), hidden))
        self.attention = nn.MultiheadAttention(hidden, heads, dropout=dropout, batch_first=True)
        self.norm = nn.LayerNorm(hidden)
        self.gate = nn.Linear(hidden, 1)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(hidden, classes))

    def forward(self, inputs: dict[str, torch.Tensor], present: torch.Tensor) -> torch.Tensor:
        tokens = torch.stack(
            [tok(inputs[n], _steps(inputs, n)) for n, tok in zip(self.names, self.tokenizers, strict=True)],
            dim=1,
        )
        tokens = (tokens + self.modality_embedding) * present.unsqueeze(-1).float()
        mixed, _ = self.attention(tokens, tokens, tokens, key_padding_mask=~present, need_weights=False)
        tokens = self.norm(tokens + torch.nan_to_num(mixed))
        gates = torch.sigmoid(self.gate(tokens)).squeeze(-1) * present.float()
        fused = (tokens * gates.unsqueeze(-1)).sum(dim=1) / gates.sum(dim=1, keepdim=True).clamp(min=1e-6)
        return self.head(fused)


class MLPFusion(nn.Module):
    """Concatenated features (missing ones zeroed) plus presence flags -> MLP."""

    def __init__(self, shapes: list[InputShape], classes: int, hidden: int = 128, dropout: float = 0.3):
        super().__init__()
        self.names = [s.name for s in shapes]
        self.shapes = shapes
        total = sum(s.dim for s in shapes) + len(shapes)
        self.mlp = nn.Sequential(
            nn.Linear(total, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, classes),
        )

    def forward(self, inputs: dict[str, torch.Tensor], present: torch.Tensor) -> torch.Tensor:
        parts = []
        for i, name in enumerate(self.names):
            x = inputs[name]
            if x.ndim == 3:
                x = masked_mean(x, _steps(inputs, name))
            parts.append(x * present[:, i : i + 1].float())
        return self.mlp(torch.cat([*parts, present.float()], dim=1))


TORCH_MODELS = {"attention": AttentionFusion, "conv_attention": ConvAttentionFusion, "mlp": MLPFusion}
