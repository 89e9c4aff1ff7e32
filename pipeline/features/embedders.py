"""One interface over the three modality embedders, built from an ExtractConfig."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.features.audio import AudioEmbedder
from pipeline.features.config import ExtractConfig
from pipeline.features.layers import select_layers
from pipeline.features.models import LoadedModel, load_model
from pipeline.features.text import TextEmbedder, load_tokenizer
from pipeline.features.video import VideoEmbedder


@dataclass
class Embedder:
    loaded: LoadedModel
    inner: Any
    layers: list[int]
    dim: int

    @property
    def random_init(self) -> bool:
        return self.loaded.random_init

    @property
    def description(self) -> str:
        return self.loaded.description

    def embed(self, items: list[Any]) -> tuple[np.ndarray, ...]:
        """Always a tuple: (utt,) or, for video, (utt, frames, frame_mask)."""
        if isinstance(self.inner, TextEmbedder):
            items = [str(item) for item in items]
        out = self.inner.embed(items)
        return out if isinstance(out, tuple) else (out,)


def _hidden_states(loaded: LoadedModel) -> int:
    return int(loaded.model.config.num_hidden_layers) + 1


def build_embedder(cfg: ExtractConfig) -> Embedder:
    loaded = load_model(cfg.model, cfg.revision, cfg.trust_remote_code, cfg.device, cfg.dtype, cfg.seed)
    key = f"features.{cfg.modality}.layers"
    if cfg.modality == "audio":
        layers = select_layers(cfg.layers, _hidden_states(loaded), key)
        inner = AudioEmbedder(loaded, layers, cfg.window_s)
    elif cfg.modality == "video":
        inner = VideoEmbedder(loaded, cfg.frames)
        layers = inner.layers
    else:
        layers = select_layers(cfg.layers, _hidden_states(loaded), key)
        inner = TextEmbedder(
            loaded, load_tokenizer(loaded, cfg.trust_remote_code), layers, cfg.prompt, cfg.max_tokens
        )
    return Embedder(loaded, inner, layers, inner.dim)
