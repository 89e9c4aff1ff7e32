"""DVC stage `score_ov`: open-vocabulary word sets (`name,openset` CSV and MER2025 npz) scored with the
OV metric.

Usage: score_ov.py SPLIT PREDICTIONS TRAIN_SUMMARY MANIFEST METRICS_JSON SUBMISSION_CSV SUBMISSION_NPZ
"""

from pathlib import Path

from pipeline.config.params import Params
from pipeline.corpus.manifest import read_manifest
from pipeline.stage import run_stage
from pipeline.tracks.metrics import shown
from pipeline.tracks.ov_score import write_ov
from pipeline.tracks.score import model_notes


def main(
    params: Params,
    split: str,
    predictions: Path,
    summary: Path,
    manifest: Path,
    metrics_path: Path,
    submission: Path,
    npz: Path,
) -> None:
    labels = params.labels
    notes = model_notes(summary)
    rows = read_manifest(manifest, labels, contained=False).rows
    m = write_ov(predictions, rows, split, labels, params.ov, submission, npz, metrics_path, notes)
    print(
        f"OV ({split}): accuracy {shown(m.get('accuracy'))}, recall {shown(m.get('recall'))}, "
        f"avg {shown(m.get('avg'))}, n {m['n']} (predictor {m['predictor']}, grouper {m['grouper']})"
        + (f"; {m['note']}" if "note" in m else "")
    )


if __name__ == "__main__":
    run_stage(main)
