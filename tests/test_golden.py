"""Every stand-in's numbers are pinned to its modality's extractor version: a change that moves them fails
here until EXTRACTOR_VERSIONS is bumped (which re-extracts that modality's stores) and the goldens are
re-recorded; a change that does not move them (a refactor) passes and re-extracts nothing."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.config.params import check_params
from pipeline.features.config import extract_config
from tests.dvc_project import ROOT
from tests.golden import GOLDEN, SPECS, fixed_clips, key, outputs

MODEL_SPECS = [(m, s) for m, s in SPECS if not s.startswith("opensmile:")]


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    return fixed_clips(tmp_path_factory.mktemp("golden"))


@pytest.fixture(scope="module")
def golden() -> dict[str, np.ndarray]:
    with np.load(GOLDEN) as stored:
        return {name: stored[name] for name in stored.files}


@pytest.mark.parametrize(("modality", "spec"), SPECS, ids=[f"{m}-{s}" for m, s in SPECS])
def test_stand_in_outputs_match_the_goldens_of_the_current_version(clips, golden, modality, spec):
    for index, array in enumerate(outputs(modality, spec, clips)):
        name = key(modality, spec, index)
        assert name in golden, f"no golden for {name}: record them with `python -m tests.golden`"
        np.testing.assert_allclose(
            array,
            golden[name],
            rtol=1e-4,
            atol=1e-4,
            err_msg=f"{spec}'s {modality} numbers moved: bump EXTRACTOR_VERSIONS['{modality}'] in "
            "pipeline/features/config.py (its stores re-extract), then `python -m tests.golden`",
        )


def test_the_demo_sets_keep_their_store_identity():
    """Stores are keyed by settings and extractor version only: a refactor, a renamed set or a setting
    added at its old behaviour must leave these digests (the demo's shards carry them), so nothing is
    re-extracted. Change them only with a params change that really changes the numbers."""
    features = check_params(ROOT / "params.yaml").features
    assert {name: extract_config(features, name).digest() for name in features.sets} == {
        "hubert": "8468c94506f82418",
        "egemaps": "3b1b6b39e34dc229",
        "clip": "106bdbb3d2df33bd",
        "minilm": "6580cdc4a0c8f266",
    }


@pytest.mark.parametrize(("modality", "spec"), MODEL_SPECS, ids=[f"{m}-{s}" for m, s in MODEL_SPECS])
def test_models_run_in_a_reduced_dtype_end_to_end(clips, golden, modality, spec):
    """dtype: bfloat16 (what a GPU run uses) builds the model in bf16 and feeds it bf16 inputs (audio
    windows, log-mel spectrograms, frames preprocessed on the device); pooling stays float32, so the
    vectors stay close to the float32 goldens."""
    for index, array in enumerate(outputs(modality, spec, clips, dtype="bfloat16")):
        reference = golden[key(modality, spec, index)]
        if array.dtype == bool:
            np.testing.assert_array_equal(array, reference.astype(bool))
            continue
        a, b = array.reshape(-1, array.shape[-1]), reference.reshape(-1, array.shape[-1])
        kept = np.abs(b).sum(axis=1) > 0  # padded frame slots are zero in both
        cosine = (a * b).sum(axis=1)[kept] / np.linalg.norm(a[kept], axis=1) / np.linalg.norm(b[kept], axis=1)
        assert array.dtype == np.float32 and np.isfinite(array).all()
        assert cosine.min() > 0.98, f"{spec} output {index}: cosine to float32 {cosine.min():.4f}"
