"""Pseudo-label selection, annotator parsing and modes, and the zero-selection case."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.config.selftrain import SelectConfig
from pipeline.training.pseudo_labels import (
    class_precision_estimates,
    empty_note,
    label_from_answer,
    precision,
    precision_per_class,
    read_annotations,
    select,
    untrusted_note,
)

LABELS = ["neutral", "angry", "happy"]


def _teacher(n: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    probs = rng.dirichlet([0.3, 0.3, 0.3], n)
    probs[: n // 2, 0] += 2.0  # the majority class: neutral
    probs /= probs.sum(axis=1, keepdims=True)
    table = pd.DataFrame(probs, columns=[f"prob_{label}" for label in LABELS])
    table.insert(0, "name", [f"u{i:03d}" for i in range(n)])
    table.insert(1, "split", "unlabeled")
    table["agreement"] = np.where(np.arange(n) % 7 == 0, 0.6, 1.0)
    return table


def test_threshold_agreement_and_per_class_cap():
    teacher = _teacher()
    chosen = select(teacher, LABELS, SelectConfig(threshold=0.6, min_agreement=1.0, per_class_cap=5))
    probs = teacher.set_index("name").loc[chosen["name"], [f"prob_{x}" for x in LABELS]].to_numpy()
    assert (probs.max(axis=1) >= 0.6).all() and (chosen["confidence"] >= 0.6).all()
    assert not set(chosen["name"]) & set(teacher.loc[teacher["agreement"] < 1, "name"])
    assert chosen["label"].value_counts().max() <= 5
    uncapped = select(teacher, LABELS, SelectConfig(threshold=0.6, min_agreement=1.0))
    assert uncapped["label"].value_counts()["neutral"] > 5


def test_class_balanced_quota_keeps_the_most_confident():
    teacher = _teacher(200)
    chosen = select(teacher, LABELS, SelectConfig(threshold=0.5, min_agreement=0.0, balanced=True))
    counts = chosen["label"].value_counts()
    assert counts.nunique() == 1 and len(counts) == 3
    neutral = teacher[teacher["name"].isin(chosen.loc[chosen["label"] == "neutral", "name"])]
    left_out = teacher[
        ~teacher["name"].isin(chosen["name"])
        & (teacher[[f"prob_{x}" for x in LABELS]].idxmax(axis=1) == "prob_neutral")
    ]
    assert neutral["prob_neutral"].min() >= left_out["prob_neutral"].max()


def test_max_count_takes_the_most_confident_overall():
    chosen = select(_teacher(), LABELS, SelectConfig(threshold=0.0, min_agreement=0.0, max_count=4))
    assert len(chosen) == 4
    assert (
        chosen["confidence"].min()
        >= np.sort(_teacher()[[f"prob_{x}" for x in LABELS]].max(axis=1))[-4] - 1e-9
    )


@pytest.mark.parametrize(
    ("answer", "label"),
    [
        ("The speaker's emotion is happy.", "happy"),
        ("Based on the tone and the words, the person feels ANGRY", "angry"),
        ("The speaker seems happy but the emotion is unclear", ""),
        ("", ""),
    ],
)
def test_emotion_llama_answers_take_the_last_word(answer, label):
    assert label_from_answer(answer, LABELS) == label
    assert label_from_answer(answer, LABELS, fallback="neutral") == (label or "neutral")


def test_annotator_modes(tmp_path):
    teacher = _teacher()
    answers = tmp_path / "answers.csv"
    pd.DataFrame({"name": teacher["name"], "answer": ["emotion: neutral"] * 60}).to_csv(answers, index=False)
    annotations = read_annotations(answers, LABELS)
    alone = select(
        teacher, LABELS, SelectConfig(annotator_mode="alone", annotations=str(answers)), annotations
    )
    assert len(alone) == 60 and set(alone["label"]) == {"neutral"} and set(alone["source"]) == {"annotator"}
    agree = select(
        teacher,
        LABELS,
        SelectConfig(threshold=0.5, annotator_mode="agree", annotations=str(answers)),
        annotations,
    )
    teacher_only = select(teacher, LABELS, SelectConfig(threshold=0.5))
    assert set(agree["label"]) == {"neutral"}
    assert set(agree["name"]) == set(teacher_only.loc[teacher_only["label"] == "neutral", "name"])
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"name": ["u000"], "label": ["ecstatic"]}).to_csv(bad, index=False)
    with pytest.raises(ValueError, match="ecstatic"):
        read_annotations(bad, LABELS)


def test_zero_selected_is_reported_clearly():
    teacher = _teacher()
    cfg = SelectConfig(threshold=0.999)
    assert select(teacher, LABELS, cfg).empty
    note = empty_note(teacher, LABELS, cfg)
    assert "selftrain.threshold = 0.999" in note and "the student is the supervised model" in note


def test_precision_against_known_labels():
    chosen = pd.DataFrame({"name": ["a", "b", "c"], "label": ["happy", "sad", "x"]})
    assert precision(chosen, {"a": "happy", "b": "angry"}) == 0.5
    assert precision(chosen, {}) is None
    per_class = precision_per_class(
        chosen, {"a": "happy", "b": "angry", "c": "sad"}, ["happy", "sad", "angry"]
    )
    assert per_class == {"happy": 1.0, "sad": 0.0, "angry": None}


def _with_track_record(pool: pd.DataFrame) -> pd.DataFrame:
    """The pool plus 40 labeled training clips with out-of-fold probabilities: the teacher says neutral
    confidently 20 times and is right 8 times; it says angry 20 times and is right 19 times."""
    said = ["neutral"] * 20 + ["angry"] * 20
    truth = ["neutral"] * 8 + ["happy"] * 12 + ["angry"] * 19 + ["happy"]
    probs = np.array([[0.95 if label == s else 0.025 for label in LABELS] for s in said])
    known = pd.DataFrame(probs, columns=[f"prob_{label}" for label in LABELS])
    known.insert(0, "name", [f"t{i:03d}" for i in range(40)])
    known.insert(1, "split", "train")
    known.insert(2, "label", truth)
    return pd.concat([known, pool.assign(label="")], ignore_index=True)


def test_min_class_precision_leaves_out_a_class_the_teacher_gets_wrong():
    teacher = _with_track_record(_teacher(200))
    estimates = class_precision_estimates(teacher, LABELS, 0.6)
    assert estimates == {"neutral": 9 / 22, "angry": 20 / 22, "happy": 1 / 2}
    cfg = SelectConfig(threshold=0.6, min_agreement=0.0, min_class_precision=0.8)
    chosen = select(teacher, LABELS, cfg)
    assert set(chosen["label"]) == {"angry"}
    everyone = select(teacher, LABELS, SelectConfig(threshold=0.6, min_agreement=0.0))
    assert set(chosen["name"]) == set(everyone.loc[everyone["label"] == "angry", "name"])
    note = untrusted_note(teacher, LABELS, cfg)
    assert "leaves out neutral 0.409, happy 0.500" in note and "angry" not in note
