"""DVC stage `adapt`: LoRA adapters on an audio set's encoder (params.yaml's `adapt.*`), trained on the
labeled clips of adapt.split, saved small in MODEL_DIR; then the adapted encoder extracts the audio feature
set adapt.name into STORE_DIR, like any extract stage (failures.csv, resumable shards). With
`adapt.layers: top:K` the layers are the K best of the frozen set's store (FEATURES_DIR/<adapt.audio>)
under the layer probe (train.folds, train.seed, train.linear_c), as `probe_layers` scores them.

Usage: adapt.py MANIFEST FEATURES_DIR MODEL_DIR STORE_DIR
With adapt.enabled false, or fewer than two labeled classes of decodable audio, nothing is adapted:
MODEL_DIR holds a note saying why and every clip of the set is marked absent.
"""

from pathlib import Path

from pipeline.adaptation.adapters import (
    absent_set,
    labeled_audio,
    save_adapters,
    train_adapters,
)
from pipeline.config.adapt import AdaptConfig
from pipeline.config.base import ParamError
from pipeline.config.derived_set import nothing_to_train
from pipeline.config.params import Params
from pipeline.corpus.manifest import Manifest, read_manifest
from pipeline.features.config import extract_config
from pipeline.features.extract import extract
from pipeline.features.models import load_model
from pipeline.stage import run_stage
from pipeline.training.probe import best_layers, probe_layers
from pipeline.training.run import labeled_set


def _probed(params: Params, manifest: Manifest, features: Path) -> tuple[AdaptConfig, dict[str, float]]:
    """adapt.* with top:K resolved to the probe's K best encoder layers (hidden state h is layer h - 1;
    hidden state 0, before the first layer, has none), and the probe's scores."""
    cfg = params.adapt
    if not cfg.top:
        return cfg, {}
    data = labeled_set(manifest, params.labels)
    scores = [s for s in probe_layers(features / cfg.audio, data, params.train) if s.layer > 0]
    if not scores:
        raise ParamError(
            f"adapt.layers {cfg.layers}: {features / cfg.audio} stores no encoder layer to probe "
            f"(features.sets.{cfg.audio}.layers); list the layers instead"
        )
    layers = sorted(h - 1 for h in best_layers(scores, cfg.top))
    return cfg.model_copy(update={"layers": layers}), {str(s.layer): round(s.waf, 4) for s in scores}


def main(params: Params, manifest_path: Path, features: Path, model_dir: Path, store: Path) -> None:
    cfg, labels = params.adapt, params.labels
    base = extract_config(params.features, cfg.audio)
    if base.modality != "audio":
        raise ParamError(f"adapt.audio: {cfg.audio!r} is a {base.modality} set; adapters need an audio set")
    manifest = read_manifest(manifest_path, contained=False)
    data = labeled_audio(manifest, labels, cfg.split, cfg.max_seconds) if cfg.enabled else None
    reason = nothing_to_train("adapt", cfg.split, None if data is None else data.y.tolist(), "audio")
    if reason:
        absent_set(manifest, base, cfg, reason, model_dir, store)
        print(f"{cfg.name}: nothing adapted ({reason}); every clip marked absent -> {store}")
        return
    cfg, probe = _probed(params, manifest, features)
    loaded = load_model(base.model, base.revision, base.trust_remote_code, base.device, base.dtype, base.seed)
    model, summary = train_adapters(loaded, data, len(labels), cfg)
    if probe:
        summary["probe"] = {"asked": params.adapt.layers, "hidden_state_waf": probe}
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
