"""`mer demo ...`: the offline demo corpus."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.config.demo import DemoConfig

DEFAULT = DemoConfig()
app = typer.Typer(help="The offline demo corpus (synthetic clips with emotion cues).", no_args_is_help=True)


@app.command("make")
def make(
    out: Path = typer.Argument(
        ..., help="Folder to write clips/, manifest.csv, unlabeled_truth.csv, noise/."
    ),
    seed: int = typer.Option(DEFAULT.seed, help="Seed: same seed, same corpus."),
    train: int = typer.Option(DEFAULT.train, min=0, help="Labeled training clips."),
    unlabeled: int = typer.Option(DEFAULT.unlabeled, min=0, help="Unlabeled clips."),
    test: int = typer.Option(DEFAULT.test, min=0, help="Clean test clips."),
    workers: int = typer.Option(
        DEFAULT.workers, min=1, help="Worker processes (the output does not depend on it)."
    ),
) -> None:
    """Generate a demo corpus outside DVC (the `demo` stage does the same from params.yaml)."""
    from pipeline.demo.corpus import make_demo_corpus  # media writers: load only when used

    cfg = DemoConfig(seed=seed, train=train, unlabeled=unlabeled, test=test, workers=workers)
    typer.echo(f"wrote {make_demo_corpus(cfg, out)}")
