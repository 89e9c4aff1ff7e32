"""What an extract stage is given (one set of features.sets with the features-wide settings) and what
makes two stores interchangeable: the settings that change the numbers and the extractor's version."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pipeline.config.base import ParamError
from pipeline.config.features import MODALITIES, NOT_NUMERIC, ExtractRun, FeaturesConfig, SetConfig


class ExtractConfig(SetConfig, ExtractRun):
    """One set's extractor and how extraction runs: what an extract stage is given."""

    name: str = ""  # the feature set (features.sets.<name>): named in messages, not in the identity

    def digest(self) -> str:
        """What makes two stores interchangeable: the settings that change the numbers and the modality's
        extractor version, never the source files, so a refactor re-extracts nothing."""
        settings = {
            k: v
            for k, v in self.model_dump().items()
            if k not in NOT_NUMERIC and not (k in ADDED_LATER and ADDED_LATER[k] == v)
        }
        if self.adapter:  # the adapters' weights, not where they lie: retrained adapters re-extract
            settings["adapter"] = adapter_digest(Path(self.adapter))
        payload = json.dumps({"settings": settings, **EXTRACTOR_VERSIONS[self.modality]}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


# Settings added after stores existed, with the value that reproduces what was stored before: at that
# value they stay out of the digest, so adding a setting re-extracts nothing.
ADDED_LATER = {"pooling": "cls", "adapter": ""}

# Each modality's extractor version: bump it (any new value) in the same change that moves the numbers
# its embedder stores; tests/test_golden.py pins every stand-in's output and fails until it is bumped
# (then re-record the goldens: python -m tests.golden). The first value is the identity stores had when
# it was a digest of the extraction source files, so moving to versions re-extracted nothing.
EXTRACTOR_VERSIONS: dict[str, dict[str, str]] = {
    modality: {"version": "0.1.0", "code": "045e6582b9506f22"} for modality in MODALITIES
}


def adapter_digest(folder: Path) -> str:
    """Hash of a peft adapter folder's weights; a missing folder is an error naming it."""
    weights = sorted(folder.glob("adapter_model.*"))
    if not weights:
        raise FileNotFoundError(
            f"{folder}: no adapter_model.safetensors (or .bin) here, as peft saves adapters"
        )
    digest = hashlib.sha256()
    for path in weights:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def extract_config(features: FeaturesConfig, name: str) -> ExtractConfig:
    """features.sets.<name> with the features-wide settings; an undefined set is an error naming them."""
    if name not in features.sets:
        raise ParamError(f"no feature set {name!r} in features.sets (defined: {', '.join(features.sets)})")
    run = features.model_dump(include=set(ExtractRun.model_fields))
    return ExtractConfig(name=name, **features.sets[name].model_dump(), **run)
