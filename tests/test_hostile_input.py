"""A hostile user's inputs (issue #38's table, one test or more per row): nothing lost, nothing written
outside the project, every mistake refused before work with the file or key and the reason."""

from __future__ import annotations

import copy
import hashlib
import os
import pickle
import resource
import signal
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest
import yaml

from pipeline.atomic import stale_temporaries, temporary_name
from pipeline.config.base import load_params
from pipeline.corpus.manifest import Manifest, read_manifest, with_all_columns
from pipeline.corpus.profile import corpus_profile, params_for
from pipeline.errors import DamagedShard
from pipeline.features.config import ExtractConfig
from pipeline.features.extract import extract
from pipeline.features.reader import read_store
from pipeline.features.store import shard_paths
from tests.cli import mer
from tests.conftest import LABELS, manifest_row
from tests.test_safety import Payload

ROOT = Path(__file__).resolve().parents[1]
TEXT_MODEL = "random:qwen2-tiny"


def _no_traceback(result) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and result.stderr.startswith("error: ")


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _write_params(path: Path, edit) -> Path:
    params = copy.deepcopy(load_params(ROOT / "params.yaml"))
    edit(params)
    path.write_text(yaml.safe_dump(params, sort_keys=False))
    return path


def _check(tmp_path: Path, edit) -> object:
    """`mer check` on the shipped params.yaml with one edit (the manifest is not there: params only)."""
    return mer("check", "--params", str(_write_params(tmp_path / "params.yaml", edit)))


def _text_corpus(root: Path, rows: list[dict]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(root / "table.csv", index=False)
    return root / "table.csv"


def _labeled(split_labels: dict[str, list[str]]) -> list[dict]:
    return [
        manifest_row(f"{split}_{i:02d}", split, f"line {i}") | {"label": label}
        for split, labels in split_labels.items()
        for i, label in enumerate(labels)
    ]


# Row 0: a text-only corpus gets no NOISE copies it cannot have (the dvc repro run is in test_own_corpus).


def test_init_on_a_text_only_corpus_writes_no_noise_split_and_no_noise_augmentation(tmp_path):
    table = _text_corpus(tmp_path / "corpus", _labeled({"train": LABELS * 2, "test": LABELS}))
    assert mer("corpus", "import-csv", str(table)).returncode == 0
    params = _write_params(tmp_path / "params.yaml", lambda p: None)
    (tmp_path / "dvc.yaml").write_bytes((ROOT / "dvc.yaml").read_bytes())  # the plan is read from it
    result = mer("init", str(table.with_name("manifest.csv")), "--params", str(params))
    assert result.returncode == 0, result.stderr
    written = yaml.safe_load(params.read_text())
    assert written["corrupt"]["source_split"] == "" and written["corrupt"]["augment_split"] == ""
    assert written["train"]["noise_augment"] is False and written["train"]["sets"] == ["minilm"]
    assert "no NOISE split" in result.stdout and "test_noise" not in result.stdout


def test_noise_copies_are_planned_only_for_corruptible_modalities():
    rows = with_all_columns(pd.DataFrame(_labeled({"train": LABELS, "test": LABELS})))
    text_only = corpus_profile(Manifest(Path("m.csv"), rows))
    settings = params_for(text_only, "m.csv", 5, {"minilm": "text"})
    assert (settings["corrupt.source_split"], settings["corrupt.augment_split"]) == ("", "")
    with_audio = corpus_profile(Manifest(Path("m.csv"), rows.assign(audio="a.wav")))
    settings = params_for(with_audio, "m.csv", 5, {"hubert": "audio"})
    assert (settings["corrupt.source_split"], settings["corrupt.augment_split"]) == ("test", "train")
    assert settings["train.noise_augment"] is True


# Row 1: a failed import leaves the store it would replace byte-identical.


def _npy_folder(folder: Path, vectors: dict[str, np.ndarray]) -> Path:
    folder.mkdir(parents=True)
    for name, vector in vectors.items():
        np.save(folder / f"{name}.npy", vector)
    return folder


def _import(folder: Path, store: Path, limit: int | None = None):
    """`mer features import-mertools`, in-process; with `limit`, in a process whose files cannot grow past
    `limit` bytes (a write past it fails like on a full disk)."""
    args = ["features", "import-mertools", str(folder), "--modality", "audio", "--store", str(store)]
    if limit is None:
        return mer(*args)

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    command = [sys.executable, "-m", "pipeline.cli.main", *args]
    return subprocess.run(command, capture_output=True, text=True, preexec_fn=apply)


@pytest.fixture
def imported(tmp_path) -> tuple[Path, dict[str, str]]:
    rng = np.random.default_rng(0)
    folder = _npy_folder(
        tmp_path / "A-UTT", {f"a{i}": rng.normal(size=8).astype(np.float32) for i in range(6)}
    )
    store = tmp_path / "S"
    assert _import(folder, store).returncode == 0
    return store, _digests(store)


def test_an_import_that_cannot_finish_leaves_the_old_store_byte_identical(imported, tmp_path):
    store, before = imported
    unreadable = tmp_path / "B-UTT"
    unreadable.mkdir()
    (unreadable / "b0.npy").write_bytes(b"not an array")
    np.save(unreadable / "b1.npy", np.array([{"x": 1}], dtype=object), allow_pickle=True)
    result = _import(unreadable, store)
    _no_traceback(result)
    assert "b0.npy" in result.stderr and "nothing was written" in result.stderr
    assert _digests(store) == before
    big = _npy_folder(tmp_path / "C-UTT", {f"c{i}": np.ones(4096, np.float32) for i in range(40)})
    result = _import(big, store, limit=64 * 1024)  # the disk fills while the new shard is written
    _no_traceback(result)
    assert "cannot write the shard" in result.stderr
    assert _digests(store) == before and not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_a_nan_vector_is_a_recorded_failure_and_the_rest_is_imported(imported, tmp_path):
    store, _ = imported
    vectors = {f"b{i}": np.full(8, float(i), np.float32) for i in range(4)}
    vectors["b2"] = np.full(8, np.nan, np.float32)
    assert _import(_npy_folder(tmp_path / "B-UTT", vectors), store).returncode == 0
    failures = pd.read_csv(store / "failures.csv")
    assert failures["name"].tolist() == ["b2"] and "NaN" in failures["error"][0]
    arrays = read_store(store, ["b0", "b1", "b2", "b3"])
    assert arrays.ok.tolist() == [True, True, False, True] and arrays.utt[3, 0, 0] == 3.0


# Row 2: names that become paths follow the feature-set name rules.


@pytest.mark.parametrize(
    ("section", "value"),
    [("prompt", "../../../escaped_prompt"), ("adapt", "/tmp/escaped_adapt"), ("align", "sub/dir")],
)
def test_an_output_name_that_is_a_path_is_refused_by_check(tmp_path, section, value):
    result = _check(tmp_path, lambda p: p[section].update(name=value))
    _no_traceback(result)
    assert f"{section}.name must be a feature set name" in result.stderr and value in result.stderr


def test_the_prompt_stage_refuses_an_escaping_name_before_any_work(tmp_path):
    _write_params(tmp_path / "params.yaml", lambda p: p["prompt"].update(name="../escaped_prompt"))
    result = subprocess.run(
        [sys.executable, str(ROOT / "stages/prompt.py"), "m.csv", "features", "models/x"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "prompt.name must be a feature set name" in result.stderr
    assert not (tmp_path.parent / "escaped_prompt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["params.yaml"]


# Row 3: clip names carry a checksum.


def _text_store(tmp_path: Path, names: list[str], shards: int = 1) -> tuple[Path, Path, ExtractConfig]:
    rows = [manifest_row(n, "train", f"words of {n}") for n in names]
    manifest = tmp_path / "corpus" / "manifest.csv"
    manifest.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(manifest, index=False)
    cfg = ExtractConfig(modality="text", model=TEXT_MODEL, device="cpu", shards=shards, workers=0)
    store = tmp_path / "store"
    extract(read_manifest(manifest), cfg, store)
    return manifest, store, cfg


def test_swapped_names_in_a_shard_are_refused_on_reading_and_re_extracted_on_resume(tmp_path):
    manifest, store, cfg = _text_store(tmp_path, ["c0", "c1", "c2"])
    expected = read_store(store, ["c0", "c1", "c2"]).utt
    (shard,) = shard_paths(store)
    with h5py.File(shard, "r+") as f:
        names = f["names"][:]
        f["names"][0], f["names"][1] = names[1], names[0]
    with pytest.raises(DamagedShard, match="names do not match their recorded checksum"):
        read_store(store, ["c0", "c1", "c2"])
    assert extract(read_manifest(manifest), cfg, store).clips == 3
    assert np.array_equal(read_store(store, ["c0", "c1", "c2"]).utt, expected)


# Row 4: containment on resolved paths.


def test_a_media_link_out_of_the_corpus_is_refused_naming_the_row(tmp_path):
    corpus, outside = tmp_path / "corpus", tmp_path / "secret"
    corpus.mkdir()
    outside.mkdir()
    (outside / "secret.wav").write_bytes(b"RIFF")
    (corpus / "esc.wav").symlink_to(outside / "secret.wav")
    (corpus / "etc").symlink_to(outside, target_is_directory=True)
    rows = [manifest_row("a", audio="esc.wav"), manifest_row("b", audio="etc/secret.wav")]
    table = _text_corpus(corpus, rows)
    result = mer("corpus", "import-csv", str(table))
    _no_traceback(result)
    assert "row 2 (a): audio 'esc.wav' is a link that leads out" in result.stderr
    assert "row 3 (b)" in result.stderr and not (corpus / "manifest.csv").exists()
    result = mer("corpus", "check", str(table), "--labels", ",".join(LABELS))
    _no_traceback(result)
    assert "leads out of the manifest's folder" in result.stderr


# Rows 5-7: the adapted set and its layers are checked against the model's config, before work.


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda p: p["adapt"].update(audio="egemaps"), "adapt.audio: set 'egemaps' is opensmile:eGeMAPSv02"),
        (lambda p: p["adapt"].update(audio="minilm"), "adapt.audio must be an audio set of features.sets"),
        (
            lambda p: p["features"]["sets"]["hubert"].update(model="random:whisper-tiny"),
            "a whisper model; adapters need one of hubert",
        ),
        (
            lambda p: p["adapt"].update(layers=[2, 99]),
            "adapt.layers [2, 99]: random:hubert-tiny has encoder layers 0..3",
        ),
        (
            lambda p: p["adapt"].update(layers="top:99"),
            "adapt.layers top:99: the store of 'hubert' holds 4 encoder",
        ),
        (
            lambda p: (
                p["adapt"].update(layers="top:3"),
                p["features"]["sets"]["hubert"].update(layers=[-2, -1]),
            ),
            "holds 2 encoder layer(s)",
        ),
    ],
)
def test_adapt_settings_the_model_cannot_take_are_refused_by_check(tmp_path, edit, expected):
    result = _check(tmp_path, edit)
    _no_traceback(result)
    assert expected in result.stderr


def test_adapt_layers_within_the_model_pass(tmp_path):
    result = _check(tmp_path, lambda p: p["adapt"].update(layers="top:4"))
    assert result.returncode == 0, result.stderr


# Row 8: labels training cannot learn.


@pytest.mark.parametrize(
    ("splits", "expected"),
    [
        (
            {"train": ["happy", "sad"] * 3, "test": ["happy", "angry"]},
            "label(s) ['angry'] have no labeled clip",
        ),
        ({"train": ["happy"] * 6, "test": ["happy"]}, "training needs at least two"),
    ],
)
def test_init_and_check_refuse_labels_the_train_split_cannot_teach(tmp_path, splits, expected):
    table = _text_corpus(tmp_path / "corpus", _labeled(splits))
    assert mer("corpus", "import-csv", str(table)).returncode == 0
    manifest = table.with_name("manifest.csv")
    params = _write_params(tmp_path / "params.yaml", lambda p: None)
    before = params.read_bytes()
    result = mer("init", str(manifest), "--params", str(params))
    _no_traceback(result)
    assert expected in result.stderr and params.read_bytes() == before
    labels = sorted({label for labels in splits.values() for label in labels})
    _write_params(
        params,
        lambda p: (
            p.update(labels=labels, dataset={"manifest": str(manifest)}),
            p["selftrain"].update(truth=""),
        ),
    )
    result = mer("check", "--params", str(params))
    _no_traceback(result)
    assert expected in result.stderr


# Row 9: an empty CSV.


@pytest.mark.parametrize("command", [("corpus", "import-csv"), ("corpus", "check"), ("init",)])
def test_an_empty_csv_is_one_line_naming_the_file(tmp_path, command):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    params = _write_params(tmp_path / "params.yaml", lambda p: None)
    result = mer(
        *command, str(empty), *(["--params", str(params)] if command != ("corpus", "import-csv") else [])
    )
    _no_traceback(result)
    assert str(empty) in result.stderr and "the file is empty" in result.stderr


# Row 10: writers never share a temporary file; a live writer's is never cleaned away.


def test_each_writer_has_its_own_temporary_name_and_only_dead_writers_files_are_stale(tmp_path):
    target = tmp_path / "shard-00000.h5"
    first, second = temporary_name(target), temporary_name(target)
    assert first != second and first.parent == tmp_path
    first.write_bytes(b"live")  # this process is alive
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    gone = tmp_path / f"shard-00001.h5.{int(dead.stdout)}-0123abcd.tmp"
    gone.write_bytes(b"left by a killed writer")
    legacy = tmp_path / "shard-00002.h5.tmp"
    legacy.write_bytes(b"from before")
    assert sorted(stale_temporaries(tmp_path)) == sorted([gone, legacy])


def test_an_extraction_leaves_a_live_writers_temporary_file_alone(tmp_path):
    manifest, store, cfg = _text_store(tmp_path, ["c0", "c1"])
    in_flight = store / f"shard-00000.h5.{os.getpid()}-0123abcd.tmp"  # this process is alive
    in_flight.write_bytes(b"another writer's shard, half written")
    extract(read_manifest(manifest), cfg.model_copy(update={"seed": 1}), store)
    assert in_flight.exists()


def _extract_params(path: Path, **changes) -> Path:
    settings = {
        "modality": "text",
        "model": TEXT_MODEL,
        "device": "cpu",
        "shards": 16,
        "workers": 0,
    } | changes
    path.write_text(yaml.safe_dump({"features": {"sets": {"t": settings}}}))
    return path


def _mer_extract(params: Path, manifest: Path, store: Path, *extra: str) -> subprocess.Popen:
    command = ["-m", "pipeline.cli.main", "extract", "t", "--manifest", str(manifest), "--store", str(store)]
    return subprocess.Popen(
        [sys.executable, *command, "--params", str(params), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_extractions_into_one_store_at_once_both_finish(tmp_path):
    names = [f"c{i:03d}" for i in range(120)]
    manifest = tmp_path / "manifest.csv"
    pd.DataFrame([manifest_row(n, "train", f"words of {n}") for n in names]).to_csv(manifest, index=False)
    params, store = _extract_params(tmp_path / "params.yaml"), tmp_path / "store"
    runs = [_mer_extract(params, manifest, store) for _ in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert read_store(store, names).ok.all() and not list(store.glob("*.tmp"))


# Row 11: a store does not shrink without being asked to.


def test_a_smaller_manifest_is_refused_unless_pruning_is_asked_for(tmp_path):
    manifest, store, _ = _text_store(tmp_path, [f"c{i}" for i in range(6)], shards=4)
    before = _digests(store)
    rows = pd.read_csv(manifest, keep_default_na=False)
    smaller = tmp_path / "smaller.csv"
    rows.head(4).to_csv(smaller, index=False)
    params = _extract_params(tmp_path / "params.yaml", shards=4, workers=1)
    run = _mer_extract(params, smaller, store)
    _, stderr = run.communicate(timeout=300)
    assert run.returncode == 2 and "holds 2 clip(s) the manifest does not list (c4, c5)" in stderr
    assert "--prune" in stderr and "Traceback" not in stderr and _digests(store) == before
    run = _mer_extract(params, smaller, store, "--prune")
    assert run.communicate(timeout=300) and run.returncode == 0
    assert sum(read_store(store, [f"c{i}" for i in range(6)]).ok) == 4


# Row 12: refusals are one line naming the file and the reason.


def _extract_one_clip(tmp_path: Path, **changes):
    """`mer extract` of a one-clip text corpus with the set's settings changed."""
    manifest = tmp_path / "manifest.csv"
    pd.DataFrame([manifest_row("a", "train", "words")]).to_csv(manifest, index=False)
    params = _extract_params(tmp_path / "params.yaml", **changes)
    store = tmp_path / "s"
    return mer("extract", "t", "--manifest", str(manifest), "--store", str(store), "--params", str(params))


def test_a_malicious_adapter_is_refused_in_one_line_without_running_it(tmp_path):
    adapter = tmp_path / "evil_adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text(
        '{"peft_type": "LORA", "r": 8, "lora_alpha": 16, "target_modules": ["q_proj"]}'
    )
    marker = tmp_path / "pwned"
    (adapter / "adapter_model.bin").write_bytes(pickle.dumps({"w": Payload(marker)}))
    result = _extract_one_clip(tmp_path, adapter=str(adapter))
    _no_traceback(result)
    assert f"the adapters in {adapter}" in result.stderr and "refused without running it" in result.stderr
    assert not marker.exists()


def test_a_model_that_needs_remote_code_is_refused_in_one_line(tmp_path):
    folder = tmp_path / "custom"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "custom", "auto_map": {"AutoConfig": "c.Conf"}}')
    result = _extract_one_clip(tmp_path, model=str(folder))
    _no_traceback(result)
    assert str(folder) in result.stderr and "trust_remote_code: true" in result.stderr


def test_an_object_array_in_an_import_is_a_failure_row_naming_it(tmp_path):
    folder = _npy_folder(tmp_path / "A-UTT", {"a0": np.ones(4, np.float32)})
    np.save(folder / "a1.npy", np.array([{"x": 1}], dtype=object), allow_pickle=True)
    assert _import(folder, tmp_path / "S").returncode == 0
    failures = pd.read_csv(tmp_path / "S" / "failures.csv")
    assert failures["name"].tolist() == ["a1"] and "not a plain numeric array" in failures["error"][0]


# Row 13: two sets that would be one store.


def test_two_identical_sets_are_named_in_a_warning(tmp_path):
    def twin(params: dict) -> None:
        params["features"]["sets"]["hubert_again"] = dict(params["features"]["sets"]["hubert"], workers=3)

    result = _check(tmp_path, twin)
    assert result.returncode == 0
    assert "features.sets.hubert and features.sets.hubert_again have the same model and settings" in (
        result.stderr
    )


def test_sets_that_differ_in_a_numeric_setting_are_not_twins(tmp_path):
    def other(params: dict) -> None:
        params["features"]["sets"]["hubert_l"] = dict(params["features"]["sets"]["hubert"], layers=[-1])

    assert "same model and settings" not in _check(tmp_path, other).stderr
