"""The MER2024 open-vocabulary metric: set accuracy and recall after synonym grouping.

For each clip, every word maps to the head of its synonym group (words in no group stay themselves);
accuracy = |G ∩ P| / |P| and recall = |G ∩ P| / |G|, both 0 when P is empty; averaged over clips; the
score is their mean. Clips absent from the prediction file count as empty predictions (the official
scorer loops over the ground-truth clips); names in the prediction file that are not in the ground
truth are an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.tracks.ov_parse import normalise, official_list, strict_list

Grouper = Callable[
    [str, list[str], list[str]], dict[str, str]
]  # (clip, gt words, pred words) -> word -> head


@dataclass(frozen=True)
class OVScore:
    accuracy: float
    recall: float
    n: int

    @property
    def avg(self) -> float:
        return (self.accuracy + self.recall) / 2

    def as_dict(self) -> dict[str, float | int]:
        return {"accuracy": self.accuracy, "recall": self.recall, "avg": self.avg, "n": self.n}


def read_sets(path: Path, parse: Callable[[str], list[str]]) -> dict[str, list[str]]:
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in ("name", "openset") if c not in table.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {missing}; expected name,openset")
    return {
        name: [normalise(w) for w in parse(value)]
        for name, value in zip(table["name"], table["openset"], strict=True)
    }


def clip_scores(gt: list[str], pred: list[str], heads: dict[str, str]) -> tuple[float, float]:
    g = {heads.get(w, w) for w in gt}
    p = {heads.get(w, w) for w in pred}
    if not p or not g:
        return 0.0, 0.0
    hit = len(g & p)
    return hit / len(p), hit / len(g)


def ov_score(gt: dict[str, list[str]], pred: dict[str, list[str]], grouper: Grouper) -> OVScore:
    unknown = sorted(set(pred) - set(gt))
    if unknown:
        shown = ", ".join(unknown[:10]) + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else "")
        raise ValueError(f"{len(unknown)} predicted name(s) are not in the ground truth: {shown}")
    accuracy = recall = 0.0
    for name, words in gt.items():
        guess = pred.get(name, [])
        a, r = clip_scores(words, guess, grouper(name, words, guess))
        accuracy, recall = accuracy + a, recall + r
    n = len(gt)
    return OVScore(accuracy / n if n else 0.0, recall / n if n else 0.0, n)


def score_files(gt_csv: Path, pred_csv: Path, grouper: Grouper, official_parse: bool = True) -> OVScore:
    parse = official_list if official_parse else strict_list
    return ov_score(read_sets(gt_csv, parse), read_sets(pred_csv, parse), grouper)
