"""Audio embeddings from any wav2vec2 / HuBERT / WavLM / data2vec-audio model.

Every hidden layer is kept (layer choice happens downstream, s3prl-style). The utterance vector is the
mean over *valid* frames only: padded frames are excluded (MERTools averages them in). Long clips run
in windows and are combined by frame counts, so a window boundary does not reweight the mean.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import torch

from pipeline.features.models import LoadedModel

MIN_SAMPLES = 400  # the conv front end needs at least one 25 ms frame


class AudioEmbedder:
    def __init__(
        self, loaded: LoadedModel, layers: list[int], window_s: float = 10.0, sample_rate: int = 16_000
    ):
        self.loaded = loaded
        self.model = loaded.model
        self.layers = layers
        self.window = int(window_s * sample_rate)
        self.normalize = self._normalizes()
        self.can_pad = getattr(self.model.config, "feat_extract_norm", "layer") == "layer"
        self.dim = self.model.config.hidden_size

    def _normalizes(self) -> bool:
        """Follow the model's own feature extractor: zero-mean unit-variance input or raw."""
        if self.loaded.folder and (self.loaded.folder / "preprocessor_config.json").is_file():
            config = json.loads((self.loaded.folder / "preprocessor_config.json").read_text())
            return bool(config.get("do_normalize", True))
        from transformers import AutoFeatureExtractor

        extractor = AutoFeatureExtractor.from_pretrained(self.loaded.spec, revision=self.loaded.revision)
        return bool(getattr(extractor, "do_normalize", True))

    def _windows(self, wave: np.ndarray) -> list[np.ndarray]:
        if self.normalize:
            wave = normalized(wave)
        starts = list(range(0, len(wave), self.window))
        if len(starts) > 1 and len(wave) - starts[-1] < MIN_SAMPLES:
            starts.pop()
        return [wave[s:e] for s, e in zip(starts, starts[1:] + [len(wave)], strict=True)]

    @torch.inference_mode()
    def _forward(self, windows: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
        """Per window: (sum over valid frames of each kept layer (W, L, D), valid frame count (W,))."""
        batch, mask = padded_batch(windows)
        lengths = mask.sum(dim=1)
        out = self.model(
            self.loaded.upload(batch, cast=True),
            attention_mask=self.loaded.upload(mask),
            output_hidden_states=True,
        )
        frames = self.model._get_feat_extract_output_lengths(lengths).long()
        return valid_sums([out.hidden_states[i] for i in self.layers], frames).cpu(), frames.float()

    def embed(self, waves: list[np.ndarray], batch_windows: int = 16) -> np.ndarray:
        """(B, L, D) float32 utterance vectors."""
        clips = [self._windows(np.pad(wave, (0, max(0, MIN_SAMPLES - len(wave))))) for wave in waves]
        step = batch_windows if self.can_pad else 1
        return window_mean(clips, self._forward, step, (len(self.layers), self.dim))


def normalized(wave: np.ndarray) -> np.ndarray:
    """Zero mean, unit variance: what wav2vec2-style feature extractors with do_normalize feed."""
    return (wave - wave.mean()) / np.sqrt(wave.var() + 1e-7)


def padded_batch(waves: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, T) float32 waves zero-padded to the longest, and the attention mask (1 on real samples)."""
    lengths = torch.tensor([len(w) for w in waves])
    batch = torch.zeros(len(waves), int(lengths.max()))
    for i, w in enumerate(waves):
        batch[i, : len(w)] = torch.from_numpy(np.asarray(w, np.float32))
    return batch, (torch.arange(batch.shape[1])[None] < lengths[:, None]).long()


def valid_sums(states: list[torch.Tensor], frames: torch.Tensor) -> torch.Tensor:
    """Per window, each layer's sum over its first `frames` time steps (W, L, D) float32, on the model's
    device (pooled where the model ran: on a GPU only (W, L, D) crosses to the host)."""
    stacked = torch.stack(states, dim=1).float()
    valid = torch.arange(stacked.shape[2], device=stacked.device)[None] < frames.to(stacked.device)[:, None]
    return torch.einsum("wltd,wt->wld", stacked, valid.float())


def window_mean(
    clips: list[list[np.ndarray]],
    forward: Callable[[list[np.ndarray]], tuple[torch.Tensor, torch.Tensor]],
    step: int,
    shape: tuple[int, int],
) -> np.ndarray:
    """(B, L, D) float32: each clip's mean over the valid frames of all its windows. Windows run in
    length-sorted batches of `step`; `forward` gives per-window frame sums and valid frame counts, so a
    window boundary does not reweight the mean."""
    windows = [w.astype(np.float32) for clip in clips for w in clip]
    owner = [c for c, clip in enumerate(clips) for _ in clip]
    order = sorted(range(len(windows)), key=lambda i: len(windows[i]))
    sums = torch.zeros(len(clips), *shape)
    counts = torch.zeros(len(clips))
    for start in range(0, len(order), step):
        chunk = order[start : start + step]
        total, frames = forward([windows[i] for i in chunk])
        for row, i in enumerate(chunk):
            sums[owner[i]] += total[row]
            counts[owner[i]] += frames[row]
    return (sums / counts[:, None, None]).numpy()
