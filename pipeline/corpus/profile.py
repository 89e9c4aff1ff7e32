"""What a corpus's manifest implies for params.yaml: its labels, modalities and splits (`mer init`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from pipeline.config.base import ParamError
from pipeline.config.train import AUTO, HONEST_STOP_SHARE, NEW_CORPUS_SEEDS
from pipeline.corpus.labels import MER2024_LABELS
from pipeline.corpus.manifest import Manifest


@dataclass(frozen=True)
class CorpusProfile:
    labels: list[str]
    modalities: list[str]
    splits: dict[str, int]  # clips per split
    labeled: dict[str, int]  # labeled clips per split
    train_classes: dict[str, int]  # labeled train clips per label
    openset: dict[str, int]  # clips with an OV set per split
    uncropped: int = 0  # clips with a video and no face stack (what the `faces` stage would crop)
    train_groups: int = 0  # distinct `group` values among labeled train clips (0: the manifest has none)

    def count(self, split: str) -> int:
        return self.splits.get(split, 0)

    def rarest_class(self) -> tuple[str, int]:
        """The labeled training class with the fewest clips: what bounds stratified folds."""
        return min(self.train_classes.items(), key=lambda item: item[1], default=("", 0))

    def train_label_problem(self, labels: list[str]) -> str | None:
        """Why training cannot learn `labels` from this corpus's train split (None when it can): a label
        with no train clip is never predicted, and one class is nothing to tell apart."""
        missing = [label for label in labels if not self.train_classes.get(label)]
        if missing:
            return (
                f"label(s) {missing} have no labeled clip in the train split (train has "
                f"{dict(sorted(self.train_classes.items()))}); label train clips of them, or drop them from "
                "the labels (mer init --labels, or params.yaml's labels)"
            )
        if len(self.train_classes) < 2:
            return (
                f"the train split has labeled clips of {len(self.train_classes)} class(es) "
                f"({list(self.train_classes)}); training needs at least two"
            )
        return None


def ordered_labels(found: set[str]) -> list[str]:
    """MER2024's id order (MERTools) when every label is one of its six, else alphabetical."""
    if found <= set(MER2024_LABELS):
        return [label for label in MER2024_LABELS if label in found]
    return sorted(found)


def corpus_profile(manifest: Manifest) -> CorpusProfile:
    rows = manifest.rows
    has = {column: rows[column] != "" for column in ("video", "audio", "face", "text", "label", "openset")}
    modalities = [
        modality
        for modality, present in (
            ("audio", has["audio"] | has["video"]),  # audio may come from inside the video file
            ("video", has["video"] | has["face"]),
            ("text", has["text"]),
        )
        if present.any()
    ]
    return CorpusProfile(
        labels=ordered_labels(set(rows.loc[has["label"], "label"])),
        modalities=modalities,
        splits=rows["split"].value_counts().sort_index().to_dict(),
        labeled=rows.loc[has["label"], "split"].value_counts().sort_index().to_dict(),
        train_classes=rows.loc[has["label"] & (rows["split"] == "train"), "label"].value_counts().to_dict(),
        openset=rows.loc[has["openset"], "split"].value_counts().sort_index().to_dict(),
        uncropped=int((has["video"] & ~has["face"]).sum()),
        train_groups=group_count(rows.loc[has["label"] & (rows["split"] == "train"), "group"]),
    )


def group_count(groups: pd.Series) -> int:
    """How many groups folds can deal out (a clip without a group is one of its own); 0 when none has one."""
    named = groups[groups != ""]
    return named.nunique() + len(groups) - len(named) if len(named) else 0


def params_for(profile: CorpusProfile, manifest: str, folds: int, sets: dict[str, str]) -> dict[str, Any]:
    """Dotted params.yaml keys to set so `dvc repro` runs this corpus as it is: train.model auto (the model
    chosen by cross-validation on this corpus, not the demo's), early-stopped on held-out training groups,
    and its seeds' ensemble; train.sets keeps the sets of `sets` (name -> modality, in train.sets order;
    "" for a store imported without a features.sets entry, kept) whose modality the corpus has;
    train.folds only when the rarest training class has fewer clips than `folds` (stratified folds need
    one of each per fold) or the training clips form fewer groups."""
    fused = [name for name, modality in sets.items() if not modality or modality in profile.modalities]
    if not fused:
        raise ParamError(
            f"train.sets ({', '.join(f'{n}: {m}' for n, m in sets.items())}) has no set of a modality "
            f"this corpus has ({', '.join(profile.modalities) or 'none'}): add one to features.sets and "
            "train.sets"
        )
    corruptible = bool({"audio", "video"} & set(profile.modalities))  # text is never corrupted
    noise_source = "test" if corruptible and profile.count("test") else ""
    augment = "train" if corruptible and profile.count("train") and noise_source != "train" else ""
    settings = {
        "dataset.manifest": manifest,
        "labels": profile.labels,
        "train.sets": fused,
        "corrupt.source_split": noise_source,
        "corrupt.augment_split": augment,
        "train.noise_augment": bool(augment),
        "train.model": AUTO,
        "train.seeds": NEW_CORPUS_SEEDS,
        "train.stop_share": HONEST_STOP_SHARE,
        "selftrain.truth": "",
    }
    most = min(profile.rarest_class()[1], profile.train_groups or folds)
    if most < folds:
        settings["train.folds"] = most
    return settings
