"""One interface over the embedders (audio, video and text models, openSMILE functionals), built from an
ExtractConfig."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from pipeline.config.layers import select_layers
from pipeline.features.audio import AudioEmbedder
from pipeline.features.clip_video import ClipVideoEmbedder
from pipeline.features.config import ExtractConfig
from pipeline.features.functionals import FunctionalsEmbedder, is_functionals
from pipeline.features.models import LoadedModel, load_model
from pipeline.features.text import TextEmbedder, load_tokenizer
from pipeline.features.video import VideoEmbedder
from pipeline.features.whisper import WhisperEmbedder


@dataclass
class Embedder:
    inner: Any
    layers: list[int]
    dim: int
    description: str  # the spec, marked when it is a random-init stand-in
    random_init: bool
    dtype: str = "float16"  # what the store holds: float32 where values do not fit float16
    frames: int = 0  # per-frame vectors stored per clip (video embedders that have them), else 0

    def embed(self, items: list[Any]) -> tuple[np.ndarray, ...]:
        """Always a tuple: (utt,) or, for video, (utt, frames, frame_mask)."""
        if isinstance(self.inner, TextEmbedder):
            items = [str(item) for item in items]
        out = self.inner.embed(items)
        return out if isinstance(out, tuple) else (out,)


def _hidden_states(loaded: LoadedModel) -> int:
    return int(loaded.model.config.num_hidden_layers) + 1


def build_embedder(cfg: ExtractConfig) -> Embedder:
    if is_functionals(cfg.model):
        inner = FunctionalsEmbedder(cfg.model)
        description = f"{cfg.model} (openSMILE functionals, no weights)"
        return Embedder(inner, [0], inner.dim, description, False, "float32")
    loaded = load_model(
        cfg.model, cfg.revision, cfg.trust_remote_code, cfg.device, cfg.dtype, cfg.seed, adapter=cfg.adapter
    )
    key = f"features.sets.{cfg.name}.layers"
    if cfg.modality == "audio":
        layers = select_layers(cfg.layers, _hidden_states(loaded), key)
        audio = WhisperEmbedder if loaded.model.config.model_type == "whisper" else AudioEmbedder
        inner = audio(loaded, layers, cfg.window_s)
    elif cfg.modality == "video" and loaded.model.config.model_type == "videomae":
        layers = select_layers(cfg.layers, _hidden_states(loaded), key)
        inner = ClipVideoEmbedder(loaded, layers)
    elif cfg.modality == "video":
        inner = VideoEmbedder(loaded, cfg.frames, cfg.pooling)
        return Embedder(
            inner, inner.layers, inner.dim, loaded.description, loaded.random_init, frames=cfg.frames
        )
    else:
        layers = select_layers(cfg.layers, _hidden_states(loaded), key)
        inner = TextEmbedder(
            loaded, load_tokenizer(loaded, cfg.trust_remote_code), layers, cfg.prompt, cfg.max_tokens
        )
    return Embedder(inner, layers, inner.dim, loaded.description, loaded.random_init)
