"""Layer probe: which stored layers of a feature set carry the labels (the MER2024 4th place's first step).

For every stored layer of a set, the cross-validated WAF of a light probe (the `linear` model: a
standardised multinomial logistic regression) on the labeled training clips that have the set. The
folds are the training protocol's (train.folds, train.seed, the manifest's groups); nothing is re-extracted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sklearn.model_selection import cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from pipeline.config.train import TrainConfig
from pipeline.features.reader import read_store
from pipeline.tracks.metrics import waf
from pipeline.training.linear import logistic
from pipeline.training.run import LabeledSet
from pipeline.training.splits import folds


@dataclass(frozen=True)
class LayerScore:
    layer: int  # the model's hidden-state index (0: the embeddings)
    waf: float


def probe_layers(store: Path, data: LabeledSet, cfg: TrainConfig) -> list[LayerScore]:
    """One score per stored layer, in stored order; none for a store of one layer (nothing to choose)."""
    arrays = read_store(store, data.names)
    if len(arrays.layers) < 2:
        return []
    rows = data.train_rows[arrays.ok[data.train_rows]]
    y = data.y[rows]
    splits = folds(y, cfg.folds, cfg.seed, None if data.groups is None else data.groups[rows])
    probe = make_pipeline(StandardScaler(), logistic(cfg))
    scores = []
    for index, layer in enumerate(arrays.layers):
        predicted = cross_val_predict(probe, arrays.utt[rows, index], y, cv=splits)
        scores.append(LayerScore(layer, waf(y, predicted)))
    return scores


def best_layers(scores: list[LayerScore], k: int = 3) -> list[int]:
    """The k best layers by WAF (ties: the deeper layer), best first."""
    ranked = sorted(scores, key=lambda s: (s.waf, s.layer), reverse=True)
    return [s.layer for s in ranked[:k]]
