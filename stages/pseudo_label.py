"""DVC stage `pseudo_label`: the teacher's (and optionally an annotator's) pseudo-labels, round 1.

Usage: pseudo_label.py TEACHER_PREDICTIONS OUT_CSV
"""

import sys
from pathlib import Path

import pandas as pd

from pipeline.params import labels_param, load_params
from pipeline.stage import run_stage
from pipeline.training.pseudo_labels import (
    annotations_for,
    empty_note,
    select,
    select_config,
    untrusted_note,
)


def main() -> None:
    predictions, out = Path(sys.argv[1]), Path(sys.argv[2])
    params = load_params()
    labels = labels_param(params)
    cfg = select_config(params, labels)
    annotations = annotations_for(cfg, labels)
    teacher = pd.read_csv(predictions, dtype={"label": str}, keep_default_na=False)
    selected = select(teacher, labels, cfg, annotations)
    out.parent.mkdir(parents=True, exist_ok=True)
    selected.to_csv(out, index=False, float_format="%.6f", lineterminator="\n")
    counts = selected["label"].value_counts().to_dict()
    note = untrusted_note(teacher, labels, cfg) or (
        empty_note(teacher, labels, cfg) if selected.empty else ""
    )
    print(
        f"{len(selected)} pseudo-label(s) from split {cfg.pool_split!r} {counts} -> {out}"
        + (f" ({note})" if note else "")
    )


if __name__ == "__main__":
    run_stage(main)
