"""DVC stage `extract@<set>`: one feature set's store (features.sets.<set>) from the manifest.

Usage: extract.py SET MANIFEST STORE_DIR
"""

from pathlib import Path

from pipeline.config.params import Params
from pipeline.corpus.manifest import read_manifest, warn_missing_media
from pipeline.features.config import extract_config
from pipeline.features.extract import extract
from pipeline.stage import run_stage


def main(params: Params, name: str, manifest_path: Path, store: Path) -> None:
    cfg = extract_config(params.features, name)
    manifest = read_manifest(manifest_path, contained=False)
    warn_missing_media(manifest)
    result = extract(manifest, cfg, store)
    print(f"{name} ({cfg.modality}): {result.summary()} -> {store}")


if __name__ == "__main__":
    run_stage(main)
