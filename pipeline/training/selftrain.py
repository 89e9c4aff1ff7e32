"""Self-training rounds: teacher -> select pseudo-labels -> student trained on labeled + pseudo clips.

Each round's student is the next round's teacher. Pseudo-labeled clips join every fold's training
set with weight `pseudo_weight` and never its validation set.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from pipeline.config.train import TrainConfig
from pipeline.training.pseudo_labels import (
    SelectConfig,
    class_precision_estimates,
    empty_note,
    precision,
    precision_per_class,
    select,
    untrusted_note,
)
from pipeline.training.run import LabeledSet, prediction_table, split_waf, train
from pipeline.training.views import View

log = logging.getLogger(__name__)


@dataclass
class RoundReport:
    round: int
    selected: int
    per_class: dict[str, int]
    precision: float | None
    precision_per_class: dict[str, float | None] = field(default_factory=dict)
    # the teacher's out-of-fold precision per class at the threshold (what min_class_precision checks)
    estimated_precision_per_class: dict[str, float] = field(default_factory=dict)
    waf: dict[str, float] = field(default_factory=dict)
    note: str = ""


def with_pseudo_labels(
    data: LabeledSet, selected: pd.DataFrame, labels: list[str], weight: float
) -> tuple[LabeledSet, np.ndarray]:
    """A copy of the data whose selected rows carry their pseudo-label and weight; and those rows."""
    index = {name: i for i, name in enumerate(data.names)}
    rows = np.array([index[n] for n in selected["name"]], np.int64)
    y, weights = data.y.copy(), data.weights.copy()
    y[rows] = [labels.index(label) for label in selected["label"]]
    weights[rows] = weight
    return replace(data, y=y, weights=weights), rows


def run_rounds(
    data: LabeledSet,
    views: list[View],
    labels: list[str],
    train_cfg: TrainConfig,
    teacher: pd.DataFrame,
    first: pd.DataFrame,
    cfg: SelectConfig,
    truth: dict[str, str],
    splits: dict[str, str],
    annotations: dict[str, str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, list[RoundReport]]:
    """The final student's predictions, the last round's selection, and one report per round."""
    reports, selected = [], first
    for number in range(1, cfg.rounds + 1):
        if number > 1:
            selected = select(teacher, labels, cfg, annotations)
        counts = selected["label"].value_counts()
        report = RoundReport(
            number,
            len(selected),
            {label: int(counts.get(label, 0)) for label in labels},
            precision(selected, truth),
            precision_per_class(selected, truth, labels),
            class_precision_estimates(teacher, labels, cfg.threshold),
        )
        notes = [untrusted_note(teacher, labels, cfg)] + (
            [empty_note(teacher, labels, cfg)] if selected.empty else []
        )
        report.note = "; ".join(n for n in notes if n)
        if selected.empty:
            log.warning("round %d: %s", number, report.note)
        else:  # with nothing selected the student would retrain the teacher exactly: keep it
            mixed, rows = with_pseudo_labels(data, selected, labels, cfg.pseudo_weight)
            # The table keeps the human labels only: pseudo-labels stay out of its `label` column.
            teacher = prediction_table(data, labels, train(mixed, views, labels, train_cfg, rows))
        report.waf = {track: split_waf(teacher, split) for track, split in splits.items()}
        log.info(
            "round %d: %d pseudo-labels (precision %s), student WAF %s",
            number,
            len(selected),
            report.precision,
            report.waf,
        )
        reports.append(report)
    return teacher, selected, reports
