"""`align.*`: visual-to-acoustic alignment (no labels used)."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from pipeline.config.base import between
from pipeline.config.derived_set import DerivedSetConfig
from pipeline.config.features import SetName


class AlignConfig(DerivedSetConfig):
    name: SetName  # the feature set written (data/features/<name>)
    video: SetName  # frozen video set
    audio: SetName  # audio set whose space the video is mapped into
    split: str = "unlabeled"  # clips it trains on
    loss: Literal["infonce", "mse"] = "infonce"
    hidden: between(int, 1, 65536) = 256
    epochs: between(int, 1, 100_000) = 30
    batch_size: between(int, 2, 1 << 20) = 256
    lr: between(float, 1e-7, 1.0) = 1e-3
    temperature: between(float, 1e-4, 10.0) = 0.1
    seed: int = 0
    shards: between(int, 1, 100_000) = 64

    @model_validator(mode="after")
    def _distinct(self) -> AlignConfig:
        if self.name in (self.video, self.audio):
            raise ValueError(f"align.name must differ from align.video and align.audio, got {self.name!r}")
        return self
