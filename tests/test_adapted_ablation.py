"""ablation.json's `adapted`: which set lists each adapted set is compared on."""

from __future__ import annotations

from pipeline.config.derived_set import Derived
from pipeline.training.adapted import compared

PAIRS = [
    Derived("clip_aligned", "clip", "align"),
    Derived("hubert_adapted", "hubert", "adapt"),
    Derived("clip_prompted", "clip", "prompt"),
]


def _fused(sets: list[str], pair: int) -> tuple[list[str], list[str]]:
    found = compared(sets, PAIRS[pair], PAIRS)
    assert found["alone_frozen"] == [PAIRS[pair].frozen] and found["alone_adapted"] == [PAIRS[pair].name]
    return found["fused_frozen"], found["fused_adapted"]


def test_an_adapted_set_takes_the_slot_of_its_frozen_set_or_of_a_sibling():
    demo = ["hubert", "egemaps", "clip_aligned", "minilm"]
    assert _fused(demo, 1) == (demo, ["hubert_adapted", "egemaps", "clip_aligned", "minilm"])
    assert _fused(demo, 2) == (
        ["hubert", "egemaps", "clip", "minilm"],
        ["hubert", "egemaps", "clip_prompted", "minilm"],
    )


def test_a_slot_held_twice_keeps_one_place_and_an_absent_one_is_added():
    assert _fused(["clip", "clip_aligned", "minilm"], 0) == (["clip", "minilm"], ["clip_aligned", "minilm"])
    assert _fused(["egemaps", "minilm"], 1) == (
        ["egemaps", "minilm", "hubert"],
        ["egemaps", "minilm", "hubert_adapted"],
    )
