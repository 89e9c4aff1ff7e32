"""`ov.*`: the open-vocabulary track."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import model_validator

from pipeline.config.base import Section, between

Grouper = Literal["lexicon", "lexicon-family", "embedding"]  # synonym grouping of the OV score
GROUPERS = get_args(Grouper)


class OVConfig(Section):
    split: str = "test"  # dvc.yaml passes it to the stage as ${ov.split}
    predictor: Literal["lexicon", "llm", "import"] = "lexicon"
    threshold: between(float, 0.0, 1.0) = 0.25
    words_per_label: between(int, 1, 20) = 2
    grouper: Grouper = "lexicon"
    answers: str = ""  # predictor import: CSV name,answer
    llm_model: str = "random:qwen2-tiny"  # predictor llm: hub id, folder, or random stand-in
    max_new_tokens: between(int, 1, 1024) = 24

    @model_validator(mode="after")
    def _answers(self) -> OVConfig:
        if self.predictor == "import" and not self.answers:
            raise ValueError("ov.predictor is import, so ov.answers must name a CSV of name,answer")
        return self
