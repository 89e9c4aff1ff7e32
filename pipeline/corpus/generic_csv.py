"""Import any `name, split[, label, text, video, audio, openset]` table as a manifest."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.corpus.manifest import REQUIRED_COLUMNS, with_all_columns


def import_csv(path: Path) -> pd.DataFrame:
    """Rows in manifest form; media paths stay relative to the table's folder."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding_errors="surrogateescape")
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(
            f"{path}: missing column(s) {missing}; expected name, split[, label, text, video, audio, openset]"
        )
    return with_all_columns(table)
