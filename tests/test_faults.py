"""Fault injection: a zoo of bad media, and a disk that fills up while shards are written."""

from __future__ import annotations

import hashlib
import resource
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import yaml

from pipeline.corpus.manifest import read_manifest, write_manifest
from pipeline.media.write import write_clip
from tests.conftest import NOT_UTF8, frames, manifest_row, tone, write_test_manifest

MODELS = {"audio": "random:hubert-tiny", "video": "random:clip-tiny", "text": "random:qwen2-tiny"}


def _row(name: str, video: str = "", audio: str = "", text: str = "a plain sentence", face: str = "") -> dict:
    return manifest_row(name, "unlabeled", text, video=video, audio=audio, face=face)


@pytest.fixture(scope="module")
def zoo(tmp_path_factory) -> Path:
    """One clip of every kind of bad (or merely unusual) input a real corpus has."""
    root = tmp_path_factory.mktemp("zoo")
    good = write_clip(root / "good.mp4", frames(8, 32), 8, tone(1.0))
    write_clip(root / "no_video.mp4", None, 8, tone(1.0))
    write_clip(root / "no_audio.mp4", frames(8, 32), 8, None)
    write_clip(root / "short.mp4", frames(2, 32), 20, tone(0.1))
    write_clip(root / "long.mp4", frames(600, 32), 1, tone(600.0, amp=0.1))
    (root / "truncated.mp4").write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    (root / "zero.mp4").write_bytes(b"")
    (root / "wrong_container.mp4").write_bytes(b"<html>this is a web page saved as mp4</html>" * 50)
    sf.write(root / "stereo_8k.wav", np.stack([tone(1.0, rate=8000)] * 2, axis=1), 8000)
    sf.write(root / "nan.wav", np.full(16000, np.nan, np.float32), 16000, subtype="FLOAT")
    np.save(root / "face_ok.npy", frames(6, 24))
    (root / "face_corrupt.npy").write_bytes(b"\x93NUMPY garbage that is not an array")
    rows = [
        _row("good", "good.mp4"),
        _row("no_video", "no_video.mp4"),
        _row("no_audio", "no_audio.mp4"),
        _row("short_0_1s", "short.mp4"),
        _row("long_10min", "long.mp4"),
        _row("truncated", "truncated.mp4"),
        _row("zero_byte", "zero.mp4"),
        _row("wrong_container", "wrong_container.mp4"),
        _row("stereo_8k", audio="stereo_8k.wav"),
        _row("nan_samples", audio="nan.wav"),
        _row("face_ok", "good.mp4", face="face_ok.npy"),
        _row("face_corrupt", "good.mp4", face="face_corrupt.npy"),
        _row("not_utf8", "good.mp4", text=NOT_UTF8),
        _row("long_text", "good.mp4", text="so very tired " * 3000),
        _row("missing_file", "gone.mp4"),
    ]
    return write_test_manifest(rows, root / "manifest.csv")


def _params(path: Path, **audio_overrides) -> Path:
    sets = {
        m: {"modality": m, "model": model, "device": "cpu", "batch_size": 4, "workers": 0, "shards": 4}
        for m, model in MODELS.items()
    }
    sets["audio"] |= audio_overrides
    path.write_text(yaml.safe_dump({"features": {"max_failed_fraction": 1.0, "sets": sets}}))
    return path


def _extract(
    modality: str, params: Path, manifest: Path, store: Path, **kwargs
) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pipeline.cli.main", "extract", modality, "--params", str(params)]
    command += ["--manifest", str(manifest), "--store", str(store)]
    return subprocess.run(command, capture_output=True, text=True, **kwargs)


EXPECTED = {  # modality -> clip -> outcome prefix; clips not listed must be ok
    "audio": {
        "truncated": "failed",
        "zero_byte": "failed",
        "wrong_container": "failed",
        "no_audio": "absent",
        "nan_samples": "failed",
        "missing_file": "failed",
    },
    "video": {
        "truncated": "failed",
        "zero_byte": "failed",
        "wrong_container": "failed",
        "no_video": "absent",
        "stereo_8k": "absent",
        "nan_samples": "absent",
        "face_corrupt": "failed",
        "missing_file": "failed",
    },
    "text": {"not_utf8": "failed"},
}


@pytest.mark.slow
@pytest.mark.parametrize("modality", ["audio", "video", "text"])
def test_every_bad_input_is_extracted_or_recorded_with_a_reason(zoo, tmp_path, modality):
    result = _extract(modality, _params(tmp_path / "params.yaml"), zoo, tmp_path / modality)
    assert result.returncode == 0, result.stderr
    failures = pd.read_csv(tmp_path / modality / "failures.csv", keep_default_na=False)
    outcomes = {
        name: error.split(":")[0] for name, error in zip(failures["name"], failures["error"], strict=True)
    }
    assert outcomes == EXPECTED[modality]
    assert all(len(error) > len("failed: ") for error in failures["error"])
    counts = pd.Series(outcomes).value_counts()
    ok = 15 - len(outcomes)
    assert (
        f"store outcomes: {ok} ok, {counts.get('failed', 0)} failed, {counts.get('absent', 0)} absent"
        in result.stdout
    )


def _limit_file_size(limit: int):
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def _digests(store: Path) -> dict[str, str]:
    return {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in sorted(store.glob("*"))}


def test_a_full_disk_stops_with_a_clear_error_and_keeps_the_finished_store(zoo, tmp_path):
    rows = read_manifest(zoo).rows  # the zoo without its 10-minute clip, as it is extracted three times
    manifest = write_manifest(rows[rows["name"] != "long_10min"], zoo.with_name("short_clips.csv"))
    store = tmp_path / "audio"
    assert _extract("audio", _params(tmp_path / "params.yaml"), manifest, store).returncode == 0
    before = _digests(store)
    changed = _params(tmp_path / "params.yaml", window_s=5.0)  # every shard must be rewritten
    smallest = min(p.stat().st_size for p in store.glob("shard-*.h5"))
    result = _extract("audio", changed, manifest, store, preexec_fn=_limit_file_size(smallest // 2))
    assert result.returncode == 2, result.stderr
    assert "cannot write the shard" in result.stderr and "Disk full" in result.stderr
    assert "Traceback" not in result.stderr
    assert _digests(store) == before and not list(store.glob("*.tmp"))
    assert _extract("audio", changed, manifest, store).returncode == 0
    assert _digests(store) != before
