"""`train.screen_sets`: a set of pure noise added to train.sets is dropped before the models train, so it
costs (almost) nothing; without the screen it costs the fusion model several points."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline.cli.report import screening_lines
from pipeline.config.train import TrainConfig, TrainSection, ViewSpec
from pipeline.features.store import Batch, StoreInfo, write_shard
from pipeline.tracks.metrics import waf
from pipeline.training.cv import Augmentation
from pipeline.training.run import LabeledSet, train, trained_config, write_outputs
from pipeline.training.views import load_views

LABELS = ["a", "b", "c"]
N = 180


def _store(path, x: np.ndarray, modality: str) -> None:
    info = StoreInfo(modality, f"random:{modality}-tiny", "main", [0], x.shape[-1], "x", True)
    names = [f"c{i:03d}" for i in range(len(x))]
    write_shard(
        path / "shard-00000.h5",
        info,
        Batch(names, x.astype(np.float32), np.ones(len(x), bool), [""] * len(x)),
    )


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """An informative audio set (a class signal in 16 dims) and a generated store of pure noise (256 dims)."""
    rng = np.random.default_rng(3)
    y = np.arange(N) % 3
    signal = rng.normal(0, 1, (N, 1, 16)) + 0.7 * rng.normal(0, 1, (3, 1, 16))[y]
    root = tmp_path_factory.mktemp("screen")
    _store(root / "good", signal, "audio")
    _store(root / "noise", rng.normal(0, 1, (N, 1, 256)), "video")
    names = [f"c{i:03d}" for i in range(N)]
    empty = np.zeros(0, np.int64)
    groups = np.array([f"s{i % 18}" for i in range(N)])
    data = LabeledSet(
        names, np.array(["train"] * N), y, np.ones(N, np.float32), Augmentation(empty, empty), groups
    )
    spec = ViewSpec(layers="all", combine="mean")
    views = load_views({"good": root / "good", "noise": root / "noise"}, {"good": spec, "noise": spec}, names)
    return data, views


def _cv_waf(data: LabeledSet, views, cfg: TrainConfig) -> tuple[float, object]:
    result = train(data, views, LABELS, cfg)
    return waf(data.y, result.oof_logits.argmax(axis=1)), result


def test_a_noise_set_costs_at_most_a_point_with_the_screen_and_more_without(corpus):
    data, views = corpus
    cfg = TrainConfig(model="mlp", folds=3, max_epochs=40, noise_augment=False, modality_dropout=0.0)
    alone, _ = _cv_waf(data, views[:1], cfg)
    screened, result = _cv_waf(data, views, cfg)
    unscreened, _ = _cv_waf(data, views, cfg.model_copy(update={"screen_sets": False}))
    assert result.screening["kept"] == ["good"]
    assert [d["set"] for d in result.screening["dropped"]] == ["noise"]
    assert screened >= alone - 0.01
    assert unscreened < alone - 0.03


def test_the_kept_sets_reach_retrain_and_mer_report(corpus, tmp_path):
    data, views = corpus
    cfg = TrainConfig(model="linear", folds=3, noise_augment=False)
    result = train(data, views, LABELS, cfg)
    write_outputs(tmp_path, data, views, LABELS, cfg, result)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["sets"]["kept"] == ["good"]
    section = TrainSection(**{**cfg.model_dump(), "sets": ["good", "noise"]})
    trained = trained_config(section, tmp_path / "summary.json")
    assert trained.sets == ["good"] and not trained.screen_sets and trained.model == "linear"
    lines = screening_lines(summary)
    assert lines[0] == "train.screen_sets kept good" and lines[1].startswith("  dropped noise: linear CV WAF")
