"""Reading params.yaml: typed leaf keys with errors that name the key and what is allowed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MISSING = object()


class ParamError(ValueError):
    """A bad or missing parameter; raised before any work starts."""


def load_params(path: str | Path = "params.yaml") -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise ParamError(f"{path} not found: run from the project root, where params.yaml lives")
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    if not isinstance(data, dict):
        raise ParamError(f"{path}: expected a mapping of keys at the top level")
    return data


def pick(params: dict[str, Any], key: str, kind: type | tuple[type, ...], default: Any = MISSING) -> Any:
    """The value at a dotted key, checked against `kind` (bool is never accepted as a number)."""
    node: Any = params
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            if default is not MISSING:
                return default
            raise ParamError(f"params.yaml: missing key {key!r}")
        node = node[part]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if float in kinds and isinstance(node, int) and not isinstance(node, bool):
        node = float(node)
    if not isinstance(node, kinds) or (isinstance(node, bool) and bool not in kinds):
        allowed = " or ".join(k.__name__ for k in kinds)
        raise ParamError(f"params.yaml: {key} must be {allowed}, got {node!r}")
    return node


def pick_range(
    params: dict[str, Any], key: str, kind: type, low: float, high: float, default: Any = MISSING
) -> Any:
    value = pick(params, key, kind, default)
    if not low <= value <= high:
        raise ParamError(f"params.yaml: {key} must be between {low} and {high}, got {value!r}")
    return value


def pick_choice(params: dict[str, Any], key: str, choices: tuple[str, ...], default: Any = MISSING) -> str:
    value = pick(params, key, str, default)
    if value not in choices:
        raise ParamError(f"params.yaml: {key} must be one of {list(choices)}, got {value!r}")
    return value
