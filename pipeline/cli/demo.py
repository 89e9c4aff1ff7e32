"""`mer demo ...`: the offline demo corpus."""

from __future__ import annotations

from pathlib import Path

import typer

app = typer.Typer(help="The offline demo corpus (synthetic clips with emotion cues).", no_args_is_help=True)


@app.command("make")
def make(
    out: Path = typer.Argument(
        ..., help="Folder to write clips/, manifest.csv, unlabeled_truth.csv, noise/."
    ),
    seed: int = typer.Option(0, help="Seed: same seed, same corpus."),
    train: int = typer.Option(300, min=0, help="Labeled training clips."),
    unlabeled: int = typer.Option(1500, min=0, help="Unlabeled clips."),
    test: int = typer.Option(300, min=0, help="Clean test clips."),
    workers: int = typer.Option(2, min=1, help="Worker processes (the output does not depend on it)."),
) -> None:
    """Generate a demo corpus outside DVC (the `demo` stage does the same from params.yaml)."""
    from pipeline.demo.corpus import DemoConfig, make_demo_corpus  # media writers: load only when used

    cfg = DemoConfig(seed=seed, sizes={"train": train, "unlabeled": unlabeled, "test": test}, workers=workers)
    typer.echo(f"wrote {make_demo_corpus(cfg, out)}")
