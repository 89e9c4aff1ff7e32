"""DVC stage `demo`: generate the offline demo corpus into the folder given on the command line."""

import sys
from pathlib import Path

from pipeline.demo.corpus import demo_config, make_demo_corpus
from pipeline.params import load_params
from pipeline.stage import run_stage


def main() -> None:
    out = Path(sys.argv[1])
    manifest = make_demo_corpus(demo_config(load_params()), out)
    print(f"demo corpus written: {manifest}")


if __name__ == "__main__":
    run_stage(main)
