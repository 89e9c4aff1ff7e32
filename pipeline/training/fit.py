"""Train one torch fusion model on one fold: full-batch tensors, AdamW, early stopping by validation WAF.

The whole fold lives in tensors and mini-batches are index slices, with no per-sample DataLoader
work: on small feature vectors that overhead dominates (see bench/train.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from pipeline.tracks.metrics import waf
from pipeline.training.config import TrainConfig
from pipeline.training.models.fusion import TORCH_MODELS, InputShape
from pipeline.training.models.parts import drop_modalities
from pipeline.training.views import View


@dataclass
class FoldOutput:
    val_logits: np.ndarray
    predict_logits: np.ndarray
    best_epoch: int
    best_waf: float
    state: dict


@dataclass(frozen=True)
class FoldJob:
    """Everything one fold trains on. Rows are index arrays; y and weights cover all rows."""

    views: list[View]
    y: np.ndarray
    weights: np.ndarray
    train: np.ndarray
    val: np.ndarray
    predict: np.ndarray
    classes: int
    cfg: TrainConfig
    seed: int
    threads: int = 0  # torch threads in this fold's process (0: leave as is)


def input_shapes(views: list[View]) -> list[InputShape]:
    return [
        InputShape(
            v.name, v.x.shape[-1], v.x.shape[1] if v.is_sequence else 0, v.is_sequence and v.name != "video"
        )
        for v in views
    ]


def to_tensors(views: list[View], rows: np.ndarray) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    inputs = {}
    for view in views:
        inputs[view.name] = torch.from_numpy(view.x[rows])
        if view.is_sequence:
            inputs[f"{view.name}_steps"] = torch.from_numpy(view.steps_mask[rows])
    present = torch.from_numpy(np.stack([v.ok[rows] for v in views], axis=1))
    return inputs, present


def _slice(inputs: dict[str, torch.Tensor], index: torch.Tensor) -> dict[str, torch.Tensor]:
    return {k: v[index] for k, v in inputs.items()}


def build_model(views: list[View], classes: int, cfg: TrainConfig) -> nn.Module:
    extra = {"heads": cfg.heads} if cfg.model == "conv_attention" else {}
    return TORCH_MODELS[cfg.model](input_shapes(views), classes, cfg.hidden_dim, cfg.dropout, **extra)


@torch.inference_mode()
def predict_logits(
    model: nn.Module, inputs: dict[str, torch.Tensor], present: torch.Tensor, batch: int = 4096
) -> np.ndarray:
    """Logits in batches; an empty row set still gives a (0, classes) array."""
    model.eval()
    index = torch.arange(len(present))
    chunks = [
        model(_slice(inputs, index[s : s + batch]), present[s : s + batch])
        for s in range(0, max(len(present), 1), batch)
    ]
    return torch.cat(chunks).numpy()


def _class_weights(y: np.ndarray, classes: int) -> torch.Tensor:
    counts = np.bincount(y, minlength=classes).astype(np.float32)
    return torch.from_numpy(counts.sum() / (classes * np.maximum(counts, 1)))


def fit_fold(views: list[View], job: FoldJob) -> FoldOutput:
    """Train on `views` (the job's views, standardised for this fold)."""
    y, weights, train, val, predict = job.y, job.weights, job.train, job.val, job.predict
    classes, cfg, seed = job.classes, job.cfg, job.seed
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = build_model(views, classes, cfg)
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, fused=True)
    loss_fn = nn.CrossEntropyLoss(
        weight=_class_weights(y[train], classes) if cfg.class_weights else None, reduction="none"
    )
    x_train, p_train = to_tensors(views, train)
    y_train, w_train = torch.from_numpy(y[train]), torch.from_numpy(weights[train].astype(np.float32))
    x_val, p_val = to_tensors(views, val)
    best = (-1.0, 0, None)
    for epoch in range(cfg.max_epochs):
        model.train()
        order = torch.randperm(len(train), generator=generator)
        for start in range(0, len(order), cfg.batch_size):
            index = order[start : start + cfg.batch_size]
            present = drop_modalities(p_train[index], cfg.modality_dropout, generator)
            loss = (loss_fn(model(_slice(x_train, index), present), y_train[index]) * w_train[index]).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        score = waf(y[val], predict_logits(model, x_val, p_val).argmax(axis=1))
        if score > best[0]:
            best = (score, epoch, {k: v.detach().clone() for k, v in model.state_dict().items()})
        elif epoch - best[1] >= cfg.patience:
            break
    model.load_state_dict(best[2])
    x_pred, p_pred = to_tensors(views, predict)
    return FoldOutput(
        predict_logits(model, x_val, p_val), predict_logits(model, x_pred, p_pred), best[1], best[0], best[2]
    )
