"""`train.model: auto`: candidates cross-validated on the same grouped folds, the best one's result kept,
and an estimate of the choice that does not flatter it."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline.cli.report import seed_lines
from pipeline.config.base import ParamError, validated
from pipeline.config.train import TrainConfig, TrainSection, ViewSpec
from pipeline.features.store import Batch, StoreInfo, write_shard
from pipeline.tracks.metrics import waf
from pipeline.training.cv import Augmentation
from pipeline.training.run import LabeledSet, train, trained_config, write_outputs
from pipeline.training.selection import CANDIDATES, candidates, selection_aware
from pipeline.training.views import load_views

LABELS = ["a", "b", "c"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """A linear class signal in 24 dims, 150 clips of 15 speakers."""
    rng = np.random.default_rng(1)
    n = 150
    y = np.arange(n) % 3
    x = rng.normal(0, 1, (n, 1, 24)) + 0.8 * rng.normal(0, 1, (3, 1, 24))[y]
    names = [f"c{i:03d}" for i in range(n)]
    store = tmp_path_factory.mktemp("sel") / "set"
    info = StoreInfo("audio", "random:audio-tiny", "main", [0], 24, "x", True)
    write_shard(
        store / "shard-00000.h5", info, Batch(names, x.astype(np.float32), np.ones(n, bool), [""] * n)
    )
    empty = np.zeros(0, np.int64)
    groups = np.array([f"s{i % 15}" for i in range(n)])
    data = LabeledSet(
        names, np.array(["train"] * n), y, np.ones(n, np.float32), Augmentation(empty, empty), groups
    )
    views = load_views({"set": store}, {"set": ViewSpec(layers="all", combine="mean")}, names)
    return data, views


def test_auto_keeps_the_best_candidates_own_cross_validation(corpus, tmp_path):
    data, views = corpus
    cfg = TrainConfig(model="auto", folds=3, auto_models=["linear", "mlp"], max_epochs=20)
    result = train(data, views, LABELS, cfg)
    table = {c["name"]: c for c in result.selection["candidates"]}
    assert set(table) == {n for n, s in CANDIDATES.items() if s["model"] in ("linear", "mlp")}
    chosen = result.selection["chosen"]
    assert table[chosen]["cv_waf"] == max(c["cv_waf"] for c in table.values())
    assert result.config.model == CANDIDATES[chosen]["model"] and not result.config.noise_augment
    again = train(data, views, LABELS, result.config)  # the chosen settings alone give the same folds' output
    np.testing.assert_allclose(again.oof_logits, result.oof_logits, rtol=1e-5, atol=1e-6)
    estimate = result.selection["selection_aware_cv_waf"]
    assert len(estimate["picks"]) == 3 and 0 < estimate["waf"] <= 1
    write_outputs(tmp_path, data, views, LABELS, cfg, result)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["model"] == f"auto ({chosen})" and summary["selection"]["chosen"] == chosen
    section = TrainSection(**{**cfg.model_dump(), "sets": ["set"]})
    assert trained_config(section, tmp_path / "summary.json").model == result.config.model
    as_set = section.model_copy(update={"model": "mlp", "screen_sets": False})
    assert trained_config(as_set, tmp_path / "nowhere") is as_set  # nothing chosen: no summary read


def test_noise_twins_only_where_there_are_copies():
    cfg = TrainConfig(model="auto", auto_models=["linear", "conv_attention"])
    without = [c.name for c in candidates(cfg, copies=False)]
    assert without == ["linear_c0.01", "linear_c0.1", "linear_c1", "conv_attention"]
    with_copies = candidates(cfg, copies=True)
    assert [c.name for c in with_copies][4:] == ["linear_c0.1+noise", "conv_attention+noise"]
    assert [c.cfg.noise_augment for c in with_copies] == [False] * 4 + [True] * 2


def test_the_selection_aware_estimate_scores_each_fold_with_the_other_folds_winner():
    y = np.array([0, 1] * 6)
    fold_rows = [np.arange(0, 4), np.arange(4, 8), np.arange(8, 12)]
    lucky = y.copy()
    lucky[4:] = 1 - y[4:]  # right on fold 0 only
    steady = y.copy()
    steady[0:2] = 1 - y[0:2]  # wrong on half of fold 0, right elsewhere
    estimate = selection_aware(y, {"lucky": lucky, "steady": steady}, fold_rows)
    assert estimate["picks"] == ["steady", "steady", "steady"]
    assert estimate["waf"] == pytest.approx(0.8333, abs=1e-3)


def test_auto_models_is_checked_before_any_work():
    with pytest.raises(ParamError, match="auto_models"):
        validated(TrainConfig, {"model": "auto", "auto_models": ["linear", "svm"]})


def test_seeds_train_each_fold_from_several_seeds_and_average_them(corpus, tmp_path):
    data, views = corpus
    cfg = TrainConfig(model="mlp", folds=3, max_epochs=20, noise_augment=False, seeds=3)
    result = train(data, views, LABELS, cfg)
    single = train(data, views, LABELS, cfg.model_copy(update={"seeds": 1}))
    each = result.seeds["oof_waf"]
    assert len(each) == 3 and each[0] == round(waf(data.y, single.oof_logits.argmax(axis=1)), 4)
    assert len(set(each)) > 1  # the members differ only by seed, and the seed matters
    assert result.seeds["ensemble"] == round(waf(data.y, result.oof_logits.argmax(axis=1)), 4)
    assert len(result.states) == 9 and result.votes.shape == (9, 0) and result.agreement.shape == (0,)
    write_outputs(tmp_path, data, views, LABELS, cfg, result)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["seeds"] == result.seeds
    assert seed_lines(summary)[0].startswith("train.seeds 3: out-of-fold WAF per seed")
    linear = train(data, views, LABELS, cfg.model_copy(update={"model": "linear"}))
    assert linear.seeds is None and len(linear.states) == 3  # deterministic: trained once
