"""Setting keys in params.yaml in place, keeping its comments and layout (a round trip through ruamel)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedSeq

from pipeline.config.base import ParamError


def set_keys(path: Path, values: dict[str, Any]) -> None:
    """Write each dotted key's value; every parent section must already exist."""
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 110
    data = yaml.load(path.read_text(encoding="utf-8"))
    for key, value in values.items():
        *parents, leaf = key.split(".")
        node = data
        for part in parents:
            if not isinstance(node.get(part), dict):
                raise ParamError(
                    f"{path}: section {part!r} of {key} is missing; restore it from the repository"
                )
            node = node[part]
        node[leaf] = _flow(value)
    with path.open("w", encoding="utf-8") as handle:
        yaml.dump(data, handle)


def _flow(value: Any) -> Any:
    """Lists as `[a, b]` on one line, as params.yaml writes them."""
    if isinstance(value, list):
        seq = CommentedSeq(value)
        seq.fa.set_flow_style()
        return seq
    return value
