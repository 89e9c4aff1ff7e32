"""Fusion models, modality masking, the CV protocol and the track metric, on real HDF5 stores."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.metrics import f1_score

from bench.scale import bytes_read
from pipeline.config.base import ParamError
from pipeline.config.train import MODELS, TrainConfig, ViewSpec
from pipeline.corpus.manifest import read_manifest
from pipeline.features.reader import read_store
from pipeline.features.store import Batch, StoreInfo, write_shard
from pipeline.tracks.metrics import track_metrics, waf
from pipeline.tracks.score import score_split, submission
from pipeline.training.cv import Augmentation, cross_validate
from pipeline.training.fit import build_model, to_tensors
from pipeline.training.models.parts import drop_modalities
from pipeline.training.probe import best_layers, probe_layers
from pipeline.training.run import (
    LabeledSet,
    labeled_set,
    noisy_copies,
    prediction_table,
    split_waf,
    train,
    training_rows,
)
from pipeline.training.splits import folds
from pipeline.training.views import View, load_views
from tests.conftest import LABELS, manifest_row, write_test_manifest

CLASSES = 4
DIMS = {"audio": (3, 12), "video": (1, 10), "text": (2, 16)}  # (layers, dim)


def _write_store(store: Path, modality: str, names: list[str], utt: np.ndarray, ok: np.ndarray) -> None:
    layers, dim = utt.shape[1:]
    info = StoreInfo(modality, f"random:{modality}-tiny", "main", list(range(layers)), dim, "x", True)
    write_shard(
        store / "shard-00000.h5", info, Batch(names, utt, ok, ["" if o else "absent: test" for o in ok])
    )


@pytest.fixture(scope="module")
def separable(tmp_path_factory) -> tuple[list[View], np.ndarray]:
    """Each modality carries a noisy class signal; some clips miss a modality."""
    rng = np.random.default_rng(0)
    n = 240
    y = np.arange(n) % CLASSES
    names = [f"c{i:03d}" for i in range(n)]
    root = tmp_path_factory.mktemp("stores")
    for modality, (layers, dim) in DIMS.items():
        centers = rng.normal(0, 1, (CLASSES, dim))
        utt = centers[y][:, None, :] + rng.normal(0, 1.2, (n, layers, dim))
        ok = rng.random(n) > 0.1
        _write_store(root / modality, modality, names, utt.astype(np.float32), ok)
    specs = {
        "audio": ViewSpec(layers="all", combine="learned"),
        "video": ViewSpec(layers="all", combine="mean"),
        "text": ViewSpec(layers=[-1], combine="mean"),
    }
    return load_views({m: root / m for m in DIMS}, specs, names), y


@pytest.mark.parametrize("model", MODELS)
def test_each_model_beats_chance_on_separable_features(separable, model):
    views, y = separable
    cfg = TrainConfig(
        model=model,
        folds=3,
        max_epochs=40,
        patience=8,
        hidden_dim=32,
        lgbm_estimators=60,
        modality_dropout=0.2,
    )
    train, predict = np.arange(0, 180), np.arange(180, 240)
    result = cross_validate(views, y, np.ones(len(y), np.float32), train, predict, CLASSES, cfg)
    assert waf(y[predict], result.predict_logits.argmax(axis=1)) > 0.6  # chance is 0.25
    assert waf(y[train], result.oof_logits.argmax(axis=1)) > 0.6


@pytest.mark.parametrize("model", ["attention", "conv_attention", "mlp"])
def test_missing_modality_values_never_reach_the_output(separable, model):
    views, _ = separable
    torch.manual_seed(0)
    net = build_model(views, CLASSES, TrainConfig(model=model, hidden_dim=16)).eval()
    rows = np.arange(32)
    inputs, present = to_tensors(views, rows)
    present[:, 1] = False
    present[::3, 0] = False
    zeros = {k: v.clone() for k, v in inputs.items()}
    noise = {k: v.clone() for k, v in inputs.items()}
    zeros["video"][:] = 0
    noise["video"] = torch.randn_like(noise["video"]) * 100
    zeros["audio"][::3] = 0
    noise["audio"][::3] = torch.randn_like(noise["audio"][::3]) * 100
    with torch.no_grad():
        torch.testing.assert_close(net(zeros, present), net(noise, present))
        assert not torch.allclose(net(inputs, torch.ones_like(present)), net(zeros, present))


def test_modality_dropout_never_drops_everything():
    generator = torch.Generator().manual_seed(0)
    present = torch.rand(5000, 3, generator=generator) > 0.3
    kept = drop_modalities(present, 0.9, generator)
    assert not (kept & ~present).any()
    assert (kept.any(dim=1) == present.any(dim=1)).all()
    assert 0.3 < kept.float().sum() / present.float().sum() < 0.6  # mostly one restored modality per row


def test_modality_dropout_drops_the_sets_of_a_modality_together():
    generator = torch.Generator().manual_seed(0)
    present = torch.ones(4000, 4, dtype=torch.bool)
    present[::5, 1] = False  # a set absent for some clips stays absent
    kept = drop_modalities(present, 0.5, generator, torch.tensor([0, 0, 1, 2]))
    assert not (kept & ~present).any() and kept.any(dim=1).all()
    both = present[:, 1]
    assert (kept[both, 0] == kept[both, 1]).all()
    assert 0.3 < kept[:, 0].float().mean() < 0.7


def test_layer_probe_finds_the_layer_that_carries_the_labels(tmp_path):
    rng = np.random.default_rng(0)
    n, y = 160, np.arange(160) % CLASSES
    utt = rng.normal(0, 1, (n, 4, 8)).astype(np.float32)
    utt[:, 2] += 1.5 * rng.normal(0, 1, (CLASSES, 8)).astype(np.float32)[y]
    names = [f"c{i:03d}" for i in range(n)]
    _write_store(tmp_path / "store", "audio", names, utt, np.arange(n) % 10 != 0)
    empty = np.zeros(0, np.int64)
    data = LabeledSet(names, np.array(["train"] * n), y, np.ones(n, np.float32), Augmentation(empty, empty))
    scores = probe_layers(tmp_path / "store", data, TrainConfig(folds=4))
    assert [s.layer for s in scores] == [0, 1, 2, 3]
    assert best_layers(scores)[0] == 2 and scores[2].waf > 0.8
    assert max(s.waf for s in scores if s.layer != 2) < 0.5  # chance is 0.25


def test_cv_split_is_stratified_and_seeded():
    y = np.repeat(np.arange(6), [50, 40, 30, 30, 20, 10])
    first, again, other = folds(y, 5, 1), folds(y, 5, 1), folds(y, 5, 2)
    for (a, b), (c, d) in zip(first, again, strict=True):
        assert (a == c).all() and (b == d).all()
    assert any((b != d).any() for (_, b), (_, d) in zip(first, other, strict=True))
    for _, val in first:
        np.testing.assert_array_equal(np.bincount(y[val]), np.bincount(y) // 5)


def test_waf_is_sklearns_weighted_f1_and_the_support_weighted_mean():
    rng = np.random.default_rng(3)
    y_true, y_pred = rng.integers(0, 6, 500), rng.integers(0, 6, 500)
    per_class = [f1_score(y_true == c, y_pred == c) for c in range(6)]
    manual = sum(f * (y_true == c).sum() for c, f in enumerate(per_class)) / len(y_true)
    assert waf(y_true, y_pred) == pytest.approx(f1_score(y_true, y_pred, average="weighted"), abs=1e-12)
    assert waf(y_true, y_pred) == pytest.approx(manual, abs=1e-12)
    metrics = track_metrics(y_true, y_pred, list("abcdef"))
    assert metrics["n"] == 500 and set(metrics["per_class_f1"]) == set("abcdef")


def test_submission_has_one_row_per_candidate():
    table = pd.DataFrame(
        {"name": ["a", "b", "c"], "split": ["test"] * 3, "label": ["x", "y", ""], "pred": ["x", "x", "y"]}
    )
    metrics, rows = score_split(table, "test", ["x", "y"])
    assert metrics["n"] == 2 and metrics["acc"] == 0.5 and metrics["clips"] == 3
    assert list(submission(rows).columns) == ["name", "discrete"] and len(submission(rows)) == 3
    missing, none = score_split(table, "dev", ["x", "y"])
    assert none.empty and missing["n"] == 0 and "no clips in split 'dev'" in missing["note"]


def test_a_split_without_labels_is_predicted_not_scored():
    table = pd.DataFrame({"name": ["a", "b"], "split": ["test"] * 2, "label": ["", ""], "pred": ["x", "y"]})
    metrics, rows = score_split(table, "test", ["x", "y"])
    assert "waf" not in metrics and metrics["labeled"] == 0 and metrics["clips"] == 2 and len(rows) == 2
    assert split_waf(table, "test") is None


def _with_noisy_copies(views: list[View], y: np.ndarray, train: np.ndarray) -> tuple[list[View], LabeledSet]:
    """The separable set plus a noisier copy of every training clip, named and linked like `corrupt`'s."""
    rng = np.random.default_rng(1)
    n, trained = len(y), set(train)
    names = [f"c{i:03d}" for i in range(n)] + [f"c{i:03d}_noise" for i in train]
    splits = np.array(["train" if i in trained else "test" for i in range(n)] + ["train_noise"] * len(train))
    sources = np.array([""] * n + [names[i] for i in train], dtype=object)
    noisy = [
        View(
            v.name,
            np.concatenate([v.x, v.x[train] + rng.normal(0, 1, v.x[train].shape).astype(np.float32)]),
            np.concatenate([v.ok, v.ok[train]]),
            None if v.steps_mask is None else np.concatenate([v.steps_mask, v.steps_mask[train]]),
        )
        for v in views
    ]
    labels = np.concatenate([y, y[train]])
    copies = noisy_copies(names, sources, labels, training_rows(splits, labels))
    return noisy, LabeledSet(names, splits, labels, np.ones(len(names), np.float32), copies)


def test_noisy_copies_join_only_the_folds_that_train_on_their_source(separable):
    views, y = separable
    _, data = _with_noisy_copies(views, y, np.arange(0, 180))
    copies = data.copies
    assert [data.names[r] for r in copies.rows] == [f"{data.names[s]}_noise" for s in copies.source_rows]
    for fold_train, fold_val in folds(data.y[data.train_rows], 3, 0):
        joined = copies.for_training(data.train_rows[fold_train])
        sources = {data.names[r].removesuffix("_noise") for r in joined}
        assert sources == {data.names[r] for r in data.train_rows[fold_train]}
        assert not sources & {data.names[r] for r in data.train_rows[fold_val]}


def test_noise_augmentation_trains_and_needs_copies(separable):
    views, y = separable
    noisy_views, data = _with_noisy_copies(views, y, np.arange(0, 180))
    cfg = TrainConfig(
        model="attention", folds=3, max_epochs=30, patience=8, hidden_dim=32, noise_augment=True
    )
    table = prediction_table(data, list("abcd"), train(data, noisy_views, list("abcd"), cfg))
    assert split_waf(table, "test") > 0.6
    plain = replace(
        data, copies=noisy_copies(data.names, np.full(len(data.names), ""), data.y, data.train_rows)
    )
    with pytest.raises(ParamError, match="train.noise_augment is true but the manifest has no labeled"):
        train(plain, noisy_views, list("abcd"), cfg)


def test_reading_a_view_keeps_only_its_layers(tmp_path):
    names = [f"c{i}" for i in range(5)]
    utt = np.random.default_rng(0).normal(size=(5, 4, 6)).astype(np.float16).astype(np.float32)
    _write_store(tmp_path / "audio", "audio", names, utt, np.ones(5, bool))
    part = read_store(tmp_path / "audio", names[::-1], layers=[-1, 1], key="train.views.audio.layers")
    assert part.utt.shape == (5, 2, 6) and part.layers == [1, 3]
    np.testing.assert_array_equal(part.utt, utt[::-1][:, [1, 3]])
    run = read_store(tmp_path / "audio", names, layers=[-3, -2, -1])  # adjacent layers: one hyperslab
    assert run.layers == [1, 2, 3]
    np.testing.assert_array_equal(run.utt, utt[:, 1:])
    with pytest.raises(ParamError, match=r"train.views.audio.layers has indices \[4\]"):
        read_store(tmp_path / "audio", names, layers=[4], key="train.views.audio.layers")


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="needs Linux /proc/self/io")
def test_a_one_layer_view_reads_about_one_layer_of_bytes_and_empty_shards_read(tmp_path):
    utt = np.random.default_rng(0).normal(size=(400, 16, 256)).astype(np.float32)
    names = [f"c{i}" for i in range(400)]
    _write_store(tmp_path / "audio", "audio", names, utt, np.ones(400, bool))
    one_layer = 400 * 256 * 2
    before = bytes_read()
    part = read_store(tmp_path / "audio", names, layers=[5])
    assert bytes_read() - before < 2 * one_layer  # the whole utt is 16 layers' worth
    np.testing.assert_array_equal(part.utt[:, 0], utt[:, 5].astype(np.float16))
    _write_store(tmp_path / "empty", "audio", [], utt[:0], np.ones(0, bool))
    assert read_store(tmp_path / "empty", [], layers=[5]).utt.shape == (0, 1, 256)


def test_noise_augmentation_without_copies_stops_when_the_manifest_is_read(tmp_path):
    rows = [manifest_row(f"c{i}", label="happy") for i in range(3)]
    manifest = read_manifest(write_test_manifest(rows, tmp_path / "manifest.csv"), LABELS)
    assert len(labeled_set(manifest, LABELS, TrainConfig(noise_augment=False)).copies.rows) == 0
    with pytest.raises(ParamError, match="set corrupt.augment_split: train"):
        labeled_set(manifest, LABELS, TrainConfig(noise_augment=True))
    copy = manifest_row("c0_noise", split="train_noise", label="happy", source="c0")
    with_copy = read_manifest(write_test_manifest(rows + [copy], tmp_path / "copies.csv"), LABELS)
    copies = labeled_set(with_copy, LABELS, TrainConfig(noise_augment=True)).copies
    assert list(copies.rows) == [3] and list(copies.source_rows) == [0]
