"""The whole of params.yaml: every section, and the checks that span sections. Stages and `mer check`
validate it all before any work, so a typo in train.* stops `dvc repro` before the first clip."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError, field_validator

from pipeline.config.ablation import AblationConfig
from pipeline.config.adapt import ADAPTABLE, AdaptConfig
from pipeline.config.align import AlignConfig
from pipeline.config.base import ParamError, Section, load_params, messages, report, validated
from pipeline.config.corrupt import CorruptConfig
from pipeline.config.demo import DEMO_MANIFEST, DemoConfig
from pipeline.config.derived_set import Derived
from pipeline.config.faces import FacesConfig
from pipeline.config.features import OPENSMILE, FeaturesConfig, SetConfig
from pipeline.config.layers import select_layers
from pipeline.config.model_spec import Architecture, architecture
from pipeline.config.ov import OVConfig
from pipeline.config.prompt import PromptConfig
from pipeline.config.selftrain import SelfTrainSection
from pipeline.config.train import TrainSection, sequence_problem


class DatasetConfig(Section):
    manifest: str  # the source corpus's manifest, read and never written


class Params(Section):
    dataset: DatasetConfig
    labels: list[str]  # discrete labels in id order
    demo: DemoConfig = DemoConfig()
    corrupt: CorruptConfig = CorruptConfig()
    faces: FacesConfig = FacesConfig()
    features: FeaturesConfig
    align: AlignConfig
    adapt: AdaptConfig
    prompt: PromptConfig
    train: TrainSection
    ablation: AblationConfig = AblationConfig()
    ov: OVConfig = OVConfig()
    selftrain: SelfTrainSection

    @field_validator("labels")
    @classmethod
    def _labels(cls, labels: list[str]) -> list[str]:
        if not labels or not all(labels) or len(set(labels)) != len(labels):
            raise ValueError(f"must be a non-empty list of distinct words, got {labels!r}")
        return labels

    def derived(self) -> list[Derived]:
        """Each derived set, the frozen set it is made from, and its stage (its params.yaml section too)."""
        return [
            Derived(self.align.name, self.align.video, "align"),
            Derived(self.adapt.name, self.adapt.audio, "adapt"),
            Derived(self.prompt.name, self.prompt.video, "prompt"),
        ]

    def across(self) -> list[str]:
        """Problems no single section can see."""
        found = [self._sequence_problem(name) for name in self.train.views]
        if self.selftrain.fallback and self.selftrain.fallback not in self.labels:
            found.append(
                f"selftrain.fallback must be empty or one of {self.labels}, got {self.selftrain.fallback!r}"
            )
        found += [self._prompt_problem(), self._adapt_problem(), self._truth_problem(), self._gpu_problem()]
        found += self._switched_off_problems()
        return [p for p in found if p]

    def _switched_off_problems(self) -> list[str]:
        """A set train.sets fuses cannot come from a stage that is switched off (it would be all absent)."""
        return [
            f"train.sets fuses {d.name!r}, which {d.method}.enabled: false leaves absent on every clip; set "
            f"{d.method}.enabled: true or drop {d.name!r} from train.sets"
            for d in self.derived()
            if not getattr(self, d.method).enabled and d.name in self.train.sets
        ]

    def _adapt_problem(self) -> str | None:
        """Adapters need a transformer audio encoder of a known family, and layers it has."""
        cfg, defined = self.adapt, self.features.sets.get(self.adapt.audio)
        encoders = [n for n, s in self.features.sets.items() if s.modality == "audio" and n != cfg.name]
        if defined is None or defined.modality != "audio":
            return f"adapt.audio must be an audio set of features.sets ({encoders}), got {cfg.audio!r}"
        if defined.model.startswith(OPENSMILE):
            return (
                f"adapt.audio: set {cfg.audio!r} is {defined.model}, handcrafted functionals with no encoder "
                f"to adapt; name a set of a {'/'.join(ADAPTABLE)} model"
            )
        known = architecture(defined.model, defined.revision)
        return adapt_layer_problem(cfg, defined, known) if known else None

    def _sequence_problem(self, name: str) -> str | None:
        """A set defined here is checked now; an imported store's modality when it is read."""
        defined = self.features.sets.get(name)
        if self.train.views[name].sequence and defined and defined.modality != "video":
            return sequence_problem(name, defined.modality)
        return None

    def _prompt_problem(self) -> str | None:
        """Prompt tuning needs the model behind the set, so the set must be defined here."""
        defined = self.features.sets.get(self.prompt.video)
        if defined and defined.modality == "video":
            return None
        videos = [name for name, s in self.features.sets.items() if s.modality == "video"]
        return f"prompt.video must be a video set of features.sets ({videos}), got {self.prompt.video!r}"

    def _truth_problem(self) -> str | None:
        """The demo's pool labels are no truth for another corpus: say so before any stage works."""
        truth, manifest, demo = self.selftrain.truth, self.dataset.manifest, Path(DEMO_MANIFEST)
        if truth and Path(truth).parent == demo.parent and Path(manifest) != demo:
            return (
                f"selftrain.truth is {truth}, the demo's pool labels, but dataset.manifest is {manifest}: "
                'set selftrain.truth: "" (or a CSV name,label of your pool\'s true labels)'
            )
        return None

    def _gpu_problem(self) -> str | None:
        if not self.train.device.startswith("cuda"):
            return None
        import torch  # only when a GPU is asked for

        if torch.cuda.is_available():
            return None
        return f"train.device is {self.train.device} but torch sees no CUDA GPU here (use auto or cpu)"


def adapt_layer_problem(cfg: AdaptConfig, base: SetConfig, known: Architecture) -> str | None:
    """The model's family and adapt.layers against its layer count (explicit) or the stored layers (top:K)."""
    if known.model_type not in ADAPTABLE:
        return (
            f"adapt.audio: set {cfg.audio!r} is {base.model}, a {known.model_type} model; adapters need "
            f"one of {', '.join(ADAPTABLE)}"
        )
    if not cfg.top:
        if max(cfg.layers) < known.layers:
            return None
        return f"adapt.layers {list(cfg.layers)}: {base.model} has encoder layers 0..{known.layers - 1}"
    key = f"features.sets.{cfg.audio}.layers"
    try:
        stored = [h for h in select_layers(base.layers, known.layers + 1, key) if h > 0]
    except ParamError as exc:
        return str(exc)
    if cfg.top <= len(stored):
        return None
    return (
        f"adapt.layers {cfg.layers}: the store of {cfg.audio!r} holds {len(stored)} encoder layer(s) "
        f"({key}: {base.layers}); K must be at most {len(stored)}"
    )


def problems(values: dict) -> list[str]:
    """Every problem (unknown keys, wrong types, out-of-range values), not just the first; each once."""
    try:
        params = Params.model_validate(values)
    except ValidationError as exc:
        return messages(exc, Params)
    return params.across()


def read_params(values: dict, path: str | Path = "params.yaml") -> Params:
    found = problems(values)
    if found:
        raise ParamError(report(found, path))
    return Params.model_validate(values)


def check_section(name: str, path: str | Path = "params.yaml") -> Any:
    """One section of params.yaml checked alone, for a command that reads nothing else (`mer extract`
    on a project whose params.yaml holds only `features`)."""
    values = load_params(path)
    if name not in values:
        raise ParamError(f"{path}: missing key {name}")
    return validated(Params.model_fields[name].annotation, values[name], name, path)


def check_params(path: str | Path = "params.yaml") -> Params:
    """The parameters, or a ParamError listing each problem with its key and what is allowed."""
    return read_params(load_params(path), path)


def doubts(params: Params) -> list[str]:
    """What is allowed but most likely a mistake: said as warnings by `mer check` and every stage."""
    return [
        f"features.sets.{first} and features.sets.{second} have the same model and settings, so their "
        "stores would be identical: drop one, or change its settings"
        for first, second in params.features.duplicates()
    ]
