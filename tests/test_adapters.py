"""PEFT audio adapters: only the chosen layers change, saved adapters reload to the same features, the
same seed gives the same adapters, and the store's identity follows the adapters' weights."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from pipeline.adaptation.adapters import LabeledAudio, save_adapters, train_adapters
from pipeline.config.adapt import AdaptConfig
from pipeline.features.audio import AudioEmbedder
from pipeline.features.config import ExtractConfig
from pipeline.features.models import load_model
from tests.conftest import tone

SPEC = "random:hubert-tiny"
CFG = AdaptConfig(
    name="hubert_adapted", audio="hubert", layers=[1, 3], rank=4, epochs=3, patience=3, batch_size=4, seed=3
)


def _data() -> LabeledAudio:
    """Two classes told apart by pitch; copies of a clip share its group."""
    waves = [tone(0.5 + 0.1 * (i % 3), (180 if i % 2 else 420) + 7 * i) for i in range(16)]
    return LabeledAudio(waves, np.array([i % 2 for i in range(16)]), [f"c{i // 2}" for i in range(16)])


def _loaded():
    return load_model(SPEC, device="cpu", dtype="float32")


@pytest.fixture(scope="module")
def adapted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("adapters") / "hubert_adapted"
    model, summary = train_adapters(_loaded(), _data(), 2, CFG)
    save_adapters(model, CFG, summary, folder, SPEC)
    return model, summary, folder


def test_adapters_change_only_the_chosen_layers(adapted):
    _, summary, folder = adapted
    base = _loaded().model.state_dict()
    merged = load_model(SPEC, device="cpu", dtype="float32", adapter=str(folder)).model.state_dict()
    assert merged.keys() == base.keys()
    changed = {k for k in base if not np.array_equal(base[k].numpy(), merged[k].numpy())}
    assert changed and all(k.startswith(("encoder.layers.1.", "encoder.layers.3.")) for k in changed)
    assert any(k.startswith("encoder.layers.1.") for k in changed) and summary["trainable_params"] > 0
    assert (folder / "adapter_model.safetensors").stat().st_size < 100_000  # small, beside a 170k model


def test_saved_adapters_reload_to_the_same_features(adapted):
    model, _, folder = adapted
    waves = [tone(0.7, 300), tone(1.3, 250)]
    trained = AudioEmbedder(replace(_loaded(), model=model.encoder), [0, 2, 4]).embed(waves)
    reloaded = AudioEmbedder(load_model(SPEC, device="cpu", dtype="float32", adapter=str(folder)), [0, 2, 4])
    frozen = AudioEmbedder(_loaded(), [0, 2, 4]).embed(waves)
    np.testing.assert_allclose(reloaded.embed(waves), trained, atol=1e-5)
    assert np.abs(trained[:, 2] - frozen[:, 2]).max() > 1e-4  # layer 1's output moved
    np.testing.assert_array_equal(trained[:, 0], frozen[:, 0])  # below the adapters nothing did


def test_adaptation_is_deterministic_under_its_seed(adapted, tmp_path):
    _, summary, folder = adapted
    again, summary_again = train_adapters(_loaded(), _data(), 2, CFG)
    save_adapters(again, CFG, summary_again, tmp_path / "again", SPEC)
    assert summary_again["holdout"] == summary["holdout"]
    for name in ("adapter_model.safetensors", "head.safetensors", "adapt.json", "adapter_config.json"):
        assert (tmp_path / "again" / name).read_bytes() == (folder / name).read_bytes()  # a DVC output
    config = json.loads((folder / "adapter_config.json").read_text())  # the same in every process and clone
    assert config["target_modules"] == sorted(config["target_modules"])
    assert config["base_model_name_or_path"] == SPEC


def test_the_store_identity_follows_the_adapter_weights_not_their_folder(adapted, tmp_path):
    _, _, folder = adapted
    plain = ExtractConfig(modality="audio", model=SPEC)
    with_adapters = plain.model_copy(update={"adapter": str(folder)})
    moved = tmp_path / "moved"
    moved.mkdir()
    for path in folder.iterdir():
        (moved / path.name).write_bytes(path.read_bytes())
    assert with_adapters.digest() != plain.digest()
    assert plain.model_copy(update={"adapter": str(moved)}).digest() == with_adapters.digest()
    with pytest.raises(FileNotFoundError, match="no adapter_model.safetensors"):
        plain.model_copy(update={"adapter": str(tmp_path)}).digest()
