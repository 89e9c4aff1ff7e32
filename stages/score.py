"""DVC stage `score@<track>`: metrics, plots and challenge files for one track.

Usage: score.py semi|noise SPLIT PREDICTIONS TRAIN_SUMMARY MANIFEST METRICS_JSON SUBMISSION_CSV PLOTS_DIR
       score.py ov SPLIT PREDICTIONS TRAIN_SUMMARY MANIFEST METRICS_JSON SUBMISSION_CSV SUBMISSION_NPZ
semi / noise: WAF, accuracy, per-class F1, confusion plot, `name,discrete` submission.
ov: word sets (`name,openset` CSV and MER2025 npz) scored with the OV metric.
"""

import json
from pathlib import Path

from pipeline.config.params import Params
from pipeline.corpus.manifest import read_manifest
from pipeline.stage import run_stage
from pipeline.tracks.metrics import shown
from pipeline.tracks.ov_score import write_ov
from pipeline.tracks.score import write_track


def main(
    params: Params,
    track: str,
    split: str,
    predictions: Path,
    summary: Path,
    manifest: Path,
    metrics_path: Path,
    submission: Path,
    last: Path,
) -> None:
    labels = params.labels
    trained = json.loads(summary.read_text())
    notes = {"model": trained["model"], "encoders": trained["encoders"]}
    if track == "ov":
        rows = read_manifest(manifest, labels, contained=False).rows
        m = write_ov(
            predictions,
            rows,
            split,
            labels,
            params.ov,
            submission,
            last,
            metrics_path,
            notes,
        )
        print(
            f"OV ({split}): accuracy {shown(m.get('accuracy'))}, recall {shown(m.get('recall'))}, "
            f"avg {shown(m.get('avg'))}, n {m['n']} (predictor {m['predictor']}, grouper {m['grouper']})"
            + (f"; {m['note']}" if "note" in m else "")
        )
        return
    m = write_track(
        track,
        predictions,
        split,
        labels,
        metrics_path,
        last,
        submission,
        notes,
    )
    print(
        f"{track.upper()} ({split}): WAF {shown(m.get('waf'))}, accuracy {shown(m.get('acc'))}, n {m['n']}"
        + (f"; {m['note']}" if "note" in m else "")
    )


if __name__ == "__main__":
    run_stage(main)
