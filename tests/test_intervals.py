"""Every score carries its 95% bootstrap interval (clips resampled), and comparisons a paired difference:
the resampled scores are sklearn's, the interval covers the truth about as often as it says, and the same
predictions always give the same interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score

from pipeline.tracks.metrics import (
    paired_difference,
    resampled_rows,
    resampled_scores,
    score_intervals,
    shown_interval,
)
from pipeline.tracks.score import score_split


def _predictions(rng: np.random.Generator, n: int, right: float, classes: int = 6) -> tuple[np.ndarray, ...]:
    y = rng.integers(0, classes, n)
    return y, np.where(rng.random(n) < right, y, rng.integers(0, classes, n))


def test_each_resample_scores_exactly_as_sklearn():
    rng = np.random.default_rng(0)
    for n, classes in [(7, 3), (300, 6), (1000, 7)]:
        y, pred = _predictions(rng, n, 0.5, classes)
        rows = resampled_rows(n, 40)
        scores = resampled_scores(y, pred, rows)
        expected = [f1_score(y[r], pred[r], average="weighted", zero_division=0) for r in rows]
        np.testing.assert_allclose(scores["waf"], expected, atol=1e-12)
        np.testing.assert_allclose(scores["acc"], [accuracy_score(y[r], pred[r]) for r in rows])


def test_the_interval_covers_the_population_accuracy_about_95_percent_of_the_time():
    """Test sets of 400 clips drawn from one classifier of accuracy 0.6: the interval of each holds 0.6 in
    about 95% of draws (the percentile bootstrap of a mean; 100 draws, so 88-100% passes)."""
    rng = np.random.default_rng(1)
    hits = 0
    for _ in range(100):
        y = rng.integers(0, 6, 400)
        pred = np.where(rng.random(400) < 0.6, y, (y + 1) % 6)
        low, high = score_intervals(y, pred)["acc_ci"]
        hits += low <= 0.6 <= high
    assert 88 <= hits <= 100


def test_the_same_predictions_give_the_same_interval_and_more_clips_a_narrower_one():
    rng = np.random.default_rng(2)
    y, pred = _predictions(rng, 2000, 0.6)
    assert score_intervals(y, pred) == score_intervals(y.copy(), pred.copy())
    small = score_intervals(y[:200], pred[:200])["waf_ci"]
    large = score_intervals(y, pred)["waf_ci"]
    assert large[1] - large[0] < small[1] - small[0]


def test_a_paired_difference_finds_a_small_real_gap_that_unpaired_intervals_cannot():
    """Two systems that differ on 3% of 1000 clips: their own intervals overlap, the paired one excludes 0."""
    rng = np.random.default_rng(3)
    y, worse = _predictions(rng, 1000, 0.6)
    fixed = rng.random(1000) < 0.08
    better = np.where(fixed, y, worse)
    gap = paired_difference(y, better, worse)
    a, b = score_intervals(y, better)["waf_ci"], score_intervals(y, worse)["waf_ci"]
    assert a[0] < b[1]  # the unpaired intervals overlap
    assert gap["waf_diff"] > 0 and gap["ci"][0] > 0
    same = paired_difference(y, worse, worse)
    assert same == {"waf_diff": 0.0, "ci": [0.0, 0.0]}


def test_track_metrics_carry_intervals_and_the_report_shows_them():
    table = pd.DataFrame(
        {
            "name": [f"c{i}" for i in range(60)],
            "split": ["test"] * 60,
            "label": ["x", "y", "z"] * 20,
            "pred": ["x", "y", "z"] * 15 + ["x"] * 15,
        }
    )
    metrics, _ = score_split(table, "test", ["x", "y", "z"])
    assert metrics["waf_ci"][0] <= metrics["waf"] <= metrics["waf_ci"][1]
    assert metrics["acc_ci"][0] <= metrics["acc"] == 0.8333333333333334 <= metrics["acc_ci"][1]
    assert shown_interval(0.5, [0.4, 0.61]) == "0.5000 [0.4000, 0.6100]"
    assert shown_interval(None, None) == "n/a"
