"""Extraction into real HDF5 stores: the contract, broken media, resume after SIGKILL."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import yaml

from pipeline.corpus.manifest import read_manifest, write_manifest
from pipeline.errors import DamagedShard, StoreWriteError, TooManyFailures
from pipeline.features.config import ExtractConfig
from pipeline.features.extract import extract, parse_shard
from pipeline.features.reader import read_store
from pipeline.features.store import Batch, StoreInfo, shard_of, write_shard
from pipeline.media.write import write_clip
from tests.cli import mer
from tests.conftest import NOT_UTF8, frames, manifest_row, tone, write_test_manifest

MODELS = {"audio": "random:hubert-tiny", "video": "random:clip-tiny", "text": "random:qwen2-tiny"}


def _row(name: str, video: str = "", text: str = "hello there", audio: str = "") -> dict:
    return manifest_row(name, "train", text, video=video, audio=audio)


@pytest.fixture(scope="module")
def broken_corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("broken")
    rows = []
    for i in range(6):
        write_clip(root / f"good_{i}.mp4", frames(6 + i, 32, i), 8, tone(0.5 + 0.25 * i, 200 + 20 * i))
        rows.append(_row(f"good_{i}", f"good_{i}.mp4", f"clip number {i} is fine"))
    write_clip(root / "audio_only.mp4", None, 8, tone(1.0))
    write_clip(root / "silent.mp4", frames(8), 8, None)
    good = (root / "good_0.mp4").read_bytes()
    (root / "truncated.mp4").write_bytes(good[: len(good) // 3])
    (root / "zero.mp4").write_bytes(b"")
    rows += [
        _row("audio_only", "audio_only.mp4"),
        _row("silent", "silent.mp4", ""),
        _row("truncated", "truncated.mp4", NOT_UTF8),
        _row("zero", "zero.mp4"),
        _row("missing", "missing.mp4"),
    ]
    return write_test_manifest(rows, root / "manifest.csv")


def _cfg(modality: str, **overrides) -> ExtractConfig:
    base = {
        "modality": modality,
        "model": MODELS[modality],
        "device": "cpu",
        "batch_size": 3,
        "bucket": 5,
        "shards": 3,
        "max_failed_fraction": 1.0,
    }
    return ExtractConfig(**{**base, **overrides})


def _shard_of(store: Path, name: str) -> Path:
    return store / f"shard-{shard_of(name, 3):05d}.h5"


def _failures(store: Path) -> dict[str, str]:
    table = pd.read_csv(store / "failures.csv", keep_default_na=False)
    return dict(zip(table["name"], table["error"], strict=True))


def test_store_contract_and_broken_media(broken_corpus, tmp_path):
    manifest = read_manifest(broken_corpus)
    stores = {m: tmp_path / m for m in MODELS}
    for modality, store in stores.items():
        extract(manifest, _cfg(modality), store)
    audio, video, text = (_failures(stores[m]) for m in ("audio", "video", "text"))
    for name in ("truncated", "zero", "missing"):
        assert audio[name].startswith("failed") and video[name].startswith("failed")
    assert video["audio_only"] == "absent: audio_only.mp4 has no video stream"
    assert audio["silent"] == "absent: silent.mp4 has no audio stream"
    assert "audio_only" not in audio and "silent" not in video
    assert text["silent"] == "absent: empty transcript"
    with h5py.File(_shard_of(stores["video"], "good_0")) as f:
        row = list(f["names"].asstr()[:]).index("good_0")
        n = len(f["names"])
        assert f["utt"].dtype == np.float16 and f["utt"].shape == (n, 1, 128)
        assert f["frames"].shape == (n, 8, 128) and f["frame_mask"].dtype == bool
        assert f["frame_mask"][row].sum() == 6 and f["ok"][row]
        for key in (
            "modality",
            "model",
            "revision",
            "layers",
            "dim",
            "dtype",
            "pipeline_version",
            "params_digest",
        ):
            assert key in f.attrs
    with h5py.File(_shard_of(stores["audio"], "good_0")) as f:
        assert f["utt"].shape[1:] == (5, 64) and not np.isnan(f["utt"][:]).any()


def test_invalid_utf8_transcript_is_a_recorded_failure(broken_corpus, tmp_path):
    manifest = read_manifest(broken_corpus)
    extract(manifest, _cfg("text"), tmp_path / "text")
    assert _failures(tmp_path / "text")["truncated"] == "failed: transcript is not valid UTF-8"


def test_too_many_failures_stops_with_the_store_named(broken_corpus, tmp_path):
    with pytest.raises(TooManyFailures, match=r"3 of 11 clips failed .* features.max_failed_fraction = 0.05"):
        extract(read_manifest(broken_corpus), _cfg("video", max_failed_fraction=0.05), tmp_path / "video")
    assert (tmp_path / "video" / "failures.csv").is_file()


def test_worker_processes_give_the_same_store(broken_corpus, tmp_path):
    manifest = read_manifest(broken_corpus)
    extract(manifest, _cfg("audio", workers=0), tmp_path / "inline")
    extract(manifest, _cfg("audio", workers=2), tmp_path / "workers")
    for shard in sorted((tmp_path / "inline").glob("*.h5")):
        assert shard.read_bytes() == (tmp_path / "workers" / shard.name).read_bytes()


def test_shard_option_splits_work_and_rerun_skips(broken_corpus, tmp_path):
    manifest = read_manifest(broken_corpus)
    first = extract(manifest, _cfg("text"), tmp_path / "t", shard=parse_shard("0/2"))
    second = extract(manifest, _cfg("text"), tmp_path / "t", shard=parse_shard("1/2"))
    assert (first.clips, second.clips) == (4 + 3, 4)  # shards 0 and 2, then shard 1
    assert extract(manifest, _cfg("text"), tmp_path / "t").clips == 0
    with pytest.raises(ValueError, match="i/N"):
        parse_shard("2")


def _corpus(root: Path, n: int) -> Path:
    rows = []
    for i in range(n):
        write_clip(root / f"c{i}.mp4", None, 8, tone(2.0, 150 + 7 * i))
        rows.append(_row(f"c{i:03d}", f"c{i}.mp4"))
    return write_manifest(pd.DataFrame(rows), root / "manifest.csv")


def _params(path: Path, shards: int) -> Path:
    params = {
        "features": {
            "max_failed_fraction": 0.05,
            "sets": {
                "audio": {
                    "modality": "audio",
                    "model": "random:hubert-tiny",
                    "device": "cpu",
                    "batch_size": 2,
                    "bucket": 2,
                    "workers": 0,
                    "shards": shards,
                },
            },
        }
    }
    path.write_text(yaml.safe_dump(params))
    return path


def _mer_extract(params: Path, manifest: Path, store: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pipeline.cli.main",
            "extract",
            "audio",
            "--params",
            str(params),
            "--manifest",
            str(manifest),
            "--store",
            str(store),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _digests(store: Path) -> dict[str, str]:
    return {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in sorted(store.glob("*.h5"))}


@pytest.mark.slow
def test_sigkills_in_a_row_then_a_rerun_gives_an_identical_store(tmp_path):
    """Each run resumes the previous killed one, so kills land in fresh and in resuming runs alike; a
    shard on disk is always a finished one, identical to the uninterrupted run's. Four kills: the first
    in a fresh run, three in resuming ones, spread over the shards (each kill costs a process start)."""
    manifest = _corpus(tmp_path, 48)
    params = _params(tmp_path / "params.yaml", 24)
    assert _mer_extract(params, manifest, tmp_path / "whole").wait() == 0
    expected = _digests(tmp_path / "whole")
    store, killed_after, written = tmp_path / "killed", [], {}
    for target in np.linspace(1, len(expected) - 1, 4).astype(int):
        target = max(target, len(written) + 1)
        process = _mer_extract(params, manifest, store)
        deadline = time.monotonic() + 120
        while len(list(store.glob("shard-*.h5"))) < target and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        written = _digests(store)
        killed_after.append(len(written))
        assert all(expected[name] == digest for name, digest in written.items())
    assert killed_after == sorted(set(killed_after)) and killed_after[-1] < len(expected), killed_after
    assert _mer_extract(params, manifest, store).wait() == 0
    assert _digests(store) == expected
    assert not list(store.glob("*.tmp"))


def test_features_info_json(broken_corpus, tmp_path):
    extract(read_manifest(broken_corpus), _cfg("video"), tmp_path / "video")
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.cli.main", "features", "info", str(tmp_path / "video"), "--json"],
        capture_output=True,
        text=True,
    )
    info = json.loads(result.stdout)
    assert info["n"] == 11 and info["layers"] == [0] and info["dim"] == 128
    assert info["failed"] == 3 and info["absent"] == 1 and info["random_init"] is True


@pytest.mark.parametrize("model", ["opensmile:eGeMAPSv02", "random:whisper-tiny"])
def test_each_audio_extractor_records_broken_and_absent_clips(broken_corpus, tmp_path, model):
    extract(read_manifest(broken_corpus), _cfg("audio", model=model), tmp_path / "store")
    failures = _failures(tmp_path / "store")
    for name in ("truncated", "zero", "missing"):
        assert failures[name].startswith("failed")
    assert failures["silent"] == "absent: silent.mp4 has no audio stream"
    assert not any(name.startswith("good") for name in failures)


def test_a_videomae_store_holds_clip_vectors_per_layer_and_no_frames(broken_corpus, tmp_path):
    extract(read_manifest(broken_corpus), _cfg("video", model="random:videomae-tiny"), tmp_path / "store")
    failures = _failures(tmp_path / "store")
    for name in ("truncated", "zero", "missing"):
        assert failures[name].startswith("failed")
    assert failures["audio_only"] == "absent: audio_only.mp4 has no video stream"
    with h5py.File(_shard_of(tmp_path / "store", "good_0")) as f:
        assert f["utt"].shape[1:] == (3, 64) and "frames" not in f and list(f.attrs["layers"]) == [0, 1, 2]


def test_opensmile_functionals_are_a_float32_audio_set_computed_in_the_workers(broken_corpus, tmp_path):
    manifest = read_manifest(broken_corpus)
    cfg = _cfg("audio", model="opensmile:eGeMAPSv02", workers=2)
    extract(manifest, cfg, tmp_path / "workers")
    extract(manifest, cfg.model_copy(update={"workers": 0}), tmp_path / "inline")
    for shard in sorted((tmp_path / "inline").glob("*.h5")):
        assert shard.read_bytes() == (tmp_path / "workers" / shard.name).read_bytes()
    with h5py.File(_shard_of(tmp_path / "workers", "good_0")) as f:
        row = list(f["names"].asstr()[:]).index("good_0")
        assert f["utt"].dtype == np.float32 and f.attrs["dtype"] == "float32"
        assert f["utt"].shape[1:] == (1, 88)
        assert np.isfinite(f["utt"][row]).all() and np.abs(f["utt"][row]).max() > 0
    info = json.loads(mer("features", "info", str(tmp_path / "workers"), "--json").stdout)
    assert info["model"] == "opensmile:eGeMAPSv02" and info["random_init"] is False and info["dim"] == 88


def test_compare_functionals_beyond_float16_are_stored_exactly(broken_corpus, tmp_path):
    good = read_manifest(broken_corpus)
    good = replace(good, rows=good.rows[good.rows["name"].isin(["good_4", "good_5"])])
    extract(good, _cfg("audio", model="opensmile:ComParE_2016"), tmp_path / "compare")
    arrays = read_store(tmp_path / "compare", ["good_4", "good_5"])
    assert arrays.utt.shape == (2, 1, 6373) and arrays.ok.all() and np.isfinite(arrays.utt).all()
    assert np.abs(arrays.utt).max() > 65504  # would be inf in float16


def test_a_value_beyond_the_store_dtype_is_an_error_naming_the_dimension(tmp_path):
    utt = np.zeros((2, 1, 4), np.float32)
    utt[1, 0, 2] = 8e11
    info = StoreInfo("audio", "opensmile:ComParE_2016", "", [0], 4, "digest", False)
    batch = Batch(["a", "b"], utt, np.ones(2, bool), ["", ""])
    with pytest.raises(StoreWriteError, match=r"dimension\(s\) \[2\] .*largest magnitude 8e\+11"):
        write_shard(tmp_path / "store" / "shard-00000.h5", info, batch)
    assert not (tmp_path / "store").exists()
    write_shard(tmp_path / "store" / "shard-00000.h5", replace(info, dtype="float32"), batch)
    assert read_store(tmp_path / "store", ["b"]).utt[0, 0, 2] == np.float32(8e11)


def test_a_changed_input_file_redoes_only_that_clip(tmp_path):
    manifest_path = _corpus(tmp_path, 8)
    cfg = _cfg("audio")
    extract(read_manifest(manifest_path), cfg, tmp_path / "store")
    assert extract(read_manifest(manifest_path), cfg, tmp_path / "store").clips == 0
    write_clip(tmp_path / "c5.mp4", None, 8, tone(3.0, 400))
    again = extract(read_manifest(manifest_path), cfg, tmp_path / "store")
    assert (again.clips, again.rewritten_shards, again.skipped_shards) == (1, 1, 2)


def test_a_damaged_shard_is_refused_on_reading_and_extracted_again_on_resume(tmp_path):
    manifest = read_manifest(_corpus(tmp_path, 8))
    store = tmp_path / "store"
    extract(manifest, _cfg("audio"), store)
    shard = sorted(store.glob("*.h5"))[0]
    intact = shard.read_bytes()
    with h5py.File(shard) as f:
        names = list(f["names"].asstr()[:])
        offset = f["utt"].id.get_chunk_info(0).byte_offset
    damaged = bytearray(intact)
    for i in range(30):
        damaged[offset + 4 + i] ^= 0xFF
    shard.write_bytes(bytes(damaged))
    with pytest.raises(DamagedShard, match=rf"{shard.name}: the shard is damaged \(checksum or read failure"):
        read_store(store, names)
    again = extract(manifest, _cfg("audio"), store)
    assert (again.clips, again.rewritten_shards) == (len(names), 1)
    assert shard.read_bytes() == intact


def test_mertools_feature_folder_round_trip(tmp_path):
    folder = tmp_path / "chinese-hubert-large-UTT"
    folder.mkdir()
    rng = np.random.default_rng(0)
    vectors = {f"sample_{i:08d}": rng.normal(size=16).astype(np.float32) for i in range(5)}
    vectors["sample_00000002"][3] = 8e11  # ComParE-sized: beyond float16, so imports are float32
    for name, vector in vectors.items():
        np.save(folder / f"{name}.npy", vector if name != "sample_00000001" else vector[None])
    (folder / "sample_00000009.npy").write_bytes(b"not an array")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.cli.main",
            "features",
            "import-mertools",
            str(folder),
            "--modality",
            "audio",
            "--store",
            str(tmp_path / "store"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert list(_failures(tmp_path / "store")) == ["sample_00000009"]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipeline.cli.main",
            "features",
            "export-mertools",
            str(tmp_path / "store"),
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    for name, vector in vectors.items():
        np.testing.assert_array_equal(np.load(tmp_path / "out" / f"{name}.npy"), vector)
    assert not (tmp_path / "out" / "sample_00000009.npy").exists()
