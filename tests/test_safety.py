"""Safe model loading: pickles cannot run code, remote code is opt-in and loud, offline is respected."""

from __future__ import annotations

import logging
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.errors import ModelLoadError
from pipeline.features.models import CONFIGS, load_model


class Payload:
    """Unpickling this would create a marker file: what a malicious checkpoint does."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_malicious_pickle_checkpoint_is_refused_without_running_it(tmp_path):
    folder = tmp_path / "evil-hubert"
    shutil.copytree(CONFIGS / "hubert-tiny", folder)
    marker = tmp_path / "pwned"
    (folder / "pytorch_model.bin").write_bytes(pickle.dumps({"weight": Payload(marker)}))
    with pytest.raises(ModelLoadError, match="refused without running it"):
        load_model(str(folder), device="cpu")
    assert not marker.exists()


def test_trust_remote_code_is_off_by_default_and_loud_when_on(tmp_path, caplog):
    folder = tmp_path / "hubert"
    shutil.copytree(CONFIGS / "hubert-tiny", folder)
    # no weights: fails after the warning, naming the folder
    with pytest.raises(ModelLoadError, match="cannot load the model"), caplog.at_level(logging.WARNING):
        load_model(str(folder), trust_remote_code=True, device="cpu")
    assert "trust_remote_code is ON" in caplog.text


def test_hf_hub_offline_fails_fast_without_the_network():
    code = (
        "from pipeline.features.models import load_model; "
        "load_model('facebook/hubert-large-ll60k', device='cpu')"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HOME": "/nonexistent-hf-home"}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "offline" in result.stderr.lower() or "local_files_only" in result.stderr
