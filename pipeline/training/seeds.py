"""`train.seeds`: every fold trained from several seeds and their probabilities averaged.

A torch model's score moves by 1-2 WAF points from seed to seed on a few hundred clips, so one seed's
score cannot tell two settings apart; the ensemble is steadier (and usually better), and the summary
keeps each seed's out-of-fold WAF so the spread is seen. The members share the folds and early-stopping
clips: only the initial weights, shuffles and dropout masks differ. The linear model is deterministic,
so it trains once.
"""

from __future__ import annotations

import numpy as np

from pipeline.tracks.metrics import waf
from pipeline.training.cv import CVResult, agreement, softmax

DETERMINISTIC = {"linear"}


def mean_log_probs(logits: list[np.ndarray]) -> np.ndarray:
    return np.log(np.clip(np.mean([softmax(x) for x in logits], axis=0), 1e-9, 1.0)).astype(np.float32)


def ensemble(members: list[CVResult], y: np.ndarray) -> CVResult:
    """One result from the members' (same folds, other seeds); `y`: the out-of-fold rows' labels."""
    first = members[0]
    result = CVResult(
        mean_log_probs([m.oof_logits for m in members]),
        mean_log_probs([m.predict_logits for m in members]),
        fold_waf=list(np.mean([m.fold_waf for m in members], axis=0)),
        best_epochs=[e for m in members for e in m.best_epochs],
        states=[s for m in members for s in m.states],
        config=first.config,
        selection=first.selection,
        votes=np.concatenate([m.votes for m in members]),
    )
    result.agreement = agreement(result.votes, result.predict_logits)
    each = [waf(y, m.oof_logits.argmax(axis=1)) for m in members]
    result.seeds = {
        "oof_waf": [round(w, 4) for w in each],
        "mean": round(float(np.mean(each)), 4),
        "sd": round(float(np.std(each)), 4),
        "ensemble": round(waf(y, result.oof_logits.argmax(axis=1)), 4),
    }
    return result
