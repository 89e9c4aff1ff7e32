"""The OV track stage's work: predict word sets for a split, write them in both challenge formats, score."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.config.ov import OVConfig
from pipeline.corpus.manifest import format_openset, parse_openset
from pipeline.tables import read_table
from pipeline.tracks.ov_groupers import make_grouper
from pipeline.tracks.ov_metric import ov_score
from pipeline.tracks.ov_predict import calibrated_probs, import_sets, lexicon_sets


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
    table = read_table(predictions_csv)
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
