"""Prompt-tuned CLIP for emotional video (the MER2024 winner's EmoVCLIP lever, in CoOp's form): learnable
context vectors before each label's name in CLIP's text tower, and on the image side a learned pooling of
a clip's frames over time with a residual bottleneck adapter (CLIP-Adapter's). Both train on the labeled
clips' frame embeddings as the frozen video set stored them (no decoding, no image-tower pass); every CLIP
weight stays frozen. The outputs become a video feature set: the tuned clip embedding, or its similarity
to each label's prompt.

At the start the pooling is the plain mean and the adapter adds nothing, so training starts from CLIP's
own clip embedding. Cross-validated scores of the set are optimistic: its prompts saw every labeled clip
of the split (the test split is never read).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import nn

from pipeline.adaptation.holdout import EarlyStop, holdout_key, split_rows
from pipeline.atomic import replaced_folder
from pipeline.config.prompt import PromptConfig
from pipeline.features.models import LoadedModel
from pipeline.features.reader import StoreArrays
from pipeline.features.store import Batch, StoreInfo, write_store
from pipeline.tracks.metrics import waf

WEIGHTS, SUMMARY = "prompt.safetensors", "prompt.json"


@dataclass
class LabeledFrames:
    frames: np.ndarray  # (N, K, D) the frozen set's frame embeddings
    mask: np.ndarray  # (N, K) real frames
    y: np.ndarray  # label indices
    groups: list[str]  # holdout_key of each clip


def labeled_frames(rows: pd.DataFrame, arrays: StoreArrays, labels: list[str], split: str) -> LabeledFrames:
    """The split's labeled clips (and their `<split>_noise` copies) that have the video set; `arrays`
    follow `rows`."""
    chosen = rows["split"].isin([split, f"{split}_noise"]) & rows["label"].isin(labels) & arrays.ok
    picked = np.flatnonzero(chosen.to_numpy())
    kept = rows.iloc[picked]
    groups = [holdout_key(row) for row in kept.to_dict("records")]
    y = np.array([labels.index(label) for label in kept["label"]], np.int64)
    return LabeledFrames(arrays.frames[picked], arrays.frame_mask[picked], y, groups)


class PromptedCLIP(nn.Module):
    """Frozen CLIP + what prompt tuning learns: the context, the frame pooling and the adapter. The context
    enters through a hook on CLIP's token embedding, so each loaded CLIP serves one PromptedCLIP."""

    def __init__(self, clip: nn.Module, tokenizer, labels: list[str], cfg: PromptConfig):
        super().__init__()
        self.clip = clip.requires_grad_(False).eval()
        prefix = cfg.context_init or " ".join(["X"] * cfg.context)
        ids = tokenizer(prefix, add_special_tokens=False)["input_ids"]
        tokens = tokenizer([f"{prefix} {label}." for label in labels], padding=True, return_tensors="pt")
        if not (tokens["input_ids"][:, 1 : 1 + len(ids)] == torch.tensor(ids)).all():
            raise ValueError(f"prompt.context_init {prefix!r} is tokenized differently before the labels")
        self.register_buffer("ids", tokens["input_ids"], persistent=False)
        self.register_buffer("attention", tokens["attention_mask"], persistent=False)
        embedding = clip.text_model.embeddings.token_embedding
        generator = torch.Generator().manual_seed(cfg.seed)
        start = (
            embedding.weight[ids].detach().float()
            if cfg.context_init
            else 0.02 * torch.randn(len(ids), embedding.embedding_dim, generator=generator)
        )
        self.context = nn.Parameter(start)
        dim = int(clip.config.projection_dim)
        self.frame_score = nn.Linear(dim, 1)
        narrow = max(1, dim // 4)
        self.adapter = nn.Sequential(nn.Linear(dim, narrow), nn.ReLU(), nn.Linear(narrow, dim))
        for layer in (self.frame_score, self.adapter[2]):  # uniform pooling, no change: CLIP's own vector
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)
        embedding.register_forward_hook(self._splice)

    def _splice(self, module: nn.Module, inputs: tuple, out: torch.Tensor) -> torch.Tensor:
        """The learned context in place of the placeholder tokens after the start token."""
        context = self.context.to(out.dtype).expand(len(out), -1, -1)
        return torch.cat([out[:, :1], context, out[:, 1 + len(self.context) :]], dim=1)

    def label_embeddings(self) -> torch.Tensor:
        """(C, D) unit vectors of the labels' prompts."""
        text = self.clip.text_model(input_ids=self.ids, attention_mask=self.attention).pooler_output
        return F.normalize(self.clip.text_projection(text).float(), dim=-1)

    def clip_embeddings(self, frames: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(B, D) unit vectors: the frames' unit embeddings pooled by learned weights, plus the adapter."""
        frames = F.normalize(frames, dim=-1)
        scores = self.frame_score(frames).squeeze(-1).masked_fill(~mask, float("-inf"))
        pooled = (scores.softmax(dim=1)[..., None] * frames).sum(dim=1)
        return F.normalize(pooled + self.adapter(pooled), dim=-1)

    def forward(self, frames: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        scale = self.clip.logit_scale.exp().float()
        return scale * self.clip_embeddings(frames, mask) @ self.label_embeddings().T

    def trained_state(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in self.state_dict().items() if not k.startswith("clip.")}


def _tensors(loaded: LoadedModel, data: LabeledFrames, rows: np.ndarray) -> tuple[torch.Tensor, ...]:
    frames = torch.from_numpy(data.frames[rows]).to(loaded.device)
    return frames, torch.from_numpy(data.mask[rows]).to(loaded.device), torch.from_numpy(data.y[rows])


def train_prompts(
    loaded: LoadedModel, tokenizer, data: LabeledFrames, labels: list[str], cfg: PromptConfig
) -> tuple[PromptedCLIP, dict]:
    """The prompted model at its lowest held-out cross-entropy, and what training did."""
    started = time.perf_counter()
    fit, check = split_rows(data.groups, data.y, cfg.holdout, cfg.seed)
    torch.manual_seed(cfg.seed)
    model = PromptedCLIP(loaded.model, tokenizer, labels, cfg).to(loaded.device)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=cfg.lr)
    (x, m, y), (held_x, held_m, held_y) = _tensors(loaded, data, fit), _tensors(loaded, data, check)
    generator = torch.Generator().manual_seed(cfg.seed)
    stop = EarlyStop(cfg.patience)
    for _ in range(cfg.epochs):
        order = torch.randperm(len(fit), generator=generator)
        for start in range(0, len(order), cfg.batch_size):
            batch = order[start : start + cfg.batch_size]
            loss = F.cross_entropy(model(x[batch], m[batch]).cpu(), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            logits = model(held_x, held_m).cpu()
        score = float(waf(held_y.numpy(), logits.argmax(1).numpy()))
        if stop.update(float(F.cross_entropy(logits, held_y)), score, model.trained_state):
            break
    model.load_state_dict(stop.best_state, strict=False)
    seconds = time.perf_counter() - started
    summary = {
        "clips": {"fit": len(fit), "holdout": len(check)},
        "trainable_params": sum(p.numel() for p in trainable),
        **stop.summary(),
        "seconds": round(seconds, 1),
        "seconds_per_epoch": round(seconds / len(stop.history), 3),
    }
    return model.eval(), summary


@torch.no_grad()
def prompted_features(model: PromptedCLIP, arrays: StoreArrays, output: str, step: int = 1024) -> np.ndarray:
    """(N, D) tuned clip embeddings, or (N, C) similarities to the labels' prompts; zeros where absent."""
    device = model.context.device
    prompts = model.label_embeddings()
    parts = []
    for s in range(0, len(arrays.names), step):
        frames = torch.from_numpy(arrays.frames[s : s + step]).to(device)
        mask = torch.from_numpy(arrays.frame_mask[s : s + step] | ~arrays.ok[s : s + step, None]).to(device)
        embedded = model.clip_embeddings(frames, mask)
        parts.append((embedded if output == "embedding" else embedded @ prompts.T).cpu().numpy())
    values = np.concatenate(parts).astype(np.float32)
    values[~arrays.ok] = 0
    return values


def save_prompts(
    model: PromptedCLIP, cfg: PromptConfig, summary: dict, folder: Path, labels: list[str]
) -> None:
    """The learned context, pooling and adapter (small), and what training did (no timings: a DVC output);
    written beside the old folder and swapped in when complete."""
    from safetensors.torch import save_file

    kept = {k: v for k, v in summary.items() if not k.startswith("seconds")}
    note = "cross-validated scores of this set are optimistic: its prompts saw each labeled clip of the split"
    with replaced_folder(folder) as out:
        save_file({k: v.contiguous().cpu() for k, v in model.trained_state().items()}, out / WEIGHTS)
        (out / SUMMARY).write_text(
            json.dumps({"config": cfg.model_dump(), "labels": labels, **kept, "note": note}, indent=2) + "\n"
        )


def load_prompts(model: PromptedCLIP, folder: Path) -> PromptedCLIP:
    from safetensors.torch import load_file

    model.load_state_dict(load_file(folder / WEIGHTS, device=str(model.context.device)), strict=False)
    return model.eval()


def write_prompted(
    store: Path, arrays: StoreArrays, values: np.ndarray, cfg: PromptConfig, absent: str = ""
) -> None:
    """The set's store: every clip with the frozen video set, unless `absent` says why none is."""
    ok = arrays.ok & (not absent)
    errors = ["" if o else f"absent: {absent or f'no {cfg.video} vector'}" for o in ok]
    info = StoreInfo(
        "video",
        f"prompt:{cfg.video} ({arrays.model})",
        "",
        [0],
        values.shape[1],
        cfg.digest(),
        arrays.random_init,
        dtype="float32",
    )
    write_store(store, arrays.names, info, Batch(arrays.names, values[:, None, :], ok, errors), cfg.shards)
