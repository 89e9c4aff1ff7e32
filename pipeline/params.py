"""Reading params.yaml: typed leaf keys with errors that name the key and what is allowed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

MISSING = object()
_CHECK: ContextVar[Check | None] = ContextVar("_CHECK", default=None)


class ParamError(ValueError):
    """A bad or missing parameter; raised before any work starts."""


@dataclass
class Check:
    """What a checking pass over the config builders saw: the keys they read and every problem."""

    keys: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


def invalid(message: str, fallback: Any) -> Any:
    """Raise the problem; while checking, note it and go on with `fallback` so later keys are read too."""
    check = _CHECK.get()
    if check is None:
        raise ParamError(f"params.yaml: {message}")
    check.problems.append(message)
    return fallback


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
    kinds = kind if isinstance(kind, tuple) else (kind,)
    fallback = kinds[0]() if default is MISSING else default
    check = _CHECK.get()
    if check is not None:
        check.keys.add(key)
    node: Any = params
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            if default is not MISSING:
                return default
            return invalid(f"missing key {key!r}", fallback)
        node = node[part]
    if float in kinds and isinstance(node, int) and not isinstance(node, bool):
        node = float(node)
    if not isinstance(node, kinds) or (isinstance(node, bool) and bool not in kinds):
        allowed = " or ".join(k.__name__ for k in kinds)
        return invalid(f"{key} must be {allowed}, got {node!r}", fallback)
    return node


def pick_range(
    params: dict[str, Any], key: str, kind: type, low: float, high: float, default: Any = MISSING
) -> Any:
    value = pick(params, key, kind, default)
    if not low <= value <= high:
        return invalid(f"{key} must be between {low} and {high}, got {value!r}", low)
    return value


def pick_choice(params: dict[str, Any], key: str, choices: tuple[str, ...], default: Any = MISSING) -> str:
    value = pick(params, key, str, default)
    if value not in choices:
        return invalid(f"{key} must be one of {list(choices)}, got {value!r}", choices[0])
    return value


@contextmanager
def checking() -> Iterator[Check]:
    """Collect the keys the config builders read and their problems instead of stopping at the first."""
    check = Check()
    token = _CHECK.set(check)
    try:
        yield check
    finally:
        _CHECK.reset(token)


def labels_param(params: dict[str, Any]) -> list[str]:
    labels = pick(params, "labels", list)
    if not labels or not all(isinstance(x, str) and x for x in labels) or len(set(labels)) != len(labels):
        return invalid(f"labels must be a non-empty list of distinct words, got {labels!r}", labels)
    return labels
