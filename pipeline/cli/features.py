"""`mer features ...` and `mer extract`: feature stores."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from pipeline.cli.common import PARAMS_OPTION, user_errors
from pipeline.config.params import check_section
from pipeline.corpus.manifest import DERIVED_MANIFEST, read_manifest, warn_missing_media
from pipeline.features.mertools import export_folder, import_folder
from pipeline.features.store import store_info

app = typer.Typer(help="Inspect, import and export HDF5 feature stores.", no_args_is_help=True)


@app.command("info")
def info(
    store: Path = typer.Argument(..., help="Store folder (holds shard-*.h5 and failures.csv)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON: n, layers, dim, failed, absent, model."),
) -> None:
    """Summarise a feature store; says when its encoder was a random-init stand-in."""
    with user_errors():
        summary = store_info(store)
    if as_json:
        typer.echo(json.dumps(summary, indent=2))
        return
    stand_in = " (random-init stand-in)" if summary["random_init"] else ""
    typer.echo(
        f"{store}: {summary['modality']} from {summary['model']}{stand_in}; {summary['n']} clips, "
        f"layers {summary['layers']}, dim {summary['dim']}, {summary['failed']} failed, "
        f"{summary['absent']} absent, {summary['shards']} shard(s)"
    )


@app.command("import-mertools")
def import_mertools(
    folder: Path = typer.Argument(
        ..., help="A MERTools feature folder, e.g. features/chinese-hubert-large-UTT."
    ),
    modality: str = typer.Option(..., help="audio, video or text: what the vectors describe."),
    store: Path = typer.Option(
        ..., help="Store folder to write: built beside the old one, which it replaces only when complete."
    ),
) -> None:
    """Turn `<feature>-UTT/<name>.npy` vectors into a feature store (one layer)."""
    with user_errors():
        count = import_folder(folder, store, modality)
    typer.echo(f"imported {count} clip(s) from {folder} into {store}")


@app.command("export-mertools")
def export_mertools(
    store: Path = typer.Argument(..., help="Store folder."),
    folder: Path = typer.Argument(..., help="Folder to write <name>.npy files into."),
    layer: int = typer.Option(-1, help="Index into the store's stored layers (-1: the last)."),
) -> None:
    """Write one layer of a store as MERTools-style per-clip .npy vectors (clips with ok = false skipped)."""
    with user_errors():
        count = export_folder(store, folder, layer=layer)
    typer.echo(f"wrote {count} .npy file(s) to {folder}")


@app.command("merge")
def merge(
    out: Path = typer.Argument(..., help="Store folder to merge into (created if needed)."),
    parts: list[Path] = typer.Argument(..., help="Store folders written by `mer extract --shard i/N`."),
) -> None:
    """Merge stores extracted on several machines into one (shards are disjoint: merging copies files).

    Refuses parts made with other settings or code, and two different versions of one shard."""
    from pipeline.features.merge import MergeError, merge_stores

    try:
        copied = merge_stores(out, parts)
    except MergeError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(
        f"{out}: {copied} shard file(s) copied from {len(parts)} part(s); {store_info(out)['n']} clips"
    )


def extract(
    name: str = typer.Argument(..., help="A feature set of params.yaml's features.sets, e.g. hubert."),
    shard: str = typer.Option(
        "0/1",
        help="i/N: take the shards whose index is i modulo N: split a corpus across processes or "
        "machines, writing to one shared store folder or to one folder each, then `mer features merge`.",
    ),
    manifest: Path = typer.Option(
        DERIVED_MANIFEST, help="Manifest (default: the derived one the `corrupt` stage writes)."
    ),
    store: Path = typer.Option(None, help="Store folder (default: data/features/NAME)."),
    prune: bool = typer.Option(
        False,
        "--prune",
        help="Drop clips the store holds and the manifest no longer lists (without it such a run is "
        "refused, saying how many would go).",
    ),
    params: Path = PARAMS_OPTION,
) -> None:
    """Extract one feature set with params.yaml's features.sets.NAME settings; resumes finished shards."""
    from pipeline.features.config import extract_config  # torch and transformers: load only when used
    from pipeline.features.extract import extract as run_extract
    from pipeline.features.extract import parse_shard

    with user_errors():
        cfg = extract_config(check_section("features", params), name)
        loaded = read_manifest(manifest, contained=False)
        warn_missing_media(loaded)
        target = store or Path("data/features") / name
        result = run_extract(loaded, cfg, target, parse_shard(shard), prune=prune)
    typer.echo(f"{name} ({cfg.modality}): {result.summary()}")
