"""Golden outputs of every extractor stand-in on fixed clips, keyed by its modality's extractor version
(pipeline.features.config.EXTRACTOR_VERSIONS). tests/test_golden.py compares today's outputs with them.

After bumping a version (because the numbers were meant to change), record: python -m tests.golden
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np

from pipeline.features.batching import embed_group
from pipeline.features.config import EXTRACTOR_VERSIONS, ExtractConfig
from pipeline.features.decode import ClipRef, decode_prepared
from pipeline.features.embedders import build_embedder
from pipeline.features.functionals import preparer
from pipeline.media.write import write_clip

GOLDEN = Path(__file__).with_name("golden.npz")
SPECS = [
    ("audio", "random:hubert-tiny"),
    ("audio", "random:hubert-small"),
    ("audio", "random:wavlm-tiny"),
    ("audio", "random:whisper-tiny"),
    ("audio", "opensmile:eGeMAPSv02"),
    ("video", "random:clip-tiny"),
    ("video", "random:dinov2-tiny"),
    ("video", "random:videomae-tiny"),
    ("text", "minilm"),
    ("text", "random:qwen2-tiny"),
]
TEXTS = ("I can't believe you did that again!", "fine")


def fixed_clips(folder: Path) -> list[ClipRef]:
    """Two clips of different lengths and frame sizes, so one batch pads one of them."""
    rng = np.random.default_rng(0)
    refs = []
    for i, (seconds, size) in enumerate(((1.0, 48), (2.5, 64))):
        t = np.arange(int(seconds * 16_000)) / 16_000
        audio = (0.3 * np.sin(2 * np.pi * (180 + 90 * i) * t)).astype(np.float32)
        video = rng.integers(0, 256, (int(seconds * 8), size, size, 3), dtype=np.uint8)
        path = write_clip(folder / f"g{i}.mp4", video, 8, audio)
        refs.append(ClipRef(f"g{i}", path, None, None, TEXTS[i]))
    return refs


def outputs(modality: str, spec: str, refs: list[ClipRef], dtype: str = "float32") -> list[np.ndarray]:
    """The embedder's arrays for the clips, batched together as extraction batches them."""
    cfg = ExtractConfig(modality=modality, model=spec, device="cpu", dtype=dtype)
    decoded = [decode_prepared(r, modality, cfg.frames, preparer(spec)) for r in refs]
    outcomes = embed_group(build_embedder(cfg), decoded, len(refs))
    return [
        np.stack([np.asarray(o.values[k], np.float32) for o in outcomes])
        for k in range(len(outcomes[0].values))
    ]


def key(modality: str, spec: str, index: int) -> str:
    return f"{modality}|{spec}|{json.dumps(EXTRACTOR_VERSIONS[modality], sort_keys=True)}|{index}"


def record() -> None:
    arrays = {}
    with tempfile.TemporaryDirectory() as folder:
        refs = fixed_clips(Path(folder))
        for modality, spec in SPECS:
            for index, array in enumerate(outputs(modality, spec, refs)):
                arrays[key(modality, spec, index)] = array.astype(np.float32)
    np.savez_compressed(GOLDEN, **arrays)
    print(f"recorded {len(arrays)} arrays in {GOLDEN}")


if __name__ == "__main__":
    record()
