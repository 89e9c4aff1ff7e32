"""DVC stage `corrupt`: build the test_noise split (MER-NOISE recipe), optional noisy training copies,
and the combined manifest.

Usage: corrupt.py SOURCE_MANIFEST NOISE_DIR OUT_DIR OUT_MANIFEST
"""

import sys
from pathlib import Path

from pipeline.corpus.manifest import read_manifest, warn_missing_media
from pipeline.corpus.noise_split import build_noise_split, noise_targets
from pipeline.media.corrupt import corrupt_config
from pipeline.params import labels_param, load_params
from pipeline.stage import run_stage


def main() -> None:
    source, noise_dir, out_dir, out_manifest = map(Path, sys.argv[1:5])
    params = load_params()
    cfg = corrupt_config(params)
    manifest = read_manifest(source, labels_param(params))
    warn_missing_media(manifest)
    done = build_noise_split(
        manifest,
        noise_dir,
        out_dir,
        out_manifest,
        cfg,
        noise_targets(cfg.source_split, cfg.augment_split),
        workers=cfg.workers,
    )
    print(f"{len(done)} noisy clips in {out_dir}; manifest: {out_manifest}")


if __name__ == "__main__":
    run_stage(main)
