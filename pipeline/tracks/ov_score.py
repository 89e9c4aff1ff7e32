"""The OV track stage's work: predict word sets for a split, write them in both challenge formats, score."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.corpus.manifest import format_openset, parse_openset
from pipeline.params import invalid, pick, pick_choice, pick_range
from pipeline.tracks.ov_groupers import GROUPERS, make_grouper
from pipeline.tracks.ov_metric import ov_score
from pipeline.tracks.ov_predict import calibrated_probs, import_sets, lexicon_sets

PREDICTORS = ("lexicon", "llm", "import")


@dataclass(frozen=True)
class OVConfig:
    split: str = "test"  # dvc.yaml passes it to the stage as ${ov.split}
    predictor: str = "lexicon"
    threshold: float = 0.25
    words_per_label: int = 2
    grouper: str = "lexicon"
    answers: str = ""  # predictor import: CSV name,answer
    llm_model: str = "random:qwen2-tiny"  # predictor llm: hub id, folder, or random stand-in
    max_new_tokens: int = 24


def ov_config(params: dict) -> OVConfig:
    cfg = OVConfig(
        split=pick(params, "ov.split", str, default=OVConfig.split),
        predictor=pick_choice(params, "ov.predictor", PREDICTORS),
        threshold=pick_range(params, "ov.threshold", float, 0.0, 1.0),
        words_per_label=pick_range(params, "ov.words_per_label", int, 1, 20),
        grouper=pick_choice(params, "ov.grouper", GROUPERS),
        answers=pick(params, "ov.answers", str, default=""),
        llm_model=pick(params, "ov.llm_model", str, default=OVConfig.llm_model),
        max_new_tokens=pick_range(params, "ov.max_new_tokens", int, 1, 1024, default=OVConfig.max_new_tokens),
    )
    if cfg.predictor == "import" and not cfg.answers:
        invalid("ov.predictor is import, so ov.answers must name a CSV of name,answer", "")
    return cfg


def predict_sets(
    rows: pd.DataFrame, probs: np.ndarray, texts: list[str], labels: list[str], cfg: OVConfig
) -> tuple[list[list[str]], dict]:
    """Word sets for the chosen rows, and what to report about how they were made."""
    if cfg.predictor == "import":
        return import_sets(Path(cfg.answers), list(rows["name"])), {"answers": cfg.answers}
    if cfg.predictor == "llm":
        from pipeline.tracks.ov_llm import LLMPredictor

        llm = LLMPredictor(cfg.llm_model, max_new_tokens=cfg.max_new_tokens)
        top = [[labels[i] for i in np.argsort(-p)[:2]] for p in probs]
        return llm.predict(texts, top), {"llm": llm.description}
    return lexicon_sets(probs, labels, cfg.threshold, cfg.words_per_label), {}


def write_ov(
    predictions_csv: Path,
    manifest_rows: pd.DataFrame,
    split: str,
    labels: list[str],
    cfg: OVConfig,
    out_csv: Path,
    out_npz: Path,
    metrics_path: Path,
    notes: dict,
) -> dict:
    table = pd.read_csv(predictions_csv, dtype={"label": str}, keep_default_na=False)
    probs, temperature = calibrated_probs(table, labels)
    chosen = (table["split"] == split).to_numpy()
    rows = table[chosen]
    names = list(rows["name"])
    texts = list(manifest_rows.set_index("name").loc[names, "text"])
    predicted, details = predict_sets(rows, probs[chosen], texts, labels, cfg)
    details["temperature"] = temperature
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"name": names, "openset": [format_openset(s) for s in predicted]}).to_csv(
        out_csv, index=False, lineterminator="\n"
    )
    np.savez(out_npz, filenames=np.array(names), fileitems=np.array([", ".join(s) for s in predicted]))
    truth = manifest_rows.set_index("name").loc[names, "openset"]
    gt = {n: parse_openset(v) for n, v in truth.items() if v}
    metrics = {
        **_scored(gt, dict(zip(names, predicted, strict=True)), cfg.grouper, split),
        "clips": len(names),
        "split": split,
        "predictor": cfg.predictor,
        "grouper": cfg.grouper,
        **details,
        **notes,
    }
    metrics_path.parent.mkdir(parents=True, exist_ok=True)
    metrics_path.write_text(json.dumps(metrics, indent=2))
    return metrics


def _scored(gt: dict[str, list[str]], predicted: dict[str, list[str]], grouper: str, split: str) -> dict:
    """The OV metric over the clips that have a ground-truth set; a note when none has one."""
    if not gt:
        return {
            "n": 0,
            "note": f"no OV ground truth (openset) in split {split!r}: predictions written, not scored",
        }
    return ov_score(gt, {n: s for n, s in predicted.items() if n in gt}, make_grouper(grouper)).as_dict()
