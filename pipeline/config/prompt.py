"""`prompt.*`: prompt-tuned CLIP on a video set's frame embeddings (CoOp-style context vectors)."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from pipeline.config.base import between
from pipeline.config.derived_set import DerivedSetConfig
from pipeline.config.features import SetName


class PromptConfig(DerivedSetConfig):
    name: SetName  # the feature set written (data/features/<name>); prompts in data/models/<name>
    video: SetName  # a CLIP video set of features.sets: its model's text tower, its store's frame embeddings
    context: between(int, 1, 64) = 16  # learnable context vectors before each class name
    context_init: str = ""  # words whose token embeddings start the context (their count overrides it)
    output: Literal["embedding", "similarities"] = "embedding"  # tuned clip vector, or one value per label
    split: str = "train"  # labeled clips it trains on, with their `<split>_noise` copies when present
    holdout: between(float, 0.05, 0.9) = 0.2  # share held out for early stopping (copies follow their clip)
    epochs: between(int, 1, 100_000) = 50
    patience: between(int, 1, 100_000) = 10  # epochs without a better held-out loss before stopping
    batch_size: between(int, 2, 1 << 16) = 32
    lr: between(float, 1e-7, 1.0) = 0.002
    seed: int = 0
    shards: between(int, 1, 100_000) = 64

    @model_validator(mode="after")
    def _distinct(self) -> PromptConfig:
        if self.name == self.video:
            raise ValueError(f"prompt.name must differ from prompt.video, got {self.name!r}")
        return self
