"""DVC stage `corrupt`: from the source corpus (`dataset.manifest`, read, never written), build the
test_noise split (MER-NOISE recipe), optional noisy training copies, and the derived manifest every
later stage reads.

Usage: corrupt.py SOURCE_MANIFEST OUT_DIR OUT_MANIFEST
"""

from pathlib import Path

from pipeline.config.params import Params
from pipeline.corpus.manifest import ensure_source, read_manifest, warn_missing_media
from pipeline.corpus.noise_split import build_noise_split, noise_targets
from pipeline.stage import run_stage


def main(params: Params, source: Path, out_dir: Path, out_manifest: Path) -> None:
    ensure_source(source, out_manifest)
    cfg = params.corrupt
    manifest = read_manifest(source, params.labels)
    warn_missing_media(manifest)
    targets = noise_targets(cfg.source_split, cfg.augment_split)
    done = build_noise_split(
        manifest,
        Path(cfg.noise_dir) if cfg.noise_dir else None,
        out_dir,
        out_manifest,
        cfg,
        targets,
        workers=cfg.workers,
    )
    made = ", ".join(f"{split} -> {target}" for split, target in targets.items()) or "no noisy copies"
    print(f"{len(done)} noisy clips in {out_dir} ({made}); derived manifest: {out_manifest}")


if __name__ == "__main__":
    run_stage(main)
