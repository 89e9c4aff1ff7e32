"""`mer init MANIFEST`: point the project at a corpus and say what `dvc repro` will do with it."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import typer

from pipeline.cli.common import label_list, user_errors
from pipeline.cli.extraction_time import estimate
from pipeline.config.base import ParamError, load_params, validated
from pipeline.config.params import Params, check_params
from pipeline.corpus.manifest import DERIVED_MANIFEST, ensure_source, read_manifest, warn_missing_media
from pipeline.corpus.profile import CorpusProfile, corpus_profile, params_for
from pipeline.params_file import set_keys


def _project_path(manifest: Path, root: Path) -> str:
    """The manifest as params.yaml should name it: relative to the project when inside it."""
    absolute = manifest.absolute()
    inside = os.path.commonpath([absolute, root.absolute()]) == str(root.absolute())
    return Path(os.path.relpath(absolute, root.absolute())).as_posix() if inside else str(absolute)


def feature_sets(values: Params) -> dict[str, str]:
    """Each set of features.sets with its modality."""
    return {name: s.modality for name, s in values.features.sets.items()}


def _plan(profile: CorpusProfile, values: Params, settings: dict) -> list[str]:
    source, augment = settings["corrupt.source_split"], settings["corrupt.augment_split"]
    copies = profile.count(source) + profile.count(augment)
    total = sum(profile.splits.values()) + copies
    noise = values.corrupt.noise_dir or "built-in babble"
    lines = [
        "`dvc repro` will run:",
        "  corrupt: "
        + (f"{source} -> test_noise ({profile.count(source)} clips)" if source else "no NOISE split")
        + (f", {augment} -> {augment}_noise ({profile.count(augment)})" if augment else "")
        + f"; noise: {noise}",
        _faces_line(profile, values.faces.enabled),
    ]
    for name, modality in feature_sets(values).items():
        model = values.features.sets[name].model
        if modality in profile.modalities:
            stand_in = " (random-init stand-in)" if model.startswith("random:") else ""
            time = estimate(model, total)
            lines.append(
                f"  extract@{name} ({modality}): {model}{stand_in}, up to {total} clips: {time} "
                "on a 2-core CPU"
            )
        else:
            lines.append(
                f"  extract@{name} ({modality}): no clip has it; the store marks every clip absent (seconds)"
            )
    ov_split, pool, split = values.ov.split, values.selftrain.pool_split, values.align.split
    lines += [
        f"  align: {values.align.video} -> {values.align.audio} on the "
        + (
            f"{profile.count(split)} {split} clips"
            if profile.count(split)
            else f"no {split} clips: an all-absent set"
        ),
        f"  train: {values.train.model} on {profile.labeled.get('train', 0)} labeled clips, "
        + (
            f"{profile.train_groups} groups (folds keep each group whole)"
            if profile.train_groups
            else "no `group` column (folds may split a speaker or dialogue: mer corpus import-csv --group)"
        ),
        _scored_line("score@semi", "test", profile.labeled.get("test", 0)),
        _scored_line("score@noise", "test_noise", profile.labeled.get(source, 0))
        if source
        else "  score@noise: no NOISE split (corrupt.source_split is empty): reported, not scored",
        "  score_ov: "
        + (
            f"{profile.openset[ov_split]} {ov_split} clips with OV sets"
            if profile.openset.get(ov_split)
            else f"no OV sets in {ov_split}: word sets written, not scored"
        ),
        f"  pseudo_label, retrain: {profile.count(pool)} {pool} clips"
        + ("" if profile.count(pool) else " (nothing to pseudo-label; reported, not an error)"),
        f"  adapt: LoRA on {values.adapt.audio}'s encoder with the "
        f"{profile.labeled.get(values.adapt.split, 0)} labeled {values.adapt.split} clips "
        f"-> {values.adapt.name}",
        "  ablation: each feature set, modality and combination under the training protocol",
    ]
    return lines


def _faces_line(profile: CorpusProfile, enabled: bool) -> str:
    if enabled:
        return f"  faces: face stacks for the {profile.uncropped} clip(s) with a video and none of their own"
    hint = (
        f"; {profile.uncropped} clip(s) have a video and no face stack: faces.enabled: true crops them "
        "(and their noisy copies)"
        if profile.uncropped
        else ""
    )
    return f"  faces: off, the video sets read whole frames{hint}"


def _yaml_value(value: object) -> str:
    return '""' if value == "" else str(value)


def _scored_line(stage: str, split: str, labeled: int) -> str:
    scored = f"{labeled} labeled {split} clips" if labeled else f"no labels in {split}: predictions only"
    return f"  {stage}: {scored}"


def init(
    manifest: Path = typer.Argument(
        ..., help="Your corpus's manifest (from `mer corpus import-*` or by hand)."
    ),
    params: Path = typer.Option(Path("params.yaml"), help="params.yaml of the project to point at it."),
    labels: str = typer.Option(
        None,
        "--labels",
        help="Comma-separated labels in id order (default: the manifest's, in MER2024 order when they are "
        "among its six, else alphabetical).",
    ),
) -> None:
    """Check MANIFEST, write dataset.manifest, labels, train.sets and the NOISE / self-training settings
    it implies into params.yaml (comments kept), and print what `dvc repro` will do and roughly how long
    extraction takes. Your manifest is read, never written."""
    with user_errors():
        root = params.absolute().parent
        ensure_source(manifest, root / DERIVED_MANIFEST)
        chosen = label_list(labels)
        loaded = read_manifest(manifest, chosen)
        warn_missing_media(loaded)
        profile = corpus_profile(loaded)
        if chosen:
            profile = replace(profile, labels=chosen)
        problem = profile.train_label_problem(profile.labels)
        if problem:
            raise ParamError(f"{manifest}: {problem}")
        rarest = profile.rarest_class()
        if rarest[1] < 2:
            raise ParamError(
                f"{manifest}: cross-validated training needs at least 2 labeled train clips of every class; "
                + (f"{rarest[0]!r} has {rarest[1]}" if rarest[0] else "no train clip has a label")
            )
        before = validated(Params, load_params(params))  # each section; what spans them is init's to fix
        known = {
            **feature_sets(before),
            before.align.name: "video",
            before.adapt.name: "audio",
            before.prompt.name: "video",
        }
        fused = {name: known.get(name, "") for name in before.train.sets}
        settings = params_for(profile, _project_path(manifest, root), before.train.folds, fused)
        set_keys(params, settings)
        values = check_params(params)
    counts = ", ".join(f"{split} {n}" for split, n in profile.splits.items())
    typer.echo(f"{manifest}: {len(loaded.rows)} clips ({counts})")
    typer.echo(f"wrote {params}: " + "; ".join(f"{k} = {_yaml_value(v)}" for k, v in settings.items()))
    typer.echo("\n".join(_plan(profile, values, settings)))
