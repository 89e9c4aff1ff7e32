"""A text-only corpus (MELD-style transcripts, no media) the README's way through the real `dvc repro`:
`mer corpus import-csv`, `mer init`, `dvc repro`, nothing overridden but the tiny sizes every test project
uses. Its own file, so the suite's workers share the dvc projects evenly."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.cli import mer_ok
from tests.conftest import LABELS
from tests.dvc_project import new_project
from tests.test_own_corpus import metrics, read, run_own_corpus


def text_only_table(root: Path) -> Path:
    """Transcripts alone (MELD-style): labeled train and test utterances, an unlabeled pool, no media."""
    rows = [
        {"name": f"{split}_{i:02d}", "split": split, "label": label, "text": f"{label} words, line {i}"}
        for split, labels in (("train", LABELS * 2), ("test", LABELS), ("unlabeled", [""] * 3))
        for i, label in enumerate(labels)
    ]
    root.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(root / "table.csv", index=False)
    return root / "table.csv"


@pytest.fixture(scope="module")
def text_project(tmp_path_factory) -> tuple[Path, str]:
    """The README's path, unchanged, on a text-only corpus: import, init, dvc repro (nothing overridden
    but the tiny training and stand-in sizes every test project uses)."""
    project = new_project(tmp_path_factory.mktemp("text_project"))
    table = text_only_table(project / "data" / "transcripts")
    mer_ok("corpus", "import-csv", str(table))
    return project, run_own_corpus(project, table.with_name("manifest.csv"))


def test_text_only_corpus_runs_the_readme_path_without_noise_copies(text_project):
    project, printed = text_project
    params = yaml.safe_load((project / "params.yaml").read_text())
    assert params["corrupt"]["source_split"] == params["corrupt"]["augment_split"] == ""
    assert params["train"]["noise_augment"] is False and params["train"]["sets"] == ["minilm"]
    assert "no NOISE split" in printed and "test_noise" not in printed
    assert set(read(project, "data/corpus/manifest.csv")["split"]) == {"train", "test", "unlabeled"}
    semi = metrics(project, "semi")
    assert semi["n"] == 6 and semi["waf_ci"][0] <= semi["waf"] <= semi["waf_ci"][1]
    assert "no clips in split 'test_noise'" in metrics(project, "noise")["note"]


def test_mer_init_leaves_the_model_to_auto_and_mer_report_shows_its_choice(text_project):
    project, _ = text_project
    train = yaml.safe_load((project / "params.yaml").read_text())["train"]
    assert train["model"] == "auto" and train["seeds"] == 3 and train["stop_share"] == 0.2
    summary = json.loads((project / "data/train/summary.json").read_text())
    chosen = summary["selection"]["chosen"]
    assert summary["model"] == f"auto ({chosen})"
    shown = mer_ok("report", "--params", str(project / "params.yaml"), "--data", str(project / "data"))
    assert f"train.model auto chose {chosen}" in shown
