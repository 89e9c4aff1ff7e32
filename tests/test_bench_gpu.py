"""bench/gpu.sh cannot rot: its CPU fallback (tiny stand-ins through the same code path as the full-size
GPU run: extraction, then an adaptation epoch of each method) runs here end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.dvc_project import ROOT


def test_gpu_benchmark_runs_its_cpu_fallback(tmp_path):
    out = tmp_path / "gpu.json"
    env = {
        **os.environ,
        "PYTHON": sys.executable,
        "WORKERS": "0",
        "OUT_JSON": str(out),
        "OUT_ADAPT_JSON": str(tmp_path / "adaptation.json"),
        "CUDA_VISIBLE_DEVICES": "",
    }
    run = subprocess.run(
        ["bash", str(ROOT / "bench/gpu.sh"), "3"], env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "no CUDA device: running the tiny stand-ins" in run.stdout
    result = json.loads(out.read_text())
    assert result["sizes"] == "tiny" and result["n"] == 3
    assert [r["model"] for r in result["rows"]] == [
        "random:hubert-tiny",
        "random:clip-tiny",
        "random:qwen2-tiny",
    ]
    for row in result["rows"]:
        assert row["clips"] == row["ok"] == 3
        assert row["s_per_clip"] > 0 and row["store_kb_per_clip"] > 0 and row["peak_rss_gb"] > 0
        assert row["hours_120k"] == round(120_000 * row["s_per_clip"] / 3600, 2)
    assert "h @120k" in run.stdout
    adaptation = json.loads((tmp_path / "adaptation.json").read_text())
    assert adaptation["sizes"] == "tiny" and adaptation["adapters"]["model"] == "random:hubert-tiny"
    assert adaptation["adapters"]["seconds_per_clip_epoch"] > 0 and adaptation["prompts"]["clips"] == 256
    assert "CoOp prompts" in run.stdout
