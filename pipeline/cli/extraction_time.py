"""Rough extraction rates on a 2-core CPU (clips per second, demo-length clips, BENCHMARKS.md), so that
`mer init` can say how long extraction will take before any of it runs. Other models: no figure."""

from __future__ import annotations

# fresh clones' make demo, extract stages over 8,240 clips (2026-12-02; hubert-small: the earlier profile)
CPU_CLIPS_PER_S = {
    "random:hubert-tiny": 100.0,
    "random:hubert-small": 6.7,
    "opensmile:eGeMAPSv02": 30.0,
    "random:clip-tiny": 100.0,
    "minilm": 300.0,
}


def estimate(model: str, clips: int) -> str:
    """'~3 min' for a model with a figure, else how to measure it."""
    rate = CPU_CLIPS_PER_S.get(model)
    if rate is None:
        return "no CPU figure for this model: time one shard with `mer extract SET --shard 0/64`, x64"
    seconds = clips / rate
    return f"~{seconds / 60:.0f} min" if seconds >= 90 else f"~{max(1, round(seconds))} s"
