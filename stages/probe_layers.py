"""DVC stage `probe_layers`: cross-validated WAF of a linear probe on every stored layer of each set of
train.sets that has several layers; the best layers printed.

Usage: probe_layers.py MANIFEST FEATURES_DIR OUT_JSON PLOTS_DIR
Writes OUT_JSON and PLOTS_DIR/<set>.csv (layer, waf) for `dvc plots show`.
"""

import json
from pathlib import Path

import pandas as pd

from pipeline.config.params import Params
from pipeline.corpus.manifest import read_manifest
from pipeline.stage import run_stage
from pipeline.training.probe import best_layers, probe_layers
from pipeline.training.run import labeled_set


def main(params: Params, manifest_path: Path, features: Path, out: Path, plots: Path) -> None:
    labels, cfg = params.labels, params.train
    data = labeled_set(read_manifest(manifest_path, labels, contained=False), labels)
    report, skipped = {}, []
    plots.mkdir(parents=True, exist_ok=True)
    for name in params.train.sets:
        scores = probe_layers(features / name, data, cfg)
        if not scores:
            skipped.append(name)
            continue
        report[name] = {"waf": {str(s.layer): round(s.waf, 4) for s in scores}, "best": best_layers(scores)}
        pd.DataFrame({"layer": [s.layer for s in scores], "waf": [round(s.waf, 4) for s in scores]}).to_csv(
            plots / f"{name}.csv", index=False
        )
        print(
            f"{name}: best layers {report[name]['best']} ("
            + ", ".join(f"{s.layer}: {s.waf:.3f}" for s in scores)
            + ")"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    note = f"one stored layer, nothing to probe: {', '.join(skipped)}" if skipped else ""
    out.write_text(
        json.dumps({"probe": "linear", "folds": cfg.folds, "sets": report, "note": note}, indent=2)
    )
    if note:
        print(note)


if __name__ == "__main__":
    run_stage(main)
