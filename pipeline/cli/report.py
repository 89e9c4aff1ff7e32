"""`mer report`: a short summary of what the pipeline has produced so far."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import typer

from pipeline.cli.common import user_errors
from pipeline.config.params import Params, check_params
from pipeline.corpus.manifest import DERIVED_MANIFEST
from pipeline.tracks.metrics import shown, shown_interval, signed


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


def encoder_kind(spec: str) -> str:
    if spec.startswith("random:"):
        return "random-init stand-in, not pretrained"
    return "openSMILE functionals, no weights" if spec.startswith("opensmile:") else "pretrained weights"


def _encoder_lines(params: Params) -> list[str]:
    return [
        f"{name} ({s.modality}) encoder: {s.model} ({encoder_kind(s.model)})"
        for name, s in params.features.sets.items()
    ]


def _load(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.is_file() else None


def _note(m: dict) -> str:
    return f"  ({m['note']})" if "note" in m else ""


def selection_lines(summary: dict | None) -> list[str]:
    """train.model: auto's candidates (data/train/summary.json), best first, and what it chose."""
    selection = (summary or {}).get("selection")
    if not selection:
        return []
    aware = selection["selection_aware_cv_waf"]["waf"]
    lines = [
        f"train.model auto chose {selection['chosen']}; out-of-fold CV WAF on train (fold mean ± sd), "
        f"the choice's own estimate {shown(aware)} (each fold scored by the other folds' winner):"
    ]
    ranked = sorted(selection["candidates"], key=lambda c: -c["cv_waf"])
    lines += [
        f"  {c['name']:20} {shown(c['cv_waf'])}  ({c['fold_mean']:.4f} ± {c['fold_std']:.4f})  "
        f"{c['seconds']:.0f} s"
        for c in ranked
    ]
    return lines


def screening_lines(summary: dict | None) -> list[str]:
    """The sets train.screen_sets kept and dropped (data/train/summary.json), with the linear CV WAF
    that dropped each."""
    screening = (summary or {}).get("sets")
    if not screening:
        return []
    dropped = [
        f"  dropped {d['set']}: linear CV WAF without it {shown(d['without'])}, "
        f"with it {shown(d['linear_cv_waf_with'])}"
        for d in screening["dropped"]
    ]
    return [f"train.screen_sets kept {', '.join(screening['kept'])}", *dropped]


def seed_lines(summary: dict | None) -> list[str]:
    """train.seeds' spread: each seed's out-of-fold WAF beside their ensemble's."""
    seeds = (summary or {}).get("seeds")
    if not seeds:
        return []
    each = ", ".join(shown(w) for w in seeds["oof_waf"])
    return [
        f"train.seeds {len(seeds['oof_waf'])}: out-of-fold WAF per seed {each} (mean {shown(seeds['mean'])} "
        f"± {seeds['sd']:.4f}), their ensemble {shown(seeds['ensemble'])}"
    ]


def _track_lines(folder: Path) -> list[str]:
    lines = []
    for track in ("semi", "noise"):
        m = _load(folder / f"{track}.json")
        if m:
            scores = (
                f"WAF {shown_interval(m.get('waf'), m.get('waf_ci'))}  "
                f"accuracy {shown_interval(m.get('acc'), m.get('acc_ci'))}"
            )
            lines.append(f"{track.upper():5} ({m['split']}): {scores}  n {m['n']}  [{m['model']}]{_note(m)}")
    m = _load(folder / "ov.json")
    if m:
        lines.append(
            f"OV    ({m['split']}): accuracy {shown(m.get('accuracy'))}  recall {shown(m.get('recall'))}  "
            f"avg {shown(m.get('avg'))}  n {m['n']}  [predictor {m['predictor']}, grouper {m['grouper']}]"
            f"{_note(m)}"
        )
    selftrain = _load(folder / "selftrain.json")
    if selftrain:
        last = selftrain["rounds"][-1]
        lines.append(
            f"self-training ({len(selftrain['rounds'])} round(s), {last['selected']} pseudo-labels, "
            f"precision {shown(last['precision'])}): "
            + ", ".join(
                f"{t.upper()} WAF {shown(before)} -> {shown(selftrain['student_waf'][t])} "
                f"({signed(selftrain['gain'][t])})"
                for t, before in selftrain["supervised_waf"].items()
            )
        )
    ablation = _load(folder / "ablation.json")
    if ablation:
        lines.append(
            f"ablation ({ablation['model']}), WAF on test / test_noise; minus all sets on test, 95% interval:"
        )
        gaps = ablation.get("minus_all_sets", {})
        lines += [
            f"  {subset:18} {shown(s['semi'])} / {shown(s['noise'])}{_gap(gaps.get(subset))}"
            for subset, s in ablation["waf"].items()
        ]
        fusion_gaps = ablation.get("fusion_minus_baseline", {})
        lines += [
            f"  {model} baseline, all sets: {shown(s['semi'])} / {shown(s['noise'])}; "
            f"{ablation['model']} minus {model}:{_gap(fusion_gaps.get(model))}"
            for model, s in ablation.get("baseline", {}).items()
        ]
        lines += _adapted_lines(ablation.get("adapted", {}))
    return lines


def _gap(paired: dict | None) -> str:
    """A paired difference on test with its interval: `  -0.0300 [-0.0510, -0.0090]`, or nothing."""
    semi = (paired or {}).get("semi")
    return f"  {signed(semi['waf_diff'])} [{semi['ci'][0]:+.4f}, {semi['ci'][1]:+.4f}]" if semi else ""


def _adapted_lines(adapted: dict) -> list[str]:
    """Each adapted set against its frozen set, alone and fused (ablation.json's `adapted`)."""
    if not adapted:
        return []
    lines = [
        "adapted vs frozen, WAF on test / test_noise (adapted | frozen; adapted minus frozen on test, 95% "
        "interval):"
    ]
    for name, entry in adapted.items():
        head = f"  {name} ({entry['method']} of {entry['frozen']})"
        if "skipped" in entry:
            lines.append(f"{head}: {entry['skipped']}")
            continue
        pairs = [
            (kind, entry[f"{kind}_adapted"]["waf"], entry[f"{kind}_frozen"]["waf"])
            for kind in ("alone", "fused")
        ]
        gaps = entry.get("adapted_minus_frozen", {})
        lines.append(
            f"{head}: "
            + "; ".join(
                f"{kind} {shown(a['semi'])} / {shown(a['noise'])} | {shown(f['semi'])} / {shown(f['noise'])}"
                f"{_gap(gaps.get(kind))}"
                for kind, a, f in pairs
            )
        )
    return lines


def report(
    params: Path = typer.Option(Path("params.yaml"), help="params.yaml of the project."),
    data: Path = typer.Option(Path("data"), help="The project's data folder."),
) -> None:
    """Print the corpus, the encoders (marking random stand-ins), train.model auto's candidates and choice,
    the track scores with their 95% bootstrap intervals (clips resampled), the ablation and each adapted
    set against its frozen one."""
    with user_errors():
        values = check_params(params)
    lines = [f"source corpus: {values.dataset.manifest}"]
    lines += _corpus_lines(data.parent / DERIVED_MANIFEST) + _noise_lines(
        data / "corpus" / "noisy" / "corruption.csv"
    )
    summary = _load(data / "train" / "summary.json")
    lines += _encoder_lines(values) + screening_lines(summary) + selection_lines(summary)
    lines += seed_lines(summary)
    lines += _track_lines(data / "metrics")
    typer.echo("\n".join(lines))
