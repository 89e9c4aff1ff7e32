"""Synonym groupers for the OV metric: the official GPT groupings (a MERTools synonym store), or offline ones.

- `synonyms`: MERTools' openset-synonym store (zip or folder of <name>.npy with a 0-d string of groups);
- `lexicon`: emotion-wheel families with lemmatisation (worry / worried / worrying -> one head);
- `embedding`: MiniLM sentence embeddings, words joined when their cosine similarity passes a threshold.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np

from pipeline.config.ov import GROUPERS
from pipeline.tracks.ov_parse import normalise, official_groups, strict_groups


def _heads(groups: list[list[str]]) -> dict[str, str]:
    heads: dict[str, str] = {}
    for group in groups:
        words = [normalise(w) for w in group if w.strip()]
        for word in words:
            heads.setdefault(word, words[0])
    return heads


class SynonymStore:
    """Per-clip groupings as GPT-3.5 produced them for the official scorer."""

    def __init__(self, path: Path, official_parse: bool = True):
        self.parse = official_groups if official_parse else strict_groups
        self.groups = self._load(path)

    @staticmethod
    def _load(path: Path) -> dict[str, str]:
        if path.is_dir():
            return {p.stem: str(np.load(p, allow_pickle=False).item()) for p in sorted(path.rglob("*.npy"))}
        with zipfile.ZipFile(path) as archive:
            return {
                Path(m).stem: str(np.load(io.BytesIO(archive.read(m)), allow_pickle=False).item())
                for m in archive.namelist()
                if m.endswith(".npy")
            }

    def __call__(self, name: str, gt: list[str], pred: list[str]) -> dict[str, str]:
        if name not in self.groups:
            raise KeyError(f"no synonym grouping for clip {name!r} in the synonym store")
        return _heads(self.parse(self.groups[name]))


class LexiconGrouper:
    """Offline: a word's head is its emotion-wheel sector (or finer family); other words, their stem."""

    def __init__(self, level: str = "sector"):
        from pipeline.tracks.emotion_wheel import lexicon_heads, sector_heads, stem

        if level not in ("sector", "family"):
            raise ValueError(f"lexicon level must be sector or family, got {level!r}")
        self.heads = sector_heads() if level == "sector" else lexicon_heads()
        self.stem = stem

    def __call__(self, name: str, gt: list[str], pred: list[str]) -> dict[str, str]:
        return {w: self.heads.get(self.stem(w), self.stem(w)) for w in {*gt, *pred}}


class EmbeddingGrouper:
    """Offline: a clip's words joined when their MiniLM embeddings' cosine similarity passes a threshold."""

    def __init__(self, threshold: float = 0.35):
        from pipeline.features.models import load_model
        from pipeline.features.text import TextEmbedder, load_tokenizer

        loaded = load_model("minilm", device="cpu", dtype="float32")
        self.embedder = TextEmbedder(loaded, load_tokenizer(loaded), [loaded.model.config.num_hidden_layers])
        self.threshold = threshold
        self.cache: dict[str, np.ndarray] = {}

    def _vectors(self, words: list[str]) -> np.ndarray:
        todo = [w for w in words if w not in self.cache]
        if todo:
            for word, vector in zip(todo, self.embedder.embed(todo)[:, 0], strict=True):
                self.cache[word] = vector / (np.linalg.norm(vector) + 1e-9)
        return np.stack([self.cache[w] for w in words])

    def __call__(self, name: str, gt: list[str], pred: list[str]) -> dict[str, str]:
        words = sorted({*gt, *pred})
        if not words:
            return {}
        similar = self._vectors(words) @ self._vectors(words).T >= self.threshold
        parent = list(range(len(words)))

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for i, j in zip(*np.nonzero(np.triu(similar, 1)), strict=True):
            parent[root(int(j))] = root(int(i))
        return {w: words[root(i)] for i, w in enumerate(words)}


def make_grouper(name: str, synonyms: Path | None = None, official_parse: bool = True):
    """`synonyms` (a MERTools store) wins; else one of GROUPERS."""
    if synonyms is not None:
        return SynonymStore(synonyms, official_parse)
    if name == "lexicon":
        return LexiconGrouper("sector")
    if name == "lexicon-family":
        return LexiconGrouper("family")
    if name == "embedding":
        return EmbeddingGrouper()
    raise ValueError(f"grouper must be one of {list(GROUPERS)}, got {name!r}")
