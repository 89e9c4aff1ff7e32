"""Score a discrete track (SEMI or NOISE) from a predictions table; write metrics, plots, submission."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from pipeline.tracks.metrics import confusion_rows, track_metrics

# The discrete tracks and the split each is scored on (dvc.yaml's score@ stages use the same pairs).
TRACK_SPLITS = {"semi": "test", "noise": "test_noise"}


def score_split(predictions: pd.DataFrame, split: str, labels: list[str]) -> tuple[dict, pd.DataFrame]:
    rows = predictions[predictions["split"] == split]
    if rows.empty:
        raise ValueError(
            f"no predictions for split {split!r}; splits present: {sorted(predictions['split'].unique())}"
        )
    scored = rows[rows["label"] != ""]
    index = {label: i for i, label in enumerate(labels)}
    y_true = scored["label"].map(index).to_numpy()
    y_pred = scored["pred"].map(index).to_numpy()
    return track_metrics(y_true, y_pred, labels), rows


def submission(rows: pd.DataFrame) -> pd.DataFrame:
    """The challenge's `name,discrete` file: exactly one row per candidate clip."""
    table = rows[["name", "pred"]].rename(columns={"pred": "discrete"})
    if table["name"].duplicated().any():
        raise ValueError("duplicate names in the submission")
    return table


def write_track(
    track: str,
    predictions: Path,
    split: str,
    labels: list[str],
    metrics_path: Path,
    plots: Path,
    submission_path: Path,
    notes: dict,
) -> dict:
    table = pd.read_csv(predictions, dtype={"label": str}, keep_default_na=False)
    metrics, rows = score_split(table, split, labels)
    metrics = {**metrics, "track": track, "split": split, **notes}
    metrics_path.parent.mkdir(parents=True, exist_ok=True)
    metrics_path.write_text(json.dumps(metrics, indent=2))
    plots.mkdir(parents=True, exist_ok=True)
    scored = rows[rows["label"] != ""]
    index = {label: i for i, label in enumerate(labels)}
    pd.DataFrame(
        confusion_rows(scored["label"].map(index).to_numpy(), scored["pred"].map(index).to_numpy(), labels)
    ).to_csv(plots / "confusion.csv", index=False)
    pd.DataFrame({"label": labels, "f1": [metrics["per_class_f1"][label] for label in labels]}).to_csv(
        plots / "per_class_f1.csv", index=False
    )
    submission_path.parent.mkdir(parents=True, exist_ok=True)
    submission(rows).to_csv(submission_path, index=False, lineterminator="\n")
    return metrics
