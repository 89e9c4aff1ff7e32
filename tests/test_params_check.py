"""The params.yaml schema: every stage and `mer check` reject typos, wrong types and ranges up front."""

import copy
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import typer
import yaml
from typer.testing import CliRunner

from pipeline.config.base import ParamError, load_params
from pipeline.config.features import SetConfig
from pipeline.config.params import check_params, problems, read_params
from pipeline.features.config import NOT_NUMERIC, extract_config
from pipeline.stage import command

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def shipped() -> dict:
    return load_params(ROOT / "params.yaml")


def edited(params: dict, edit) -> dict:
    copied = copy.deepcopy(params)
    edit(copied)
    return copied


def test_shipped_params_have_no_problems(shipped):
    assert problems(shipped) == []


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda p: p.update(featurs=p.pop("features")), "unknown key featurs: did you mean features?"),
        (
            lambda p: (hubert := p["features"]["sets"]["hubert"]).update(layer=hubert.pop("layers")),
            "unknown key features.sets.hubert.layer: did you mean features.sets.hubert.layers?",
        ),
        (
            lambda p: p["features"]["sets"]["hubert"].update(modality="speech"),
            "features.sets.hubert.modality must be one of 'audio', 'video' or 'text', got 'speech'",
        ),
        (lambda p: p["features"].update(sets={}), "features.sets must map one or more set names"),
        (
            lambda p: p["features"]["sets"]["clip"].update(model="opensmile:eGeMAPSv02"),
            "features.sets.clip.model: opensmile:eGeMAPSv02 is an audio extractor, not video",
        ),
        (
            lambda p: p["features"]["sets"]["egemaps"].update(model="opensmile:eGeMAPS_v9"),
            "unknown openSMILE feature set in 'opensmile:eGeMAPS_v9'; one of opensmile:eGeMAPSv02",
        ),
        (
            lambda p: p["features"]["sets"].update({"my set": p["features"]["sets"]["hubert"]}),
            "features.sets must map one or more set names",
        ),
        (lambda p: p["train"].update(sets=["hubert", "hubert"]), "train.sets must be a non-empty list"),
        (
            lambda p: p["train"]["views"]["hubert"].update(sequence=True),
            "train.views.hubert.sequence is for video sets; hubert is a audio set",
        ),
        (
            lambda p: p["train"].update(hiden_dim=64),
            "unknown key train.hiden_dim: did you mean train.hidden_dim?",
        ),
        (lambda p: p["train"].update(lr="fast"), "train.lr must be float, got 'fast'"),
        (lambda p: p["train"].update(model="gru"), "train.model must be one of"),
        (lambda p: p["selftrain"].update(threshold=1.5), "selftrain.threshold must be between 0.0 and 1.0"),
        (lambda p: p.update(train=3), "train must be a mapping with keys"),
        (lambda p: p["ov"].update(predictor="import"), "ov.answers must name a CSV"),
        (lambda p: p.update(labels=["happy", "happy"]), "labels must be a non-empty list of distinct words"),
        (
            lambda p: p["corrupt"].update(blur_factors=[0, 2]),
            "corrupt.blur_factors must be a list of integers",
        ),
        (
            lambda p: p["corrupt"].update(augment_split="test"),
            "corrupt.augment_split must differ from corrupt.source_split ('test')",
        ),
        (lambda p: p["train"].update(noise_augment="yes"), "train.noise_augment must be bool"),
        (
            lambda p: p["train"].update(device="gpu"),
            "train.device must be auto, cpu, cuda or cuda:N, got 'gpu'",
        ),
        (
            lambda p: p["dataset"].update(manifest="data/mycorpus/manifest.csv"),
            "selftrain.truth is data/corpus/clean/unlabeled_truth.csv, the demo's pool labels, but "
            "dataset.manifest is data/mycorpus/manifest.csv",
        ),
        (lambda p: p["corrupt"].update(noise_dir=3), "corrupt.noise_dir must be str"),
        (
            lambda p: p["align"].update(enabled=False),
            "train.sets fuses 'clip_aligned', which align.enabled: false leaves absent on every clip; set "
            "align.enabled: true or drop 'clip_aligned' from train.sets",
        ),
        (
            lambda p: p["ablation"].update(subsets="pairs"),
            "ablation.subsets must be one of 'modalities', 'leave_one_out' or 'singles', got 'pairs'",
        ),
        (
            lambda p: p["prompt"].update(video="egemaps"),
            "prompt.video must be a video set of features.sets (['clip']), got 'egemaps'",
        ),
        (
            lambda p: p["adapt"].update(layers="top:0"),
            "adapt.layers must be a list of encoder layer indices or top:K (K >= 1), got 'top:0'",
        ),
        (
            lambda p: p["prompt"].update(output="logits"),
            "prompt.output must be one of 'embedding' or 'similarities', got 'logits'",
        ),
    ],
)
def test_each_problem_names_the_key_and_what_is_allowed(shipped, edit, expected):
    found = problems(edited(shipped, edit))
    assert any(expected in p for p in found), found


@pytest.mark.skipif(torch.cuda.is_available(), reason="asks for a GPU where there is none")
def test_training_on_a_gpu_that_is_not_there_stops_up_front(shipped):
    found = problems(edited(shipped, lambda p: p["train"].update(device="cuda")))
    assert "train.device is cuda but torch sees no CUDA GPU here (use auto or cpu)" in found


def test_all_problems_are_reported_at_once(shipped, tmp_path):
    def several(p):
        p["train"]["lr"] = "x"
        p["featurs"] = {}
        p["demo"]["fps"] = 0

    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(edited(shipped, several)))
    with pytest.raises(ParamError, match=r"3 problem\(s\)") as caught:
        check_params(path)
    assert (
        "train.lr" in str(caught.value) and "featurs" in str(caught.value) and "demo.fps" in str(caught.value)
    )


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True)


def test_a_stage_with_a_typo_stops_before_any_work(shipped, tmp_path):
    (tmp_path / "params.yaml").write_text(
        yaml.safe_dump(edited(shipped, lambda p: p["train"].update(modality_dropuot=0.5)))
    )
    out = tmp_path / "out"
    result = run([str(ROOT / "stages" / "train.py"), "missing.csv", "features", str(out)], tmp_path)
    assert result.returncode == 2
    assert "train.modality_dropuot: did you mean train.modality_dropout?" in result.stderr
    assert not out.exists()


def test_mer_check_reports_labels_missing_from_the_schema(shipped, tmp_path):
    manifest = tmp_path / "m.csv"
    manifest.write_text("name,split,video,audio,text,label,openset\nc1,train,,,hi,joy,\n")
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(shipped))
    result = run(["-m", "pipeline.cli.main", "check", "--manifest", str(manifest)], tmp_path)
    assert result.returncode == 2 and "joy" in result.stderr and "row 2" in result.stderr
    rows = "".join(f"c{i},train,,,hi,{label},\n" for i, label in enumerate(shipped["labels"]))
    manifest.write_text("name,split,video,audio,text,label,openset\n" + rows)
    result = run(["-m", "pipeline.cli.main", "check", "--manifest", str(manifest)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "params.yaml: OK" in result.stdout and "6 clips" in result.stdout


def _leaves(node: dict, prefix: tuple = ()) -> list[tuple]:
    out = []
    for key, value in node.items():
        out += _leaves(value, (*prefix, key)) if isinstance(value, dict) and value else [(*prefix, key)]
    return out


SHIPPED_LEAVES = _leaves(load_params(ROOT / "params.yaml"))


def _without(params: dict, leaf: tuple) -> dict:
    copied = copy.deepcopy(params)
    node = copied
    for part in leaf[:-1]:
        node = node[part]
    del node[leaf[-1]]
    return copied


@pytest.mark.parametrize("leaf", SHIPPED_LEAVES, ids=[".".join(leaf) for leaf in SHIPPED_LEAVES])
def test_deleting_any_key_keeps_the_run_or_names_the_key(shipped, leaf):
    """params.yaml is the documented profile: every value it holds is the schema's default, or the key
    is required and its absence is an error naming it. So deleting a key never silently changes a run.
    The one latitude: a feature set's own speed settings (batch_size, bucket, workers differ per set)
    fall back to the schema default, which changes how the work is done, never the store."""
    values = _without(shipped, leaf)
    key = ".".join(leaf)
    found = problems(values)
    if found:
        assert any(key in p for p in found), found
        return
    if read_params(values) == read_params(shipped):
        return
    assert leaf[:2] == ("features", "sets") and leaf[-1] in NOT_NUMERIC, f"deleting {key} changes the run"
    after, before = (extract_config(read_params(v).features, leaf[2]) for v in (values, shipped))
    assert getattr(after, leaf[-1]) == SetConfig.model_fields[leaf[-1]].default
    assert after.digest() == before.digest()


def _stage_main(script: Path):
    spec = importlib.util.spec_from_file_location(f"stage_{script.stem}", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


@pytest.mark.parametrize("script", sorted((ROOT / "stages").glob("*.py")), ids=lambda p: p.stem)
def test_every_stage_is_a_typer_command_that_names_its_arguments(script):
    """One way to call a stage: its paths are typer arguments (dvc.yaml passes them), `--help` lists
    them, a missing one is refused before params.yaml is even read."""
    app = typer.Typer()
    app.command()(command(_stage_main(script)))
    shown = CliRunner().invoke(app, ["--help"])
    assert shown.exit_code == 0 and "Arguments" in shown.output
    refused = CliRunner().invoke(app, [])
    assert refused.exit_code == 2 and "Missing argument" in refused.output
