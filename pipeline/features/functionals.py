"""openSMILE functionals (eGeMAPS, ComParE, ...) as an audio feature set: `model: opensmile:<set>`.

openSMILE is a real library with no weights to download. Its functionals are computed where clips are
decoded (the DataLoader workers, or Ray decode tasks), so `workers: N` computes N clips at once; the
extractor process only stacks the vectors. One "layer"; stored as float32, because handcrafted values
do not fit float16 (ComParE_2016 has values up to ~1e11).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from pipeline.config.features import OPENSMILE
from pipeline.media.audio import SAMPLE_RATE
from pipeline.media.result import Decoded

_SMILES: dict[str, Any] = {}  # one openSMILE instance per feature set and process


def is_functionals(spec: str) -> bool:
    return spec.startswith(OPENSMILE)


def feature_set(spec: str) -> str:
    return spec[len(OPENSMILE) :]


def _smile(name: str) -> Any:
    if name not in _SMILES:
        import opensmile

        _SMILES[name] = opensmile.Smile(
            feature_set=opensmile.FeatureSet[name], feature_level=opensmile.FeatureLevel.Functionals
        )
    return _SMILES[name]


def functionals(decoded: Decoded, name: str) -> Decoded:
    """The clip's functionals (D,) float32, or why it has none; runs in the decoding process."""
    if not decoded.ok:
        return decoded
    try:
        values = _smile(name).process_signal(decoded.data, SAMPLE_RATE).to_numpy()[0].astype(np.float32)
    except Exception as exc:  # one clip openSMILE cannot process must not stop the store
        return Decoded.failed(f"openSMILE {name}: {type(exc).__name__}: {exc}")
    if not np.isfinite(values).all():
        seconds = len(decoded.data) / SAMPLE_RATE
        return Decoded.failed(f"openSMILE {name}: no functionals for a {seconds:.2f} s clip (too short)")
    return Decoded("ok", values)


def preparer(spec: str) -> partial | None:
    """What the decoding processes run on each decoded clip for this spec (None: nothing)."""
    return partial(functionals, name=feature_set(spec)) if is_functionals(spec) else None


class FunctionalsEmbedder:
    """The 'model' side: the vectors were computed while decoding."""

    def __init__(self, spec: str):
        self.name = feature_set(spec)
        self.dim = len(_smile(self.name).feature_names)

    def embed(self, vectors: list[np.ndarray]) -> np.ndarray:
        """(B, 1, D) float32."""
        return np.stack(vectors)[:, None, :].astype(np.float32)
