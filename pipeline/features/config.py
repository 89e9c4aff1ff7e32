"""Extraction settings of each named feature set, read from params.yaml's `features.sets.<set>.*` keys.

A feature set has a name (its store is data/features/<set>, its DVC stage extract@<set>), one modality
and one extractor; several sets may share a modality (e.g. `hubert` and `wavlm` for audio).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from pipeline.features.functionals import spec_problem
from pipeline.params import ParamError, invalid, pick, pick_choice, pick_range

MODALITIES = ("audio", "video", "text")
SET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
DTYPES = ("auto", "float32", "float16", "bfloat16")


@dataclass(frozen=True)
class ExtractConfig:
    modality: str
    model: str
    revision: str = "main"
    trust_remote_code: bool = False
    device: str = "auto"
    dtype: str = "auto"
    layers: str | list[int] = "all"
    batch_size: int = 16  # clips per forward pass
    bucket: int = 64  # clips decoded together, then sorted by length into batches
    workers: int = 0  # decoding processes (0: decode in the main process)
    shards: int = 64  # shard files; a clip's shard is a hash of its name, so adding clips moves none
    window_s: float = 10.0  # audio: window length for long clips
    frames: int = 8  # video: frames sampled per clip
    pooling: str = "cls"  # video backbones without a projection: cls token or mean of the patch tokens
    prompt: str = ""  # text: template with {text}; empty = mean over content tokens
    max_tokens: int = 256  # text: truncation
    seed: int = 0  # seed of random-init stand-ins
    adapter: str = ""  # folder of peft adapters merged into the model (the `adapt` stage writes one)
    max_failed_fraction: float = 0.05
    engine: str = "local"  # local | ray
    ray_address: str = ""  # existing Ray cluster ("" starts a local one)
    ray_actors: int = 1  # extractor actors, each loading the model once
    ray_gpus: float = 0.0  # GPUs per extractor actor
    name: str = ""  # the feature set (features.sets.<name>): named in messages, not in the identity

    def digest(self) -> str:
        """What makes two stores interchangeable: the settings that change the numbers and the modality's
        extractor version, never the source files, so a refactor re-extracts nothing."""
        settings = {
            k: v
            for k, v in asdict(self).items()
            if k not in NOT_NUMERIC and not (k in ADDED_LATER and ADDED_LATER[k] == v)
        }
        if self.adapter:  # the adapters' weights, not where they lie: retrained adapters re-extract
            settings["adapter"] = adapter_digest(Path(self.adapter))
        payload = json.dumps({"settings": settings, **EXTRACTOR_VERSIONS[self.modality]}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


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
ENGINES = ("local", "ray")
POOLINGS = ("cls", "patch_mean")

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


def _model(params: dict, key: str, modality: str) -> str:
    spec = pick(params, key, str)
    problem = spec_problem(spec, modality)
    return invalid(f"{key}: {problem}", spec) if problem else spec


def _layers(params: dict, key: str) -> str | list[int]:
    value = pick(params, key, (str, list), default="all")
    if isinstance(value, str) and value != "all":
        return invalid(f"{key} must be 'all' or a list of layer indices, got {value!r}", "all")
    return value


def set_names(params: dict) -> list[str]:
    """The feature sets params.yaml defines, in its order."""
    sets = pick(params, "features.sets", dict)
    bad = [name for name in sets if not isinstance(name, str) or not SET_NAME.fullmatch(name)]
    if not sets or bad:
        return invalid(
            f"features.sets must map one or more set names (letters, digits, _ and -; they name the store "
            f"folder and the DVC stage) to their settings, got {list(sets)!r}",
            [name for name in sets if name not in bad],
        )
    return list(sets)


def extract_config(params: dict, name: str) -> ExtractConfig:
    if name not in pick(params, "features.sets", dict):
        defined = ", ".join(set_names(params))
        raise ParamError(f"no feature set {name!r} in features.sets (defined: {defined})")
    base = f"features.sets.{name}"
    modality = pick_choice(params, f"{base}.modality", MODALITIES)
    defaults = ExtractConfig(modality=modality, model="")
    return ExtractConfig(
        name=name,
        modality=modality,
        model=_model(params, f"{base}.model", modality),
        revision=pick(params, f"{base}.revision", str, default=defaults.revision),
        trust_remote_code=pick(params, f"{base}.trust_remote_code", bool, default=False),
        device=pick(params, f"{base}.device", str, default=defaults.device),
        dtype=pick_choice(params, f"{base}.dtype", DTYPES, default="auto"),
        layers=_layers(params, f"{base}.layers"),
        batch_size=pick_range(params, f"{base}.batch_size", int, 1, 65536, default=defaults.batch_size),
        bucket=pick_range(params, f"{base}.bucket", int, 1, 65536, default=defaults.bucket),
        workers=pick_range(params, f"{base}.workers", int, 0, 256, default=defaults.workers),
        shards=pick_range(params, f"{base}.shards", int, 1, 100_000, default=defaults.shards),
        window_s=pick_range(params, f"{base}.window_s", float, 1.0, 600.0, default=defaults.window_s),
        frames=pick_range(params, f"{base}.frames", int, 1, 1024, default=defaults.frames),
        pooling=pick_choice(params, f"{base}.pooling", POOLINGS, default=defaults.pooling),
        prompt=pick(params, f"{base}.prompt", str, default=""),
        max_tokens=pick_range(params, f"{base}.max_tokens", int, 1, 32768, default=defaults.max_tokens),
        seed=pick(params, f"{base}.seed", int, default=0),
        adapter=pick(params, f"{base}.adapter", str, default=""),
        max_failed_fraction=pick_range(params, "features.max_failed_fraction", float, 0.0, 1.0),
        engine=pick_choice(params, "features.engine", ENGINES, default=defaults.engine),
        ray_address=pick(params, "features.ray_address", str, default=""),
        ray_actors=pick_range(params, "features.ray_actors", int, 1, 1024, default=defaults.ray_actors),
        ray_gpus=pick_range(params, "features.ray_gpus", float, 0.0, 64.0, default=defaults.ray_gpus),
    )
