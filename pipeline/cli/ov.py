"""`mer ov-metric`: the MER2024 open-vocabulary score, offline."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from pipeline.config.ov import GROUPERS
from pipeline.tracks.ov_groupers import make_grouper
from pipeline.tracks.ov_metric import score_files


def ov_metric(
    gt_csv: Path = typer.Argument(..., help="Ground truth, challenge format: name,openset (list strings)."),
    pred_csv: Path = typer.Argument(..., help="Predictions in the same format."),
    synonyms: Path = typer.Option(
        None,
        help="MERTools synonym store (openset-synonym zip or folder): the "
        "official GPT groupings; reproduces the official numbers.",
    ),
    grouper: str = typer.Option(
        "lexicon", help=f"Offline grouper when no --synonyms: {', '.join(GROUPERS)}."
    ),
    strict: bool = typer.Option(
        False,
        help="Parse lists as Python literals (the official scorer splits on "
        "quotes, which breaks words with apostrophes).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print accuracy, recall, avg, n as JSON."),
) -> None:
    """Set-level accuracy and recall after synonym grouping, and their mean (clips missing from PRED_CSV
    count as empty predictions; names not in GT_CSV are an error)."""
    try:
        score = score_files(gt_csv, pred_csv, make_grouper(grouper, synonyms, not strict), not strict)
    except (ValueError, KeyError, FileNotFoundError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    used = f"synonyms {synonyms}" if synonyms else f"grouper {grouper}"
    result = {**score.as_dict(), "grouping": used, "parse": "strict" if strict else "official"}
    if as_json:
        typer.echo(json.dumps(result, indent=2))
    else:
        typer.echo(
            f"accuracy {score.accuracy:.6f}  recall {score.recall:.6f}  avg {score.avg:.6f}  n {score.n}  "
            f"({used})"
        )
