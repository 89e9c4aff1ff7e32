"""`ablation.*`: what the ablation stage trains, so its cost stays in proportion to the number of sets."""

from __future__ import annotations

from typing import Literal

from pipeline.config.base import Section

SUBSETS = {  # ablation.subsets: what each trains besides all of train.sets together, for n sets
    "modalities": "each set alone where its modality has others, and every combination of modalities "
    "(n + 2^m - 1 trainings for m <= 3 modalities)",
    "leave_one_out": "each set alone and all but each one (2n + 1 trainings)",
    "singles": "each set alone (n + 1 trainings)",
}


class AblationConfig(Section):
    subsets: Literal[tuple(SUBSETS)] = "modalities"
    adapted: bool = True  # each adapted set (align, adapt, prompt) against its frozen set: up to 12 trainings
