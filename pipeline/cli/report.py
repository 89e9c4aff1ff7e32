"""`mer report`: a short summary of what the pipeline has produced so far."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import typer

from pipeline.params import load_params, pick


def _corpus_lines(manifest: Path) -> list[str]:
    if not manifest.is_file():
        return [f"corpus: {manifest} not built yet (run `dvc repro`)"]
    rows = pd.read_csv(manifest, dtype=str, keep_default_na=False)
    counts = ", ".join(f"{split} {n}" for split, n in rows["split"].value_counts().sort_index().items())
    return [f"corpus: {manifest}: {len(rows)} clips ({counts})"]


def _noise_lines(corruption: Path) -> list[str]:
    if not corruption.is_file():
        return []
    table = pd.read_csv(corruption)
    snr = table["snr_db"].dropna()
    blur = table["blur_factor"].dropna().astype(int).value_counts().sort_index().to_dict()
    return [
        f"noise split: {len(table)} clips, SNR {snr.min():.0f}..{snr.max():.0f} dB (mean {snr.mean():.1f}), "
        f"blur factors {blur}"
    ]


def _encoder_lines(params: dict) -> list[str]:
    lines = []
    for modality in ("audio", "video", "text"):
        spec = pick(params, f"features.{modality}.model", str, default="")
        if spec:
            stand_in = " (random-init stand-in, not pretrained)" if spec.startswith("random:") else ""
            lines.append(f"{modality} encoder: {spec}{stand_in}")
    return lines


def _metric_lines(folder: Path) -> list[str]:
    lines = []
    for path in sorted(folder.glob("*.json")):
        values = json.loads(path.read_text())
        shown = ", ".join(
            f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}"
            for k, v in values.items()
            if isinstance(v, int | float | str)
        )
        lines.append(f"{path.stem}: {shown}")
    return lines


def report(
    params: Path = typer.Option(Path("params.yaml"), help="params.yaml of the project."),
    data: Path = typer.Option(Path("data"), help="The project's data folder."),
) -> None:
    """Print the corpus, the encoders (marking random stand-ins) and every metric under data/metrics."""
    values = load_params(params)
    manifest = Path(pick(values, "dataset.manifest", str))
    lines = _corpus_lines(manifest) + _noise_lines(data / "corpus" / "noisy" / "corruption.csv")
    lines += _encoder_lines(values) + _metric_lines(data / "metrics")
    typer.echo("\n".join(lines))
