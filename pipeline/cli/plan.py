"""What `dvc repro` will do with a corpus (`mer init`): one line per stage of the project's dvc.yaml, in its
order and with its foreach expanded, so the plan follows the graph instead of re-describing it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from pipeline.cli.extraction_time import estimate
from pipeline.config.ablation import SUBSETS
from pipeline.config.demo import DEMO_MANIFEST
from pipeline.config.derived_set import Derived, disabled
from pipeline.config.params import Params
from pipeline.corpus.profile import CorpusProfile


@dataclass(frozen=True)
class Stage:
    name: str
    key: str = ""  # the foreach key ("" for a plain stage)
    item: Any = None  # the foreach value


@dataclass(frozen=True)
class Corpus:
    """What a stage line is written from: the corpus and the params `mer init` left."""

    profile: CorpusProfile
    values: Params

    def clips(self, split: str) -> str:
        total = self.profile.count(split)
        return f"the {total} {split} clips" if total else f"no {split} clips"

    def derived(self, section: str) -> Derived:
        """The set the stage of `section` (align, adapt, prompt) derives."""
        return next(d for d in self.values.derived() if d.method == section)

    def frozen_modality(self, section: str) -> str:
        return self.values.features.sets[self.derived(section).frozen].modality

    def missing(self, modality: str) -> str:
        """Why a stage that needs `modality` writes an all-absent set ("" when the corpus has it)."""
        has = modality in self.profile.modalities
        return "" if has else f"no clip has {modality}: an all-absent set (seconds)"


TUNING = {"adapt": "LoRA on {}'s encoder", "prompt": "prompt tuning on {}'s frames"}


def dvc_stages(dvc_yaml: Path, params: dict[str, Any]) -> list[Stage]:
    """dvc.yaml's stages in order, each foreach stage once per key (`${a.b}` looked up in `params`)."""
    stages = (yaml.safe_load(dvc_yaml.read_text(encoding="utf-8")) or {}).get("stages") or {}
    return [
        Stage(name, key, item) if "foreach" in stage else Stage(name)
        for name, stage in stages.items()
        for key, item in (_foreach(stage["foreach"], params) if "foreach" in stage else [("", None)])
    ]


def _foreach(spec: Any, params: dict[str, Any]) -> list[tuple[str, Any]]:
    if isinstance(spec, str) and spec.startswith("${") and spec.endswith("}"):
        spec = _lookup(params, spec[2:-1])
    if isinstance(spec, dict):
        return [(str(key), item) for key, item in spec.items()]
    return [(str(item), item) for item in spec or []]


def _lookup(params: dict[str, Any], dotted: str) -> Any:
    value: Any = params
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def plan_lines(dvc_yaml: Path, params: dict[str, Any], corpus: Corpus) -> list[str]:
    """The plan, or why there is none."""
    if not dvc_yaml.is_file():
        return [f"no {dvc_yaml.name} beside params.yaml ({dvc_yaml.parent}): no plan to show"]
    lines = ["`dvc repro` will run:"]
    for stage in dvc_stages(dvc_yaml, params):
        label = f"{stage.name}@{stage.key}" if stage.key else stage.name
        describe = DESCRIBE.get(stage.name, _own)
        lines.append(f"  {label}: {describe(corpus, stage)}")
    return lines


def _demo(corpus: Corpus, _: Stage) -> str:
    if Path(corpus.values.dataset.manifest) == Path(DEMO_MANIFEST):
        return "generates the offline demo corpus"
    return "skipped (a note only: dataset.manifest is your corpus)"


def _corrupt(corpus: Corpus, _: Stage) -> str:
    cfg, profile = corpus.values.corrupt, corpus.profile
    source, augment = cfg.source_split, cfg.augment_split
    if not (source or augment):
        return "no NOISE split, no noisy training copies (corrupt.source_split and augment_split are empty)"
    noise = cfg.noise_dir or "built-in babble"
    return (
        (f"{source} -> test_noise ({profile.count(source)} clips)" if source else "no NOISE split")
        + (f", {augment} -> {augment}_noise ({profile.count(augment)})" if augment else "")
        + f"; noise: {noise}"
    )


def _faces(corpus: Corpus, _: Stage) -> str:
    uncropped = corpus.profile.uncropped
    if corpus.missing("video"):
        return "nothing to crop: no clip has video"
    if corpus.values.faces.enabled:
        return f"face stacks for the {uncropped} clip(s) with a video and none of their own"
    hint = (
        f"; {uncropped} clip(s) have a video and no face stack: faces.enabled: true crops them "
        "(and their noisy copies)"
        if uncropped
        else ""
    )
    return f"off, the video sets read whole frames{hint}"


def _extract(corpus: Corpus, stage: Stage) -> str:
    feature_set = corpus.values.features.sets[stage.key]
    missing = corpus.missing(feature_set.modality)
    if missing:
        return f"({feature_set.modality}) {missing}"
    cfg, profile = corpus.values.corrupt, corpus.profile
    total = sum(profile.splits.values()) + profile.count(cfg.source_split) + profile.count(cfg.augment_split)
    stand_in = " (random-init stand-in)" if feature_set.model.startswith("random:") else ""
    return (
        f"({feature_set.modality}) {feature_set.model}{stand_in}, up to {total} clips: "
        f"{estimate(feature_set.model, total)} on a 2-core CPU"
    )


def _align(corpus: Corpus, _: Stage) -> str:
    cfg = corpus.values.align
    missing = corpus.missing("video") or corpus.missing("audio")
    if missing or not corpus.profile.count(cfg.split):
        return _derived(corpus, "align", missing or f"no {cfg.split} clips to train on: an all-absent set")
    return _derived(corpus, "align", f"{cfg.video} -> {cfg.audio} on {corpus.clips(cfg.split)} -> {cfg.name}")


def _tuned(corpus: Corpus, stage: Stage) -> str:
    """adapt / prompt: trained on the labeled clips of their split."""
    derived, cfg = corpus.derived(stage.name), getattr(corpus.values, stage.name)
    labeled = corpus.profile.labeled.get(cfg.split, 0)
    work = (
        f"{TUNING[stage.name].format(derived.frozen)} with the {labeled} labeled {cfg.split} clips "
        f"(and their noisy copies) -> {derived.name}"
    )
    return _derived(corpus, stage.name, corpus.missing(corpus.frozen_modality(stage.name)) or work)


def _derived(corpus: Corpus, section: str, work: str) -> str:
    """A derived set's line: switched off, or its work and whether anything but the ablation reads it."""
    values = corpus.values
    if not getattr(values, section).enabled:
        return f"off ({disabled(section)}: nothing fuses its set; true adds it to the ablation's comparison)"
    if corpus.derived(section).name in values.train.sets or corpus.missing(corpus.frozen_modality(section)):
        return work
    return f"{work}; only the ablation reads it ({section}.enabled: false skips it)"


def _train(corpus: Corpus, _: Stage) -> str:
    cfg, profile = corpus.values.train, corpus.profile
    return f"{cfg.model} on {profile.labeled.get('train', 0)} labeled clips, " + (
        f"{profile.train_groups} groups (folds keep each group whole)"
        if profile.train_groups
        else "no `group` column (folds may split a speaker or dialogue: mer corpus import-csv --group)"
    )


def _score(corpus: Corpus, stage: Stage) -> str:
    split = stage.item["split"] if isinstance(stage.item, dict) else stage.key
    source = corpus.values.corrupt.source_split
    if split == "test_noise" and not source:
        return "no NOISE split (corrupt.source_split is empty): reported, not scored"
    labeled = corpus.profile.labeled.get(source if split == "test_noise" else split, 0)
    return f"{labeled} labeled {split} clips" if labeled else f"no labels in {split}: predictions only"


def _score_ov(corpus: Corpus, _: Stage) -> str:
    split = corpus.values.ov.split
    scored = corpus.profile.openset.get(split)
    if scored:
        return f"{scored} {split} clips with OV sets"
    return f"no OV sets in {split}: word sets written, not scored"


def _ablation(corpus: Corpus, _: Stage) -> str:
    values = corpus.values
    compared = [d.name for d in values.derived() if getattr(values, d.method).enabled]
    if not values.ablation.adapted:
        compared = []
    adapted = f"{', '.join(compared)}, each against its frozen set" if compared else "no adapted set"
    return f"all sets, {SUBSETS[values.ablation.subsets]}; {adapted}"


def _probe_layers(corpus: Corpus, _: Stage) -> str:
    return "a linear probe of every stored layer of the multi-layer sets of train.sets"


def _pseudo_label(corpus: Corpus, _: Stage) -> str:
    pool = corpus.values.selftrain.pool_split
    if corpus.profile.count(pool):
        return corpus.clips(pool)
    return f"no {pool} clips (nothing to pseudo-label; not an error)"


def _own(corpus: Corpus, _: Stage) -> str:
    return "a stage of your own dvc.yaml (mer init does not know what it does)"


def _retrain(corpus: Corpus, _: Stage) -> str:
    return "the chosen model on the train clips and the confident pseudo-labels"


DESCRIBE: dict[str, Callable[[Corpus, Stage], str]] = {
    "demo": _demo,
    "corrupt": _corrupt,
    "faces": _faces,
    "extract": _extract,
    "align": _align,
    "adapt": _tuned,
    "prompt": _tuned,
    "train": _train,
    "score": _score,
    "score_ov": _score_ov,
    "ablation": _ablation,
    "probe_layers": _probe_layers,
    "pseudo_label": _pseudo_label,
    "retrain": _retrain,
}
