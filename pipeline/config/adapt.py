"""`adapt.*`: LoRA adapters on an audio set's encoder."""

from __future__ import annotations

import re

from pydantic import field_validator, model_validator

from pipeline.config.base import between
from pipeline.config.derived_set import DerivedSetConfig
from pipeline.config.features import SetName

ADAPTABLE = ("hubert", "wav2vec2", "wavlm", "data2vec-audio")  # encoders with q/k/v/out projections


class AdaptConfig(DerivedSetConfig):
    name: SetName  # the feature set written and its adapter folder (data/models/<name>)
    audio: SetName  # the frozen audio set it adapts: its model, revision, layers and settings
    layers: list[int] | str = [2, 3]  # encoder layers (0-based) to adapt, or top:K (the probe's K best)
    rank: between(int, 1, 1024) = 8  # LoRA rank
    split: str = "train"  # labeled clips it trains on, with their `<split>_noise` copies when present
    holdout: between(float, 0.05, 0.9) = 0.2  # share held out for early stopping (copies follow their clip)
    epochs: between(int, 1, 100_000) = 30
    patience: between(int, 1, 100_000) = 5  # epochs without a better held-out loss before stopping
    batch_size: between(int, 1, 4096) = 16
    lr: between(float, 1e-7, 1.0) = 0.002
    max_seconds: between(float, 1.0, 600.0) = 10.0  # longest stretch of a clip used in training (its start)
    seed: int = 0

    @field_validator("layers")
    @classmethod
    def _layers(cls, layers: list[int] | str) -> list[int] | str:
        if isinstance(layers, str):
            if not re.fullmatch(r"top:[1-9]\d*", layers):
                raise ValueError(f"must be a list of encoder layer indices or top:K (K >= 1), got {layers!r}")
            return layers
        if not layers or min(layers) < 0:
            raise ValueError(f"must be a non-empty list of encoder layer indices >= 0, got {layers}")
        return sorted(set(layers))

    @property
    def top(self) -> int:
        """K of `top:K` (the probe's K best layers), 0 for an explicit list."""
        return int(self.layers.removeprefix("top:")) if isinstance(self.layers, str) else 0

    @model_validator(mode="after")
    def _distinct(self) -> AdaptConfig:
        if self.name == self.audio:
            raise ValueError(f"adapt.name must differ from adapt.audio, got {self.name!r}")
        return self
