"""Padding is really excluded: a padded batch gives the same utterance vectors as each clip alone."""

import json

import numpy as np
import pytest
import torch
from transformers import CLIPConfig, CLIPModel

from pipeline.config.base import ParamError
from pipeline.config.layers import select_layers
from pipeline.features.audio import AudioEmbedder
from pipeline.features.clip_video import ClipVideoEmbedder
from pipeline.features.models import load_model
from pipeline.features.text import TextEmbedder, load_tokenizer
from pipeline.features.video import FramePreprocessor, VideoEmbedder, preprocessor_config
from pipeline.features.whisper import WhisperEmbedder


@pytest.mark.parametrize("spec", ["random:hubert-tiny", "random:hubert-small", "random:wavlm-tiny"])
def test_audio_padded_batch_equals_each_clip_alone(spec):
    loaded = load_model(spec, device="cpu", dtype="float32")
    embedder = AudioEmbedder(
        loaded, select_layers("all", loaded.model.config.num_hidden_layers + 1), window_s=1.0
    )
    rng = np.random.default_rng(0)
    waves = [rng.normal(0, 0.1, n).astype(np.float32) for n in (16_000, 4_000, 37_000, 1_600)]
    batch = embedder.embed(waves)
    alone = np.concatenate([embedder.embed([w]) for w in waves])
    config = loaded.model.config
    assert batch.shape == (4, config.num_hidden_layers + 1, config.hidden_size)
    np.testing.assert_allclose(batch, alone, atol=1e-3)
    naive = embedder.embed([np.pad(waves[1], (0, 12_000))])
    assert np.abs(naive - alone[1]).max() > 1e-2  # averaging padded frames in would differ


def test_whisper_mean_covers_only_the_frames_that_hold_audio():
    loaded = load_model("random:whisper-tiny", device="cpu", dtype="float32")
    embedder = WhisperEmbedder(loaded, [0, 1, 2, 3], window_s=30.0)
    rng = np.random.default_rng(0)
    waves = [rng.normal(0, 0.1, n).astype(np.float32) for n in (16_000, 4_000, 37_000)]
    batch = embedder.embed(waves)
    alone = np.concatenate([embedder.embed([w]) for w in waves])
    assert batch.shape == (3, 4, 64)
    np.testing.assert_allclose(batch, alone, atol=1e-4)
    features = embedder.extractor([waves[0]], sampling_rate=16_000, return_tensors="pt").input_features
    states = loaded.model.get_encoder()(features, output_hidden_states=True).hidden_states[3][0].detach()
    assert states.shape[0] == 1500  # every input is padded to 30 s
    np.testing.assert_allclose(alone[0, 3], states[:50].mean(0).numpy(), atol=1e-5)  # 1 s: 50 frames
    assert np.abs(alone[0, 3] - states.mean(0).numpy()).max() > 1e-2  # the padding is left out
    assert embedder.embed([rng.normal(0, 0.1, 16_000 * 40).astype(np.float32)]).shape == (1, 4, 64)


def test_long_clip_windows_are_weighted_by_frames():
    loaded = load_model("random:hubert-tiny", device="cpu", dtype="float32")
    one_window = AudioEmbedder(loaded, [4], window_s=10.0)
    windows = AudioEmbedder(loaded, [4], window_s=1.0)
    wave = np.random.default_rng(1).normal(0, 0.1, 25_000).astype(np.float32)
    assert windows.embed([wave]).shape == one_window.embed([wave]).shape == (1, 1, 64)


@pytest.mark.parametrize(
    ("spec", "prompt"),
    [("minilm", ""), ("random:qwen2-tiny", ""), ("random:qwen2-tiny", "The speaker says: {text}. Emotion:")],
)
def test_text_padded_batch_equals_each_text_alone(spec, prompt):
    loaded = load_model(spec, device="cpu", dtype="float32")
    layers = select_layers([-1, 0, 2], loaded.model.config.num_hidden_layers + 1)
    embedder = TextEmbedder(loaded, load_tokenizer(loaded), layers, prompt)
    texts = ["I am so happy today!", "no", "What a terrible, terrible day it has been for all of us here."]
    batch = embedder.embed(texts)
    alone = np.concatenate([embedder.embed([t]) for t in texts])
    assert batch.shape == (3, 3, loaded.model.config.hidden_size)
    np.testing.assert_allclose(batch, alone, atol=1e-3)


def test_minilm_is_the_real_pretrained_encoder():
    loaded = load_model("minilm", device="cpu", dtype="float32")
    embedder = TextEmbedder(loaded, load_tokenizer(loaded), [6])
    happy, glad, tax = embedder.embed(
        ["I am so happy", "I feel really glad", "The tax form is due in April"]
    )[:, 0]

    def cos(a, b):
        return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))

    assert not loaded.random_init
    assert cos(happy, glad) > cos(happy, tax) + 0.2


def test_video_frames_masked_mean_and_preprocessing():
    loaded = load_model("random:clip-tiny", device="cpu", dtype="float32")
    embedder = VideoEmbedder(loaded, frames=8)
    rng = np.random.default_rng(0)
    clips = [
        rng.integers(0, 255, (8, 96, 80, 3), dtype=np.uint8),
        rng.integers(0, 255, (3, 50, 70, 3), dtype=np.uint8),
    ]
    utt, frames, mask = embedder.embed(clips)
    assert utt.shape == (2, 1, 128) and frames.shape == (2, 8, 128) and mask.sum(axis=1).tolist() == [8, 3]
    np.testing.assert_allclose(utt[1, 0], frames[1, :3].mean(axis=0), atol=1e-5)
    assert (frames[1, 3:] == 0).all()
    pixels = FramePreprocessor({"size": {"shortest_edge": 64}, "crop_size": {"height": 64, "width": 64}})(
        clips[1]
    )
    assert pixels.shape == (3, 3, 64, 64)


def test_image_backbone_frames_by_cls_token_or_patch_mean():
    loaded = load_model("random:dinov2-tiny", device="cpu", dtype="float32")
    rng = np.random.default_rng(0)
    clips = [rng.integers(0, 255, (n, 60, 80, 3), dtype=np.uint8) for n in (3, 5)]
    utt, frames, mask = VideoEmbedder(loaded, 8, "cls").embed(clips)
    assert utt.shape == (2, 1, 64) and mask.sum(axis=1).tolist() == [3, 5]
    patch_mean = VideoEmbedder(loaded, 8, "patch_mean").embed(clips)[1]
    with torch.no_grad():
        out = loaded.model(pixel_values=FramePreprocessor(preprocessor_config(loaded))(clips[0]))
    np.testing.assert_allclose(frames[0, :3], out.pooler_output.numpy(), atol=1e-5)
    np.testing.assert_allclose(patch_mean[0, :3], out.last_hidden_state[:, 1:].mean(dim=1).numpy(), atol=1e-5)
    assert np.abs(frames[0, :3] - patch_mean[0, :3]).max() > 1e-2


def test_videomae_gives_one_vector_per_clip_and_layer_from_evenly_sampled_frames():
    loaded = load_model("random:videomae-tiny", device="cpu", dtype="float32")
    embedder = ClipVideoEmbedder(loaded, [0, 1, 2])
    rng = np.random.default_rng(0)
    clips = [rng.integers(0, 255, (n, 40, 48, 3), dtype=np.uint8) for n in (16, 5)]
    both = embedder.embed(clips)
    assert both.shape == (2, 3, 64)
    np.testing.assert_allclose(both[1], embedder.embed([clips[1]])[0], atol=1e-5)
    picked = embedder._sampled(np.arange(5)[:, None, None, None]).ravel().tolist()
    assert len(picked) == 16 and picked[0] == 0 and picked[-1] == 4 and sorted(picked) == picked
    with torch.no_grad():
        pixels = torch.stack([embedder.preprocess(clips[0])])
        last = loaded.model(pixel_values=pixels, output_hidden_states=True).hidden_states[2]
    np.testing.assert_allclose(both[0, 2], last[0].mean(dim=0).numpy(), atol=1e-5)


def test_a_whole_clip_checkpoint_loads_its_vision_tower(tmp_path):
    """A hub CLIP (openai/clip-vit-large-patch14) is a CLIPModel checkpoint; only its vision tower runs."""
    small = {"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 64}
    config = CLIPConfig(
        text_config={**small, "vocab_size": 100},
        vision_config={**small, "image_size": 32, "patch_size": 8},
        projection_dim=16,
    )
    CLIPModel(config).save_pretrained(tmp_path / "clip")
    processor = {"size": {"shortest_edge": 32}, "crop_size": {"height": 32, "width": 32}}
    (tmp_path / "clip" / "preprocessor_config.json").write_text(json.dumps(processor))
    loaded = load_model(str(tmp_path / "clip"), device="cpu", dtype="float32")
    assert type(loaded.model).__name__ == "CLIPVisionModelWithProjection" and not loaded.random_init
    frames = np.random.default_rng(0).integers(0, 255, (4, 40, 40, 3), dtype=np.uint8)
    assert VideoEmbedder(loaded, 4).embed([frames])[0].shape == (1, 1, 16)


def test_layer_selection_errors_name_the_key():
    assert select_layers([-1, -2, 0], 5) == [0, 3, 4]
    with pytest.raises(ParamError, match=r"features.audio.layers has indices \[7\]"):
        select_layers([7], 5, "features.audio.layers")


def test_unknown_random_model_lists_the_shipped_ones():
    with pytest.raises(ValueError, match="shipped configs: .*hubert-tiny"):
        load_model("random:bert-huge")
