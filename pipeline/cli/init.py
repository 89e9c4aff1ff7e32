"""`mer init MANIFEST`: point the project at a corpus and say what `dvc repro` will do with it."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import typer

from pipeline.cli.common import label_list, user_errors
from pipeline.cli.plan import Corpus, plan_lines
from pipeline.config.base import ParamError, load_params, validated
from pipeline.config.params import Params, check_params
from pipeline.corpus.manifest import DERIVED_MANIFEST, ensure_source, read_manifest, warn_missing_media
from pipeline.corpus.profile import corpus_profile, params_for
from pipeline.params_file import set_keys


def _project_path(manifest: Path, root: Path) -> str:
    """The manifest as params.yaml should name it: relative to the project when inside it."""
    absolute = manifest.absolute()
    inside = os.path.commonpath([absolute, root.absolute()]) == str(root.absolute())
    return Path(os.path.relpath(absolute, root.absolute())).as_posix() if inside else str(absolute)


def feature_sets(values: Params) -> dict[str, str]:
    """Each set of features.sets with its modality."""
    return {name: s.modality for name, s in values.features.sets.items()}


def _switches(before: Params, fused: list[str]) -> dict[str, bool]:
    """align / adapt / prompt on only where train.sets fuses their set: otherwise only the ablation's
    comparison reads it, and on real encoders that costs the most (`X.enabled: true` turns it back on)."""
    return {f"{d.method}.enabled": d.name in fused for d in before.derived()}


def _yaml_value(value: object) -> str:
    return '""' if value == "" else str(value)


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
        known = feature_sets(before)
        known |= {d.name: known.get(d.frozen, "") for d in before.derived()}  # its source set's
        fused = {name: known.get(name, "") for name in before.train.sets}
        settings = params_for(profile, _project_path(manifest, root), before.train.folds, fused)
        settings |= _switches(before, settings["train.sets"])
        set_keys(params, settings)
        values = check_params(params)
    counts = ", ".join(f"{split} {n}" for split, n in profile.splits.items())
    typer.echo(f"{manifest}: {len(loaded.rows)} clips ({counts})")
    typer.echo(f"wrote {params}: " + "; ".join(f"{k} = {_yaml_value(v)}" for k, v in settings.items()))
    plan = plan_lines(root / "dvc.yaml", values.model_dump(), Corpus(profile, values))
    typer.echo("\n".join(plan))
