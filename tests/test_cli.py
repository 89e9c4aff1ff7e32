import inspect
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline import __version__
from pipeline.cli import corpus
from pipeline.config.base import load_params
from tests.cli import mer

ROOT = Path(__file__).resolve().parents[1]

COMMANDS = [
    [],
    ["corpus"],
    ["corpus", "check"],
    ["corpus", "import-mertools"],
    ["corpus", "import-csv"],
    ["demo"],
    ["demo", "make"],
    ["corrupt"],
    ["report"],
    ["extract"],
    ["features"],
    ["features", "info"],
    ["features", "import-mertools"],
    ["features", "export-mertools"],
    ["features", "merge"],
    ["ov-metric"],
    ["check"],
    ["init"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "mer")
def test_every_command_has_help(command):
    result = mer(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout


def test_version_from_the_console_entry_in_its_own_process():
    ran = subprocess.run(
        [sys.executable, "-m", "pipeline.cli.main", "--version"], capture_output=True, text=True
    )
    assert ran.stdout.strip() == f"mer-pipeline {__version__}"


def test_check_reports_all_manifest_errors_and_exits_2(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("name,split,video,audio,text,label,openset\na/b,train,,,x,happy,\nc,train,,,x,joy,\n")
    result = mer("corpus", "check", str(path), "--labels", "happy,sad")
    assert result.returncode == 2
    assert "2 problem(s)" in result.stderr and "row 2" in result.stderr and "row 3" in result.stderr


def test_corrupt_refuses_one_split_for_test_noise_and_augmentation_before_any_work(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("name,split,video,audio,text,label,openset\nc,train,,,x,happy,\n")
    out = tmp_path / "noisy"
    result = mer(
        "corrupt", str(path), "--noise-dir", str(tmp_path), "--out-dir", str(out),
        "--out-manifest", str(tmp_path / "all.csv"), "--split", "train", "--augment-split", "train",
        "--labels", "happy",
    )  # fmt: skip
    assert result.returncode == 2 and "must differ" in result.stderr
    assert not out.exists()


def test_mer_corrupt_defaults_are_the_shipped_params_yaml_s():
    shipped = load_params(ROOT / "params.yaml")["corrupt"]
    options = inspect.signature(corpus.corrupt).parameters
    assert options["augment_split"].default.default == shipped["augment_split"] == "train"
    assert options["split"].default.default == shipped["source_split"]
    assert options["seed"].default.default == shipped["seed"]
