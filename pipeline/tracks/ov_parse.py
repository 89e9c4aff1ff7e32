"""Parsing open-vocabulary label lists, strictly or the way the official MER2024 scorer does."""

from __future__ import annotations

import ast
import re

from pipeline.corpus.manifest import parse_openset


def official_list(value: str) -> list[str]:
    """MERTools' parse: strip the brackets, split on quotes and commas, keep the non-empty pieces.

    A word with an apostrophe ("don't believe") becomes two ("don", "t believe"), as in the
    published scores.
    """
    value = value.strip()
    if not value or value == "[]":
        return []
    value = value.removeprefix("[").removesuffix("]")
    return [piece.strip() for piece in re.split(r"['\",]", value) if piece.strip()]


def strict_list(value: str) -> list[str]:
    return parse_openset(value)


def official_groups(value: str) -> list[list[str]]:
    """ "[['a', 'b'], ['c']]" -> [['a', 'b'], ['c']] with the official word splitting inside each group."""
    value = value.strip().removeprefix("[").removesuffix("]")
    return [official_list(part) for part in re.findall(r"\[[^\]]*\]", value)]


def strict_groups(value: str) -> list[list[str]]:
    parsed = ast.literal_eval(value) if value.strip() else []
    return [[str(w).strip() for w in group] for group in parsed]


def normalise(word: str) -> str:
    return " ".join(word.lower().split())
