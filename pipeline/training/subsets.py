"""The subsets of train.sets the ablation trains (ablation.subsets), the full set always last: the one
each subset's paired difference is taken against."""

from __future__ import annotations

from itertools import combinations

from pipeline.config.train import TrainConfig
from pipeline.training.run import LabeledSet, Scored, score_subset
from pipeline.training.views import View


def ablation_subsets(views: list[View], mode: str) -> list[list[View]]:
    """Distinct subsets (as sets of names) in order, ending with every view."""
    chosen = {"modalities": _modalities, "leave_one_out": _leave_one_out, "singles": _singles}[mode](views)
    unique: dict[frozenset[str], list[View]] = {}
    for subset in [*chosen, views]:
        unique.setdefault(frozenset(v.name for v in subset), subset)
    full = unique.pop(frozenset(v.name for v in views))
    return [*(subset for key, subset in unique.items() if key), full]


def _singles(views: list[View]) -> list[list[View]]:
    return [[v] for v in views]


def _leave_one_out(views: list[View]) -> list[list[View]]:
    return _singles(views) + [[v for v in views if v is not left] for left in views]


def _modalities(views: list[View]) -> list[list[View]]:
    """Each set alone where its modality has others, then all sets of each combination of modalities."""
    groups: dict[str, list[View]] = {}
    for view in views:
        groups.setdefault(view.group, []).append(view)
    alone = [[v] for v in views if len(groups[v.group]) > 1]
    together = [
        [v for group in subset for v in groups[group]]
        for size in range(1, len(groups) + 1)
        for subset in combinations(groups, size)
    ]
    return alone + together


def ablation(
    data: LabeledSet,
    views: list[View],
    labels: list[str],
    cfg: TrainConfig,
    splits: dict[str, str],
    mode: str,
) -> dict[str, Scored]:
    """Each subset of `mode` under the same protocol, keyed by its sets joined with +; every set last."""
    return {
        "+".join(v.name for v in subset): score_subset(data, subset, labels, cfg, splits)
        for subset in ablation_subsets(views, mode)
    }
