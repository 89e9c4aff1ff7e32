"""Training settings: params.yaml's `train.*` keys."""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch

from pipeline.params import invalid, pick, pick_choice, pick_range

MODELS = ("attention", "conv_attention", "mlp", "lightgbm", "lightgbm_stack", "linear")


@dataclass(frozen=True)
class TrainConfig:
    model: str = "attention"
    folds: int = 5
    seed: int = 0
    hidden_dim: int = 128
    dropout: float = 0.3
    heads: int = 4
    lr: float = 1e-3
    weight_decay: float = 1e-2
    batch_size: int = 32
    max_epochs: int = 100
    patience: int = 15
    modality_dropout: float = 0.0
    class_weights: bool = False
    noise_augment: bool = False  # also train on corrupted copies of the training clips
    lgbm_estimators: int = 300
    lgbm_learning_rate: float = 0.05
    lgbm_leaves: int = 15
    linear_c: float = 1.0  # linear: inverse L2 strength of the logistic regression
    fold_workers: int = 1  # folds trained in parallel processes
    device: str = "auto"  # auto: cuda when torch sees a GPU, else cpu


def train_config(params: dict) -> TrainConfig:
    d = TrainConfig()
    return TrainConfig(
        model=pick_choice(params, "train.model", MODELS),
        folds=pick_range(params, "train.folds", int, 2, 50, default=d.folds),
        seed=pick(params, "train.seed", int, default=d.seed),
        hidden_dim=pick_range(params, "train.hidden_dim", int, 4, 8192, default=d.hidden_dim),
        dropout=pick_range(params, "train.dropout", float, 0.0, 0.95, default=d.dropout),
        heads=pick_range(params, "train.heads", int, 1, 64, default=d.heads),
        lr=pick_range(params, "train.lr", float, 1e-7, 1.0, default=d.lr),
        weight_decay=pick_range(params, "train.weight_decay", float, 0.0, 10.0, default=d.weight_decay),
        batch_size=pick_range(params, "train.batch_size", int, 1, 1 << 16, default=d.batch_size),
        max_epochs=pick_range(params, "train.max_epochs", int, 1, 100_000, default=d.max_epochs),
        patience=pick_range(params, "train.patience", int, 1, 100_000, default=d.patience),
        modality_dropout=pick_range(
            params, "train.modality_dropout", float, 0.0, 0.95, default=d.modality_dropout
        ),
        class_weights=pick(params, "train.class_weights", bool, default=d.class_weights),
        noise_augment=pick(params, "train.noise_augment", bool, default=d.noise_augment),
        lgbm_estimators=pick_range(
            params, "train.lgbm_estimators", int, 1, 100_000, default=d.lgbm_estimators
        ),
        lgbm_learning_rate=pick_range(
            params, "train.lgbm_learning_rate", float, 1e-5, 1.0, default=d.lgbm_learning_rate
        ),
        lgbm_leaves=pick_range(params, "train.lgbm_leaves", int, 2, 4096, default=d.lgbm_leaves),
        linear_c=pick_range(params, "train.linear_c", float, 1e-6, 1e6, default=d.linear_c),
        fold_workers=pick_range(params, "train.fold_workers", int, 1, 64, default=d.fold_workers),
        device=_device(params, d.device),
    )


def _device(params: dict, default: str) -> str:
    device = pick(params, "train.device", str, default=default)
    if not re.fullmatch(r"auto|cpu|cuda(:\d+)?", device):
        return invalid(f"train.device must be auto, cpu, cuda or cuda:N, got {device!r}", default)
    if device.startswith("cuda") and not torch.cuda.is_available():
        return invalid(f"train.device is {device} but torch sees no CUDA GPU here (use auto or cpu)", default)
    return device


def training_device(cfg: TrainConfig) -> torch.device:
    """The device train.device names; auto is the GPU when torch sees one."""
    if cfg.device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(cfg.device)
