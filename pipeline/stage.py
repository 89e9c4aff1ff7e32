"""What every stage entry shares: its command line (typer, as `mer`), logging, the checked params, and
turning known input errors into a clear exit."""

from __future__ import annotations

import inspect
import logging
import sys
import typing
from collections.abc import Callable

import typer

from pipeline.config.base import ParamError
from pipeline.config.params import check_params, doubts
from pipeline.corpus.manifest import ManifestError
from pipeline.errors import (
    BadInput,
    DamagedShard,
    ModelLoadError,
    StoreWouldShrink,
    StoreWriteError,
    TooManyFailures,
)

USER_ERRORS = (
    ManifestError,
    ParamError,
    FileNotFoundError,
    TooManyFailures,
    StoreWriteError,
    DamagedShard,
    StoreWouldShrink,
    ModelLoadError,
    BadInput,
)


def setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def run_stage(main: Callable[..., None]) -> None:
    """Run `main(params, *paths)` from the command line: typer reads the paths (`python stages/x.py
    --help` lists them), then all of params.yaml is checked and handed over typed. A bad manifest,
    parameter or missing input stops the stage with the message, exit 2."""
    typer.run(command(main))


def command(main: Callable[..., None]) -> Callable[..., None]:
    """`main` without its first parameter (the params), as typer sees a command."""
    signature, hints = inspect.signature(main), typing.get_type_hints(main, include_extras=True)
    paths = [p.replace(annotation=hints[p.name]) for p in list(signature.parameters.values())[1:]]

    def run(*args: object, **kwargs: object) -> None:
        setup_logging()
        try:
            params = check_params()
            for doubt in doubts(params):
                logging.getLogger("params").warning(doubt)
            main(params, *args, **kwargs)
        except USER_ERRORS as exc:
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(2)

    run.__signature__ = signature.replace(parameters=paths, return_annotation=None)
    run.__doc__ = inspect.getmodule(main).__doc__
    return run
