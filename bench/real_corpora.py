"""Real development corpora the README's way, against five lines of scikit-learn (issue: the default path
must beat a plain logistic regression).

For a corpus of ../shared/data (its README): write its table, `mer corpus import-csv --group`,
`mer init`, add the real feature set (openSMILE ComParE_2016 for EmoDB; the real all-MiniLM-L6-v2 for
MELD and EmoryNLP transcripts), then `dvc repro score@semi` (with --full the whole `dvc repro`, each
stage timed). The pipeline's out-of-fold CV WAF (its
grouped folds: speakers for EmoDB, dialogues / scenes for the transcripts) and, where the corpus has a
test split (MELD: its dev split; EmoryNLP: test), its test WAF, stand next to a standardised scikit-learn
LogisticRegression on the same pooled features under the same folds (test: one model on all train
clips). With --models, other `train.model` values are cross-validated in-process on the same views.
Every WAF carries its 95% bootstrap interval over clips and every comparison the paired difference
with its interval. The corpora's withheld test parts are not here: nothing is tuned on a test split.

Run it in a scratch clone (it rewrites params.yaml and data/):
  git clone . /tmp/real && cd /tmp/real && make .venv/.installed && \\
  .venv/bin/python -m bench.real_corpora emodb --models linear,mlp,lightgbm
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from bench.common import stage_table, timed_repro
from pipeline.cli.report import seed_lines, selection_lines
from pipeline.config.base import validated
from pipeline.config.params import Params, load_params
from pipeline.corpus.manifest import DERIVED_MANIFEST, read_manifest
from pipeline.params_file import set_keys
from pipeline.tracks.metrics import paired_difference, score_intervals, waf
from pipeline.training.run import labeled_set, train
from pipeline.training.splits import folds
from pipeline.training.views import pooled, views_from_params

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@dataclass(frozen=True)
class Corpus:
    table: pd.DataFrame  # name, split, label, text / audio, and the group column
    group: str  # the column `mer corpus import-csv --group` takes
    media: str  # folder of ../shared/data/<corpus> copied beside the table ("" for none)
    feature: dict | None  # the features.sets entry the README's user adds (None: params.yaml's minilm set)
    view: dict  # its train.views entry


def emodb() -> Corpus:
    table = pd.read_csv(DATA / "emodb-dev" / "table.csv", dtype=str)
    compare = {"modality": "audio", "model": "opensmile:ComParE_2016", "workers": 2, "shards": 8}
    return Corpus(table, "speaker", "wav", compare, {"layers": "all", "combine": "mean"})


def transcripts(files: dict[str, Path], group: str) -> pd.DataFrame:
    parts = []
    for split, path in files.items():
        rows = pd.read_csv(path, dtype=str)
        parts.append(
            pd.DataFrame(
                {
                    "name": [
                        f"{split}_{g}_{u}" for g, u in zip(rows[group], rows["Utterance_ID"], strict=True)
                    ],
                    "split": split,
                    "label": rows["Emotion"].str.lower(),
                    "text": rows["Utterance"],
                    "dialogue": split + "_" + rows[group],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def text_corpus(files: dict[str, Path], group: str) -> Corpus:
    return Corpus(transcripts(files, group), "dialogue", "", None, {"layers": [-1], "combine": "mean"})


def meld() -> Corpus:
    folder = DATA / "meld-dev"
    files = {"train": folder / "train_sent_emo.csv", "test": folder / "dev_sent_emo.csv"}
    return text_corpus(files, "Dialogue_ID")


def emorynlp() -> Corpus:
    folder = DATA / "emorynlp"
    files = {"train": folder / "emorynlp_train_final.csv", "test": folder / "emorynlp_test_final.csv"}
    table = text_corpus(files, "Scene_ID")
    season = {s: pd.read_csv(p, dtype=str) for s, p in files.items()}
    episode = pd.concat([season[s]["Season"] + "x" + season[s]["Episode"] for s in files], ignore_index=True)
    table.table["dialogue"] = table.table["dialogue"] + "_" + episode  # Scene_ID repeats across episodes
    table.table["name"] = table.table["name"] + "_" + episode
    return table


CORPORA = {"emodb": emodb, "meld": meld, "emorynlp": emorynlp}


def mer(*args: str) -> str:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["mer", *args], env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"mer {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def project(name: str, corpus: Corpus) -> None:
    """The user's steps: a table beside its media, import with its groups, init, add the real set."""
    folder = Path("data/real") / name
    folder.mkdir(parents=True, exist_ok=True)
    if corpus.media and not (folder / corpus.media).exists():
        shutil.copytree(DATA / f"{name}-dev" / corpus.media, folder / corpus.media)
    corpus.table.to_csv(folder / "table.csv", index=False)
    print(mer("corpus", "import-csv", str(folder / "table.csv"), "--group", corpus.group))
    print(mer("init", str(folder / "manifest.csv")))
    name = "real" if corpus.feature else "minilm"
    keys = {"train.sets": [name], f"train.views.{name}": corpus.view}
    set_keys(Path("params.yaml"), keys | ({"features.sets.real": corpus.feature} if corpus.feature else {}))


def scores(y: np.ndarray, pred: np.ndarray, reference: np.ndarray) -> dict:
    return {
        "waf": round(waf(y, pred), 4),
        "waf_ci": score_intervals(y, pred)["waf_ci"],
        "minus_logreg": paired_difference(y, pred, reference),
    }


def reference(x: np.ndarray, y: np.ndarray, train_rows, test_rows, splits) -> tuple[np.ndarray, np.ndarray]:
    """Standardised features + LogisticRegression: out-of-fold on train, one model on all train for test."""
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    oof = cross_val_predict(model, x[train_rows], y[train_rows], cv=splits)
    test = model.fit(x[train_rows], y[train_rows]).predict(x[test_rows]) if len(test_rows) else oof[:0]
    return oof, test


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpus", choices=sorted(CORPORA))
    parser.add_argument("--models", default="", help="train.model values to cross-validate in-process too")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--full", action="store_true", help="the whole `dvc repro`, not just score@semi")
    args = parser.parse_args()
    project(args.corpus, CORPORA[args.corpus]())
    repro_s, stages = timed_repro() if args.full else timed_repro("score@semi")

    params = validated(Params, load_params(Path("params.yaml")))
    manifest = read_manifest(DERIVED_MANIFEST, params.labels, contained=False)
    data = labeled_set(manifest, params.labels)
    views = views_from_params(params.train, Path("data/features"), data.names)
    cfg = params.train
    x = np.nan_to_num(np.concatenate([pooled(v) for v in views], axis=1))
    train_rows = data.train_rows
    test_rows = np.flatnonzero((data.splits == "test") & (data.y >= 0))
    splits = folds(
        data.y[train_rows], cfg.folds, cfg.seed, None if data.groups is None else data.groups[train_rows]
    )
    ref_oof, ref_test = reference(x, data.y, train_rows, test_rows, splits)

    summary = json.loads(Path("data/train/summary.json").read_text())
    predictions = pd.read_csv("data/train/predictions.csv", keep_default_na=False)
    index = {label: i for i, label in enumerate(params.labels)}
    pipeline_pred = predictions["pred"].map(index).to_numpy()
    default = f"pipeline default ({summary['model']})"
    rows = {
        default: (pipeline_pred[train_rows], pipeline_pred[test_rows], repro_s),
        "logreg (scikit-learn)": (ref_oof, ref_test, None),
    }
    for model in [m for m in args.models.split(",") if m]:
        variant = params.train.model_copy(update={"model": model})
        started = time.perf_counter()
        result = train(data, views, params.labels, variant)
        seconds = time.perf_counter() - started
        test_pred = result.predict_logits.argmax(axis=1)[np.searchsorted(data.predict_rows, test_rows)]
        rows[f"{model} (in-process)"] = (result.oof_logits.argmax(axis=1), test_pred, seconds)

    y_train, y_test = data.y[train_rows], data.y[test_rows]
    report = {
        "corpus": args.corpus,
        "clips": {"train": int(len(train_rows)), "test": int(len(test_rows))},
        "groups": int(len(set(data.groups[train_rows]))) if data.groups is not None else 0,
        "folds": cfg.folds,
        "feature_set": views[0].model,
        "dvc_repro": "all" if args.full else "score@semi",
        "dvc_repro_s": round(repro_s, 1),
        "stages_s": stages,
        "rows": {
            name: {
                "cv": scores(y_train, oof, ref_oof),
                "test": scores(y_test, test, ref_test) if len(test_rows) else None,
                "seconds": None if seconds is None else round(seconds, 1),
            }
            for name, (oof, test, seconds) in rows.items()
        },
    }
    print(f"{args.corpus}: {report['clips']} clips, {report['groups']} groups, {cfg.folds} grouped folds")
    print("| model | CV WAF [95%] | minus logreg [95%] | test WAF [95%] | minus logreg [95%] | seconds |")
    print("| --- | --- | --- | --- | --- | ---: |")
    for name, row in report["rows"].items():
        cells = [name]
        for part in ("cv", "test"):
            s = row[part]
            gap = s["minus_logreg"] if s else None
            cells += [
                f"{s['waf']:.3f} [{s['waf_ci'][0]:.3f}, {s['waf_ci'][1]:.3f}]" if s else "n/a",
                f"{gap['waf_diff']:+.3f} [{gap['ci'][0]:+.3f}, {gap['ci'][1]:+.3f}]" if gap else "n/a",
            ]
        cells.append("" if row["seconds"] is None else f"{row['seconds']:.0f}")
        print("| " + " | ".join(cells) + " |")
    report["selection"] = summary.get("selection")
    report["seeds"] = summary.get("seeds")
    print("\n".join(selection_lines(summary) + seed_lines(summary)))
    print(f"dvc repro {report['dvc_repro']}: {report['dvc_repro_s']} s\n{stage_table(stages)}")
    out = args.out or Path(f"bench/results/real_{args.corpus}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
