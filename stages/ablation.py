"""DVC stage `ablation`: subsets of train.sets under one protocol (ablation.subsets: by default each set
alone where its modality has others and every combination of modalities; or each set alone, all but each
one and all; or each alone and all); the `linear` baseline on all of them (small corpora need it beside
the fusion model); then, unless ablation.adapted is false, each adapted set (align, adapt, prompt) against
its frozen set, alone and fused (`adapted`). Every comparison is also
a paired difference with its 95% bootstrap interval (the same resampled test clips for both sides): each
subset minus all sets (`minus_all_sets`), the fusion model minus the linear baseline, adapted minus frozen.

With train.model: auto, every comparison trains the model the `train` stage chose (TRAIN_SUMMARY).

Usage: ablation.py MANIFEST FEATURES_DIR TRAIN_SUMMARY OUT_JSON
"""

import json
from pathlib import Path

from pipeline.config.params import Params
from pipeline.config.train import TrainSection
from pipeline.corpus.manifest import read_manifest
from pipeline.stage import run_stage
from pipeline.tracks.metrics import shown
from pipeline.tracks.score import TRACK_SPLITS
from pipeline.training.adapted import ROLES, compare_adapted
from pipeline.training.run import LabeledSet, Scored, labeled_set, paired, score_subset, trained_config
from pipeline.training.subsets import ablation
from pipeline.training.views import View, views_from_params


def main(params: Params, manifest_path: Path, features: Path, summary: Path, out: Path) -> None:
    labels = params.labels
    # the model train chose, on every set of train.sets (the ablation weighs the sets the screen dropped
    # too), one seed per subset: the paired intervals carry the comparisons' uncertainty
    cfg = trained_config(params.train, summary).model_copy(update={"sets": params.train.sets, "seeds": 1})
    data = labeled_set(read_manifest(manifest_path, labels, contained=False), labels, cfg)
    views = views_from_params(params.train, features, data.names)
    scored = ablation(data, views, labels, cfg, TRACK_SPLITS, params.ablation.subsets)
    every = list(scored.values())[-1]  # ablation_subsets ends with every set
    results = {subset: s.waf for subset, s in scored.items()}
    linear = {} if cfg.model == "linear" else {"linear": _linear(data, views, labels, cfg)}
    baseline = {model: s.waf for model, s in linear.items()}
    compare = params.ablation.adapted
    adapted = compare_adapted(data, params, cfg, features, TRACK_SPLITS, done=scored) if compare else {}
    out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "model": cfg.model if params.train.model == cfg.model else f"{params.train.model} ({cfg.model})",
        "sets": {v.name: v.modality for v in views},
        "subsets": params.ablation.subsets,
        "waf": results,
        "minus_all_sets": {k: paired(s, every, TRACK_SPLITS) for k, s in scored.items() if s is not every},
        "baseline": baseline,
        "fusion_minus_baseline": {model: paired(every, s, TRACK_SPLITS) for model, s in linear.items()},
        "adapted": adapted,
    }
    out.write_text(json.dumps(report, indent=2))
    for subset, scores in results.items():
        print(f"{subset:18} {_scores(scores)}")
    for model, scores in baseline.items():
        print(f"{model} baseline, all sets: {_scores(scores)}")
    if not compare:
        print("adapted vs frozen: not compared (ablation.adapted: false)")
    for name, entry in adapted.items():
        skipped = f": {entry['skipped']}" if "skipped" in entry else ""
        print(f"{name} ({entry['method']} of {entry['frozen']}){skipped}")
        for role in ROLES:
            if role in entry:
                print(f"  {role:14} {entry[role]['sets']:40} {_scores(entry[role]['waf'])}")


def _linear(data: LabeledSet, views: list[View], labels: list[str], cfg: TrainSection) -> Scored:
    """All sets under `train.model: linear`, the standardised logistic regression (seconds)."""
    return score_subset(data, views, labels, cfg.model_copy(update={"model": "linear"}), TRACK_SPLITS)


def _scores(scores: dict) -> str:
    return "  ".join(f"{track} WAF {shown(value)}" for track, value in scores.items())


if __name__ == "__main__":
    run_stage(main)
