"""Beyond one process: incremental stores, shards split across machines and merged, the Ray engine."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.corpus.manifest import read_manifest, write_manifest
from pipeline.features import local_engine
from pipeline.features.config import ExtractConfig
from pipeline.features.extract import extract, parse_shard
from pipeline.features.reader import read_store
from pipeline.features.store import shard_of, store_info
from pipeline.media.write import write_clip
from tests.conftest import tone

WORDS = ["happy", "sad", "angry", "calm", "tired", "excited", "worried", "surprised"]


def _text_manifest(root: Path, n: int) -> Path:
    rows = [
        {
            "name": f"clip_{i:05d}",
            "split": "unlabeled",
            "video": "",
            "audio": "",
            "text": f"I feel {WORDS[i % 8]} about day {i}" if i % 97 else "",
            "label": "",
            "openset": "",
        }
        for i in range(n)
    ]
    return write_manifest(pd.DataFrame(rows), root / "manifest.csv")


def _text_cfg(**overrides) -> ExtractConfig:
    base = {"modality": "text", "model": "random:qwen2-tiny", "device": "cpu", "batch_size": 32, "shards": 64}
    return ExtractConfig(**{**base, **overrides})


def _digests(store: Path) -> dict[str, str]:
    return {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in sorted(store.glob("shard-*.h5"))}


def test_adding_5_percent_clips_extracts_only_them_and_rewrites_only_their_shards(tmp_path):
    manifest_path = _text_manifest(tmp_path, 2100)
    everything = read_manifest(manifest_path)
    first = everything.rows.head(2000)
    store = tmp_path / "store"
    cfg = _text_cfg()
    assert extract(type(everything)(manifest_path, first), cfg, store).clips == 2000
    before = _digests(store)
    added = extract(everything, cfg, store)
    receiving = {f"shard-{shard_of(n, 64):05d}.h5" for n in everything.rows["name"][2000:]}
    after = _digests(store)
    assert added.clips == 100 and added.rewritten_shards == len(receiving)
    assert {s for s in after if after[s] != before.get(s)} == receiving
    assert all(after[s] == before[s] for s in before if s not in receiving)
    fresh = tmp_path / "fresh"
    extract(everything, cfg, fresh)
    names = list(everything.rows["name"])
    incremental, scratch = read_store(store, names), read_store(fresh, names)
    assert (incremental.ok == scratch.ok).all() and incremental.ok.sum() == 2100 - 22
    np.testing.assert_allclose(incremental.utt, scratch.utt, atol=2e-3)


def test_shards_split_across_machines_merge_into_the_single_run_store(tmp_path):
    manifest = read_manifest(_text_manifest(tmp_path, 120))
    cfg = _text_cfg(shards=8)
    extract(manifest, cfg, tmp_path / "whole")
    for i in range(3):
        extract(manifest, cfg, tmp_path / f"machine{i}", shard=parse_shard(f"{i}/3"))
    parts = [str(tmp_path / f"machine{i}") for i in range(3)]
    mer = [sys.executable, "-m", "pipeline.cli.main", "features", "merge"]
    result = subprocess.run([*mer, str(tmp_path / "merged"), *parts], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert _digests(tmp_path / "merged") == _digests(tmp_path / "whole")
    whole = pd.read_csv(tmp_path / "whole" / "failures.csv")
    assert pd.read_csv(tmp_path / "merged" / "failures.csv").equals(whole) and len(whole) == 2
    extract(manifest, _text_cfg(shards=8, max_tokens=8), tmp_path / "other")
    refused = subprocess.run(
        [*mer, str(tmp_path / "merged"), str(tmp_path / "other")], capture_output=True, text=True
    )
    assert refused.returncode == 2 and "params digest" in refused.stderr


@pytest.fixture(scope="module")
def audio_corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ray_corpus")
    rows = []
    for i in range(24):
        write_clip(root / f"a{i}.mp4", None, 8, tone(0.4 + 0.1 * i, 150 + 9 * i))
        rows.append({"name": f"a{i:02d}", "split": "train", "video": f"a{i}.mp4", "audio": "", "text": "x"})
    (root / "broken.mp4").write_bytes(b"not a media file")
    rows.append({"name": "broken", "split": "train", "video": "broken.mp4", "audio": "", "text": "x"})
    table = pd.DataFrame(rows).assign(label="", openset="")
    return write_manifest(table, root / "manifest.csv")


def _no_model(cfg: ExtractConfig):
    raise AssertionError(f"{cfg.model} loaded though there was nothing to embed")


@pytest.mark.slow
def test_ray_and_local_engines_write_one_store_and_rewrite_a_shrunk_one_without_the_model(
    audio_corpus, tmp_path, monkeypatch
):
    ray = pytest.importorskip("ray")
    manifest = read_manifest(audio_corpus)
    base = {"modality": "audio", "model": "random:hubert-tiny", "device": "cpu", "batch_size": 4, "bucket": 8}
    base |= {"shards": 4, "max_failed_fraction": 0.5}
    local = extract(manifest, ExtractConfig(**base), tmp_path / "local")
    on_ray_cfg = ExtractConfig(**base, engine="ray", ray_actors=1)
    kept = pd.read_csv(audio_corpus).iloc[:20]
    shrunk = read_manifest(write_manifest(kept, audio_corpus.parent / "shrunk.csv"))
    extract(shrunk, ExtractConfig(**base), tmp_path / "local_fresh")
    try:
        on_ray = extract(manifest, on_ray_cfg, tmp_path / "ray")
        for engine in ("ray", "local"):
            shutil.copytree(tmp_path / engine, tmp_path / f"{engine}_shrunk")
        monkeypatch.setattr(local_engine, "build_embedder", _no_model)
        ray_shrunk = extract(shrunk, on_ray_cfg, tmp_path / "ray_shrunk")
        extract(shrunk, ExtractConfig(**base), tmp_path / "local_shrunk")
    finally:
        ray.shutdown()
    assert (local.clips, local.failed) == (on_ray.clips, on_ray.failed) == (25, 1)
    assert ray_shrunk.clips == 0 and ray_shrunk.total == store_info(tmp_path / "ray_shrunk")["n"] == 20
    assert _digests(tmp_path / "local_shrunk") == _digests(tmp_path / "local_fresh")
    names = list(manifest.rows["name"])
    a, b = read_store(tmp_path / "local", names), read_store(tmp_path / "ray", names)
    assert (a.ok == b.ok).all() and a.layers == b.layers
    np.testing.assert_allclose(a.utt, b.utt, atol=2e-3)
    assert sorted(_digests(tmp_path / "local")) == sorted(_digests(tmp_path / "ray"))
    assert (tmp_path / "local" / "failures.csv").read_text() == (
        tmp_path / "ray" / "failures.csv"
    ).read_text()
