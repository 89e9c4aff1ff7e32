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
        f"corrupted clips (test_noise and training copies): {len(table)}, "
        f"SNR {snr.min():.0f}..{snr.max():.0f} dB (mean {snr.mean():.1f}), blur factors {blur}"
    ]


def _encoder_lines(params: dict) -> list[str]:
    lines = []
    for modality in ("audio", "video", "text"):
        spec = pick(params, f"features.{modality}.model", str, default="")
        if spec:
            kind = (
                "random-init stand-in, not pretrained" if spec.startswith("random:") else "pretrained weights"
            )
            lines.append(f"{modality} encoder: {spec} ({kind})")
    return lines


def _load(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.is_file() else None


def _track_lines(folder: Path) -> list[str]:
    lines = []
    for track in ("semi", "noise"):
        m = _load(folder / f"{track}.json")
        if m:
            lines.append(
                f"{track.upper():5} ({m['split']}): WAF {m['waf']:.4f}  accuracy {m['acc']:.4f}  "
                f"n {m['n']}  [{m['model']}]"
            )
    m = _load(folder / "ov.json")
    if m:
        lines.append(
            f"OV    ({m['split']}): accuracy {m['accuracy']:.4f}  recall {m['recall']:.4f}  "
            f"avg {m['avg']:.4f}  n {m['n']}  [predictor {m['predictor']}, grouper {m['grouper']}]"
        )
    selftrain = _load(folder / "selftrain.json")
    if selftrain:
        last = selftrain["rounds"][-1]
        shown = "n/a" if last["precision"] is None else f"{last['precision']:.3f}"
        lines.append(
            f"self-training ({len(selftrain['rounds'])} round(s), {last['selected']} pseudo-labels, "
            f"precision {shown}): "
            + ", ".join(
                f"{t.upper()} WAF {selftrain['supervised_waf'][t]:.4f} -> {selftrain['student_waf'][t]:.4f} "
                f"({selftrain['gain'][t]:+.4f})"
                for t in selftrain["gain"]
            )
        )
    ablation = _load(folder / "ablation.json")
    if ablation:
        lines.append(f"ablation ({ablation['model']}), WAF on test / test_noise:")
        lines += [
            f"  {subset:18} {s['semi']:.4f} / {s['noise']:.4f}" for subset, s in ablation["waf"].items()
        ]
    return lines


def report(
    params: Path = typer.Option(Path("params.yaml"), help="params.yaml of the project."),
    data: Path = typer.Option(Path("data"), help="The project's data folder."),
) -> None:
    """Print the corpus, the encoders (marking random stand-ins), the track scores and the ablation."""
    values = load_params(params)
    manifest = Path(pick(values, "dataset.manifest", str))
    lines = _corpus_lines(manifest) + _noise_lines(data / "corpus" / "noisy" / "corruption.csv")
    lines += _encoder_lines(values) + _track_lines(data / "metrics")
    typer.echo("\n".join(lines))
