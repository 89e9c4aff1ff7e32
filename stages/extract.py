"""DVC stage `extract@<modality>`: one modality's feature store from the manifest.

Usage: extract.py MODALITY MANIFEST STORE_DIR
"""

import sys
from pathlib import Path

from pipeline.corpus.manifest import read_manifest, warn_missing_media
from pipeline.features.config import extract_config
from pipeline.features.extract import extract
from pipeline.params import load_params
from pipeline.stage import run_stage


def main() -> None:
    modality, manifest_path, store = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    cfg = extract_config(load_params(), modality)
    manifest = read_manifest(manifest_path, contained=False)
    warn_missing_media(manifest)
    result = extract(manifest, cfg, store)
    print(f"{modality}: {result.summary()} -> {store}")


if __name__ == "__main__":
    run_stage(main)
