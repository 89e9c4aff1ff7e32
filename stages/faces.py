"""DVC stage `faces`: face stacks for the video feature sets (params.yaml's `faces.*`), and the derived
manifest every later stage reads.

Usage: faces.py IN_MANIFEST OUT_DIR OUT_MANIFEST
With `faces.enabled: false` the derived manifest is IN_MANIFEST byte for byte and OUT_DIR holds a note,
so switching the stage off re-runs nothing downstream.
"""

import shutil
from pathlib import Path

from pipeline.config.params import Params
from pipeline.corpus.faces import add_face_stacks, summary
from pipeline.corpus.manifest import read_manifest
from pipeline.stage import run_stage

NOTE = "NOT_CROPPED.txt"


def main(params: Params, source: Path, out_dir: Path, out_manifest: Path) -> None:
    cfg = params.faces
    out_dir.mkdir(parents=True, exist_ok=True)
    if not cfg.enabled:
        (out_dir / NOTE).write_text("faces.enabled is false: the video sets read whole frames.\n")
        shutil.copyfile(source, out_manifest)
        print(f"faces: off (faces.enabled: false); {out_manifest} = {source}")
        return
    counts = add_face_stacks(read_manifest(source, contained=False), out_dir, out_manifest, cfg)
    print(f"faces: {summary(counts)} -> {out_dir}; derived manifest: {out_manifest}")


if __name__ == "__main__":
    run_stage(main)
