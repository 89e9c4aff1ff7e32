from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.config.base import ParamError
from pipeline.config.corrupt import CorruptConfig
from pipeline.corpus.manifest import read_manifest
from pipeline.corpus.noise_split import build_noise_split, noise_targets
from pipeline.media.audio import load_audio
from pipeline.media.corrupt import blur, build_noise, draw_for, measured_snr, mix_at_snr
from pipeline.media.frames import read_video
from tests.conftest import LABELS, frames, tone


@pytest.mark.parametrize("snr", [5, 7, 10])
def test_mix_hits_the_requested_snr_even_when_rescaled(snr):
    rng = np.random.default_rng(snr)
    clean = tone(1.0, amp=0.9)
    noise = rng.normal(0, 1, clean.size).astype(np.float32)
    mixed = mix_at_snr(clean, noise, snr)
    assert np.abs(mixed).max() <= 1.0
    assert abs(measured_snr(clean, mixed) - snr) < 0.05


def test_noise_is_concatenated_and_cropped(tmp_path):
    import soundfile as sf

    for i in range(3):
        sf.write(tmp_path / f"n{i}.wav", tone(0.3, freq=100 * (i + 1)), 16_000)
    files = sorted(tmp_path.glob("*.wav"))
    noise = build_noise(files, 20_000, np.random.default_rng(0))
    assert noise.shape == (20_000,) and np.abs(noise).max() > 0


def test_blur_factor_one_is_identity_and_four_smooths():
    image = frames(2, 32)
    assert blur(image, 1) is image
    blurred = blur(image, 4)
    assert blurred.shape == image.shape and blurred.dtype == np.uint8
    assert (
        np.abs(np.diff(blurred.astype(int), axis=2)).mean()
        < np.abs(np.diff(image.astype(int), axis=2)).mean() / 2
    )


def test_draws_are_per_clip_and_seeded():
    cfg = CorruptConfig(seed=1)
    draws = [draw_for(f"clip{i}", cfg)[0] for i in range(200)]
    assert {d.snr_db for d in draws} == set(range(5, 11))
    assert {d.blur_factor for d in draws} == {1, 2, 4}
    assert draw_for("clip3", cfg)[0] == draws[3]


def test_noise_split_measured_snr_matches_drawn(tiny_demo: Path, tmp_path):
    manifest = read_manifest(tiny_demo / "manifest.csv", LABELS)
    out_manifest = tiny_demo.parent / f"{tmp_path.name}_all.csv"
    out_dir = tiny_demo.parent / f"{tmp_path.name}_noisy"
    targets = noise_targets("test", "train")
    build_noise_split(manifest, None, out_dir, out_manifest, CorruptConfig(seed=0), targets)
    assert len(list((out_dir / "babble").glob("*.wav"))) == 8  # built-in babble: no noise folder given
    combined = read_manifest(out_manifest, LABELS)
    noisy = combined.split("test_noise")
    assert len(noisy) == len(manifest.split("test"))
    copies = combined.split("train_noise")
    assert list(copies["source"]) == list(manifest.split("train")["name"])
    assert list(copies["name"]) == [f"{n}_noise" for n in copies["source"]]
    assert list(copies["label"]) == list(manifest.split("train")["label"])
    draws = pd.read_csv(out_dir / "corruption.csv").set_index("name")
    for _, row in noisy.iterrows():
        source = manifest.rows.set_index("name").loc[draws.loc[row["name"], "source"]]
        clean = load_audio(None, tiny_demo / source["video"]).data
        mixed = load_audio(None, combined.media_path(row, "video")).data
        n = min(clean.size, mixed.size)
        assert abs(measured_snr(clean[:n], mixed[:n]) - draws.loc[row["name"], "snr_db"]) < 0.5
        assert row["label"] == source["label"] and row["text"] == source["text"]
        video = read_video(combined.media_path(row, "video"))
        assert (video is None) == np.isnan(draws.loc[row["name"], "blur_factor"])


def test_augmenting_the_test_noise_source_split_is_refused():
    assert noise_targets("test", "train") == {"test": "test_noise", "train": "train_noise"}
    with pytest.raises(ParamError, match=r"split to augment \('train'.*must differ"):
        noise_targets("train", "train")
