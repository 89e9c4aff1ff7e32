"""ablation.subsets: which subsets of train.sets the ablation trains, each once, every set last."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.training.subsets import ablation_subsets
from pipeline.training.views import View

SETS = {"hubert": "audio", "egemaps": "audio", "clip": "video", "minilm": "text"}


def _named(views: list[View], mode: str) -> list[str]:
    return ["+".join(v.name for v in subset) for subset in ablation_subsets(views, mode)]


@pytest.fixture
def views() -> list[View]:
    return [View(name, np.zeros((2, 3)), np.ones(2, bool), modality=m) for name, m in SETS.items()]


def test_modalities_takes_each_set_of_a_shared_modality_and_every_combination_of_modalities(views):
    assert _named(views, "modalities") == [
        "hubert",
        "egemaps",
        "hubert+egemaps",
        "clip",
        "minilm",
        "hubert+egemaps+clip",
        "hubert+egemaps+minilm",
        "clip+minilm",
        "hubert+egemaps+clip+minilm",
    ]


def test_leave_one_out_and_singles_grow_linearly_with_the_sets(views):
    every = "hubert+egemaps+clip+minilm"
    assert _named(views, "singles") == [*SETS, every]
    assert _named(views, "leave_one_out") == [
        *SETS,
        "egemaps+clip+minilm",
        "hubert+clip+minilm",
        "hubert+egemaps+minilm",
        "hubert+egemaps+clip",
        every,
    ]
    six = [View(f"s{i}", np.zeros((2, 3)), np.ones(2, bool), modality="audio") for i in range(6)]
    assert [len(ablation_subsets(six, mode)) for mode in ("singles", "leave_one_out")] == [7, 13]


@pytest.mark.parametrize("mode", ["modalities", "leave_one_out", "singles"])
def test_one_or_two_sets_train_no_subset_twice(views, mode):
    assert _named(views[:1], mode) == ["hubert"]
    two = _named([views[0], views[2]], mode)
    assert two == ["hubert", "clip", "hubert+clip"]
