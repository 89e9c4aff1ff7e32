"""Helpers the sub-commands share: labels from params.yaml and turning user errors into exit 2."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from pipeline.config.params import check_params
from pipeline.corpus.labels import MER2024_LABELS
from pipeline.stage import USER_ERRORS


def label_list(labels: str | None) -> list[str] | None:
    """A --labels value ("a, b,c") as a list; None when the option was not given."""
    return [w.strip() for w in labels.split(",") if w.strip()] if labels else None


def labels_from(params_path: Path, labels: str | None) -> list[str]:
    """--labels wins; else params.yaml's `labels` when the file exists; else the MER2024 six."""
    if labels:
        return label_list(labels)
    if params_path.is_file():
        return check_params(params_path).labels
    return list(MER2024_LABELS)


@contextmanager
def user_errors() -> Iterator[None]:
    try:
        yield
    except USER_ERRORS as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


LABELS_OPTION = typer.Option(
    None, "--labels", help="Comma-separated label list (default: params.yaml's labels)."
)
PARAMS_OPTION = typer.Option(Path("params.yaml"), "--params", help="params.yaml to read labels from.")
