"""The manifest contract (DESIGN.md): one CSV per corpus, validated before any work starts."""

from __future__ import annotations

import ast
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.atomic import temporary_name

log = logging.getLogger(__name__)

COLUMNS = ("name", "split", "video", "audio", "text", "label", "openset")
REQUIRED_COLUMNS = ("name", "split")  # every other column may be absent: it reads as empty
# source: the clip a corrupted copy was made from; group: speaker, dialogue or session (folds never split one)
OPTIONAL_COLUMNS = ("face", "source", "group")
KNOWN_SPLITS = ("train", "test", "test_noise", "unlabeled")
# The manifest `corrupt` derives from the source corpus (dvc.yaml's `derived`): every later stage reads it.
DERIVED_MANIFEST = Path("data/corpus/manifest.csv")
MEDIA_COLUMNS = ("video", "audio", "face")
NAME_RE = re.compile(r"^[A-Za-z0-9_.-]+$")
SPLIT_RE = re.compile(r"^[A-Za-z0-9_-]+$")


class ManifestError(ValueError):
    """Every manifest-level problem at once, so a user fixes the file in one pass."""

    def __init__(self, path: Path, problems: list[str]):
        self.path = path
        self.problems = problems
        listing = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{path}: {len(problems)} problem(s) in the manifest:\n{listing}")


@dataclass(frozen=True)
class Manifest:
    """A validated manifest: rows plus the folder its relative paths start from."""

    path: Path
    rows: pd.DataFrame
    bad_text: frozenset[str] = frozenset()  # names whose transcript was not valid UTF-8

    @property
    def root(self) -> Path:
        return self.path.parent

    def media_path(self, row: Mapping[str, str], column: str) -> Path | None:
        """Absolute path of a row's media file, or None where the column is empty."""
        value = row.get(column, "")
        return self.root / value if value else None

    def split(self, name: str) -> pd.DataFrame:
        return self.rows[self.rows["split"] == name]


def parse_openset(value: str) -> list[str]:
    """Parse a Python-style list string ("['happy', 'relieved']") without evaluating code."""
    if not value.strip():
        return []
    parsed = ast.literal_eval(value)
    if not isinstance(parsed, list | tuple) or not all(isinstance(w, str) for w in parsed):
        raise ValueError("openset must be a list of strings")
    return [w.strip().lower() for w in parsed if w.strip()]


def format_openset(words: list[str]) -> str:
    return str([str(w) for w in words])


def _path_problem(value: str, contained: bool) -> str | None:
    """Source manifests keep their media inside their folder; a derived manifest (written under data/
    by the `corrupt` stage) points back into the source corpus, wherever it lies."""
    if not value:
        return None
    if os.path.isabs(value) or value.startswith(("\\", "~")):
        return f"path {value!r} is absolute; use a path relative to the manifest's folder"
    normal = os.path.normpath(value)
    if contained and (normal == ".." or normal.startswith(".." + os.sep)):
        return f"path {value!r} leaves the manifest's folder"
    return None


def _escape_problems(rows: pd.DataFrame, root: Path) -> list[str]:
    """Media files that resolve (symlinks followed) outside the manifest's folder: a link in the corpus
    must not lead the pipeline to read, or a stage to copy, files from elsewhere."""
    base = root.resolve()
    problems = []
    for index, row in enumerate(rows[["name", *MEDIA_COLUMNS]].to_dict("records")):
        for column in MEDIA_COLUMNS:
            value = row[column]
            if not value or _path_problem(value, True):
                continue
            target = (root / value).resolve()
            if target != base and base not in target.parents:
                problems.append(
                    f"row {index + 2} ({row['name']}): {column} {value!r} is a link that leads out of the "
                    f"manifest's folder (to {target}); copy the file into the corpus instead"
                )
    return problems


def _split_problem(split: str) -> str | None:
    if not SPLIT_RE.match(split):
        return f"split {split!r} must be one word"
    if split not in KNOWN_SPLITS and split.lower() in KNOWN_SPLITS:
        return f"split {split!r} must be written {split.lower()!r} (splits are case-sensitive)"
    return None


def _row_problems(
    row: Mapping[str, str], lineno: int, labels: list[str] | None, contained: bool = True
) -> list[str]:
    problems = []
    name = row["name"]
    if not NAME_RE.match(name) or name in {".", ".."}:
        problems.append(f"row {lineno}: name {name!r} must match [A-Za-z0-9_.-]+ (no path separators)")
    split_problem = _split_problem(row["split"])
    if split_problem:
        problems.append(f"row {lineno} ({name}): {split_problem}")
    if labels is not None and row["label"] and row["label"] not in labels:
        problems.append(f"row {lineno} ({name}): label {row['label']!r} is not one of {labels}")
    for column in MEDIA_COLUMNS:
        problem = _path_problem(row.get(column, ""), contained)
        if problem:
            problems.append(f"row {lineno} ({name}): {column} {problem}")
    try:
        parse_openset(row["openset"])
    except (ValueError, SyntaxError) as exc:
        problems.append(f"row {lineno} ({name}): openset {row['openset']!r} is not a list of words ({exc})")
    return problems


def validate(rows: pd.DataFrame, labels: list[str] | None, contained: bool = True) -> list[str]:
    """Return every problem in the rows; line numbers count the header as line 1."""
    missing = [c for c in REQUIRED_COLUMNS if c not in rows.columns]
    if missing:
        return [
            f"missing column(s) {missing}; a manifest has columns {list(COLUMNS)} "
            f"(only {list(REQUIRED_COLUMNS)} are required)"
        ]
    rows = with_all_columns(rows)
    problems = []
    seen: dict[str, int] = {}
    for index, row in enumerate(rows.to_dict("records")):  # dicts: iterrows is ~10x slower at 120k rows
        lineno = index + 2
        problems += _row_problems(row, lineno, labels, contained)
        if row["name"] in seen:
            problems.append(f"row {lineno}: name {row['name']!r} duplicates row {seen[row['name']]}")
        else:
            seen[row["name"]] = lineno
    return problems + _source_problems(rows, seen)


def _source_problems(rows: pd.DataFrame, names: Mapping[str, int]) -> list[str]:
    """A copy's `source` must name another row of the manifest (its clean clip)."""
    if "source" not in rows.columns:
        return []
    return [
        f"row {index + 2} ({name}): source {source!r} is not a name in this manifest"
        for index, (name, source) in enumerate(zip(rows["name"], rows["source"], strict=True))
        if source and (source not in names or source == name)
    ]


def with_all_columns(rows: pd.DataFrame) -> pd.DataFrame:
    """The rows with every contract column, absent ones empty."""
    missing = [c for c in COLUMNS + OPTIONAL_COLUMNS if c not in rows.columns]
    return rows.assign(**dict.fromkeys(missing, "")) if missing else rows


def ensure_source(source: Path, derived: Path) -> None:
    """The source corpus must not be the derived manifest `corrupt` writes over."""
    if source.resolve() == derived.resolve():
        raise ManifestError(
            source,
            [
                "this is the derived manifest `corrupt` writes, not a source corpus: point "
                "dataset.manifest (or `mer init`) at your corpus's own manifest"
            ],
        )


def ensure_valid(rows: pd.DataFrame, path: Path, labels: list[str] | None, contained: bool = True) -> None:
    """Raise ManifestError naming `path` when the rows break the contract (a contained manifest's media
    also checked on disk: no link may lead out of its folder)."""
    rows = rows.reset_index(drop=True)
    problems = validate(rows, labels, contained)
    if not problems and contained:
        problems = _escape_problems(with_all_columns(rows), path.parent)
    if problems:
        raise ManifestError(path, problems)


def rebase_paths(rows: pd.DataFrame, source_root: Path, target_root: Path) -> pd.DataFrame:
    """Make media paths relative to `target_root` instead of `source_root` (lexically, no symlinks)."""
    rows = rows.copy()
    for column in MEDIA_COLUMNS:
        if column in rows.columns:
            rows[column] = [
                Path(os.path.relpath(os.path.normpath(source_root / v), target_root)).as_posix() if v else ""
                for v in rows[column]
            ]
    return rows


def read_manifest(path: str | Path, labels: list[str] | None = None, contained: bool = True) -> Manifest:
    """Read and validate a manifest; raise ManifestError listing every problem with its row.

    A transcript that is not valid UTF-8 fails its clip only (the clip is listed in `bad_text`);
    invalid UTF-8 in any other column is a manifest problem. `contained=False` reads a derived
    manifest, whose media paths may lead out of its folder into the source corpus.
    """
    path = Path(path)
    if not path.is_file():
        raise ManifestError(
            path, ["file not found (set dataset.manifest, or run `dvc repro` for the derived manifest)"]
        )
    rows = read_table(path)
    missing = [c for c in REQUIRED_COLUMNS if c not in rows.columns]
    if missing:
        raise ManifestError(path, validate(rows, labels))
    rows = with_all_columns(rows)
    cells = np.argwhere(rows.map(_not_utf8).to_numpy(bool))
    problems = [
        f"row {r + 2}: column {rows.columns[c]} is not valid UTF-8"
        for r, c in cells
        if rows.columns[c] != "text"
    ]
    if problems:
        raise ManifestError(path, problems)
    bad_text = frozenset(rows["name"].iloc[r] for r, _ in cells)
    for r, c in cells:
        rows.iat[r, c] = _replaced(rows.iat[r, c])
    ensure_valid(rows, path, labels, contained)
    return Manifest(path=path, rows=rows.reset_index(drop=True), bad_text=bad_text)


def read_table(path: Path) -> pd.DataFrame:
    """A CSV as strings (undecodable bytes kept as surrogates); an empty file is a ManifestError."""
    try:
        return pd.read_csv(
            path, dtype=object, keep_default_na=False, encoding="utf-8", encoding_errors="surrogateescape"
        )
    except pd.errors.EmptyDataError:
        raise ManifestError(
            path,
            ["the file is empty (no header line); a manifest's first line is its header, e.g. name,split"],
        ) from None


def _not_utf8(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _replaced(value: str) -> str:
    """Undecodable bytes as U+FFFD: pandas' Arrow-backed strings refuse surrogate escapes."""
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def missing_media(manifest: Manifest) -> list[tuple[str, str, str]]:
    """(name, column, path) for every referenced media file that does not exist."""
    missing = []
    for column in MEDIA_COLUMNS:
        for name, value in zip(manifest.rows["name"], manifest.rows[column], strict=True):
            if value and not (manifest.root / value).exists():
                missing.append((name, column, value))
    return missing


def warn_missing_media(manifest: Manifest, show: int = 10) -> list[tuple[str, str, str]]:
    """One warning for all missing files; the clips are then handled like any broken clip."""
    missing = missing_media(manifest)
    if missing:
        listed = ", ".join(f"{n} ({c}: {p})" for n, c, p in missing[:show])
        more = f" and {len(missing) - show} more" if len(missing) > show else ""
        log.warning(
            "%s: %d media file(s) are missing: %s%s. They are recorded per clip as failures.",
            manifest.path,
            len(missing),
            listed,
            more,
        )
    return missing


def write_manifest(rows: pd.DataFrame, path: str | Path) -> Path:
    """Write rows in the contract's column order (plus `face` / `source` / `group` when any row has one)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = rows.copy()
    for column in COLUMNS:
        if column not in rows.columns:
            rows[column] = ""
    columns = list(COLUMNS) + [
        c for c in OPTIONAL_COLUMNS if c in rows.columns and rows[c].astype(bool).any()
    ]
    tmp = temporary_name(path)  # a failed write never leaves half a manifest where one was
    try:
        rows[columns].fillna("").to_csv(tmp, index=False, lineterminator="\n")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
