"""Score a discrete track (SEMI or NOISE) from a predictions table; write metrics, plots, submission."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from pipeline.tables import read_table
from pipeline.tracks.metrics import confusion_rows, track_metrics

# The discrete tracks and the split each is scored on (dvc.yaml's score@ stages use the same pairs).
TRACK_SPLITS = {"semi": "test", "noise": "test_noise"}


def score_split(predictions: pd.DataFrame, split: str, labels: list[str]) -> tuple[dict, pd.DataFrame]:
    """Metrics over the split's labeled clips (`n` of them; `clips` predicted in all) and its rows. A split
    with no labels (the challenge's hidden test labels) or no clips gets counts and a note, no scores."""
    rows = predictions[predictions["split"] == split]
    scored = rows[rows["label"] != ""]
    counts = {"n": len(scored), "labeled": len(scored), "clips": len(rows)}
    if rows.empty:
        present = sorted(predictions["split"].unique())
        return {**counts, "note": f"no clips in split {split!r} (splits present: {present})"}, rows
    if scored.empty:
        return {**counts, "note": f"split {split!r} has no labels: predictions written, nothing scored"}, rows
    index = {label: i for i, label in enumerate(labels)}
    y_true = scored["label"].map(index).to_numpy()
    y_pred = scored["pred"].map(index).to_numpy()
    return {**track_metrics(y_true, y_pred, labels), **counts}, rows


def model_notes(summary: Path) -> dict[str, object]:
    """What trained the scored predictions (the train stage's summary.json), for every track's metrics."""
    trained = json.loads(summary.read_text())
    return {"model": trained["model"], "encoders": trained["encoders"]}


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
    table = read_table(predictions)
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
    per_class = metrics.get("per_class_f1", {})
    pd.DataFrame({"label": labels, "f1": [per_class.get(label) for label in labels]}).to_csv(
        plots / "per_class_f1.csv", index=False
    )
    submission_path.parent.mkdir(parents=True, exist_ok=True)
    submission(rows).to_csv(submission_path, index=False, lineterminator="\n")
    return metrics
