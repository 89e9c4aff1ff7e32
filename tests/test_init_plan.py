"""`mer init`'s plan is read from dvc.yaml: a line for every stage DVC resolves, each true of the corpus; and
the tracks the stages score are dvc.yaml's score stages."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import soundfile as sf
from dvc.repo import Repo

from pipeline.cli.plan import DESCRIBE, dvc_stages
from pipeline.config.base import load_params
from pipeline.tracks.score import TRACK_SPLITS
from tests.cli import mer_ok
from tests.conftest import tone
from tests.dvc_project import set_params

ROOT = Path(__file__).resolve().parents[1]


def test_the_plan_walks_the_stages_dvc_resolves_and_describes_each():
    stages = dvc_stages(ROOT / "dvc.yaml", load_params(ROOT / "params.yaml"))
    resolved = [stage.addressing for stage in Repo(str(ROOT)).index.stages]
    assert [f"{s.name}@{s.key}" if s.key else s.name for s in stages] == resolved
    assert {s.name for s in stages} <= set(DESCRIBE), "a dvc.yaml stage mer init cannot describe"


def _project(root: Path, rows: list[dict]) -> Path:
    """params.yaml and dvc.yaml of this repository beside a corpus table of `rows` (audio: tone.wav),
    imported."""
    (root / "corpus").mkdir(parents=True)
    for name in ("params.yaml", "dvc.yaml"):
        shutil.copy(ROOT / name, root / name)
    sf.write(root / "corpus" / "tone.wav", tone(0.5), 16_000)
    pd.DataFrame(rows).to_csv(root / "corpus" / "table.csv", index=False)
    mer_ok("corpus", "import-csv", str(root / "corpus" / "table.csv"))
    return root


def _plan(root: Path) -> dict[str, str]:
    printed = mer_ok("init", str(root / "corpus" / "manifest.csv"), "--params", str(root / "params.yaml"))
    lines = printed.split("`dvc repro` will run:\n", 1)[1].splitlines()
    return dict(line.strip().split(": ", 1) for line in lines)


def test_a_text_only_corpus_is_planned_as_it_will_run(tmp_path):
    rows = [
        {"name": f"c{i}", "split": split, "label": ["happy", "sad"][i % 2], "text": "fine words"}
        for i, split in enumerate(["train"] * 8 + ["test"] * 4)
    ]
    plan = _plan(_project(tmp_path / "text", rows))
    assert list(plan) == [s.addressing for s in Repo(str(ROOT)).index.stages]
    assert plan["extract@hubert"] == "(audio) no clip has audio: an all-absent set (seconds)"
    assert plan["align"].startswith("off (align.enabled is false: nothing fuses its set")
    assert plan["ablation"].endswith("; no adapted set")
    assert plan["corrupt"].startswith("no NOISE split, no noisy training copies")
    assert plan["score@noise"].startswith("no NOISE split") and "test_noise" not in "".join(plan.values())
    assert plan["pseudo_label"].startswith("no unlabeled clips") and plan["demo"].startswith("skipped")
    assert plan["score@semi"] == "4 labeled test clips"


def test_an_audio_corpus_that_fuses_the_adapted_set_plans_adaptation_and_no_alignment(tmp_path):
    rows = [
        {"name": f"c{i}", "split": split, "label": ["happy", "sad"][i % 2], "audio": "tone.wav"}
        for i, split in enumerate(["train"] * 8 + ["test"] * 4)
    ]
    project = _project(tmp_path / "audio", rows)
    set_params(project, train={"sets": ["hubert", "hubert_adapted", "clip_aligned"]})
    plan = _plan(project)
    assert plan["adapt"].startswith("LoRA on hubert's encoder with the 8 labeled train clips")
    assert plan["align"].startswith("off (align.enabled is false")  # init dropped clip_aligned: no video
    assert plan["ablation"].endswith("; hubert_adapted, each against its frozen set")
    params = load_params(project / "params.yaml")
    assert params["train"]["sets"] == ["hubert", "hubert_adapted"] and params["adapt"]["enabled"] is True
    assert plan["corrupt"].startswith("test -> test_noise (4 clips), train -> train_noise (8)")
    assert plan["score@noise"] == "4 labeled test_noise clips"


def test_the_tracks_the_stages_score_are_dvc_yaml_s_score_stages():
    stages = dvc_stages(ROOT / "dvc.yaml", load_params(ROOT / "params.yaml"))
    assert {s.key: s.item["split"] for s in stages if s.name == "score"} == TRACK_SPLITS
