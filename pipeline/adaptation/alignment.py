"""Visual-to-acoustic alignment (the MER2024 4th place's idea): on unlabeled clips, train a head on a
frozen video set so a clip's visual embedding matches the same clip's audio embedding; its outputs
become a new video feature set. No label is ever read.

The audio side is fixed (standardised, not trained). `infonce`: each clip's mapped video vector must
pick its own audio vector among the batch's (cosine similarity / temperature, cross-entropy);
`mse`: regression onto the standardised audio vector.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from pipeline.config.align import AlignConfig
from pipeline.config.derived_set import disabled
from pipeline.features.reader import StoreArrays, read_store
from pipeline.features.store import Batch, StoreInfo, write_store


def _standardised(x: np.ndarray, rows: np.ndarray) -> np.ndarray:
    mean, std = x[rows].mean(axis=0), x[rows].std(axis=0) + 1e-6
    return ((x - mean) / std).astype(np.float32)


def _loss(mapped: torch.Tensor, target: torch.Tensor, cfg: AlignConfig) -> torch.Tensor:
    if cfg.loss == "mse":
        return F.mse_loss(mapped, target)
    logits = F.normalize(mapped, dim=1) @ F.normalize(target, dim=1).T / cfg.temperature
    return F.cross_entropy(logits, torch.arange(len(mapped)))


def train_head(video: np.ndarray, audio: np.ndarray, cfg: AlignConfig) -> nn.Module:
    """A two-layer head from standardised video vectors (N, Dv) to the audio space (N, Da)."""
    generator = torch.Generator().manual_seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    head = nn.Sequential(
        nn.Linear(video.shape[1], cfg.hidden), nn.GELU(), nn.Linear(cfg.hidden, audio.shape[1])
    )
    optimizer = torch.optim.AdamW(head.parameters(), lr=cfg.lr)
    x, y = torch.from_numpy(video), torch.from_numpy(audio)
    for _ in range(cfg.epochs):
        order = torch.randperm(len(x), generator=generator)
        for start in range(0, len(order) - 1, cfg.batch_size):
            batch = order[start : start + cfg.batch_size]
            loss = _loss(head(x[batch]), y[batch], cfg)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return head.eval()


def pooled_utt(arrays: StoreArrays) -> np.ndarray:
    """(N, D): the mean over the set's stored layers."""
    return arrays.utt.mean(axis=1)


def _nothing_to_fit(cfg: AlignConfig, clips: int) -> str:
    """Why no head is trained ("" when one is): switched off, or fewer than 2 clips with both sets."""
    if not cfg.enabled:
        return disabled("align")
    if clips >= 2:
        return ""
    return f"align.split {cfg.split!r} has {clips} clip(s) with {cfg.video} and {cfg.audio}"


def align(features: Path, names: list[str], fit_rows: np.ndarray, cfg: AlignConfig) -> int:
    """Write data/features/<cfg.name>: the mapped video vector of every clip that has the video set;
    returns how many clips the head was trained on. `fit_rows` index `names` (the training split).
    With align.enabled false, or fewer than 2 such clips (no unlabeled pool, no video), every clip is
    marked absent."""
    video, audio = read_store(features / cfg.video, names), read_store(features / cfg.audio, names)
    both = fit_rows[video.ok[fit_rows] & audio.ok[fit_rows]]
    mapped = np.zeros((len(names), audio.utt.shape[2]), np.float32)
    ok, errors = video.ok, ["" if o else f"absent: no {cfg.video} vector" for o in video.ok]
    reason = _nothing_to_fit(cfg, len(both))
    if reason:
        ok = np.zeros(len(names), bool)
        errors = [f"absent: {reason}"] * len(names)
    else:
        x = _standardised(pooled_utt(video), both)
        head = train_head(x[both], _standardised(pooled_utt(audio), both)[both], cfg)
        with torch.no_grad():
            mapped = head(torch.from_numpy(x)).numpy()
        mapped[~ok] = 0
    info = StoreInfo(
        "video",
        f"align:{cfg.video}->{cfg.audio} ({video.model})",
        "",
        [0],
        mapped.shape[1],
        cfg.digest(),
        video.random_init,
        dtype="float32",
    )
    write_store(features / cfg.name, names, info, Batch(names, mapped[:, None, :], ok, errors), cfg.shards)
    return len(both) if ok.any() else 0
