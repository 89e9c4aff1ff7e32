"""DVC stage `pseudo_label`: the teacher's (and optionally an annotator's) pseudo-labels, round 1.

Usage: pseudo_label.py TEACHER_PREDICTIONS OUT_CSV
"""

from pathlib import Path

from pipeline.config.params import Params
from pipeline.stage import run_stage
from pipeline.tables import read_table, write_table
from pipeline.training.pseudo_labels import (
    annotations_for,
    empty_note,
    select,
    untrusted_note,
)


def main(params: Params, predictions: Path, out: Path) -> None:
    labels = params.labels
    cfg = params.selftrain
    annotations = annotations_for(cfg, labels)
    teacher = read_table(predictions)
    selected = select(teacher, labels, cfg, annotations)
    out.parent.mkdir(parents=True, exist_ok=True)
    write_table(selected, out)
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
