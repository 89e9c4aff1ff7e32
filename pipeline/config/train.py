"""`train.*`: the fusion models, the sets they fuse and how each set is seen."""

from __future__ import annotations

import re
from typing import Literal, get_args

from pydantic import field_validator

from pipeline.config.base import Section, between
from pipeline.config.features import SET_NAME, Layers

Model = Literal["attention", "conv_attention", "mlp", "lightgbm", "lightgbm_stack", "linear"]
MODELS = get_args(Model)
AUTO = "auto"  # train.model: choose among train.auto_models by cross-validation (pipeline.training.selection)
HONEST_STOP_SHARE = 0.2  # early stopping on held-out training groups (cv.stopping_split): auto's
NEW_CORPUS_SEEDS = 3  # train.seeds that mer init writes: an ensemble whose spread says what a seed is worth
Combine = Literal["sum", "mean", "concat", "learned"]


class TrainConfig(Section):
    """The training hyperparameters (the sets and views are the stage's, in TrainSection)."""

    model: Literal["auto", Model] = "conv_attention"
    folds: between(int, 2, 50) = 5
    seed: int = 0
    seeds: between(int, 1, 9) = 1  # models per fold, each from its own seed, probabilities averaged
    hidden_dim: between(int, 4, 8192) = 128
    dropout: between(float, 0.0, 0.95) = 0.3
    heads: between(int, 1, 64) = 4
    lr: between(float, 1e-7, 1.0) = 1e-3
    weight_decay: between(float, 0.0, 10.0) = 1e-2
    batch_size: between(int, 1, 1 << 16) = 32
    max_epochs: between(int, 1, 100_000) = 100
    patience: between(int, 1, 100_000) = 15
    stop_share: between(float, 0.0, 0.5) = 0.0  # of a fold's training clips (mer init: HONEST_STOP_SHARE)
    modality_dropout: between(float, 0.0, 0.95) = 0.3
    class_weights: bool = False
    noise_augment: bool = True  # also train on corrupted copies of the training clips
    lgbm_estimators: between(int, 1, 100_000) = 300
    lgbm_learning_rate: between(float, 1e-5, 1.0) = 0.05
    lgbm_leaves: between(int, 2, 4096) = 15
    linear_c: between(float, 1e-6, 1e6) = 1.0  # linear: inverse L2 strength of the logistic regression
    fold_workers: between(int, 1, 64) = 1  # folds trained in parallel processes
    device: str = "auto"  # auto: cuda when torch sees a GPU, else cpu
    auto_models: list[Model] = ["linear", "lightgbm", "mlp", "attention", "conv_attention"]
    screen_sets: bool = True  # drop sets whose removal does not lower the linear CV WAF (set_screen)

    @field_validator("auto_models")
    @classmethod
    def _auto_models(cls, models: list[str]) -> list[str]:
        if not models or len(set(models)) != len(models):
            raise ValueError(f"must be a non-empty list of distinct models, got {models!r}")
        return models

    @field_validator("device")
    @classmethod
    def _device(cls, device: str) -> str:
        if not re.fullmatch(r"auto|cpu|cuda(:\d+)?", device):
            raise ValueError(f"must be auto, cpu, cuda or cuda:N, got {device!r}")
        return device

    def hyperparameters(self) -> dict:
        """What a run's summary records of how it trained."""
        return self.model_dump(include=set(TrainConfig.model_fields))


class ViewSpec(Section):
    """What the models see of one set's store, chosen without re-extraction."""

    layers: Layers  # indices into the stored layers (not the model's), or all
    combine: Combine  # how the chosen layers become one vector, or `learned` weights
    sequence: bool = False  # video: keep frames (N, K, D) instead of the utterance vector


class TrainSection(TrainConfig):
    sets: list[str]  # the stores under data/features the models fuse
    views: dict[str, ViewSpec] = {}

    @field_validator("sets")
    @classmethod
    def _sets(cls, sets: list[str]) -> list[str]:
        if not sets or len(set(sets)) != len(sets) or not all(SET_NAME.fullmatch(s) for s in sets):
            raise ValueError(f"must be a non-empty list of distinct feature set names, got {sets!r}")
        return sets

    def view(self, name: str) -> ViewSpec:
        """A set without a view entry is seen whole: every stored layer, averaged."""
        return self.views.get(name, DEFAULT_VIEW)


DEFAULT_VIEW = ViewSpec(layers="all", combine="mean")


def sequence_problem(name: str, modality: str) -> str:
    return f"train.views.{name}.sequence is for video sets; {name} is a {modality} set: set it to false"
