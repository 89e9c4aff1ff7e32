"""What the adaptation stages share: a held-out part of the labeled clips (a clip and its noisy copies,
and every clip of a manifest `group`, always on the same side) and early stopping on its cross-entropy,
steadier than WAF on a few dozen clips."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import torch

from pipeline.training.splits import holdout_mask


def holdout_key(row: Mapping[str, str]) -> str:
    """What keeps clips on one side: the manifest's `group` (speaker, dialogue), else a noisy copy's clean
    clip, else the clip itself."""
    return row.get("group") or row.get("source") or row["name"]


def split_rows(groups: list[str], y: np.ndarray, share: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(fit, check) row indices; with one clip per class nothing is held out, so stopping watches the
    training clips."""
    held = holdout_mask(groups, y, share, seed)
    fit, check = np.flatnonzero(~held), np.flatnonzero(held)
    return fit, check if len(check) else fit


@dataclass
class EarlyStop:
    """Per-epoch held-out loss and WAF; keeps the trained state of the lowest loss."""

    patience: int
    history: list[dict[str, float]] = field(default_factory=list)
    best_state: dict[str, torch.Tensor] | None = None
    waited: int = 0

    def update(self, loss: float, score: float, state: Callable[[], dict[str, torch.Tensor]]) -> bool:
        """Record one epoch; True when training should stop."""
        self.history.append({"loss": round(loss, 4), "waf": round(score, 4)})
        if loss < min((h["loss"] for h in self.history[:-1]), default=float("inf")):
            self.best_state, self.waited = state(), 0
            return False
        self.waited += 1
        return self.waited >= self.patience

    def summary(self) -> dict[str, object]:
        best = int(np.argmin([h["loss"] for h in self.history]))
        return {
            "holdout": self.history,
            "best_epoch": best + 1,
            "best_holdout_waf": self.history[best]["waf"],
        }
