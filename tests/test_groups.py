"""The manifest's `group` (speaker, dialogue): folds never split one, in training, the layer probe,
`mer init` and the adaptation hold-out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import StratifiedKFold

from pipeline.adaptation.holdout import holdout_key
from pipeline.config.base import ParamError
from pipeline.config.train import HONEST_STOP_SHARE, TrainConfig, ViewSpec
from pipeline.corpus.generic_csv import import_csv
from pipeline.corpus.manifest import read_manifest
from pipeline.corpus.profile import corpus_profile, params_for
from pipeline.errors import BadInput
from pipeline.features.store import Batch, StoreInfo, write_shard
from pipeline.tracks.metrics import waf
from pipeline.training.cv import Augmentation, stopping_split
from pipeline.training.probe import probe_layers
from pipeline.training.run import LabeledSet, labeled_set, train
from pipeline.training.splits import folds, holdout_mask
from pipeline.training.views import load_views
from tests.conftest import LABELS, manifest_row, write_test_manifest

CLASSES, GROUPS, PER_GROUP = 4, 40, 8


def _labels_and_groups() -> tuple[np.ndarray, np.ndarray]:
    """Each speaker says one emotion only: its voice alone predicts the label, for clips of known speakers."""
    group = np.repeat(np.arange(GROUPS), PER_GROUP)
    return group % CLASSES, np.array([f"spk{g:02d}" for g in group])


def test_grouped_folds_keep_each_group_whole_and_are_seeded():
    y, groups = _labels_and_groups()
    splits = folds(y, 5, 0, groups)
    for train_rows, check_rows in splits:
        assert not set(groups[train_rows]) & set(groups[check_rows])
    assert sorted(np.concatenate([b for _, b in splits]).tolist()) == list(range(len(y)))
    again = folds(y, 5, 0, groups)
    assert all((a[1] == b[1]).all() for a, b in zip(splits, again, strict=True))


def test_without_groups_the_folds_are_the_stratified_ones_of_before():
    y, _ = _labels_and_groups()
    expected = StratifiedKFold(n_splits=5, shuffle=True, random_state=3).split(np.zeros(len(y)), y)
    for (_, got), (_, want) in zip(folds(y, 5, 3), expected, strict=True):
        assert (got == want).all()
    empty = np.array([""] * len(y))
    assert all((a[1] == b[1]).all() for a, b in zip(folds(y, 5, 3, empty), folds(y, 5, 3), strict=True))


def test_fewer_groups_than_folds_stops_with_the_key_to_change():
    y = np.arange(40) % 2
    with pytest.raises(ParamError, match=r"train.folds = 5 needs at least 5 groups .* form 3"):
        folds(y, 5, 0, np.array(["a", "b", "c"] * 13 + ["a"]))


def test_a_clip_without_a_group_is_a_group_of_its_own():
    y = np.arange(40) % 2
    groups = np.array(["a"] * 20 + [""] * 20)
    for _, check_rows in folds(y, 4, 0, groups):
        assert set(check_rows) >= set(range(20)) or not set(check_rows) & set(range(20))


@pytest.fixture(scope="module")
def speaker_store(tmp_path_factory):
    """Two layers of a voice vector per speaker plus a little noise: no emotion signal beyond the voice."""
    rng = np.random.default_rng(0)
    y, groups = _labels_and_groups()
    voices = rng.normal(0, 1, (GROUPS, 2, 32))
    utt = voices[np.repeat(np.arange(GROUPS), PER_GROUP)] + rng.normal(0, 0.3, (len(y), 2, 32))
    names = [f"c{i:03d}" for i in range(len(y))]
    store = tmp_path_factory.mktemp("speakers") / "audio"
    info = StoreInfo("audio", "random:audio-tiny", "main", [0, 1], 32, "x", True)
    ok = np.ones(len(y), bool)
    write_shard(store / "shard-00000.h5", info, Batch(names, utt.astype(np.float32), ok, [""] * len(y)))
    empty = np.zeros(0, np.int64)
    data = LabeledSet(
        names, np.array(["train"] * len(y)), y, np.ones(len(y), np.float32), Augmentation(empty, empty)
    )
    return store, data, groups


def test_grouped_cv_does_not_score_the_speaker_instead_of_the_emotion(speaker_store):
    """Ungrouped folds reward recognising the speaker (near 1.0); grouped folds see new speakers only."""
    store, data, groups = speaker_store
    cfg = TrainConfig(model="linear", folds=4, noise_augment=False)
    views = load_views({"audio": store}, {"audio": ViewSpec(layers="all", combine="mean")}, data.names)
    scores = {}
    for grouped in (False, True):
        chosen = LabeledSet(**{**data.__dict__, "groups": groups if grouped else None})
        result = train(chosen, views, ["a", "b", "c", "d"], cfg)
        scores[grouped] = waf(chosen.y, result.oof_logits.argmax(axis=1))
    assert scores[False] > 0.9 and scores[True] < 0.5, scores
    probes = {
        grouped: probe_layers(
            store, LabeledSet(**{**data.__dict__, "groups": groups if grouped else None}), cfg
        )
        for grouped in (False, True)
    }
    assert min(s.waf for s in probes[False]) > 0.75 and max(s.waf for s in probes[True]) < 0.45, probes


def test_import_csv_takes_the_group_column_and_init_plans_by_it(tmp_path):
    table = tmp_path / "table.csv"
    rows = [
        {"name": f"c{i}", "split": "train", "label": LABELS[i % 2], "text": "words", "speaker": f"s{i % 3}"}
        for i in range(12)
    ]
    pd.DataFrame(rows).to_csv(table, index=False)
    with pytest.raises(BadInput, match="no column 'talker'"):
        import_csv(table, "talker")
    imported = import_csv(table, "speaker")
    assert list(imported["group"]) == [f"s{i % 3}" for i in range(12)]
    path = write_test_manifest(imported.to_dict("records"), tmp_path / "manifest.csv")
    manifest = read_manifest(path, LABELS)
    assert labeled_set(manifest, LABELS).groups.tolist() == [f"s{i % 3}" for i in range(12)]
    profile = corpus_profile(manifest)
    assert profile.train_groups == 3
    assert params_for(profile, "manifest.csv", 5, {"text": "text"})["train.folds"] == 3


def test_a_manifest_without_groups_reads_as_none(tmp_path):
    path = write_test_manifest([manifest_row("a", label=LABELS[0]), manifest_row("b")], tmp_path / "m.csv")
    manifest = read_manifest(path, LABELS)
    assert labeled_set(manifest, LABELS).groups is None and corpus_profile(manifest).train_groups == 0


def test_the_adaptation_holdout_keeps_a_speaker_and_its_noisy_copies_on_one_side():
    rows = [{"name": f"c{i}", "source": "", "group": f"s{i % 6}"} for i in range(60)]
    rows += [{"name": f"c{i}_noise", "source": f"c{i}", "group": f"s{i % 6}"} for i in range(60)]
    keys = [holdout_key(row) for row in rows]
    held = holdout_mask(keys, np.array([i % 4 for i in range(120)]), 0.2, 0)
    for speaker in {row["group"] for row in rows}:
        assert len({h for h, row in zip(held, rows, strict=True) if row["group"] == speaker}) == 1
    assert 0 < held.sum() < len(rows)
    assert holdout_key({"name": "x_noise", "source": "x", "group": ""}) == "x"


def test_early_stopping_watches_held_out_training_groups_never_the_validation_fold():
    y, groups = _labels_and_groups()
    rows = np.arange(len(y))
    check_rows = rows[groups == "spk00"]
    train_rows = rows[groups != "spk00"]
    honest = TrainConfig(model="mlp", stop_share=HONEST_STOP_SHARE)  # what mer init writes
    fit, watched = stopping_split(train_rows, y, groups, honest, seed=0)
    assert set(fit) | set(watched) == set(train_rows) and not set(fit) & set(watched)
    assert not set(watched) & set(check_rows)
    assert not set(groups[fit]) & set(groups[watched])  # whole speakers
    assert 0.1 < len(watched) / len(train_rows) < 0.35
    linear = honest.model_copy(update={"model": "linear"})
    assert stopping_split(train_rows, y, groups, linear, 0)[1] is None
    assert stopping_split(train_rows, y, None, TrainConfig(model="mlp", stop_share=0.0), 0)[1] is None
    fit, watched = stopping_split(train_rows, y, None, honest, 0)
    assert len(watched) and not set(fit) & set(watched)  # no groups: clips held out one by one
