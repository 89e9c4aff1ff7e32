"""DVC stage `align`: visual-to-acoustic alignment on the unlabeled clips; writes the video feature set
align.name (data/features/<name>). Labels are never read.

Usage: align.py MANIFEST FEATURES_DIR
"""

from pathlib import Path

import numpy as np

from pipeline.adaptation.alignment import align
from pipeline.config.align import AlignConfig
from pipeline.config.derived_set import disabled
from pipeline.config.params import Params
from pipeline.corpus.manifest import read_manifest
from pipeline.stage import run_stage


def main(params: Params, manifest_path: Path, features: Path) -> None:
    cfg = params.align
    rows = read_manifest(manifest_path, contained=False).rows
    fit_rows = np.flatnonzero(rows["split"].to_numpy() == cfg.split)
    fitted = align(features, list(rows["name"]), fit_rows, cfg)
    print(
        f"{cfg.name}: {cfg.video} mapped into {cfg.audio}'s space ({cfg.loss}), head trained on {fitted} "
        f"{cfg.split} clip(s) -> {features / cfg.name}"
        + ("" if fitted else f": nothing to align{_why(cfg)}, every clip marked absent")
    )


def _why(cfg: AlignConfig) -> str:
    return "" if cfg.enabled else f" ({disabled('align')})"


if __name__ == "__main__":
    run_stage(main)
