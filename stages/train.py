"""DVC stage `train`: cross-validated fusion model on the labeled clips; predictions for every clip.

Usage: train.py MANIFEST FEATURES_DIR OUT_DIR
"""

import sys
from pathlib import Path

from pipeline.corpus.manifest import read_manifest
from pipeline.params import labels_param, load_params
from pipeline.stage import run_stage
from pipeline.training.config import train_config
from pipeline.training.run import labeled_set, train, write_outputs
from pipeline.training.views import views_from_params


def main() -> None:
    manifest_path, features, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    params = load_params()
    labels, cfg = labels_param(params), train_config(params)
    data = labeled_set(read_manifest(manifest_path, labels, contained=False), labels, cfg)
    views = views_from_params(params, features, data.names)
    result = train(data, views, labels, cfg)
    write_outputs(out, data, views, labels, cfg, result)
    print(
        f"{cfg.model}: {len(data.train_rows)} training clips, fold scores "
        f"{', '.join(f'{s:.3f}' for s in result.fold_waf)} -> {out}"
    )


if __name__ == "__main__":
    run_stage(main)
