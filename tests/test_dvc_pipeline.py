"""The real DVC graph, run by `dvc repro` on a copy of the project with a tiny demo corpus."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipeline.features.store import store_info
from tests.dvc_project import TINY_TRAIN, dvc, dvc_env, fast_features, new_project, set_params

TINY = {"train": 40, "unlabeled": 3, "test": 6, "workers": 1}
SETS = {
    "hubert": "audio",
    "whisper": "audio",
    "egemaps": "audio",
    "clip": "video",
    "dinov2": "video",
    "videomae": "video",
    "minilm": "text",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """The demo profile (hubert and eGeMAPS for audio) with more feature sets: `whisper` (audio), `dinov2`
    (video, the mean of its patch tokens) and `videomae` (video, one vector per clip and layer)."""
    project = new_project(tmp_path_factory.mktemp("project"))
    features = fast_features(project)
    features["sets"]["whisper"] = {**features["sets"]["hubert"], "model": "random:whisper-tiny"}
    features["sets"]["dinov2"] = {
        **features["sets"]["clip"],
        "model": "random:dinov2-tiny",
        "pooling": "patch_mean",
    }
    features["sets"]["videomae"] = {**features["sets"]["clip"], "model": "random:videomae-tiny", "frames": 16}
    set_params(
        project,
        demo=TINY,
        train={**TINY_TRAIN, "sets": list(SETS)},
        features=features,
        adapt={"epochs": 4, "layers": "top:2"},
    )
    dvc(project, "repro")
    return project


def test_repro_builds_the_corpus_and_noise_split(project):
    manifest = pd.read_csv(project / "data/corpus/manifest.csv", dtype=str, keep_default_na=False)
    assert manifest["split"].value_counts().to_dict() == {
        "train": 40,
        "train_noise": 40,
        "test": 6,
        "test_noise": 6,
        "unlabeled": 3,
    }
    for path in manifest["video"]:
        assert (project / "data/corpus" / path).is_file()
    copies = manifest[manifest["source"] != ""]
    assert len(copies) == 46 and set(copies["split"]) == {"train_noise", "test_noise"}
    assert len(pd.read_csv(project / "data/corpus/noisy/corruption.csv")) == 46


def _assert_paired(gap: dict, a: dict, b: dict) -> None:
    """A paired difference is the difference of the two WAFs, inside its own interval, on each track."""
    for track in ("semi", "noise"):
        assert gap[track]["waf_diff"] == pytest.approx(a[track] - b[track], abs=1e-4)
        assert gap[track]["ci"][0] <= gap[track]["waf_diff"] <= gap[track]["ci"][1]


def test_second_repro_does_nothing_and_status_is_clean(project):
    again = dvc(project, "repro").stdout
    assert "didn't change, skipping" in again and "Running stage" not in again
    assert "up to date" in dvc(project, "status").stdout


def test_changing_a_corrupt_key_reruns_only_corrupt(project):
    set_params(project, corrupt={"seed": 7})
    status = dvc(project, "status").stdout
    assert "corrupt:" in status and "demo:" not in status
    rerun = dvc(project, "repro").stdout
    assert "Running stage 'corrupt'" in rerun and "Running stage 'demo'" not in rerun


def test_repro_builds_one_store_per_feature_set(project):
    for name, modality in SETS.items():
        store = project / "data/features" / name
        info = store_info(store)
        assert info["n"] == 95 and info["modality"] == modality and (store / "failures.csv").is_file()
    assert store_info(project / "data/features/whisper")["model"] == "random:whisper-tiny"
    assert store_info(project / "data/features/egemaps")["dim"] == 88


def test_training_fuses_the_audio_sets_and_the_ablation_reports_each_set_and_modality(project):
    summary = json.loads((project / "data/train/summary.json").read_text())
    assert list(summary["encoders"]) == list(SETS)
    ablation = json.loads((project / "data/metrics/ablation.json").read_text())
    assert ablation["sets"] == SETS
    alone = ["hubert", "whisper", "egemaps", "clip", "dinov2", "videomae"]
    assert list(ablation["waf"])[:7] == [*alone, "hubert+whisper+egemaps"]
    assert "hubert+whisper+egemaps+clip+dinov2+videomae+minilm" in ablation["waf"]
    assert len(ablation["waf"]) == 6 + 7
    assert set(ablation["baseline"]) == {"linear"}
    every = ablation["waf"]["hubert+whisper+egemaps+clip+dinov2+videomae+minilm"]
    _assert_paired(ablation["fusion_minus_baseline"]["linear"], every, ablation["baseline"]["linear"])


def test_the_layer_probe_scores_every_layer_of_each_multi_layer_set(project):
    probe = json.loads((project / "data/metrics/layers.json").read_text())
    assert list(probe["sets"]) == ["hubert", "whisper", "videomae", "minilm"]
    assert list(probe["sets"]["hubert"]["waf"]) == ["0", "1", "2", "3", "4"]
    assert len(probe["sets"]["minilm"]["best"]) == 3 and "egemaps, clip, dinov2" in probe["note"]
    plot = pd.read_csv(project / "data/plots/layers/whisper.csv")
    assert list(plot.columns) == ["layer", "waf"] and len(plot) == 4  # whisper-tiny: 3 layers + input


def git(repo: Path, *args: str) -> None:
    identity = ["-c", "user.name=ci", "-c", "user.email=ci@example.com"]
    subprocess.run(["git", *identity, *args], cwd=repo, check=True, capture_output=True)


def test_team_shares_stores_through_a_dvc_remote_without_re_extraction(project, tmp_path):
    dvc(project, "remote", "add", "-d", "team", str(tmp_path / "remote"))
    git(project, "add", "-A")
    git(project, "commit", "-qm", "pipeline run")
    dvc(project, "push")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(project), str(clone))
    assert not (clone / "data/features/hubert").exists()
    dvc(clone, "pull")
    assert "up to date" in dvc(clone, "status").stdout
    again = dvc(clone, "repro").stdout
    assert "Running stage" not in again and "didn't change, skipping" in again
    assert store_info(clone / "data/features/hubert")["n"] == 95


def test_changing_one_feature_set_key_reruns_only_that_set(project):
    features = yaml.safe_load((project / "params.yaml").read_text())["features"]
    whisper = features["sets"]["whisper"]
    set_params(project, features={"sets": {**features["sets"], "whisper": {**whisper, "window_s": 5.0}}})
    status = dvc(project, "status").stdout
    assert "extract@whisper:" in status
    for other in ("extract@hubert", "extract@egemaps", "extract@clip", "extract@dinov2", "demo:", "corrupt:"):
        assert other not in status
    set_params(project, features={"sets": features["sets"]})
    assert "up to date" in dvc(project, "status").stdout


def test_adapt_trains_small_adapters_and_writes_an_adapted_audio_set(project):
    summary = json.loads((project / "data/models/hubert_adapted/adapt.json").read_text())
    assert summary["clips"]["fit"] + summary["clips"]["holdout"] == 80  # 40 train clips and their copies
    assert "optimistic" in summary["note"] and len(summary["holdout"]) <= 4
    probed = summary["probe"]["hidden_state_waf"]  # top:2 of hidden states 1-4 (0 has no layer to adapt)
    assert summary["probe"]["asked"] == "top:2" and list(probed) == ["1", "2", "3", "4"]
    best = sorted(probed, key=lambda h: (probed[h], int(h)), reverse=True)[:2]
    assert summary["config"]["layers"] == sorted(int(h) - 1 for h in best)
    info = store_info(project / "data/features/hubert_adapted")
    assert info["n"] == 95 and info["model"] == "random:hubert-tiny + adapters data/models/hubert_adapted"
    adapt = yaml.safe_load((project / "params.yaml").read_text())["adapt"]
    set_params(project, adapt={"rank": 4})
    status = dvc(project, "status").stdout
    assert "adapt:" in status
    for other in ("extract@hubert:", "extract@egemaps", "align:", "corrupt:", "faces:"):
        assert other not in status
    set_params(project, adapt=adapt)
    assert "up to date" in dvc(project, "status").stdout


def test_prompt_tunes_clip_and_the_ablation_compares_each_adapted_set_with_its_frozen_one(project):
    summary = json.loads((project / "data/models/clip_prompted/prompt.json").read_text())
    assert summary["clips"]["fit"] + summary["clips"]["holdout"] == 80  # 40 train clips and their copies
    assert "optimistic" in summary["note"] and summary["labels"] == [
        "neutral",
        "angry",
        "happy",
        "sad",
        "worried",
        "surprise",
    ]
    info = store_info(project / "data/features/clip_prompted")
    assert info["n"] == 95 and info["model"] == "prompt:clip (random:clip-tiny)" and info["dim"] == 128
    adapted = json.loads((project / "data/metrics/ablation.json").read_text())["adapted"]
    assert [(k, v["method"], v["frozen"]) for k, v in adapted.items()] == [
        ("clip_aligned", "align", "clip"),
        ("hubert_adapted", "adapt", "hubert"),
        ("clip_prompted", "prompt", "clip"),
    ]
    prompted = adapted["clip_prompted"]
    assert prompted["alone_adapted"]["sets"] == "clip_prompted"
    assert prompted["fused_frozen"]["sets"] == "+".join(SETS)
    assert prompted["fused_adapted"]["sets"] == "hubert+whisper+egemaps+clip_prompted+dinov2+videomae+minilm"
    for kind in ("alone", "fused"):
        gap = prompted["adapted_minus_frozen"][kind]
        _assert_paired(gap, prompted[f"{kind}_adapted"]["waf"], prompted[f"{kind}_frozen"]["waf"])
    prompt = yaml.safe_load((project / "params.yaml").read_text())["prompt"]
    set_params(project, prompt={"context": 2})
    status = dvc(project, "status").stdout
    assert "prompt:" in status
    for other in ("extract@clip:", "align:", "adapt:", "corrupt:"):
        assert other not in status
    set_params(project, prompt=prompt)
    assert "up to date" in dvc(project, "status").stdout


def test_repro_scores_the_three_tracks_and_dvc_lists_the_metrics(project):
    shown = dvc(project, "metrics", "show", "--json").stdout
    for track, keys in {
        "semi": ("waf", "acc", "n"),
        "noise": ("waf", "acc", "n"),
        "ov": ("accuracy", "recall", "avg", "n"),
    }.items():
        metrics = json.loads((project / "data/metrics" / f"{track}.json").read_text())
        assert all(k in metrics for k in keys)
        assert f"data/metrics/{track}.json" in shown
    assert (project / "data/submission/semi.csv").is_file() and (project / "data/submission/ov.npz").is_file()


def test_changing_the_selftrain_threshold_reruns_only_selection_and_student(project):
    set_params(project, selftrain={"threshold": 0.0, "min_agreement": 0.0, "min_class_precision": 0.0})
    ran = set(re.findall(r"Running stage '([^']+)'", dvc(project, "repro").stdout))
    assert ran == {"pseudo_label", "retrain"}
    report = json.loads((project / "data/metrics/selftrain.json").read_text())
    assert report["rounds"][0]["selected"] == 3 and set(report["gain"]) == {"semi", "noise"}
    per_class = report["rounds"][0]["precision_per_class"]
    assert set(per_class) == set(yaml.safe_load((project / "params.yaml").read_text())["labels"])


def repro_killed_in(project: Path, stage: str, after_s: float) -> None:
    """Start `dvc repro` and SIGKILL it (its whole process group) `after_s` into `stage`."""
    env = {**dvc_env(), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "dvc", "repro"],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    for line in process.stdout:
        if f"Running stage '{stage}'" in line:
            time.sleep(after_s)
            os.killpg(process.pid, signal.SIGKILL)
            break
    process.wait()


TRAINING_CHAIN = {"train", "ablation", "score@semi", "score@noise", "score_ov", "pseudo_label", "retrain"}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("change", "stage", "must_run"),
    [
        ({"train": {"hidden_dim": 20}}, "train", {"train", "ablation"}),
        ({"selftrain": {"pseudo_weight": 0.7}}, "retrain", {"retrain"}),
    ],
    ids=["train", "retrain"],
)
def test_sigkill_during_a_stage_then_repro_recovers_rerunning_only_what_the_change_touches(
    project, change, stage, must_run
):
    """A train.* change re-runs training and what reads its output, never the corpus or the features."""
    set_params(project, **change)
    repro_killed_in(project, stage, after_s=1.0)
    assert f"{stage}:" in dvc(project, "status").stdout  # killed before it finished
    ran = set(re.findall(r"Running stage '([^']+)'", dvc(project, "repro").stdout))
    assert must_run <= ran <= TRAINING_CHAIN
    assert "up to date" in dvc(project, "status").stdout


def test_bad_parameter_stops_the_stage_naming_the_key(project):
    before = yaml.safe_load((project / "params.yaml").read_text())["demo"]["audio_confusion"]
    set_params(project, demo={"audio_confusion": 1.5})
    result = subprocess.run(
        [sys.executable, "-m", "dvc", "repro"], cwd=project, env=dvc_env(), capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "demo.audio_confusion must be between 0.0 and 1.0, got 1.5" in result.stdout + result.stderr
    set_params(project, demo={"audio_confusion": before})  # as found: the next test re-runs nothing upstream


def test_the_ablation_trains_only_what_its_mode_asks(project):
    """Last in the file: it leaves the project on ablation.subsets singles without the adapted comparison."""
    set_params(project, ablation={"subsets": "singles", "adapted": False})
    ran = set(re.findall(r"Running stage '([^']+)'", dvc(project, "repro").stdout))
    assert ran == {"ablation"}
    ablation = json.loads((project / "data/metrics/ablation.json").read_text())
    assert list(ablation["waf"]) == [*SETS, "+".join(SETS)] and ablation["subsets"] == "singles"
    assert ablation["adapted"] == {}
