from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.config.demo import DemoConfig
from pipeline.corpus.manifest import parse_openset, read_manifest
from pipeline.demo.corpus import make_demo_corpus
from pipeline.media.audio import load_audio
from pipeline.media.babble import write_babble
from pipeline.media.frames import load_frames
from tests.conftest import LABELS, TINY_SIZES


def test_same_seed_same_manifest_bytes_and_decoded_arrays(tiny_demo: Path, tmp_path):
    again = tmp_path / "again"
    make_demo_corpus(DemoConfig(seed=3, **TINY_SIZES, workers=1), again)
    assert (again / "manifest.csv").read_bytes() == (tiny_demo / "manifest.csv").read_bytes()
    assert (again / "unlabeled_truth.csv").read_bytes() == (tiny_demo / "unlabeled_truth.csv").read_bytes()
    for clip in sorted((tiny_demo / "clips").glob("*.mp4")):
        a, b = load_audio(None, clip), load_audio(None, again / "clips" / clip.name)
        np.testing.assert_array_equal(a.data, b.data)
        v, w = load_frames(clip, None, 4), load_frames(again / "clips" / clip.name, None, 4)
        assert v.status == w.status
        if v.ok:
            np.testing.assert_array_equal(v.data, w.data)


def test_other_seed_other_corpus(tiny_demo: Path, tmp_path):
    make_demo_corpus(DemoConfig(seed=4, **TINY_SIZES, workers=1), tmp_path)
    assert (tmp_path / "manifest.csv").read_bytes() != (tiny_demo / "manifest.csv").read_bytes()


def test_demo_manifest_contents(tiny_demo: Path):
    manifest = read_manifest(tiny_demo / "manifest.csv", LABELS)
    counts = manifest.rows["split"].value_counts().to_dict()
    assert counts == TINY_SIZES
    unlabeled = manifest.split("unlabeled")
    assert (unlabeled["label"] == "").all() and (unlabeled["openset"] == "").all()
    truth = pd.read_csv(tiny_demo / "unlabeled_truth.csv")
    assert sorted(truth["name"]) == sorted(unlabeled["name"]) and truth["label"].isin(LABELS).all()
    for value in manifest.split("train")["openset"]:
        assert 2 <= len(parse_openset(value)) <= 5
    assert not (tiny_demo / "noise").exists()  # babble is the corrupt stage's, for any corpus


def test_babble_is_a_function_of_its_seed(tmp_path):
    first = [p.read_bytes() for p in write_babble(tmp_path / "a", seed=1, files=2)]
    assert first == [p.read_bytes() for p in write_babble(tmp_path / "b", seed=1, files=2)]
    assert first != [p.read_bytes() for p in write_babble(tmp_path / "c", seed=2, files=2)]


def test_cues_follow_the_confusion_rates(tmp_path):
    cfg = DemoConfig(
        seed=0, train=240, unlabeled=0, test=0, audio_confusion=0.5, video_confusion=0.0, workers=2
    )
    make_demo_corpus(cfg, tmp_path)
    cues = pd.read_csv(tmp_path / "cues.csv")
    assert (cues["video_cue"] == cues["label"]).all()
    assert 0.35 < (cues["audio_cue"] != cues["label"]).mean() < 0.65
