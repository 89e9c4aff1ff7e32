"""`train.model: linear`: multinomial logistic regression over the chosen sets' standardised, pooled
features (concatenated), L2-regularised by `train.linear_c`.

The baseline small corpora need: on ~300 training clips of handcrafted features it beat every fusion
model. A missing set reads as its training mean (0 after standardisation), so it adds nothing.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

from pipeline.config.train import TrainConfig
from pipeline.training.fit import FoldJob, FoldOutput
from pipeline.training.views import View, pooled


def logistic(cfg: TrainConfig) -> LogisticRegression:
    """The linear model (also the layer probe's), on standardised features."""
    return LogisticRegression(C=cfg.linear_c, max_iter=2000)


def fit_linear(views: list[View], job: FoldJob) -> FoldOutput:
    """The views arrive standardised on this fold's training rows (cv.run_group)."""
    x = np.nan_to_num(np.concatenate([pooled(v) for v in views], axis=1))
    model = logistic(job.cfg)
    model.fit(x[job.train], job.y[job.train], sample_weight=job.weights[job.train])

    def logits(rows: np.ndarray) -> np.ndarray:
        """Log-probabilities over every class (a class this fold never saw gets ~0 probability)."""
        out = np.full((len(rows), job.classes), np.log(1e-9), np.float32)
        if len(rows):
            out[:, model.classes_] = np.log(np.clip(model.predict_proba(x[rows]), 1e-9, 1.0))
        return out

    val_logits = logits(job.val)
    score = float((val_logits.argmax(axis=1) == job.y[job.val]).mean())
    return FoldOutput(val_logits, logits(job.predict), int(model.n_iter_.max()), score, {})
