"""`mer corpus ...` and `mer corrupt`: manifests, importers, and the NOISE split."""

from __future__ import annotations

from pathlib import Path

import typer

from pipeline.cli.common import LABELS_OPTION, PARAMS_OPTION, label_list, labels_from, user_errors
from pipeline.config.corrupt import CorruptConfig
from pipeline.corpus.generic_csv import import_csv
from pipeline.corpus.manifest import (
    ensure_valid,
    read_manifest,
    rebase_paths,
    warn_missing_media,
    write_manifest,
)
from pipeline.corpus.mertools import import_mertools

app = typer.Typer(help="Read, check and import corpora as manifests.", no_args_is_help=True)
CORRUPT = CorruptConfig()  # mer corrupt's defaults are params.yaml's corrupt section's


IMPORT_LABELS_OPTION = typer.Option(
    None,
    "--labels",
    help="Comma-separated labels every label must be among (default: no check; `mer init` takes the "
    "labels from the manifest).",
)


def _checked_write(rows, out: Path, labels: str | None) -> None:
    allowed = label_list(labels)
    ensure_valid(rows, out, allowed)
    write_manifest(rows, out)
    manifest = read_manifest(out, allowed)
    warn_missing_media(manifest)
    counts = manifest.rows["split"].value_counts().to_dict()
    typer.echo(f"wrote {out}: {len(manifest.rows)} clips {counts}")


@app.command("check")
def check(
    manifest: Path = typer.Argument(..., help="Manifest CSV to validate."),
    labels: str = LABELS_OPTION,
    params: Path = PARAMS_OPTION,
) -> None:
    """Validate a manifest: names, splits, labels, paths, OV sets; list missing media files."""
    with user_errors():
        loaded = read_manifest(manifest, labels_from(params, labels))
        missing = warn_missing_media(loaded)
    typer.echo(f"{manifest}: {len(loaded.rows)} clips, {len(missing)} missing media file(s)")


@app.command("import-mertools")
def import_mertools_cmd(
    root: Path = typer.Argument(..., help="MERTools processed corpus folder (MER2024 or MER2025 layout)."),
    out: Path = typer.Option(
        None, "--out", help="Manifest to write; must be inside ROOT (default ROOT/manifest.csv)."
    ),
    language: str = typer.Option("english", help="Transcript column: english (when present) or chinese."),
    candidate_split: str = typer.Option("test", help="Split for names in MER2025 *candidates*.csv lists."),
    labels: str = IMPORT_LABELS_OPTION,
) -> None:
    """Write a manifest for MERTools' MER2024 / MER2025 layout (unlabeled clips become `unlabeled`).
    Then `mer init MANIFEST` points the project at it."""
    with user_errors():
        rows = import_mertools(root, language=language, candidate_split=candidate_split)
        target = out or root / "manifest.csv"
        _checked_write(_rebase(rows, root, target), target, labels)


@app.command("import-csv")
def import_csv_cmd(
    table: Path = typer.Argument(..., help="CSV with name, split, label, text[, video, audio]."),
    out: Path = typer.Option(None, "--out", help="Manifest to write (default: TABLE's folder/manifest.csv)."),
    labels: str = IMPORT_LABELS_OPTION,
    group: str = typer.Option(
        "",
        "--group",
        help="Column of TABLE holding each clip's speaker, dialogue or session: it becomes the manifest's "
        "`group`, and cross-validation folds never split a group (a column named `group` is kept as it is).",
    ),
) -> None:
    """Write a manifest from a generic table (only name and split are required); media paths are relative
    to the table's folder. Then `mer init MANIFEST` points the project at it."""
    with user_errors():
        target = out or table.parent / "manifest.csv"
        _checked_write(_rebase(import_csv(table, group), table.parent, target), target, labels)


def _rebase(rows, source_root: Path, target: Path):
    return rebase_paths(rows, source_root.absolute(), target.parent.absolute())


def corrupt(
    manifest: Path = typer.Argument(..., help="Manifest whose clips are corrupted."),
    noise_dir: Path = typer.Option(
        None, "--noise-dir", help="Folder of noise recordings (MUSAN speech); default: built-in babble."
    ),
    out_dir: Path = typer.Option(..., "--out-dir", help="Folder for the corrupted clips and corruption.csv."),
    out_manifest: Path = typer.Option(
        ..., "--out-manifest", help="Combined manifest to write (all rows + new split)."
    ),
    split: str = typer.Option(CORRUPT.source_split, help='Split to corrupt into test_noise ("" for none).'),
    augment_split: str = typer.Option(
        CORRUPT.augment_split,
        help='Also corrupt this split into <split>_noise copies for noise augmentation ("" for none).',
    ),
    seed: int = typer.Option(CORRUPT.seed, help="Seed; each clip's draw depends on (seed, name) only."),
    workers: int = typer.Option(CORRUPT.workers, min=1, help="Worker processes."),
    labels: str = LABELS_OPTION,
    params: Path = PARAMS_OPTION,
) -> None:
    """MER-NOISE corruption: speech noise at 5-10 dB SNR, blur by factor 1/2/4; writes a test_noise split."""
    from pipeline.corpus.noise_split import build_noise_split, noise_targets  # torch, decoders: load on use

    with user_errors():
        loaded = read_manifest(manifest, labels_from(params, labels))
        warn_missing_media(loaded)
        done = build_noise_split(
            loaded,
            noise_dir,
            out_dir,
            out_manifest,
            CORRUPT.model_copy(update={"seed": seed}),
            noise_targets(split, augment_split),
            workers=workers,
        )
    typer.echo(f"{len(done)} noisy clips in {out_dir}; manifest: {out_manifest}")
