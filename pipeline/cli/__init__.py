"""The `mer` command line: one sub-app per area, mirroring the package layout."""

from __future__ import annotations

import typer

from pipeline import __version__
from pipeline.cli import check, corpus, demo, features, init, ov, report
from pipeline.stage import setup_logging

app = typer.Typer(
    help="mer-pipeline: staged, offline multimodal emotion recognition (MER2024-style). "
    "Run the whole pipeline with `dvc repro`; these commands are its building blocks.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(corpus.app, name="corpus")
app.add_typer(demo.app, name="demo")
app.add_typer(features.app, name="features")
app.command("extract")(features.extract)
app.command("corrupt")(corpus.corrupt)
app.command("report")(report.report)
app.command("ov-metric")(ov.ov_metric)
app.command("check")(check.check)
app.command("init")(init.init)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mer-pipeline {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    setup_logging()
