"""Running `mer` in the test process (Click's runner): the same commands as the console script, without
paying a Python start and the library's imports per call."""

from __future__ import annotations

from dataclasses import dataclass

from typer.testing import CliRunner

from pipeline.cli import app


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


def mer(*args: str) -> Ran:
    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return Ran(result.exit_code, result.stdout, result.stderr)


def mer_ok(*args: str) -> str:
    """stdout of a command that must succeed."""
    result = mer(*args)
    assert result.returncode == 0, result.stderr
    return result.stdout
