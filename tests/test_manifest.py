import logging
from pathlib import Path

import pandas as pd
import pytest

from pipeline.corpus.manifest import (
    ManifestError,
    parse_openset,
    read_manifest,
    warn_missing_media,
    write_manifest,
)
from tests.conftest import LABELS


def _rows(**overrides) -> dict:
    row = {
        "name": "clip_1",
        "split": "train",
        "video": "",
        "audio": "",
        "text": "hi",
        "label": "happy",
        "openset": "['happy']",
    }
    row.update(overrides)
    return row


def _write(tmp_path: Path, rows: list[dict]) -> Path:
    return write_manifest(pd.DataFrame(rows), tmp_path / "manifest.csv")


def test_valid_manifest_reads_with_paths_relative_to_its_folder(tmp_path, make_clip):
    make_clip("a.mp4")
    path = _write(tmp_path, [_rows(video="a.mp4"), _rows(name="clip_2", label="", openset="")])
    manifest = read_manifest(path, LABELS)
    assert list(manifest.rows["name"]) == ["clip_1", "clip_2"]
    assert manifest.media_path(manifest.rows.iloc[0], "video") == tmp_path / "a.mp4"
    assert manifest.media_path(manifest.rows.iloc[1], "video") is None


def test_every_manifest_problem_is_listed_together_with_row_numbers(tmp_path):
    path = _write(
        tmp_path,
        [
            _rows(name="../x"),
            _rows(name="ok_1"),
            _rows(name="ok_1"),
            _rows(name="ok_2", label="ecstatic"),
            _rows(name="ok_3", video="/etc/passwd"),
            _rows(name="ok_4", audio="../../outside.wav"),
            _rows(name="ok_5", openset="happy, sad"),
        ],
    )
    with pytest.raises(ManifestError) as caught:
        read_manifest(path, LABELS)
    problems = caught.value.problems
    assert len(problems) == 6
    message = str(caught.value)
    assert str(path) in message
    assert "row 2: name '../x'" in message
    assert "row 4: name 'ok_1' duplicates row 3" in message
    assert "row 5 (ok_2): label 'ecstatic'" in message
    assert "row 6 (ok_3): video path '/etc/passwd' is absolute" in message
    assert "row 7 (ok_4): audio path '../../outside.wav' leaves" in message
    assert "row 8 (ok_5): openset" in message


def test_only_name_and_split_are_required_columns(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("name,label\nx,happy\n")
    with pytest.raises(ManifestError, match=r"missing column\(s\) \['split'\]"):
        read_manifest(path, LABELS)
    path.write_text("name,split,audio,label\nx,train,x.wav,happy\n")
    rows = read_manifest(path, LABELS).rows
    assert rows.loc[0, "audio"] == "x.wav" and rows.loc[0, "openset"] == "" and rows.loc[0, "video"] == ""


def test_a_known_split_in_other_case_is_rejected_with_the_spelling(tmp_path):
    path = _write(
        tmp_path, [_rows(split="Train"), _rows(name="c2", split="TEST"), _rows(name="c3", split="dev")]
    )
    with pytest.raises(ManifestError) as error:
        read_manifest(path, LABELS)
    assert error.value.problems == [
        "row 2 (clip_1): split 'Train' must be written 'train' (splits are case-sensitive)",
        "row 3 (c2): split 'TEST' must be written 'test' (splits are case-sensitive)",
    ]


def test_a_derived_manifest_may_point_into_the_source_corpus_outside_its_folder(tmp_path):
    path = _write(tmp_path, [_rows(audio="../corpus/a.wav")])
    with pytest.raises(ManifestError, match="leaves the manifest's folder"):
        read_manifest(path, LABELS)
    assert read_manifest(path, LABELS, contained=False).rows.loc[0, "audio"] == "../corpus/a.wav"


def test_missing_media_is_one_warning_not_an_error(tmp_path, make_clip, caplog):
    make_clip("a.mp4")
    rows = [_rows(name=f"c{i}", video=f"missing_{i}.mp4") for i in range(12)] + [
        _rows(name="ok", video="a.mp4")
    ]
    manifest = read_manifest(_write(tmp_path, rows), LABELS)
    with caplog.at_level(logging.WARNING):
        missing = warn_missing_media(manifest)
    assert len(missing) == 12
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "12 media file(s) are missing" in warnings[0].getMessage()
    assert "and 2 more" in warnings[0].getMessage()


def test_invalid_utf8_transcript_is_kept_for_per_clip_handling(tmp_path):
    path = tmp_path / "manifest.csv"
    path.write_bytes(
        b"name,split,video,audio,text,label,openset\nc1,train,,,caf\xe9 bad,happy,\nc2,train,,,fine,sad,\n"
    )
    manifest = read_manifest(path, LABELS)
    assert manifest.bad_text == {"c1"} and manifest.rows.loc[0, "text"] == "caf\ufffd bad"
    assert manifest.rows.loc[1, "text"] == "fine"


def test_invalid_utf8_outside_transcripts_is_a_manifest_problem(tmp_path):
    path = tmp_path / "manifest.csv"
    path.write_bytes(b"name,split,video,audio,text,label,openset\nc1,train,v\xe9.mp4,,hi,happy,\n")
    with pytest.raises(ManifestError, match="row 2: column video is not valid UTF-8"):
        read_manifest(path, LABELS)


def test_a_copys_source_must_name_another_row(tmp_path):
    rows = [
        _rows(),
        _rows(name="clip_1_noise", split="train_noise", source="clip_1"),
        _rows(name="stray_noise", split="train_noise", source="gone"),
        _rows(name="self", source="self"),
    ]
    with pytest.raises(ManifestError) as error:
        read_manifest(_write(tmp_path, rows), LABELS)
    assert error.value.problems == [
        "row 4 (stray_noise): source 'gone' is not a name in this manifest",
        "row 5 (self): source 'self' is not a name in this manifest",
    ]
    manifest = read_manifest(_write(tmp_path, rows[:2]), LABELS)
    assert list(manifest.rows["source"]) == ["", "clip_1"]


def test_openset_parsing_is_literal_and_normalised():
    assert parse_openset("['Happy ', 'relieved']") == ["happy", "relieved"]
    assert parse_openset("") == []
    with pytest.raises(ValueError):
        parse_openset("__import__('os').system('echo hi')")
