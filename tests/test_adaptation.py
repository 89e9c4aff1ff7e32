"""Encoder adaptation stages on real HDF5 stores: visual-to-acoustic alignment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from pipeline.corpus.manifest import write_manifest
from pipeline.features.reader import read_store
from pipeline.features.store import Batch, StoreInfo, write_shard
from tests.dvc_project import ROOT

N = 200
ALIGN = {"epochs": 40, "batch_size": 32, "hidden": 32, "shards": 4, "temperature": 0.2}


def _store(path: Path, modality: str, names: list[str], x: np.ndarray, ok: np.ndarray) -> None:
    info = StoreInfo(modality, f"random:{modality}", "", [0], x.shape[1], "d", True, dtype="float32")
    errors = ["" if o else "absent: test" for o in ok]
    write_shard(path / "shard-00000.h5", info, Batch(names, x[:, None, :].astype(np.float32), ok, errors))


def _project(root: Path, labels: list[str]) -> Path:
    """Video and audio stores that share a latent per clip (the video one through another mixing, with
    noise), a manifest whose first 40 clips are labeled train and the rest unlabeled."""
    rng = np.random.default_rng(0)
    names = [f"c{i:03d}" for i in range(N)]
    latent = rng.normal(0, 1, (N, 6))
    video = latent @ rng.normal(0, 1, (6, 16)) + rng.normal(0, 0.3, (N, 16))
    audio = latent @ rng.normal(0, 1, (6, 10)) + rng.normal(0, 0.3, (N, 10))
    _store(root / "features/clip", "video", names, video, np.arange(N) % 17 != 0)
    _store(root / "features/egemaps", "audio", names, audio, np.ones(N, bool))
    rows = pd.DataFrame(
        {"name": names, "split": ["train"] * 40 + ["unlabeled"] * (N - 40), "label": labels + [""] * (N - 40)}
    )
    write_manifest(rows, root / "manifest.csv")
    params = yaml.safe_load((ROOT / "params.yaml").read_text())
    params["align"].update(ALIGN)
    (root / "params.yaml").write_text(yaml.safe_dump(params))
    return root


def _align(root: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, str(ROOT / "stages/align.py"), "manifest.csv", "features"]
    result = subprocess.run(command, cwd=root, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result


def _shards(root: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((root / "features/clip_aligned").glob("*.h5"))}


def test_alignment_maps_each_clip_to_its_own_audio_and_never_reads_labels(tmp_path):
    labels = ["happy", "sad"] * 20
    first = _project(tmp_path / "a", labels)
    assert "head trained on 151 unlabeled clip(s)" in _align(first).stdout  # 160, less 9 without video
    shuffled = _project(tmp_path / "b", list(np.random.default_rng(1).permutation(labels)))
    _align(shuffled)
    assert _shards(first) == _shards(shuffled) and len(_shards(first)) == 4  # same bytes: labels unused
    names = [f"c{i:03d}" for i in range(N)]
    aligned = read_store(first / "features/clip_aligned", names)
    audio = read_store(first / "features/egemaps", names).utt[:, 0]
    assert aligned.utt.shape == (N, 1, 10) and aligned.ok.sum() == N - len(range(0, N, 17))
    held_out = np.flatnonzero(aligned.ok[:40])  # the labeled clips: never seen by the head
    a = aligned.utt[held_out, 0]
    b = (audio[held_out] - audio[40:].mean(axis=0)) / audio[40:].std(axis=0)
    a, b = a / np.linalg.norm(a, axis=1, keepdims=True), b / np.linalg.norm(b, axis=1, keepdims=True)
    top1 = float(((a @ b.T).argmax(axis=1) == np.arange(len(held_out))).mean())
    assert top1 > 0.5  # chance is 1/37


def test_a_corpus_without_the_split_gets_an_all_absent_set(tmp_path):
    root = _project(tmp_path, ["happy", "sad"] * 20)
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["align"]["split"] = "pool"
    (root / "params.yaml").write_text(yaml.safe_dump(params))
    assert "nothing to align, every clip marked absent" in _align(root).stdout
    assert not read_store(root / "features/clip_aligned", ["c000", "c001"]).ok.any()


def test_align_switched_off_trains_nothing_and_says_why_in_the_store(tmp_path):
    root = _project(tmp_path, ["happy", "sad"] * 20)
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["align"]["enabled"] = False
    params["train"]["sets"] = ["egemaps", "clip"]  # a set of a switched-off stage cannot be fused
    (root / "params.yaml").write_text(yaml.safe_dump(params))
    assert "nothing to align (align.enabled is false), every clip marked absent" in _align(root).stdout
    failures = pd.read_csv(root / "features/clip_aligned/failures.csv")
    assert len(failures) == N and set(failures["error"]) == {"absent: align.enabled is false"}


def test_prompt_tuning_refuses_a_video_store_without_frames(tmp_path):
    root = _project(tmp_path, ["happy", "sad"] * 20)  # its clip store holds clip vectors only
    command = [sys.executable, str(ROOT / "stages/prompt.py"), "manifest.csv", "features", "models/p"]
    result = subprocess.run(command, cwd=root, capture_output=True, text=True)
    assert result.returncode != 0
    assert "prompt.video: the store features/clip holds no per-frame embeddings" in result.stderr
    assert not (root / "features/clip_prompted").exists()
