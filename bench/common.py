"""What the benchmark scripts share: their command line, the demo clips they run on, timers."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from pipeline.corpus.manifest import DERIVED_MANIFEST, Manifest, read_manifest


def bench_parser(doc: str, clips: int, out: str) -> argparse.ArgumentParser:
    """--n demo clips, --workers decoding processes, --out JSON; scripts add their own options."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=clips, help="demo clips (train, unlabeled and test splits)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path(out))
    return parser


def demo_clips(n: int) -> Manifest:
    """The first n clips of the derived demo manifest, without the noisy test copies."""
    manifest = read_manifest(DERIVED_MANIFEST, contained=False)
    return replace(manifest, rows=manifest.rows[manifest.rows["split"] != "test_noise"].head(n))


def timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def timed_repro(*targets: str) -> tuple[float, dict[str, float]]:
    """`dvc repro TARGETS` in the current project: its wall time, and each stage's from its "Running
    stage" line to the next (stage start-up included: the fixed cost a small corpus pays per stage)."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    started = time.perf_counter()
    process = subprocess.Popen(
        ["dvc", "repro", *targets], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    marks, output = [], []
    for line in process.stdout:
        output.append(line)
        found = re.match(r"Running stage '([^']+)'", line)
        if found:
            marks.append((found.group(1), time.perf_counter()))
    if process.wait():
        raise RuntimeError("dvc repro failed:\n" + "".join(output[-40:]))
    ended = time.perf_counter()
    ends = [t for _, t in marks[1:]] + [ended]
    return ended - started, {stage: round(end - t, 1) for (stage, t), end in zip(marks, ends, strict=True)}


def stage_table(stages: dict[str, float]) -> str:
    """Markdown rows: each stage's seconds, the slowest first."""
    rows = ["| stage | s |", "| --- | ---: |"]
    rows += [f"| {stage} | {s} |" for stage, s in sorted(stages.items(), key=lambda kv: -kv[1])]
    return "\n".join(rows)
