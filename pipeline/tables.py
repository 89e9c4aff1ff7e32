"""The CSV tables stages hand each other (predictions, pseudo-labels): written with a fixed float
precision and newline so a re-run gives the same bytes (DVC sees no change), read with `label` as text
("" for an unlabeled clip, never NaN)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def write_table(table: pd.DataFrame, path: Path) -> None:
    table.to_csv(path, index=False, float_format="%.6f", lineterminator="\n")


def read_table(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"label": str}, keep_default_na=False)
