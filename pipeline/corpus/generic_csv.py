"""Import any `name, split, label, text[, video, audio]` table as a manifest."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

REQUIRED = ("name", "split", "label", "text")


def import_csv(path: Path) -> pd.DataFrame:
    """Rows in manifest form; media paths stay relative to the table's folder."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding_errors="surrogateescape")
    missing = [c for c in REQUIRED if c not in table.columns]
    if missing:
        raise ValueError(
            f"{path}: missing column(s) {missing}; expected name, split, label, text[, video, audio]"
        )
    for column in ("video", "audio", "openset"):
        if column not in table.columns:
            table[column] = ""
    return table
