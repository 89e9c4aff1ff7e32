"""A non-editable install (what `pip install .` or a wheel gives a user) carries every file the stand-ins
read: the CLIP tokenizer stand-in's merges.txt and vocab.json beside its configs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "pipeline" / "features" / "configs"


def test_a_wheel_install_ships_every_stand_in_file_and_loads_the_clip_tokenizer(tmp_path):
    source, wheels = tmp_path / "source", tmp_path / "wheels"  # a copy: setuptools builds inside the source
    shutil.copytree(ROOT / "pipeline", source / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    build = ["pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(source)]
    subprocess.run([sys.executable, "-m", *build], check=True, capture_output=True, cwd=tmp_path)
    (wheel,) = wheels.glob("mer_pipeline-*.whl")
    shipped = {n for n in zipfile.ZipFile(wheel).namelist() if "/configs/" in n}
    expected = {
        f"pipeline/features/configs/{p.relative_to(CONFIGS).as_posix()}" for p in CONFIGS.rglob("*.*")
    }
    assert expected <= shipped, sorted(expected - shipped)
    target = tmp_path / "installed"
    install = [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)]
    subprocess.run(install, check=True, capture_output=True)
    code = (
        "import pipeline; from pipeline.features.models import load_model; "
        "from pipeline.features.text import load_tokenizer; "
        "loaded = load_model('random:clip-tiny', device='cpu', image_text=True); "
        "print(pipeline.__file__); print(len(load_tokenizer(loaded)('a happy face')['input_ids']))"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}  # the installed copy first, its dependencies from here
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    location, tokens = result.stdout.split()
    assert Path(location).is_relative_to(target) and int(tokens) > 2
