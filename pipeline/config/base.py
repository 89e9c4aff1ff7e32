"""What every section shares: strict models, ranges, and pydantic's errors turned into messages that name
the dotted key and what is allowed (with the closest valid key for a typo)."""

from __future__ import annotations

import difflib
import hashlib
import json
import typing
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError


class ParamError(ValueError):
    """A bad or missing parameter; raised before any work starts."""


class Section(BaseModel):
    """A params.yaml mapping: unknown keys are errors and no value is coerced (a bool is no number)."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    def digest(self) -> str:
        """These settings' identity, stamped on the stores a stage writes from them."""
        return hashlib.sha256(json.dumps(self.model_dump(), sort_keys=True).encode()).hexdigest()[:16]


def _between(low: float, high: float):
    def check(value: float) -> float:
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}, got {value!r}")
        return value

    return AfterValidator(check)


def between(kind: type, low: float, high: float) -> Any:
    """`kind` limited to low..high (both included)."""
    return Annotated[kind, _between(low, high)]


def load_params(path: str | Path = "params.yaml") -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise ParamError(f"{path} not found: run from the project root, where params.yaml lives")
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    if not isinstance(data, dict):
        raise ParamError(f"{path}: expected a mapping of keys at the top level")
    return data


S = TypeVar("S", bound=BaseModel)


def validated(model: type[S], values: Any, where: str = "", path: str | Path = "params.yaml") -> S:
    """`values` as `model`, or a ParamError listing every problem (keys prefixed by `where`)."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise ParamError(report(messages(exc, model, where), path)) from None


def report(found: list[str], path: str | Path = "params.yaml") -> str:
    lines = "\n".join(f"  - {p}" for p in found)
    return f"{path} has {len(found)} problem(s); nothing was run:\n{lines}"


def messages(exc: ValidationError, model: type[BaseModel], where: str = "") -> list[str]:
    """One line per problem, each once, in the order pydantic found them."""
    prefix = [where] if where else []
    return list(dict.fromkeys(_message(e, model, prefix) for e in exc.errors()))


def _message(error: dict, model: type[BaseModel], prefix: list[str]) -> str:
    loc = [str(p) for p in error["loc"]]
    key = ".".join(prefix + loc)
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        return _unknown(prefix, loc, model)
    if kind == "missing":
        return f"missing key {key}"
    if kind in ("model_type", "dict_type"):
        fields = sorted(_fields_at(model, loc))
        wanted = f"a mapping with keys {fields}" if fields else "a mapping"
        return f"{key} must be {wanted}, got {value!r}"
    if kind == "literal_error":
        return f"{key} must be one of {error['ctx']['expected']}, got {value!r}"
    if kind in _TYPE_NAMES:
        return f"{key} must be {_TYPE_NAMES[kind]}, got {value!r}"
    text = error["msg"].removeprefix("Value error, ")
    if not key or text.startswith(key):
        return text
    return f"{key} {text}" if text.startswith("must ") else f"{key}: {text}"


_TYPE_NAMES = {
    "float_type": "float",
    "int_type": "int",
    "bool_type": "bool",
    "string_type": "str",
    "list_type": "list",
}


def _unknown(prefix: list[str], loc: list[str], model: type[BaseModel]) -> str:
    parent = ".".join(prefix + loc[:-1])
    here = f"{parent}." if parent else ""
    siblings = sorted(_fields_at(model, loc[:-1]))
    close = difflib.get_close_matches(loc[-1], siblings, n=1, cutoff=0.5)
    hint = f"did you mean {here}{close[0]}?" if close else f"valid keys here: {', '.join(siblings)}"
    return f"unknown key {here}{loc[-1]}: {hint}"


def _fields_at(model: type[BaseModel], loc: list[str]) -> set[str]:
    """The valid keys of the mapping at `loc`; inside a map of named entries (features.sets, train.views)
    the entry's name is skipped."""
    node: Any = model
    parts = list(loc)
    while parts:
        found = _model_in(node)
        part = parts.pop(0)
        if found is None or part not in found.model_fields:
            return set()
        node = found.model_fields[part].annotation
        entry = _dict_value(node)
        if entry is not None and parts:
            parts.pop(0)
            node = entry
    found = _model_in(node)
    return set(found.model_fields) if found else set()


def _model_in(annotation: Any) -> type[BaseModel] | None:
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _dict_value(annotation: Any) -> Any:
    """X of dict[str, X] (a map of named entries), else None."""
    return typing.get_args(annotation)[1] if typing.get_origin(annotation) is dict else None
