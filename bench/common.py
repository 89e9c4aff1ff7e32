"""What the benchmark scripts share: their command line, the demo clips they run on, a timer."""

from __future__ import annotations

import argparse
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
