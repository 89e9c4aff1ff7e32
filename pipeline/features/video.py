"""Image embeddings of K sampled frames per clip, preprocessed in torch: CLIP / SigLIP (their image
embedding) or any image backbone through AutoModel (DINOv2, ViT, EVA-style: the pooled CLS token, or the
mean of the patch tokens with `pooling: patch_mean`).

Preprocessing follows the model's own preprocessor config (shortest-edge resize, centre crop,
rescale, normalise) without torchvision. `utt` is the mean over the clip's real frames only.
"""

from __future__ import annotations

import json

import numpy as np
import torch
import torch.nn.functional as F

from pipeline.features.models import LoadedModel


def preprocessor_config(loaded: LoadedModel) -> dict:
    if loaded.folder and (loaded.folder / "preprocessor_config.json").is_file():
        return json.loads((loaded.folder / "preprocessor_config.json").read_text())
    from transformers import AutoImageProcessor

    return AutoImageProcessor.from_pretrained(loaded.spec, revision=loaded.revision).to_dict()


def _edge(value: dict | int, key: str) -> int:
    return int(value[key]) if isinstance(value, dict) else int(value)


class FramePreprocessor:
    def __init__(self, config: dict):
        size = config.get("size", {"shortest_edge": 224})
        self.shortest = _edge(size, "shortest_edge") if "shortest_edge" in size else None
        self.fixed = (int(size["height"]), int(size["width"])) if "height" in size else None
        crop = config.get("crop_size", self.shortest or 224)
        self.crop = (
            (_edge(crop, "height"), _edge(crop, "width")) if config.get("do_center_crop", True) else None
        )
        self.scale = float(config.get("rescale_factor", 1 / 255))
        self.mean = torch.tensor(config.get("image_mean", [0.5, 0.5, 0.5])).view(1, 3, 1, 1)
        self.std = torch.tensor(config.get("image_std", [0.5, 0.5, 0.5])).view(1, 3, 1, 1)

    def _resize(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        if self.fixed:
            target = self.fixed
        else:
            ratio = self.shortest / min(h, w)
            target = (max(1, round(h * ratio)), max(1, round(w * ratio)))
        return F.interpolate(x, size=target, mode="bicubic", align_corners=False, antialias=True)

    def _center_crop(self, x: torch.Tensor) -> torch.Tensor:
        if not self.crop:
            return x
        h, w = x.shape[-2:]
        ch, cw = self.crop
        top, left = max(0, (h - ch) // 2), max(0, (w - cw) // 2)
        return x[..., top : top + ch, left : left + cw]

    def __call__(self, frames: np.ndarray | torch.Tensor) -> torch.Tensor:
        """(n, H, W, 3) uint8 -> (n, 3, h, w) normalised float32, on the frames' device (uint8 frames
        uploaded to a GPU are resized there, not by the process feeding it)."""
        x = frames if isinstance(frames, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(frames))
        x = self._center_crop(self._resize(x.permute(0, 3, 1, 2).float())).clamp(0, 255) * self.scale
        return (x - self.mean.to(x.device)) / self.std.to(x.device)


def device_pixels(loaded: LoadedModel, preprocess: FramePreprocessor, frames: np.ndarray) -> torch.Tensor:
    """A clip's uint8 frames uploaded, then preprocessed on the model's device in the model's dtype."""
    pixels = preprocess(loaded.upload(torch.from_numpy(np.ascontiguousarray(frames))))
    return pixels.to(loaded.dtype)


class VideoEmbedder:
    def __init__(self, loaded: LoadedModel, frames: int, pooling: str = "cls"):
        self.loaded = loaded
        self.model = loaded.model
        self.k = frames
        self.pooling = pooling
        self.preprocess = FramePreprocessor(preprocessor_config(loaded))
        config = self.model.config
        self.dim = int(getattr(config, "projection_dim", None) or config.hidden_size)
        self.layers = [0]

    @torch.inference_mode()
    def _image_embeds(self, pixels: torch.Tensor) -> torch.Tensor:
        out = self.model(pixel_values=pixels)
        embeds = getattr(out, "image_embeds", None)
        if embeds is None and self.pooling == "patch_mean":
            embeds = out.last_hidden_state[:, 1:].mean(dim=1)
        elif embeds is None:
            pooled = getattr(out, "pooler_output", None)
            embeds = pooled if pooled is not None else out.last_hidden_state[:, 0]
        return embeds.float().cpu()

    def embed(
        self, clips: list[np.ndarray], batch_frames: int = 64
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(utt (B, 1, D), frames (B, K, D), frame_mask (B, K)) as float32 / bool."""
        pixels = torch.cat([device_pixels(self.loaded, self.preprocess, c) for c in clips])
        embeds = torch.cat(
            [self._image_embeds(pixels[s : s + batch_frames]) for s in range(0, len(pixels), batch_frames)]
        )
        frames = np.zeros((len(clips), self.k, self.dim), np.float32)
        mask = np.zeros((len(clips), self.k), bool)
        start = 0
        for i, clip in enumerate(clips):
            n = len(clip)
            frames[i, :n] = embeds[start : start + n].numpy()
            mask[i, :n] = True
            start += n
        utt = (frames * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        return utt[:, None, :], frames, mask
