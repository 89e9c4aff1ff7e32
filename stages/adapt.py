"""DVC stage `adapt`: LoRA adapters on an audio set's encoder (params.yaml's `adapt.*`), trained on the
labeled clips of adapt.split, saved small in MODEL_DIR; then the adapted encoder extracts the audio feature
set adapt.name into STORE_DIR, like any extract stage (failures.csv, resumable shards).

Usage: adapt.py MANIFEST MODEL_DIR STORE_DIR
With fewer than two labeled classes of decodable audio there is nothing to adapt on: MODEL_DIR holds a
note and every clip of the set is marked absent.
"""

from pathlib import Path

from pipeline.adaptation.adapters import (
    absent_set,
    labeled_audio,
    save_adapters,
    train_adapters,
)
from pipeline.config.base import ParamError
from pipeline.config.params import Params
from pipeline.corpus.manifest import read_manifest
from pipeline.features.config import extract_config
from pipeline.features.extract import extract
from pipeline.features.models import load_model
from pipeline.stage import run_stage


def main(params: Params, manifest_path: Path, model_dir: Path, store: Path) -> None:
    cfg, labels = params.adapt, params.labels
    base = extract_config(params.features, cfg.audio)
    if base.modality != "audio":
        raise ParamError(f"adapt.audio: {cfg.audio!r} is a {base.modality} set; adapters need an audio set")
    manifest = read_manifest(manifest_path, contained=False)
    data = labeled_audio(manifest, labels, cfg.split, cfg.max_seconds)
    classes = len(set(data.y.tolist()))
    if classes < 2:
        reason = (
            f"adapt.split {cfg.split!r} has {len(data.y)} labeled clip(s) with audio in {classes} class(es)"
        )
        absent_set(manifest, base, cfg, reason, model_dir, store)
        print(f"{cfg.name}: nothing to adapt on ({reason}); every clip marked absent -> {store}")
        return
    loaded = load_model(base.model, base.revision, base.trust_remote_code, base.device, base.dtype, base.seed)
    model, summary = train_adapters(loaded, data, len(labels), cfg)
    save_adapters(model, cfg, summary, model_dir, base.model)
    print(
        f"{cfg.name}: LoRA r={cfg.rank} on layers {list(cfg.layers)} of {loaded.description}, "
        f"{summary['trainable_params']} trained parameters, {summary['clips']['fit']} clips "
        f"(+{summary['clips']['holdout']} held out, best held-out WAF {summary['best_holdout_waf']} at epoch "
        f"{summary['best_epoch']}) in {summary['seconds']} s -> {model_dir}"
    )
    result = extract(manifest, base.model_copy(update={"name": cfg.name, "adapter": str(model_dir)}), store)
    print(f"{cfg.name} (audio, adapted): {result.summary()} -> {store}")


if __name__ == "__main__":
    run_stage(main)
