"""Fold stacking: several folds trained as one module must each learn what they would learn alone."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from pipeline.config.train import TrainConfig
from pipeline.training.cv import cross_validate, fold_groups
from pipeline.training.fit import (
    FoldInputs,
    FoldJob,
    build_model,
    fit_folds,
    input_shapes,
    seeded_models,
    to_tensors,
)
from pipeline.training.splits import folds
from pipeline.training.stacking import fold_state, stack, stackable
from pipeline.training.views import View, row_mask, standardize

CLASSES = 3


@pytest.fixture(scope="module")
def views_and_labels() -> tuple[list[View], np.ndarray]:
    """A layer stack (learned weights), a frame sequence and a pooled view, with missing modalities."""
    rng = np.random.default_rng(0)
    n = 150
    y = np.arange(n) % CLASSES
    signal = rng.normal(0, 1, (CLASSES, 8))[y]
    layers = (signal[:, None, :] + rng.normal(0, 1, (n, 3, 8))).astype(np.float32)
    frames = (signal[:, None, :6] + rng.normal(0, 1, (n, 4, 6))).astype(np.float32)
    pooled = (3 + 2 * signal + rng.normal(0, 1, (n, 8))).astype(np.float32)
    return [
        View("audio", layers, rng.random(n) > 0.1, np.ones((n, 3), bool)),
        View("clip", frames, rng.random(n) > 0.1, rng.random((n, 4)) > 0.2, frames=True),
        View("text", pooled, rng.random(n) > 0.1),
    ], y


def _jobs(views: list[View], y: np.ndarray, cfg: TrainConfig) -> list[FoldJob]:
    rows = np.arange(120)
    return [
        FoldJob(views, y, np.ones(len(y), np.float32), rows[a], rows[b], np.arange(120, 150), CLASSES, cfg, k)
        for k, (a, b) in enumerate(folds(y[rows], 4, 0))
    ]


@pytest.mark.parametrize("model", ["attention", "mlp"])
def test_a_fold_learns_the_same_whether_stacked_or_alone(views_and_labels, model):
    views, y = views_and_labels
    cfg = TrainConfig(
        model=model, hidden_dim=16, max_epochs=12, patience=2, modality_dropout=0.3, class_weights=True
    )
    jobs = _jobs(views, y, cfg)
    together = fit_folds(views, jobs)
    assert len({out.best_epoch for out in together}) > 1  # folds leave the stack at different epochs
    for job, stacked in zip(jobs, together, strict=True):
        (alone,) = fit_folds(views, [job])
        assert alone.best_epoch == stacked.best_epoch
        np.testing.assert_allclose(alone.predict_logits, stacked.predict_logits, rtol=1e-5, atol=1e-5)
        for key, value in alone.state.items():
            torch.testing.assert_close(value, stacked.state[key], rtol=1e-5, atol=1e-5)


def test_a_folds_weights_in_its_own_model_give_its_share_of_the_stacks_output(views_and_labels):
    views, y = views_and_labels
    cfg = TrainConfig(model="attention", hidden_dim=16)
    models, generators = seeded_models(views, _jobs(views, y, cfg)[:3])
    net = stack(models, generators).eval()
    rows = np.arange(30)
    inputs, present = to_tensors(views, np.tile(rows, 3))
    with torch.no_grad():
        together = net(inputs, present).reshape(3, len(rows), CLASSES)
        for k, model in enumerate(models):
            plain = build_model(views, CLASSES, cfg).eval()
            state = fold_state(net, k)
            assert state.keys() == plain.state_dict().keys()
            plain.load_state_dict(state)
            alone = plain(*to_tensors(views, rows))
            built = model.eval()(*to_tensors(views, rows))
            torch.testing.assert_close(alone, built)  # the stack starts from each fold's own weights
            torch.testing.assert_close(together[k], alone, rtol=1e-5, atol=1e-6)


def test_only_models_built_from_linear_layers_stack(views_and_labels):
    views, _ = views_and_labels
    kinds = {m: stackable(build_model(views, CLASSES, TrainConfig(model=m))) for m in ("attention", "mlp")}
    assert kinds == {"attention": True, "mlp": True}
    assert not stackable(build_model(views, CLASSES, TrainConfig(model="conv_attention")))


def test_batches_are_standardised_exactly_as_the_fold_views(views_and_labels):
    views, y = views_and_labels
    jobs = _jobs(views, y, TrainConfig())
    data = FoldInputs(views, jobs, torch.device("cpu"))
    rows = torch.from_numpy(np.concatenate([np.arange(0, 40), np.arange(50, 90)]))
    batch = data.batch(rows, torch.tensor([1, 3]), reuse=True)
    for position, k in enumerate((1, 3)):
        expected, _ = to_tensors(
            standardize(views, row_mask(len(y), jobs[k].train)), rows[position * 40 :][:40].numpy()
        )
        for key, value in expected.items():
            assert torch.equal(batch[key][position * 40 :][:40], value), key


def test_fold_groups_split_by_worker_and_training_size():
    assert fold_groups([80, 80, 80, 80, 80], 1) == [[0, 1, 2, 3, 4]]
    assert fold_groups([80, 80, 80, 80, 80], 2) == [[0, 2, 4], [1, 3]]
    assert fold_groups([80, 81, 80, 81, 80], 1) == [[0, 2, 4], [1, 3]]


def test_fold_workers_do_not_change_what_each_fold_learns(views_and_labels):
    views, y = views_and_labels
    cfg = TrainConfig(model="mlp", folds=4, hidden_dim=16, max_epochs=8, patience=2)
    weights, train, predict = np.ones(len(y), np.float32), np.arange(120), np.arange(120, 150)
    threads = torch.get_num_threads()
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // 2))  # each of two workers' share: like with like
    try:
        one = cross_validate(views, y, weights, train, predict, CLASSES, cfg)
    finally:
        torch.set_num_threads(threads)
    two = cross_validate(
        views, y, weights, train, predict, CLASSES, TrainConfig(**{**cfg.__dict__, "fold_workers": 2})
    )
    assert one.best_epochs == two.best_epochs
    np.testing.assert_allclose(one.predict_logits, two.predict_logits, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("model", ["attention", "mlp"])
def test_a_frame_view_of_any_name_is_masked_by_frame_not_weighted_as_layers(views_and_labels, model):
    """What a masked-out frame holds must not reach the model, whatever the set is called."""
    views, _ = views_and_labels
    clip = views[1]
    assert clip.name != "video" and [s.layer_stack for s in input_shapes(views)] == [True, False, False]
    torch.manual_seed(0)
    net = build_model(views, CLASSES, TrainConfig(model=model, hidden_dim=16)).eval()
    rows = np.arange(20)
    inputs, present = to_tensors(views, rows)
    changed = dict(inputs)
    changed[clip.name] = inputs[clip.name].masked_fill(~inputs[f"{clip.name}_steps"].unsqueeze(-1), 1e3)
    with torch.no_grad():
        torch.testing.assert_close(net(inputs, present), net(changed, present))
