"""Frozen vs adapted (ablation.json's `adapted`): each set an adaptation stage writes (`align`, `adapt`,
`prompt`) against the frozen set it came from, alone and in its place among the fused sets (train.sets),
under the training protocol. Scores of `adapt` and `prompt` sets are optimistic: they were tuned on every
labeled training clip."""

from __future__ import annotations

from pathlib import Path

from pipeline.config.derived_set import Derived
from pipeline.config.params import Params
from pipeline.config.train import TrainSection, ViewSpec
from pipeline.training.run import LabeledSet, Scored, paired, score_subset
from pipeline.training.views import View, load_views

ROLES = ("alone_frozen", "alone_adapted", "fused_frozen", "fused_adapted")  # compared() keys, in order


def compared(fused: list[str], pair: Derived, pairs: list[Derived]) -> dict[str, list[str]]:
    """Each alone, and the fused sets with the frozen one, then the adapted one, in the slot of the sets
    made from that frozen set (the frozen set, or any set adapted from it)."""
    slot = {pair.frozen} | {p.name for p in pairs if p.frozen == pair.frozen}
    return {
        "alone_frozen": [pair.frozen],
        "alone_adapted": [pair.name],
        "fused_frozen": _in_slot(fused, pair.frozen, slot),
        "fused_adapted": _in_slot(fused, pair.name, slot),
    }


def _in_slot(sets: list[str], kept: str, slot: set[str]) -> list[str]:
    """`sets` with `kept` in place of the first set of `slot` (the slot's others left out), or added."""
    at = next((i for i, s in enumerate(sets) if s in slot), None)
    if at is None:
        return [*sets, kept]
    return [kept if i == at else s for i, s in enumerate(sets) if i == at or s not in slot]


def view_spec(train: TrainSection, name: str, pairs: list[Derived]) -> ViewSpec:
    """As training sees the set; an adapted audio set that training does not fuse and that has no view
    of its own is seen as its frozen set is (the same layers)."""
    if name in train.sets or name in train.views:
        return train.view(name)
    frozen = next((p.frozen for p in pairs if p.name == name and p.method == "adapt"), name)
    return train.view(frozen)


def compare_adapted(
    data: LabeledSet,
    params: Params,
    train: TrainSection,
    features: Path,
    splits: dict[str, str],
    done: dict[str, Scored] | None = None,
) -> dict[str, dict]:
    """Per adapted set, the WAF of each comparison on each scored split and the paired difference, adapted
    minus frozen, alone and fused (with its bootstrap interval); `done` holds subsets already scored (keyed
    by their sets joined with +), which are not trained again."""
    scores, loaded, results, pairs = dict(done or {}), {}, {}, params.derived()
    for pair in pairs:
        entry: dict = {"method": pair.method, "frozen": pair.frozen}
        skipped = _unscorable(pair, features, train, pairs, data, loaded)
        if skipped:
            results[pair.name] = {**entry, "skipped": skipped}
            continue
        for role, sets in compared(train.sets, pair, pairs).items():
            key = "+".join(sets)
            if key not in scores:
                views = [_view(loaded, features, s, view_spec(train, s, pairs), data) for s in sets]
                scores[key] = score_subset(data, views, params.labels, train, splits)
            entry[role] = {"sets": key, "waf": scores[key].waf}
        entry["adapted_minus_frozen"] = {
            kind: paired(*(scores[entry[f"{kind}_{side}"]["sets"]] for side in ("adapted", "frozen")), splits)
            for kind in ("alone", "fused")
        }
        results[pair.name] = entry
    return results


def _unscorable(
    pair: Derived, features: Path, train: TrainSection, pairs: list[Derived], data: LabeledSet, loaded: dict
) -> str:
    """Why `pair` cannot be compared ("" when it can): a store is missing, or no labeled training clip has
    one of the two sets."""
    for name in (pair.name, pair.frozen):
        if not (features / name).is_dir():
            return f"no store {features / name}"
    for name in (pair.frozen, pair.name):
        if not _present(_view(loaded, features, name, view_spec(train, name, pairs), data), data):
            return f"{name} is absent on every labeled training clip"
    return ""


def _view(loaded: dict[str, View], features: Path, name: str, spec: ViewSpec, data: LabeledSet) -> View:
    if name not in loaded:
        loaded[name] = load_views({name: features / name}, {name: spec}, data.names)[0]
    return loaded[name]


def _present(view: View, data: LabeledSet) -> bool:
    """Whether any labeled training clip has the set (a corpus without its modality has none, nor has a
    switched-off stage's set: nothing to compare, and training on it only costs time)."""
    return bool(view.ok[data.train_rows].any())
