"""A user's own corpus through the real `dvc repro`: built here (not by the demo generator), imported
with `mer corpus import-*`, pointed at with `mer init`, then run and checked against its own sizes."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
import yaml

from pipeline.corpus.manifest import read_manifest
from pipeline.features.decode import clip_refs
from pipeline.features.extract import clip_inputs
from pipeline.features.store import shard_filename, shard_header, shard_of, store_info
from pipeline.media.write import write_clip
from tests.cli import mer, mer_ok
from tests.conftest import LABELS, frames, tone
from tests.dvc_project import ROOT, TINY_TRAIN, dvc, fast_features, new_project, set_params
from tests.photos import astronaut_frames

OWN_LABELS = ["tense", "calm", "joyful", "frustrated"]


PHOTO_CLIPS = ("tr00", "te00", "un0")  # a real photograph with a face; the other clips show noise


def mertools_folder(root: Path) -> Path:
    """MER2024's processed layout: video/ (audio inside the mp4), label-6way.npz, transcription-merge.csv;
    two labeled clips have a transcript but no video (text-only rows), three videos have no label, no
    OpenFace crops (the `faces` stage makes them)."""
    train = {f"tr{i:02d}": LABELS[i % 6] for i in range(18)}
    test = {f"te{i:02d}": LABELS[i % 6] for i in range(6)}
    names = [*train, *test, "un0", "un1", "un2"]
    photo, _ = astronaut_frames()
    for k, name in enumerate(names):
        video = photo if name in PHOTO_CLIPS else frames(6, seed=k)
        if name not in ("tr16", "tr17"):
            write_clip(root / "video" / f"{name}.mp4", video, 8, tone(0.75, 150 + 20 * k))
    np.savez(
        root / "label-6way.npz",
        train_corpus={n: {"emo": label} for n, label in train.items()},
        test1_corpus={n: {"emo": label} for n, label in test.items()},
    )
    pd.DataFrame({"name": names, "chinese": [f"line {n}" for n in names]}).to_csv(
        root / "transcription-merge.csv", index=False
    )
    return root


def audio_only_table(root: Path) -> Path:
    """wav clips with 4 labels of their own, a test split without labels, no unlabeled pool, no OV sets,
    and no text, video or openset column at all."""
    (root / "wav").mkdir(parents=True)
    rows = []
    for i in range(18):
        split = "train" if i < 12 else "test"
        name = f"{split}_{i:02d}"
        sf.write(root / "wav" / f"{name}.wav", tone(0.6, 120 + 25 * i), 16_000)
        label = OWN_LABELS[i % 4] if split == "train" else ""
        rows.append({"name": name, "split": split, "label": label, "audio": f"wav/{name}.wav"})
    pd.DataFrame(rows).to_csv(root / "table.csv", index=False)
    return root / "table.csv"


def run_own_corpus(project: Path, manifest: Path, **changes: dict) -> str:
    """`mer init` the project on the manifest, shrink training and the audio model, apply `changes`,
    `dvc repro`."""
    printed = mer_ok("init", str(manifest), "--params", str(project / "params.yaml"))
    set_params(project, train=TINY_TRAIN, features=fast_features(project), **changes)
    dvc(project, "repro")
    return printed


def read(project: Path, path: str) -> pd.DataFrame:
    return pd.read_csv(project / path, dtype=str, keep_default_na=False)


def metrics(project: Path, track: str) -> dict:
    return json.loads((project / "data/metrics" / f"{track}.json").read_text())


@pytest.fixture(scope="module")
def mertools_project(tmp_path_factory) -> tuple[Path, Path, bytes, str]:
    project = new_project(tmp_path_factory.mktemp("mertools_project"))
    corpus = mertools_folder(project / "data" / "mer2024")
    mer_ok("corpus", "import-mertools", str(corpus))
    manifest = corpus / "manifest.csv"
    source = manifest.read_bytes()
    return project, manifest, source, run_own_corpus(project, manifest, faces={"enabled": True, "workers": 1})


@pytest.fixture(scope="module")
def audio_project(tmp_path_factory) -> tuple[Path, Path, bytes, str]:
    project = new_project(tmp_path_factory.mktemp("audio_project"))
    corpus = tmp_path_factory.mktemp("audio_corpus")  # outside the project, as a shared corpus would be
    mer_ok("corpus", "import-csv", str(audio_only_table(corpus)))
    manifest = corpus / "manifest.csv"
    source = manifest.read_bytes()
    return project, manifest, source, run_own_corpus(project, manifest, corrupt={"source_split": ""})


def test_init_writes_what_the_mertools_corpus_implies(mertools_project):
    project, manifest, _, printed = mertools_project
    params = yaml.safe_load((project / "params.yaml").read_text())
    assert params["dataset"]["manifest"] == "data/mer2024/manifest.csv"
    assert params["labels"] == LABELS and params["train"]["sets"] == [
        "hubert",
        "egemaps",
        "clip_aligned",
        "minilm",
    ]
    assert params["selftrain"]["truth"] == "" and params["corrupt"]["source_split"] == "test"
    assert "train.folds = 3" in printed  # the rarest class has 3 training clips, fewer than 5 folds
    assert "test -> test_noise (6 clips)" in printed and "3 unlabeled clips" in printed
    assert "random-init stand-in" in printed
    assert "faces: off, the video sets read whole frames; 25 clip(s) have a video and no face" in printed


def test_mertools_corpus_runs_end_to_end_without_the_demo(mertools_project):
    project, manifest, source, _ = mertools_project
    assert manifest.read_bytes() == source
    assert sorted(p.name for p in (project / "data/corpus/clean").iterdir()) == ["NOT_GENERATED.txt"]
    derived = read(project, "data/corpus/manifest.csv")
    assert derived["split"].value_counts().to_dict() == {
        "train": 18,
        "train_noise": 16,
        "test": 6,
        "test_noise": 6,
        "unlabeled": 3,
    }  # the two text-only training clips have nothing to corrupt
    for track in ("semi", "noise"):
        assert metrics(project, track)["n"] == 6 and "waf" in metrics(project, track)
        assert len(read(project, f"data/submission/{track}.csv")) == 6
    assert len(read(project, "data/submission/ov.csv")) == 6
    assert "no OV ground truth" in metrics(project, "ov")["note"]
    ablation = json.loads((project / "data/metrics/ablation.json").read_text())
    assert set(ablation["waf"]) >= {"hubert", "minilm"}
    every = list(ablation["waf"])[-1]
    assert set(ablation["minus_all_sets"]) == set(ablation["waf"]) - {every}
    gaps = [*ablation["minus_all_sets"].values(), *ablation["fusion_minus_baseline"].values()]
    gaps += [g for e in ablation["adapted"].values() for g in e.get("adapted_minus_frozen", {}).values()]
    for gap in gaps:  # each subset minus all sets, fusion minus linear, adapted minus frozen: on 6 test clips
        for track in ("semi", "noise"):
            low, high = gap[track]["ci"]
            assert low <= gap[track]["waf_diff"] <= high and -1 <= low <= high <= 1


def test_faces_stage_crops_a_users_corpus_and_the_video_sets_read_the_stacks(mertools_project):
    project, *_ = mertools_project
    derived = read(project, "data/corpus/manifest.csv").set_index("name")
    with_video = derived[derived["video"] != ""]
    assert len(with_video) == 47 and (with_video["face"] != "").all()  # noisy copies cropped too
    assert (derived.loc[["tr16", "tr17"], "face"] == "").all()  # text-only rows
    for name in with_video.index:
        stack = project / "data/corpus" / with_video.loc[name, "face"]
        assert stack == project / f"data/corpus/faces/openface_face/{name}/{name}.npy" and stack.is_file()
    counts = read(project, "data/corpus/faces/faces.csv").set_index("name")
    faces = counts["faces"].astype(int)
    assert (faces.loc[list(PHOTO_CLIPS)] == 5).all()  # every frame of the photo clips
    assert (faces.drop(list(PHOTO_CLIPS) + ["tr00_noise", "te00_noise"]) == 0).all()  # noise: fallbacks
    derived_manifest = read_manifest(project / "data/corpus/manifest.csv", contained=False)
    refs = {r.name: r for r in clip_refs(derived_manifest)}
    header = shard_header(project / "data/features/clip" / shard_filename(shard_of("tr00", 64)))
    stored = dict(zip(header.names, header.inputs, strict=True))["tr00"]
    assert stored == clip_inputs(refs["tr00"]) != clip_inputs(replace(refs["tr00"], face=None))


def test_audio_only_corpus_with_its_own_labels_and_hidden_test_labels(audio_project):
    """Also: no NOISE split (corrupt.source_split ""), no unlabeled pool, no OV sets, no known pool labels."""
    project, manifest, source, printed = audio_project
    assert manifest.read_bytes() == source
    assert not (project / "data/corpus/clean/manifest.csv").exists()
    params = yaml.safe_load((project / "params.yaml").read_text())
    assert params["labels"] == sorted(OWN_LABELS) and params["train"]["sets"] == ["hubert", "egemaps"]
    assert "no labels in test: predictions only" in printed
    semi = metrics(project, "semi")
    assert semi["n"] == 0 and semi["labeled"] == 0 and semi["clips"] == 6 and "waf" not in semi
    submission = read(project, "data/submission/semi.csv")
    assert len(submission) == 6 and set(submission["discrete"]) <= set(OWN_LABELS)
    assert set(read(project, "data/corpus/manifest.csv")["split"]) == {"train", "train_noise", "test"}
    noise = metrics(project, "noise")
    assert noise["clips"] == 0 and "no clips in split 'test_noise'" in noise["note"]
    assert len(read(project, "data/submission/noise.csv")) == 0
    assert "no OV ground truth" in metrics(project, "ov")["note"]
    report = json.loads((project / "data/metrics/selftrain.json").read_text())
    assert report["rounds"][0]["selected"] == 0 and report["rounds"][0]["precision"] is None
    assert "nothing to pseudo-label" in report["rounds"][0]["note"]
    assert report["gain"] == {"semi": None, "noise": None}
    ablation = json.loads((project / "data/metrics/ablation.json").read_text())
    assert list(ablation["waf"]) == ["hubert", "egemaps", "hubert+egemaps"]
    assert ablation["minus_all_sets"]["hubert"] == {"semi": None, "noise": None}  # hidden test labels
    prompted = store_info(project / "data/features/clip_prompted")  # switched off by mer init
    assert prompted["n"] == prompted["absent"] == 30  # 12 train clips, their noisy copies, 6 test clips
    assert "prompt.enabled is false" in (project / "data/models/clip_prompted/NOT_TUNED.txt").read_text()
    assert ablation["adapted"]["clip_prompted"]["skipped"] == "clip is absent on every labeled training clip"
    assert [params[section]["enabled"] for section in ("align", "adapt", "prompt")] == [False] * 3
    switched_off = store_info(project / "data/features/hubert_adapted")  # train.sets does not fuse it
    assert switched_off["n"] == switched_off["absent"] == 30 and switched_off["dim"] == 64
    assert "adapt.enabled is false" in (project / "data/models/hubert_adapted/NOT_ADAPTED.txt").read_text()
    assert ablation["adapted"]["hubert_adapted"]["skipped"] == (
        "hubert_adapted is absent on every labeled training clip"
    )
    shown = mer_ok("report", "--params", str(project / "params.yaml"), "--data", str(project / "data"))
    assert "SEMI  (test): WAF n/a" in shown and "no labels" in shown
    assert "adapted vs frozen, WAF on test / test_noise (adapted | frozen; adapted minus frozen" in shown
    assert "clip_prompted (prompt of clip): clip is absent on every labeled training clip" in shown


def test_init_keeps_params_comments_and_refuses_the_derived_manifest(tmp_path):
    params = tmp_path / "params.yaml"
    params.write_text((ROOT / "params.yaml").read_text())
    table = audio_only_table(tmp_path / "corpus")
    mer_ok("corpus", "import-csv", str(table))
    mer(
        "init",
        str(tmp_path / "corpus" / "manifest.csv"),
        "--params",
        str(params),
        "--labels",
        "calm,tense,joyful,frustrated",
    )
    text = params.read_text()
    assert "# The source corpus's manifest" in text and "labels: [calm, tense, joyful, frustrated]" in text
    assert yaml.safe_load(text)["dataset"]["manifest"] == "corpus/manifest.csv"
    one = tmp_path / "corpus" / "one.csv"
    one.write_text("name,split,label\na,train,calm\nb,train,calm\nc,train,tense\n")
    refused = mer("init", str(one), "--params", str(params))
    assert refused.returncode == 2 and "'tense' has 1" in refused.stderr
    derived = tmp_path / "data/corpus/manifest.csv"
    derived.parent.mkdir(parents=True)
    derived.write_bytes(table.read_bytes())
    result = mer("init", str(derived), "--params", str(params))
    assert result.returncode == 2 and "is the derived manifest `corrupt` writes" in result.stderr
