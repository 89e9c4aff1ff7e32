"""Whisper encoder layers as an audio feature set (MERTools' whisper-base / large-v2 features).

Whisper pads every input to 30 s of log-mel frames and attends over all of them; the utterance vector
is the mean over the encoder frames that hold audio (one per 320 samples: hop 160, then the encoder's
stride-2 convolution), never over the padding. Clips longer than the window (at most 30 s) run in
windows combined by frame counts, as for HuBERT.
"""

from __future__ import annotations

import numpy as np
import torch

from pipeline.features.audio import valid_sums, window_mean
from pipeline.features.models import LoadedModel
from pipeline.media.audio import SAMPLE_RATE

CHUNK_S = 30  # Whisper's fixed input length
SAMPLES_PER_FRAME = 320  # 10 ms mel hop x 2 (the encoder's second convolution has stride 2)


def _feature_extractor(loaded: LoadedModel):
    from transformers import WhisperFeatureExtractor

    source = str(loaded.folder) if loaded.folder else loaded.spec
    return WhisperFeatureExtractor.from_pretrained(source, revision=loaded.revision)


class WhisperEmbedder:
    def __init__(self, loaded: LoadedModel, layers: list[int], window_s: float = 10.0):
        self.loaded = loaded
        self.encoder = loaded.model.get_encoder()
        self.layers = layers
        self.extractor = _feature_extractor(loaded)
        self.window = int(min(window_s, CHUNK_S) * SAMPLE_RATE)
        self.dim = loaded.model.config.d_model

    def _windows(self, wave: np.ndarray) -> list[np.ndarray]:
        return [wave[s : s + self.window] for s in range(0, max(len(wave), 1), self.window)]

    @torch.inference_mode()
    def _forward(self, windows: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
        features = self.extractor(
            windows, sampling_rate=SAMPLE_RATE, return_tensors="pt", device=str(self.loaded.device)
        ).input_features  # log-mel spectrograms computed on the model's device
        out = self.encoder(self.loaded.upload(features, cast=True), output_hidden_states=True)
        steps = out.hidden_states[0].shape[1]
        frames = torch.tensor([min(steps, max(1, -(-len(w) // SAMPLES_PER_FRAME))) for w in windows])
        return valid_sums([out.hidden_states[i] for i in self.layers], frames).cpu(), frames.float()

    def embed(self, waves: list[np.ndarray], batch_windows: int = 16) -> np.ndarray:
        """(B, L, D) float32 utterance vectors."""
        clips = [self._windows(wave) for wave in waves]
        return window_mean(clips, self._forward, batch_windows, (len(self.layers), self.dim))
