"""DVC stage `train`: cross-validated fusion model on the labeled clips; predictions for every clip.

Usage: train.py MANIFEST FEATURES_DIR OUT_DIR
"""

from pathlib import Path

from pipeline.config.params import Params
from pipeline.corpus.manifest import read_manifest
from pipeline.stage import run_stage
from pipeline.training.run import labeled_set, train, write_outputs
from pipeline.training.views import views_from_params


def main(params: Params, manifest_path: Path, features: Path, out: Path) -> None:
    labels, cfg = params.labels, params.train
    data = labeled_set(read_manifest(manifest_path, labels, contained=False), labels, cfg)
    views = views_from_params(params.train, features, data.names)
    result = train(data, views, labels, cfg)
    write_outputs(out, data, views, labels, cfg, result)
    print(
        f"{cfg.model}: {len(data.train_rows)} training clips, fold scores "
        f"{', '.join(f'{s:.3f}' for s in result.fold_waf)} -> {out}"
    )


if __name__ == "__main__":
    run_stage(main)
