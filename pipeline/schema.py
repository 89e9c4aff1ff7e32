"""The params.yaml schema: the typed configs every stage builds, checked all together before any work.

The config builders are the single source of truth for keys, types and ranges; the known keys are
exactly those the builders read, so a typo (`featurs`, `layer`) can never be silently ignored.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from pipeline.params import ParamError, checking, load_params, pick


def _builders(params: dict, labels: list[str]) -> list[Callable[[dict], Any]]:
    from pipeline.adaptation.adapters import adapt_config
    from pipeline.adaptation.alignment import align_config
    from pipeline.demo.corpus import demo_config
    from pipeline.features.config import extract_config, set_names
    from pipeline.media.corrupt import corrupt_config
    from pipeline.media.faces import faces_config
    from pipeline.params import labels_param
    from pipeline.tracks.ov_score import ov_config
    from pipeline.training.config import train_config
    from pipeline.training.pseudo_labels import select_config
    from pipeline.training.views import train_sets, view_spec

    with checking():
        sets, chosen = set_names(params), train_sets(params)
    return [
        labels_param,
        partial(pick, key="dataset.manifest", kind=str),
        demo_config,
        corrupt_config,
        faces_config,
        set_names,
        *(partial(extract_config, name=name) for name in sets),
        train_config,
        train_sets,
        *(partial(view_spec, name=name) for name in dict.fromkeys(chosen + sets)),
        ov_config,
        align_config,
        adapt_config,
        partial(select_config, labels=labels),
    ]


def _labels_or_empty(params: dict) -> list[str]:
    labels = params.get("labels")
    return [str(x) for x in labels] if isinstance(labels, list) else []


def _unknown_keys(node: dict, prefix: str, known: set[str]) -> list[str]:
    """Keys present in params.yaml that no stage reads, each with the closest valid key."""
    errors = []
    for key, value in node.items():
        full = f"{prefix}{key}"
        below = {k[len(full) + 1 :] for k in known if k.startswith(full + ".")}
        if full in known and not (below and isinstance(value, dict)):
            continue
        if below and isinstance(value, dict):
            errors += _unknown_keys(value, full + ".", known)
        elif below:
            errors.append(f"{full} must be a mapping with keys {sorted({b.split('.')[0] for b in below})}")
        else:
            errors.append(_unknown_message(full, prefix, known))
    return errors


def _unknown_message(full: str, prefix: str, known: set[str]) -> str:
    siblings = sorted({k[len(prefix) :].split(".")[0] for k in known if k.startswith(prefix)})
    close = difflib.get_close_matches(full[len(prefix) :], siblings, n=1, cutoff=0.5)
    hint = f"did you mean {prefix}{close[0]}?" if close else f"valid keys here: {', '.join(siblings)}"
    return f"unknown key {full}: {hint}"


def problems(params: dict) -> list[str]:
    """Every problem (unknown keys, wrong types, out-of-range values), not just the first; each once."""
    with checking() as check:
        for build in _builders(params, _labels_or_empty(params)):
            build(params)
    return list(dict.fromkeys(_unknown_keys(params, "", check.keys) + check.problems))


def check_params(path: str | Path = "params.yaml") -> dict:
    """The parameters, or a ParamError listing each problem with its key and what is allowed."""
    params = load_params(path)
    found = problems(params)
    if found:
        lines = "\n".join(f"  - {p}" for p in found)
        raise ParamError(f"{path} has {len(found)} problem(s); nothing was run:\n{lines}")
    return params
