"""`mer check`: find every parameter and manifest problem before a long run, not three hours into it."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.config.base import ParamError
from pipeline.config.params import check_params, doubts
from pipeline.corpus.manifest import ManifestError, missing_media, read_manifest
from pipeline.corpus.profile import corpus_profile


def _manifest_lines(manifest: Path, labels: list[str]) -> list[str]:
    if not manifest.is_file():
        return [f"manifest: {manifest} not found (the demo stage writes the demo's); not checked"]
    loaded = read_manifest(manifest, labels)
    problem = corpus_profile(loaded).train_label_problem(labels)
    if problem:
        raise ManifestError(manifest, [problem])
    missing = missing_media(loaded)
    lines = [f"manifest: {manifest}: {len(loaded.rows)} clips, labels and paths valid"]
    if missing:
        shown = ", ".join(f"{n} ({c}: {p})" for n, c, p in missing[:5])
        lines.append(
            f"  {len(missing)} media file(s) missing, e.g. {shown}; they will be recorded as failures"
        )
    return lines


def check(
    params: Path = typer.Option(Path("params.yaml"), help="params.yaml to check."),
    manifest: Path | None = typer.Option(
        None, help="Manifest to check against `labels` (default: params.yaml's dataset.manifest)."
    ),
) -> None:
    """Check params.yaml (unknown keys with the closest valid one, types, ranges) and the manifest
    (labels, paths that stay inside the corpus folder, missing media). Every stage runs the same
    parameter check before it starts; exit status 2 means something must be fixed."""
    try:
        values = check_params(params)
        lines = [f"{params}: OK"]
        for doubt in doubts(values):
            typer.echo(f"warning: {doubt}", err=True)
        lines += _manifest_lines(manifest or Path(values.dataset.manifest), values.labels)
    except (ParamError, ManifestError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo("\n".join(lines))
