"""Which hidden layers to keep: `all`, or a list of indices (negative counts from the last)."""

from __future__ import annotations

from pipeline.config.base import ParamError


def select_layers(spec: str | list[int], count: int, key: str = "layers") -> list[int]:
    """Absolute, sorted, de-duplicated layer indices into a model's `count` hidden states."""
    if spec == "all":
        return list(range(count))
    if not isinstance(spec, list) or not spec or not all(isinstance(i, int) for i in spec):
        raise ParamError(f"params.yaml: {key} must be 'all' or a list of layer indices, got {spec!r}")
    bad = [i for i in spec if not -count <= i < count]
    if bad:
        raise ParamError(f"params.yaml: {key} has indices {bad} outside the model's {count} hidden states")
    return sorted({i % count for i in spec})
