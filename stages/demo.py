"""DVC stage `demo`: generate the offline demo corpus, only while `dataset.manifest` names its manifest.

Usage: demo.py SOURCE_MANIFEST OUT_DIR
With any other source the stage writes just a note in OUT_DIR (DVC needs the output), so a user's
corpus never waits for, nor is mixed with, the demo.
"""

from pathlib import Path

from pipeline.config.params import Params
from pipeline.demo.corpus import make_demo_corpus
from pipeline.stage import run_stage

NOTE = "NOT_GENERATED.txt"


def main(params: Params, source: Path, out: Path) -> None:
    if source.resolve() != (out / "manifest.csv").resolve():
        out.mkdir(parents=True, exist_ok=True)
        (out / NOTE).write_text(
            f"dataset.manifest is {source}, so the demo corpus is not generated here.\n"
            f"Set dataset.manifest: {out / 'manifest.csv'} to run the demo.\n"
        )
        print(f"demo corpus not generated: the source corpus is {source}")
        return
    manifest = make_demo_corpus(params.demo, out)
    print(f"demo corpus written: {manifest}")


if __name__ == "__main__":
    run_stage(main)
