"""Prompt-tuned CLIP: the stand-in is one model whose vision tower is the one video sets extract with, only
the prompt parts train (CLIP bit-identical), saved prompts reload to the same features, and the same seed
gives the same prompts."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pipeline.adaptation.prompts import (
    LabeledFrames,
    PromptedCLIP,
    load_prompts,
    prompted_features,
    save_prompts,
    train_prompts,
)
from pipeline.config.prompt import PromptConfig
from pipeline.features.models import load_model
from pipeline.features.reader import StoreArrays
from pipeline.features.text import load_tokenizer

SPEC = "random:clip-tiny"
LABELS = ["neutral", "happy", "sad"]
CFG = PromptConfig(name="clip_prompted", video="clip", context=4, epochs=30, patience=30, lr=0.01, seed=2)


def _clip():
    return load_model(SPEC, device="cpu", dtype="float32", image_text=True)


def _arrays(n: int = 60, k: int = 4, seed: int = 0) -> tuple[StoreArrays, np.ndarray]:
    """Frame embeddings around one direction per label (plus a shared one, as CLIP's are), clips with
    2..k real frames; the last clip has no video."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % len(LABELS)
    directions = rng.normal(0, 1, (len(LABELS), 128))
    frames = 3 + directions[y][:, None, :] + rng.normal(0, 0.5, (n, k, 128))
    mask = np.arange(k)[None, :] < rng.integers(2, k + 1, n)[:, None]
    ok = np.arange(n) != n - 1
    frames, mask = (frames * mask[..., None] * ok[:, None, None]).astype(np.float32), mask & ok[:, None]
    names = [f"c{i}" for i in range(n)]
    arrays = StoreArrays(names, frames.mean(axis=1)[:, None], ok, [0], SPEC, True, frames, mask, "video")
    return arrays, y


def _labeled(arrays: StoreArrays, y: np.ndarray) -> LabeledFrames:
    ok = np.flatnonzero(arrays.ok)
    return LabeledFrames(arrays.frames[ok], arrays.frame_mask[ok], y[ok], [arrays.names[i] for i in ok])


@pytest.fixture(scope="module")
def tuned(tmp_path_factory):
    loaded = _clip()
    before = {k: v.clone() for k, v in loaded.model.state_dict().items()}
    arrays, y = _arrays()
    model, summary = train_prompts(loaded, load_tokenizer(loaded), _labeled(arrays, y), LABELS, CFG)
    folder = tmp_path_factory.mktemp("prompts") / "clip_prompted"
    save_prompts(model, CFG, summary, folder, LABELS)
    return model, summary, folder, before, arrays


def test_the_clip_stand_in_holds_the_vision_tower_that_video_sets_extract_with():
    tower = load_model(SPEC, device="cpu", dtype="float32").model.state_dict()
    whole = _clip().model.state_dict()
    assert type(_clip().model).__name__ == "CLIPModel"
    assert all(torch.equal(whole[k], v) for k, v in tower.items())
    assert any(k.startswith("text_model.") for k in whole)


def test_only_the_prompt_parts_train_and_clip_stays_bit_identical(tuned):
    model, summary, _, before, _ = tuned
    after = model.clip.state_dict()
    assert after.keys() == before.keys()
    assert all(torch.equal(after[k], before[k]) for k in before)
    assert set(model.trained_state()) == {
        "context",
        "frame_score.weight",
        "frame_score.bias",
        "adapter.0.weight",
        "adapter.0.bias",
        "adapter.2.weight",
        "adapter.2.bias",
    }
    assert summary["trainable_params"] == sum(v.numel() for v in model.trained_state().values())
    assert float(model.adapter[2].weight.detach().abs().sum()) > 0  # it moved from its zero start


def test_prompts_learn_the_labels_from_the_frames(tuned):
    model, summary, _, _, arrays = tuned
    _, y = _arrays()
    similarities = prompted_features(model, arrays, "similarities")
    assert similarities.shape == (60, 3) and not similarities[~arrays.ok].any()
    accuracy = (similarities[arrays.ok].argmax(axis=1) == y[arrays.ok]).mean()
    assert accuracy > 0.9 and summary["best_holdout_waf"] > 0.9


def test_saved_prompts_reload_to_the_same_features(tuned):
    model, _, folder, _, arrays = tuned
    loaded = _clip()
    fresh = PromptedCLIP(loaded.model, load_tokenizer(loaded), LABELS, CFG)
    untrained = prompted_features(fresh, arrays, "embedding")
    reloaded = prompted_features(load_prompts(fresh, folder), arrays, "embedding")
    np.testing.assert_allclose(reloaded, prompted_features(model, arrays, "embedding"), atol=1e-6)
    assert not np.allclose(reloaded, untrained, atol=1e-3)
    assert reloaded.shape == (60, 128) and np.allclose(np.linalg.norm(reloaded[arrays.ok], axis=1), 1)


def test_prompt_tuning_is_deterministic_under_its_seed(tuned):
    model, _, _, _, _ = tuned
    arrays, y = _arrays()
    loaded = _clip()
    again, _ = train_prompts(loaded, load_tokenizer(loaded), _labeled(arrays, y), LABELS, CFG)
    first, second = model.trained_state(), again.trained_state()
    assert all(torch.equal(first[k], second[k]) for k in first)


def test_context_init_starts_from_the_words_token_embeddings():
    loaded = _clip()
    tokenizer = load_tokenizer(loaded)
    words = "a video of a person feeling"
    model = PromptedCLIP(loaded.model, tokenizer, LABELS, CFG.model_copy(update={"context_init": words}))
    ids = tokenizer(words, add_special_tokens=False)["input_ids"]
    embedding = loaded.model.text_model.embeddings.token_embedding.weight
    assert len(model.context) == len(ids) != CFG.context
    assert torch.equal(model.context.detach(), embedding[ids].detach())
