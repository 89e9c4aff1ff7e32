"""What every stage entry shares: logging, and turning known input errors into a clear exit."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from pipeline.config.base import ParamError
from pipeline.config.params import Params, check_params
from pipeline.corpus.manifest import ManifestError
from pipeline.errors import DamagedShard, StoreWriteError, TooManyFailures

USER_ERRORS = (ManifestError, ParamError, FileNotFoundError, TooManyFailures, StoreWriteError, DamagedShard)


def setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def run_stage(main: Callable[[Params], None]) -> None:
    """Run a stage with all of params.yaml checked and typed; a bad manifest, parameter or missing input
    stops it with the message, exit 2."""
    setup_logging()
    try:
        main(check_params())
    except USER_ERRORS as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
