"""How labeled clips are split: stratified (group) K-fold for cross-validation, and a held-out share of
each label's groups for early stopping. A group (the manifest's speaker or dialogue, or a clip with its
noisy copies) is never split."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from pipeline.config.base import ParamError


def folds(
    y: np.ndarray, k: int, seed: int, groups: np.ndarray | None = None
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified, shuffled, seeded: the same labels, groups and seed give the same folds. With `groups`
    (the manifest's `group` per row; "" is a group of its own) no group is split across folds, so a
    speaker's other clips never help score that speaker."""
    counts = np.bincount(y)
    present = counts[counts > 0]
    if len(present) < 2 or present.min() < k:
        raise ParamError(
            f"train.folds = {k} needs at least {k} training clips of every class present; the "
            f"smallest class has {present.min() if len(present) else 0} (lower train.folds)"
        )
    if groups is None or not any(groups):
        return list(StratifiedKFold(n_splits=k, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))
    ids = group_ids(groups)
    if ids.max() + 1 < k:
        raise ParamError(
            f"train.folds = {k} needs at least {k} groups among the training clips (manifest column "
            f"`group`); they form {ids.max() + 1}: lower train.folds"
        )
    splitter = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(y)), y, ids))


def group_ids(groups: np.ndarray) -> np.ndarray:
    """One integer per group, in order of first appearance; a row without a group is a group of its own."""
    keys = [g if g else f"\0{row}" for row, g in enumerate(groups)]
    first: dict[str, int] = {}
    return np.array([first.setdefault(key, len(first)) for key in keys], np.int64)


def holdout_mask(groups: list[str], y: np.ndarray, share: float, seed: int) -> np.ndarray:
    """True for held-out clips: `share` of each label's groups (`groups`: holdout_key per clip; a group
    counts under its first clip's label), with all their clips."""
    rng = np.random.default_rng(seed)
    first = pd.DataFrame({"group": groups, "y": y}).drop_duplicates("group")
    held: set[str] = set()
    for _, members in first.groupby("y"):
        names = sorted(members["group"])
        if len(names) > 1:
            held |= set(rng.choice(names, max(1, round(share * len(names))), replace=False).tolist())
    return np.array([g in held for g in groups])
