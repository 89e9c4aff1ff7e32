"""Visual-to-acoustic alignment (the MER2024 4th place's idea): on unlabeled clips, train a head on a
frozen video set so a clip's visual embedding matches the same clip's audio embedding; its outputs
become a new video feature set. No label is ever read.

The audio side is fixed (standardised, not trained). `infonce`: each clip's mapped video vector must
pick its own audio vector among the batch's (cosine similarity / temperature, cross-entropy);
`mse`: regression onto the standardised audio vector.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from pipeline.features.reader import StoreArrays, read_store
from pipeline.features.store import Batch, StoreInfo, write_store
from pipeline.params import invalid, pick, pick_choice, pick_range

LOSSES = ("infonce", "mse")


@dataclass(frozen=True)
class AlignConfig:
    name: str  # the feature set written (data/features/<name>)
    video: str  # frozen video set
    audio: str  # audio set whose space the video is mapped into
    split: str = "unlabeled"  # clips it trains on
    loss: str = "infonce"
    hidden: int = 256
    epochs: int = 30
    batch_size: int = 256
    lr: float = 1e-3
    temperature: float = 0.1
    seed: int = 0
    shards: int = 64

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]


def align_config(params: dict) -> AlignConfig:
    d = AlignConfig("", "", "")
    cfg = AlignConfig(
        name=pick(params, "align.name", str),
        video=pick(params, "align.video", str),
        audio=pick(params, "align.audio", str),
        split=pick(params, "align.split", str, default=d.split),
        loss=pick_choice(params, "align.loss", LOSSES, default=d.loss),
        hidden=pick_range(params, "align.hidden", int, 1, 65536, default=d.hidden),
        epochs=pick_range(params, "align.epochs", int, 1, 100_000, default=d.epochs),
        batch_size=pick_range(params, "align.batch_size", int, 2, 1 << 20, default=d.batch_size),
        lr=pick_range(params, "align.lr", float, 1e-7, 1.0, default=d.lr),
        temperature=pick_range(params, "align.temperature", float, 1e-4, 10.0, default=d.temperature),
        seed=pick(params, "align.seed", int, default=d.seed),
        shards=pick_range(params, "align.shards", int, 1, 100_000, default=d.shards),
    )
    if cfg.name in (cfg.video, cfg.audio):
        return invalid(f"align.name must differ from align.video and align.audio, got {cfg.name!r}", cfg)
    return cfg


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


def align(features: Path, names: list[str], fit_rows: np.ndarray, cfg: AlignConfig) -> int:
    """Write data/features/<cfg.name>: the mapped video vector of every clip that has the video set;
    returns how many clips the head was trained on. `fit_rows` index `names` (the training split).
    With fewer than 2 such clips (no unlabeled pool, no video) every clip is marked absent."""
    video, audio = read_store(features / cfg.video, names), read_store(features / cfg.audio, names)
    both = fit_rows[video.ok[fit_rows] & audio.ok[fit_rows]]
    mapped = np.zeros((len(names), audio.utt.shape[2]), np.float32)
    ok, errors = video.ok, ["" if o else f"absent: no {cfg.video} vector" for o in video.ok]
    if len(both) < 2:
        ok = np.zeros(len(names), bool)
        reason = f"align.split {cfg.split!r} has {len(both)} clip(s) with {cfg.video} and {cfg.audio}"
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
