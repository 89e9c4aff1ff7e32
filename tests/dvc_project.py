"""A copy of the project (dvc.yaml, params.yaml, pipeline/, stages/) in a fresh git + DVC repository,
for tests that run the real `dvc repro`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TINY_TRAIN = {"folds": 2, "max_epochs": 3, "patience": 2, "hidden_dim": 16}


def dvc_env() -> dict[str, str]:
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


def dvc(project: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "-m", "dvc", *args], cwd=project, env=dvc_env(), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def set_params(project: Path, **sections: dict) -> None:
    path = project / "params.yaml"
    params = yaml.safe_load(path.read_text())
    for section, values in sections.items():
        params[section].update(values)
    path.write_text(yaml.safe_dump(params, sort_keys=False))


def new_project(folder: Path) -> Path:
    for name in ("dvc.yaml", "params.yaml"):
        shutil.copy(ROOT / name, folder / name)
    for name in ("pipeline", "stages"):
        shutil.copytree(ROOT / name, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
    dvc(folder, "init", "-q")
    dvc(folder, "config", "core.analytics", "false")
    return folder


def fast_features(project: Path) -> dict:
    """The project's `features` with the tiny audio stand-in and decoding in the stage's own process."""
    features = yaml.safe_load((project / "params.yaml").read_text())["features"]
    features["sets"]["hubert"]["model"] = "random:hubert-tiny"
    for settings in features["sets"].values():
        settings["workers"] = 0
    return features
