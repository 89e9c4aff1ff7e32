"""`selftrain.*`: choosing pseudo-labels for the unlabeled pool and how often to retrain."""

from __future__ import annotations

from typing import Literal

from pydantic import model_validator

from pipeline.config.base import Section, between


class SelectConfig(Section):
    pool_split: str = "unlabeled"
    threshold: between(float, 0.0, 1.0) = 0.9
    min_agreement: between(float, 0.0, 1.0) = 1.0  # share of fold models (x seeds) agreeing
    min_class_precision: between(float, 0.0, 1.0) = 0.0  # classes estimated below this get no clip
    per_class_cap: between(int, 0, 10**9) = 50  # 0: no cap
    balanced: bool = False  # every class at most as many as the rarest selected class
    max_count: between(int, 0, 10**9) = 0  # 0: no limit
    pseudo_weight: between(float, 0.0, 10.0) = 1.0  # loss weight of a pseudo-labeled clip
    rounds: between(int, 1, 20) = 1  # teacher -> select -> student repetitions
    annotations: str = ""  # CSV name,label or name,answer
    annotator_mode: Literal["none", "alone", "agree"] = "none"
    fallback: str = ""  # label for answers whose last word is no label ("" skips the clip)
    truth: str = ""  # CSV of the pool's true labels, for precision ("" if unknown)

    @model_validator(mode="after")
    def _annotations(self) -> SelectConfig:
        if self.annotator_mode != "none" and not self.annotations:
            raise ValueError("selftrain.annotator_mode needs selftrain.annotations (a CSV file)")
        return self


class SelfTrainSection(SelectConfig):
    truth: str  # in params.yaml it is stated, never assumed: the demo's pool labels are no other corpus's
