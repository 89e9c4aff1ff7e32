"""Clip-level video transformers (VideoMAE): one vector per clip and hidden layer from `num_frames`
frames sampled over the clip (the decoded frames, repeated evenly when a short clip has fewer).

Each stored layer is the mean over all of the layer's tokens (space-time patches: every clip has the
same number, so no padding enters). There is no per-frame output: such stores hold `utt` only.
"""

from __future__ import annotations

import numpy as np
import torch

from pipeline.features.models import LoadedModel
from pipeline.features.video import FramePreprocessor, device_pixels, preprocessor_config


class ClipVideoEmbedder:
    def __init__(self, loaded: LoadedModel, layers: list[int]):
        self.loaded = loaded
        self.model = loaded.model
        self.layers = layers
        self.frames = int(self.model.config.num_frames)
        self.preprocess = FramePreprocessor(preprocessor_config(loaded))
        self.dim = int(self.model.config.hidden_size)

    def _sampled(self, frames: np.ndarray) -> np.ndarray:
        """Exactly the model's frame count, evenly over the decoded frames."""
        return frames[np.linspace(0, len(frames) - 1, self.frames).round().astype(int)]

    @torch.inference_mode()
    def embed(self, clips: list[np.ndarray]) -> np.ndarray:
        """(B, L, D) float32."""
        pixels = torch.stack([device_pixels(self.loaded, self.preprocess, self._sampled(c)) for c in clips])
        out = self.model(pixel_values=pixels, output_hidden_states=True)
        pooled = torch.stack([out.hidden_states[i].float().mean(dim=1) for i in self.layers], dim=1)
        return pooled.cpu().numpy()
