"""What the stages that derive a feature set from a frozen one (align, adapt, prompt) share: a switch, so a
corpus that fuses none of their sets and wants no comparison pays nothing for them."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.config.base import Section


class DerivedSetConfig(Section):
    enabled: bool = True  # false: the stage trains nothing and writes its set with every clip absent


def disabled(section: str) -> str:
    """Why a switched-off stage's set is absent (its store's failures.csv and its note say so)."""
    return f"{section}.enabled is false"


def nothing_to_train(section: str, split: str, y: list[int] | None, having: str) -> str:
    """Why a stage trains nothing ("" when it trains): switched off (`y` None), or fewer than two classes
    among `split`'s labeled clips with `having`."""
    if y is None:
        return disabled(section)
    classes = len(set(y))
    if classes >= 2:
        return ""
    return f"{section}.split {split!r} has {len(y)} labeled clip(s) with {having} in {classes} class(es)"


@dataclass(frozen=True)
class Derived:
    name: str  # the adapted set
    frozen: str  # the set it came from
    method: str  # the stage that wrote it
