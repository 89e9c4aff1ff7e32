"""Import any `name, split[, label, text, video, audio, openset, group]` table as a manifest."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.corpus.manifest import REQUIRED_COLUMNS, read_table, with_all_columns
from pipeline.errors import BadInput


def import_csv(path: Path, group: str = "") -> pd.DataFrame:
    """Rows in manifest form; media paths stay relative to the table's folder. `group` names the column
    that becomes the manifest's `group` (speaker, dialogue: clips folds keep together)."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file (the table to import)")
    table = read_table(path)
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise BadInput(
            f"{path}: missing column(s) {missing}; expected name, split[, label, text, video, audio, openset]"
        )
    if group and group != "group":
        if group not in table.columns:
            raise BadInput(f"{path}: no column {group!r} to take groups from; it has {list(table.columns)}")
        table = table.drop(columns="group", errors="ignore").rename(columns={group: "group"})
    return with_all_columns(table)
