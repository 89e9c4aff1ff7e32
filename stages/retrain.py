"""DVC stage `retrain`: self-training rounds from the first selection; report per round.

Usage: retrain.py MANIFEST FEATURES_DIR TEACHER_PREDICTIONS PSEUDO_LABELS OUT_DIR METRICS_JSON PLOTS_DIR
Writes OUT_DIR/predictions.csv (final student), OUT_DIR/pseudo_labels.csv (last round), METRICS_JSON
and PLOTS_DIR/{rounds,precision_threshold}.csv.
"""

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.config.params import Params
from pipeline.corpus.manifest import read_manifest
from pipeline.stage import run_stage
from pipeline.tables import read_table, write_table
from pipeline.tracks.metrics import shown, signed
from pipeline.tracks.score import TRACK_SPLITS
from pipeline.training.pseudo_labels import annotations_for, precision, read_truth, select
from pipeline.training.run import labeled_set, split_waf, trained_config
from pipeline.training.selftrain import RoundReport, run_rounds
from pipeline.training.views import views_from_params


def precision_curve(teacher: pd.DataFrame, labels: list[str], cfg, truth: dict) -> pd.DataFrame:
    rows = []
    for threshold in np.round(np.arange(0.3, 1.0, 0.05), 2):
        chosen = select(teacher, labels, cfg.model_copy(update={"threshold": float(threshold)}))
        rows.append({"threshold": threshold, "selected": len(chosen), "precision": precision(chosen, truth)})
    return pd.DataFrame(rows)


def gain(before: float | None, after: float | None) -> float | None:
    return None if before is None or after is None else after - before


def per_class(report: RoundReport) -> str:
    return ", ".join(
        f"{label} {shown(v)}" for label, v in report.precision_per_class.items() if v is not None
    )


def main(
    params: Params,
    manifest_path: Path,
    features: Path,
    teacher_path: Path,
    first_path: Path,
    out: Path,
    metrics_path: Path,
    plots: Path,
) -> None:
    labels, cfg = params.labels, params.selftrain
    train_cfg = trained_config(params.train, teacher_path.parent / "summary.json")
    truth = read_truth(cfg.truth)
    annotations = annotations_for(cfg, labels)
    data = labeled_set(read_manifest(manifest_path, labels, contained=False), labels, train_cfg)
    views = views_from_params(train_cfg, features, data.names)
    teacher = read_table(teacher_path)
    first = read_table(first_path)
    student, selected, reports = run_rounds(
        data, views, labels, train_cfg, teacher, first, cfg, truth, TRACK_SPLITS, annotations
    )
    out.mkdir(parents=True, exist_ok=True)
    write_table(student, out / "predictions.csv")
    write_table(selected, out / "pseudo_labels.csv")
    supervised = {track: split_waf(teacher, split) for track, split in TRACK_SPLITS.items()}
    final = reports[-1].waf
    metrics = {
        "supervised_waf": supervised,
        "student_waf": final,
        "gain": {t: gain(supervised[t], final[t]) for t in TRACK_SPLITS},
        "rounds": [asdict(r) for r in reports],
    }
    metrics_path.parent.mkdir(parents=True, exist_ok=True)
    metrics_path.write_text(json.dumps(metrics, indent=2))
    plots.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        [{"round": 0, **{f"{t}_waf": v for t, v in supervised.items()}}]
        + [{"round": r.round, **{f"{t}_waf": v for t, v in r.waf.items()}} for r in reports]
    ).to_csv(plots / "rounds.csv", index=False)
    precision_curve(teacher, labels, cfg, truth).to_csv(plots / "precision_threshold.csv", index=False)
    for r in reports:
        print(
            f"round {r.round}: {r.selected} pseudo-labels, precision "
            + (shown(r.precision) if truth else "unknown (selftrain.truth is empty)")
            + (f" ({per_class(r)})" if r.precision is not None else "")
            + ", student WAF "
            + ", ".join(f"{t} {shown(v)}" for t, v in r.waf.items())
            + (f" ({r.note})" if r.note else "")
        )
    print(
        "self-training gain over the supervised model: "
        + ", ".join(f"{t} {signed(metrics['gain'][t])}" for t in TRACK_SPLITS)
    )


if __name__ == "__main__":
    run_stage(main)
