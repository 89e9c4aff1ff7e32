"""DVC stage `prompt`: prompt-tuned CLIP (CoOp-style context vectors, frame pooling and adapter) on the
frame embeddings of the video set prompt.video, trained on the labeled clips of prompt.split; the learned
prompts go to MODEL_DIR and the video feature set prompt.name to FEATURES_DIR/<name>.

Usage: prompt.py MANIFEST FEATURES_DIR MODEL_DIR
With prompt.enabled false, or fewer than two labeled classes of clips with video, nothing is tuned:
MODEL_DIR holds a note saying why and every clip of the set is marked absent.
"""

from pathlib import Path

import numpy as np

from pipeline.adaptation.prompts import (
    labeled_frames,
    prompted_features,
    save_prompts,
    train_prompts,
    write_prompted,
)
from pipeline.atomic import write_note
from pipeline.config.base import ParamError
from pipeline.config.derived_set import nothing_to_train
from pipeline.config.params import Params
from pipeline.corpus.manifest import read_manifest
from pipeline.features.models import load_model, model_config
from pipeline.features.reader import read_store
from pipeline.features.text import load_tokenizer
from pipeline.stage import run_stage


def main(params: Params, manifest_path: Path, features: Path, model_dir: Path) -> None:
    cfg, labels = params.prompt, params.labels
    base = params.features.sets[cfg.video]
    kind = model_config(base.model, base.revision, base.trust_remote_code).model_type
    if kind != "clip":
        raise ParamError(
            f"prompt.video: set {cfg.video!r} uses {base.model} (a {kind} model); prompt tuning needs a CLIP "
            "model, with its text tower"
        )
    rows = read_manifest(manifest_path, contained=False).rows
    arrays = read_store(features / cfg.video, list(rows["name"]), with_frames=True)
    if arrays.frames is None:
        raise ParamError(
            f"prompt.video: the store {features / cfg.video} holds no per-frame embeddings; prompt tuning "
            "reads the frames of a CLIP set extracted by this pipeline"
        )
    data = labeled_frames(rows, arrays, labels, cfg.split) if cfg.enabled else None
    reason = nothing_to_train("prompt", cfg.split, None if data is None else data.y.tolist(), cfg.video)
    store = features / cfg.name
    if reason:
        write_note(model_dir, "NOT_TUNED.txt", reason)
        width = len(labels) if cfg.output == "similarities" else arrays.frames.shape[2]
        write_prompted(store, arrays, np.zeros((len(rows), width), np.float32), cfg, absent=reason)
        print(f"{cfg.name}: nothing tuned ({reason}); every clip marked absent -> {store}")
        return
    loaded = load_model(
        base.model, base.revision, base.trust_remote_code, base.device, base.dtype, base.seed, image_text=True
    )
    model, summary = train_prompts(loaded, load_tokenizer(loaded, base.trust_remote_code), data, labels, cfg)
    save_prompts(model, cfg, summary, model_dir, labels)
    write_prompted(store, arrays, prompted_features(model, arrays, cfg.output), cfg)
    print(
        f"{cfg.name}: {len(model.context)} context vectors on {loaded.description}, "
        f"{summary['trainable_params']} trained parameters, {summary['clips']['fit']} clips "
        f"(+{summary['clips']['holdout']} held out, best held-out WAF {summary['best_holdout_waf']} at epoch "
        f"{summary['best_epoch']}) in {summary['seconds']} s ({summary['seconds_per_epoch']} s/epoch) -> "
        f"{model_dir}; {cfg.output} of {int(arrays.ok.sum())} clips -> {store}"
    )


if __name__ == "__main__":
    run_stage(main)
