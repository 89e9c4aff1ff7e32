"""Train torch fusion models on CV folds: in-memory tensors, AdamW, early stopping by validation WAF.

All rows live in tensors and mini-batches are index slices standardised per fold, with no per-sample
DataLoader work; folds of a model with a stacked form train side by side as one model
(pipeline.training.stacking). On small feature vectors both matter more than the products do (see
bench/train.py and bench/train_step.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.func import functional_call
from tqdm import tqdm

from pipeline.config.train import TrainConfig
from pipeline.tracks.metrics import waf
from pipeline.training.device import training_device
from pipeline.training.models.fusion import TORCH_MODELS, InputShape
from pipeline.training.models.parts import drop_modalities
from pipeline.training.stacking import fold_state, keep_folds, stack, stackable
from pipeline.training.views import View, row_mask, scaling


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
    stop: np.ndarray | None = None  # rows early stopping watches (None: the validation rows)

    @property
    def watched(self) -> np.ndarray:
        return self.val if self.stop is None else self.stop


def steps(view: View) -> int:
    return view.x.shape[1] if view.is_sequence else 0


def input_shapes(views: list[View]) -> list[InputShape]:
    """A sequence of stored layers gets learned layer weights; a sequence of frames is masked by frame."""
    return [InputShape(v.name, v.x.shape[-1], steps(v), v.is_sequence and not v.frames) for v in views]


def to_tensors(views: list[View], rows: np.ndarray) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    inputs = {}
    for view in views:
        inputs[view.name] = torch.from_numpy(view.x[rows])
        if view.is_sequence:
            inputs[f"{view.name}_steps"] = torch.from_numpy(view.steps_mask[rows])
    present = torch.from_numpy(np.stack([v.ok[rows] for v in views], axis=1))
    return inputs, present


def build_model(views: list[View], classes: int, cfg: TrainConfig) -> nn.Module:
    extra = {"heads": cfg.heads} if cfg.model == "conv_attention" else {}
    return TORCH_MODELS[cfg.model](input_shapes(views), classes, cfg.hidden_dim, cfg.dropout, **extra)


def _class_weights(y: np.ndarray, classes: int) -> torch.Tensor:
    counts = np.bincount(y, minlength=classes).astype(np.float32)
    return torch.from_numpy(counts.sum() / (classes * np.maximum(counts, 1)))


class FoldInputs:
    """All rows' features as tensors (no copies), standardised per fold as batches are taken: each fold
    has its own training-row statistics, and one copy of the data serves every fold."""

    def __init__(self, views: list[View], jobs: list[FoldJob], device: torch.device):
        self.device = device
        self.x = {v.name: torch.from_numpy(v.x).to(device) for v in views}
        self.steps = {v.name: torch.from_numpy(v.steps_mask).to(device) for v in views if v.is_sequence}
        self.present = torch.from_numpy(np.stack([v.ok for v in views], axis=1)).to(device)
        order = list(dict.fromkeys(v.group for v in views))
        self.groups = torch.tensor([order.index(v.group) for v in views], device=device)
        self.mean, self.std = {}, {}
        masks = [row_mask(len(self.present), job.train) for job in jobs]
        for view in views:
            fitted = [scaling(view, mask) for mask in masks]
            self.mean[view.name] = torch.from_numpy(np.stack([m for m, _ in fitted])).to(device)
            self.std[view.name] = torch.from_numpy(np.stack([s for _, s in fitted])).to(device)
        self.reused: dict[tuple[str, int], torch.Tensor] = {}

    def batch(self, rows: torch.Tensor, folds: torch.Tensor, reuse: bool = False) -> dict[str, torch.Tensor]:
        """Rows of the given folds, one equal share each and in fold order, standardised by their fold.

        `reuse` writes into the same memory at every call of a size (training steps, where the previous
        batch is no longer needed): fresh multi-megabyte tensors at every step cost more than the copy."""
        out = {}
        for name, x in self.x.items():
            if reuse and (name, len(rows)) not in self.reused:
                self.reused[name, len(rows)] = x.new_empty((len(rows), *x.shape[1:]))
            part = torch.index_select(x, 0, rows, out=self.reused[name, len(rows)]) if reuse else x[rows]
            stats = (len(folds), *[1] * (part.ndim - 1), part.shape[-1])
            mean, std = self.mean[name][folds].reshape(stats), self.std[name][folds].reshape(stats)
            out[name] = part.reshape(len(folds), -1, *part.shape[1:]).sub_(mean).div_(std).reshape(part.shape)
            if name in self.steps:
                out[f"{name}_steps"] = self.steps[name][rows]
        return out

    @torch.inference_mode()
    def logits(
        self, model: nn.Module, state: dict, fold: int, rows: np.ndarray, batch: int = 4096
    ) -> np.ndarray:
        """Fold `fold`'s predictions for `rows` from `model` run with `state`; (0, classes) if no rows."""
        model.eval()
        folds, index = torch.tensor([fold], device=self.device), torch.from_numpy(rows).to(self.device)
        chunks = [
            functional_call(model, state, (self.batch(part, folds), self.present[part]))
            for part in (index[s : s + batch] for s in range(0, max(len(rows), 1), batch))
        ]
        return torch.cat(chunks).cpu().numpy()


def seeded_models(views: list[View], jobs: list[FoldJob]) -> tuple[list[nn.Module], list[torch.Generator]]:
    """Each fold's model, initialised from its own seed, and the generator its shuffles and masks use."""
    models, generators = [], []
    for job in jobs:
        torch.manual_seed(job.seed)
        generators.append(torch.Generator().manual_seed(job.seed))
        models.append(build_model(views, job.classes, job.cfg))
    return models, generators


def fit_folds(views: list[View], jobs: list[FoldJob]) -> list[FoldOutput]:
    """Train the jobs' folds in one stack (see pipeline.training.stacking): the same views, labels and
    settings, and training sets of one size. A model without a stacked form trains one fold at a time."""
    if len({len(job.train) for job in jobs}) > 1:
        raise ValueError("folds stacked together need training sets of one size")
    device = training_device(jobs[0].cfg)
    models, generators = seeded_models(views, jobs)
    if not stackable(models[0]) and len(jobs) > 1:
        raise ValueError(f"{jobs[0].cfg.model} has no stacked form: train its folds one at a time")
    net = stack(models, generators) if stackable(models[0]) else models[0]
    models = [model.to(device) for model in models]
    return _train(net.to(device), models, generators, FoldInputs(views, jobs, device), jobs)


@dataclass(frozen=True)
class _Targets:
    """Labels, row weights and each fold's class weights, as the loss wants them."""

    y: torch.Tensor
    weights: torch.Tensor
    class_weights: torch.Tensor | None  # (folds, classes)

    @classmethod
    def of(cls, jobs: list[FoldJob], device: torch.device) -> _Targets:
        job = jobs[0]
        per_fold = torch.stack([_class_weights(job.y[j.train], job.classes) for j in jobs]).to(device)
        return cls(
            torch.from_numpy(job.y).to(device),
            torch.from_numpy(job.weights.astype(np.float32)).to(device),
            per_fold if job.cfg.class_weights else None,
        )

    def loss(self, logits: torch.Tensor, rows: torch.Tensor, folds: torch.Tensor) -> torch.Tensor:
        """Each fold's weighted mean loss over its share of the rows, summed: a fold's weights get
        exactly the gradient of its own loss."""
        losses = nn.functional.cross_entropy(logits, self.y[rows], reduction="none")
        if self.class_weights is not None:
            losses = (
                losses * self.class_weights[folds.repeat_interleave(len(rows) // len(folds)), self.y[rows]]
            )
        return (losses * self.weights[rows]).reshape(len(folds), -1).mean(dim=1).sum()


def _epoch(
    net: nn.Module,
    optimizer: torch.optim.Optimizer,
    data: FoldInputs,
    targets: _Targets,
    train: list[torch.Tensor],
    generators: list[torch.Generator],
    active: list[int],
    cfg: TrainConfig,
) -> None:
    """One pass over the `active` folds' training rows, each fold in its own shuffled order."""
    net.train()
    orders = [
        train[f][torch.randperm(len(train[f]), generator=generators[f]).to(data.device)] for f in active
    ]
    folds = torch.tensor(active, device=data.device)
    for start in range(0, len(orders[0]), cfg.batch_size):
        parts = [order[start : start + cfg.batch_size] for order in orders]
        present = [
            drop_modalities(data.present[p], cfg.modality_dropout, generators[f], data.groups)
            for p, f in zip(parts, active, strict=True)
        ]
        rows = torch.cat(parts)
        loss = targets.loss(net(data.batch(rows, folds, reuse=True), torch.cat(present)), rows, folds)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def _train(
    net: nn.Module,
    models: list[nn.Module],
    generators: list[torch.Generator],
    data: FoldInputs,
    jobs: list[FoldJob],
) -> list[FoldOutput]:
    """AdamW on every fold still training; a fold leaves the stack when the WAF on its watched rows
    (FoldJob.stop) has not improved for `patience` epochs, keeping its best epoch's weights."""
    cfg = jobs[0].cfg
    stacked = net is not models[0]
    optimizer = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, fused=True)
    targets, train = _Targets.of(jobs, data.device), [torch.from_numpy(j.train).to(data.device) for j in jobs]
    active, best = list(range(len(jobs))), [(-1.0, 0, {})] * len(jobs)
    bar = tqdm(
        total=cfg.max_epochs,
        desc="epochs" if len(jobs) == 1 else f"epochs ({len(jobs)} folds)",
        unit="epoch",
        leave=False,
    )
    for epoch in range(cfg.max_epochs):
        _epoch(net, optimizer, data, targets, train, generators, active, cfg)
        bar.update()
        stopped = []
        for position, f in enumerate(active):
            state = fold_state(net, position) if stacked else net.state_dict()
            watched = jobs[f].watched
            score = waf(jobs[f].y[watched], data.logits(models[f], state, f, watched).argmax(axis=1))
            if score > best[f][0]:
                best[f] = (
                    score,
                    epoch,
                    {k: v.detach().clone(memory_format=torch.contiguous_format) for k, v in state.items()},
                )
            elif epoch - best[f][1] >= cfg.patience:
                stopped.append(position)
        if len(stopped) == len(active):
            break
        if stopped:
            keep = [p for p in range(len(active)) if p not in stopped]
            keep_folds(net, optimizer, keep)
            active = [active[p] for p in keep]
    bar.close()
    return [
        FoldOutput(
            data.logits(models[f], state, f, j.val),
            data.logits(models[f], state, f, j.predict),
            epoch,
            score,
            {k: v.cpu() for k, v in state.items()},
        )
        for f, (j, (score, epoch, state)) in enumerate(zip(jobs, best, strict=True))
    ]
