"""Open-vocabulary predictions: sets of English emotion words per clip.

- `lexicon`: from the discrete classifier's probabilities, temperature-calibrated on the training
  clips' out-of-fold predictions; every label at or above a threshold (the top one always), each
  expanded with its closest fine-grained words from the emotion lexicon;
- `llm`: a causal LM prompted per clip (pipeline.tracks.ov_llm), answers parsed like imported ones;
- `import`: free-text answers of an external (multimodal) LLM such as Emotion-LLaMA, parsed into
  normalised lower-case words.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.tracks.emotion_words import FAMILIES

FILLER = re.compile(
    r"\b(the|a|an|to be|be|being|speaker|person|character|he|she|they|is|are|feels?|feeling|seems?|"
    r"appears?|emotions?|emotional state|state|mood|of|very|quite|slightly|somewhat|mainly|mostly|"
    r"probably|possibly|likely|"
    r"include|includes|including|shows?|showing|displays?|expressing|expresses|with|in|this|that|clip|video)\b"
)


def parse_answer(answer: str, max_words: int = 3) -> list[str]:
    """Free text -> distinct lower-case emotion phrases, in order.

    Splits on commas, semicolons, slashes, newlines, 'and' / 'or'; drops filler words, list markers
    and punctuation; keeps phrases of at most `max_words` words.
    """
    text = answer.lower()
    text = re.sub(r"^[^:]*:\s*", "", text) if ":" in text.split("\n")[0] else text
    pieces = re.split(r"[,;/\n]|\band\b|\bor\b|\.\s", text)
    words = []
    for piece in pieces:
        piece = re.sub(r"^\s*(\d+[.)]|[-*•])\s*", "", piece)
        piece = FILLER.sub(" ", re.sub(r"[^a-z' -]", " ", piece))
        piece = " ".join(piece.replace("'", "").split()).strip(" -")
        if piece and len(piece.split()) <= max_words and piece not in words:
            words.append(piece)
    return words


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The temperature that minimises negative log-likelihood of held-out predictions (grid search)."""
    best, best_nll = 1.0, np.inf
    for t in np.exp(np.linspace(np.log(0.25), np.log(8.0), 60)):
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        nll = -(z[np.arange(len(y)), y] - np.log(np.exp(z).sum(axis=1))).mean()
        if nll < best_nll:
            best, best_nll = float(t), nll
    return best


def lexicon_sets(
    probs: np.ndarray, labels: list[str], threshold: float, words_per_label: int
) -> list[list[str]]:
    sets = []
    for row in probs:
        chosen = [i for i in np.argsort(-row) if row[i] >= threshold or i == row.argmax()]
        words: list[str] = []
        for i in chosen:
            family = FAMILIES.get(labels[i], (labels[i],))
            words += [w for w in family[: max(1, words_per_label)] if w not in words]
        sets.append(words)
    return sets


def calibrated_probs(predictions: pd.DataFrame, labels: list[str]) -> tuple[np.ndarray, float]:
    """All rows' probabilities after temperature scaling fitted on the training rows (out-of-fold)."""
    columns = [f"prob_{label}" for label in labels]
    logits = np.log(np.clip(predictions[columns].to_numpy(np.float64), 1e-9, 1.0))
    train = (predictions["split"] == "train") & (predictions["label"] != "")
    index = {label: i for i, label in enumerate(labels)}
    temperature = fit_temperature(
        logits[train.to_numpy()], predictions.loc[train, "label"].map(index).to_numpy()
    )
    z = logits / temperature
    z = np.exp(z - z.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True), temperature


def import_sets(answers_csv: Path, names: list[str]) -> list[list[str]]:
    """CSV `name,answer` of an external model; clips without an answer get an empty set."""
    table = pd.read_csv(answers_csv, dtype=str, keep_default_na=False)
    if not {"name", "answer"} <= set(table.columns):
        raise ValueError(f"{answers_csv}: expected columns name,answer")
    answers = dict(zip(table["name"], table["answer"], strict=True))
    return [parse_answer(answers.get(name, "")) for name in names]
