"""`features.*`: the named feature sets and how extraction runs.

A feature set has a name (its store is data/features/<set>, its DVC stage extract@<set>), one modality
and one extractor; several sets may share a modality (e.g. `hubert` and `wavlm` for audio).
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, BeforeValidator, field_validator

from pipeline.config.base import Section, between

Modality = Literal["audio", "video", "text"]
MODALITIES = get_args(Modality)
SET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
OPENSMILE = "opensmile:"
OPENSMILE_SETS = ("eGeMAPSv02", "ComParE_2016", "GeMAPSv01b", "eGeMAPSv01b", "emobase")


# Settings that change how the work is done, not the stored numbers (nor which clips a shard holds).
NOT_NUMERIC = (
    "name",
    "batch_size",
    "bucket",
    "workers",
    "max_failed_fraction",
    "device",
    "shards",
    "engine",
    "ray_address",
    "ray_actors",
    "ray_gpus",
)


def _set_name(name: str) -> str:
    if not SET_NAME.fullmatch(name):
        raise ValueError(
            "must be a feature set name (letters, digits, _ and -, starting with a letter or digit: it names "
            f"a folder under data/features and data/models, so no path), got {name!r}"
        )
    return name


SetName = Annotated[str, AfterValidator(_set_name)]  # any name that becomes a store or model folder


def _layer_list(value: object) -> object:
    """'all' or a list of indices; checked before the union so the message is one line, not one per type."""
    if value == "all" or (isinstance(value, list) and all(type(x) is int for x in value)):
        return value
    raise ValueError(f"must be 'all' or a list of layer indices, got {value!r}")


Layers = Annotated[Literal["all"] | list[int], BeforeValidator(_layer_list)]


def opensmile_problem(spec: str, modality: str) -> str | None:
    """Why `spec` is not a usable openSMILE spec for `modality` (None when it is, or is no such spec)."""
    if not spec.startswith(OPENSMILE):
        return None
    if modality != "audio":
        return f"{spec} is an audio extractor, not {modality}"
    if spec[len(OPENSMILE) :] not in OPENSMILE_SETS:
        allowed = ", ".join(OPENSMILE + s for s in OPENSMILE_SETS)
        return f"unknown openSMILE feature set in {spec!r}; one of {allowed}"
    return None


class SetConfig(Section):
    """One feature set's extractor; the keys that do not apply to its modality are ignored."""

    modality: Modality
    model: str  # hub id, local folder, random:<name> stand-in or opensmile:<set>
    revision: str = "main"
    trust_remote_code: bool = False
    device: str = "auto"
    dtype: Literal["auto", "float32", "float16", "bfloat16"] = "auto"
    layers: Layers = "all"
    batch_size: between(int, 1, 65536) = 16  # clips per forward pass
    bucket: between(int, 1, 65536) = 64  # clips decoded together, then sorted by length into batches
    workers: between(int, 0, 256) = 1  # decoding processes (0: decode in the main process)
    shards: between(int, 1, 100_000) = 64  # shard files; a clip's shard is a hash of its name
    window_s: between(float, 1.0, 600.0) = 10.0  # audio: window length for long clips
    frames: between(int, 1, 1024) = 8  # video: frames sampled per clip
    pooling: Literal["cls", "patch_mean"] = "cls"  # video backbones without a projection
    prompt: str = ""  # text: template with {text}; empty = mean over content tokens
    max_tokens: between(int, 1, 32768) = 256  # text: truncation
    seed: int = 0  # seed of random-init stand-ins
    adapter: str = ""  # folder of peft adapters merged into the model (the `adapt` stage writes one)

    @field_validator("model")
    @classmethod
    def _model_fits(cls, model: str, info) -> str:
        problem = opensmile_problem(model, info.data.get("modality", "audio"))
        if problem:
            raise ValueError(problem)
        return model


class ExtractRun(Section):
    """How every set's extraction runs (features.*), beside its own settings."""

    max_failed_fraction: between(float, 0.0, 1.0) = 0.05  # broken clips allowed before a stage fails
    engine: Literal["local", "ray"] = "local"
    ray_address: str = ""  # existing Ray cluster ("" starts a local one)
    ray_actors: between(int, 1, 1024) = 1  # extractor actors, each loading the model once
    ray_gpus: between(float, 0.0, 64.0) = 0.0  # GPUs per extractor actor


class FeaturesConfig(ExtractRun):
    sets: dict[str, SetConfig]

    def duplicates(self) -> list[tuple[str, str]]:
        """Pairs of sets whose stores would hold the same numbers (same model and settings): one
        extraction and one disk's worth wasted, and a fusion model fed the same input twice."""
        first: dict[str, str] = {}
        pairs = []
        for name, settings in self.sets.items():
            key = json.dumps(settings.model_dump(exclude=set(NOT_NUMERIC)), sort_keys=True)
            if key in first:
                pairs.append((first[key], name))
            first.setdefault(key, name)
        return pairs

    @field_validator("sets", mode="before")
    @classmethod
    def _names(cls, sets: object) -> object:
        if isinstance(sets, dict) and (
            not sets or not all(isinstance(n, str) and SET_NAME.fullmatch(n) for n in sets)
        ):
            raise ValueError(
                "must map one or more set names (letters, digits, _ and -; they name the store folder and "
                f"the DVC stage) to their settings, got {list(sets)!r}"
            )
        return sets
