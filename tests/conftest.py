"""Shared fixtures: small real clips written with PyAV, and a tiny demo corpus."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.config.demo import DemoConfig
from pipeline.corpus.manifest import write_manifest
from pipeline.demo.corpus import make_demo_corpus
from pipeline.media.write import write_clip

LABELS = ["neutral", "angry", "happy", "sad", "worried", "surprise"]
TINY_SIZES = {"train": 6, "unlabeled": 4, "test": 6}


def tone(seconds: float = 1.0, freq: float = 220.0, rate: int = 16_000, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def manifest_row(name: str, split: str = "train", text: str = "a plain sentence", **media: str) -> dict:
    """One manifest row; `media` sets video, audio or face (relative paths), the rest stay empty."""
    return {
        "name": name,
        "split": split,
        "video": "",
        "audio": "",
        "text": text,
        "label": "",
        "openset": "",
    } | media


NOT_UTF8 = "NOT_UTF8"  # a transcript written as invalid UTF-8 bytes by `write_test_manifest`


def write_test_manifest(rows: list[dict], path: Path) -> Path:
    path = write_manifest(pd.DataFrame(rows), path)
    path.write_bytes(path.read_bytes().replace(NOT_UTF8.encode(), b"caf\xe9 \xff bad"))
    return path


def frames(n: int = 8, size: int = 32, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, size, size, 3), dtype=np.uint8)


@pytest.fixture
def make_clip(tmp_path: Path):
    """Write a real mp4: make_clip('a.mp4', video=True, audio=True)."""

    def _make(name: str, video: bool = True, audio: bool = True, seconds: float = 1.0) -> Path:
        n = max(2, int(seconds * 8))
        return write_clip(tmp_path / name, frames(n) if video else None, 8, tone(seconds) if audio else None)

    return _make


@pytest.fixture(scope="session")
def tiny_demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    make_demo_corpus(DemoConfig(seed=3, **TINY_SIZES, workers=2), out)
    return out
