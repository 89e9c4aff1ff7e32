"""DVC stage `score@<track>`: metrics, plots and challenge files for one track.

Usage: score.py semi|noise SPLIT PREDICTIONS TRAIN_SUMMARY METRICS_JSON SUBMISSION_CSV PLOTS_DIR
WAF, accuracy, per-class F1, confusion plot, `name,discrete` submission (the OV track: score_ov.py).
"""

from pathlib import Path

from pipeline.config.params import Params
from pipeline.stage import run_stage
from pipeline.tracks.metrics import shown
from pipeline.tracks.score import model_notes, write_track


def main(
    params: Params,
    track: str,
    split: str,
    predictions: Path,
    summary: Path,
    metrics_path: Path,
    submission: Path,
    last: Path,
) -> None:
    m = write_track(
        track, predictions, split, params.labels, metrics_path, last, submission, model_notes(summary)
    )
    print(
        f"{track.upper()} ({split}): WAF {shown(m.get('waf'))}, accuracy {shown(m.get('acc'))}, n {m['n']}"
        + (f"; {m['note']}" if "note" in m else "")
    )


if __name__ == "__main__":
    run_stage(main)
