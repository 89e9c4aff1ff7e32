import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from pipeline.corpus.generic_csv import import_csv
from pipeline.corpus.manifest import read_manifest
from pipeline.corpus.mertools import import_mertools
from pipeline.corpus.safe_pickle import load_npz
from pipeline.media.write import write_clip
from tests.cli import mer
from tests.conftest import LABELS, frames, tone


def _mer2024(root: Path) -> Path:
    for name in ("s1", "s2", "s3", "u1"):
        write_clip(root / "video" / f"{name}.mp4", frames(4), 8, None)
        root.joinpath("audio").mkdir(exist_ok=True)
        sf.write(root / "audio" / f"{name}.wav", tone(0.5), 16_000)
    face = root / "openface_face" / "s1"
    face.mkdir(parents=True)
    np.save(face / "s1.npy", frames(5, 16))
    np.savez(
        root / "label-6way.npz",
        train_corpus={"s1": {"emo": "happy"}, "s2": {"emo": "sad"}},
        test1_corpus={"s3": {"emo": "worried"}},
    )
    pd.DataFrame(
        {
            "name": ["s1", "s2", "s3", "u1"],
            "chinese": ["你好"] * 4,
            "english": ["hello", "so sad", "oh no", "hm"],
        }
    ).to_csv(root / "subtitle_chieng.csv", index=False)
    return root


def test_mer2024_layout(tmp_path):
    root = _mer2024(tmp_path / "mer2024")
    rows = import_mertools(root).set_index("name")
    assert rows.loc["s1", "split"] == "train" and rows.loc["s1", "label"] == "happy"
    assert rows.loc["s3", "split"] == "test" and rows.loc["s3", "label"] == "worried"
    assert rows.loc["u1", "split"] == "unlabeled" and rows.loc["u1", "label"] == ""
    assert rows.loc["s1", "face"] == "openface_face/s1/s1.npy" and rows.loc["s2", "face"] == ""
    assert rows.loc["s2", "text"] == "so sad"
    assert rows.loc["s2", "audio"] == "audio/s2.wav" and rows.loc["s2", "video"] == "video/s2.mp4"
    assert import_mertools(root, language="chinese").set_index("name").loc["s1", "text"] == "你好"


def test_mer2024_import_command_writes_a_valid_manifest(tmp_path):
    root = _mer2024(tmp_path / "mer2024")
    result = mer("corpus", "import-mertools", str(root), "--labels", ",".join(LABELS))
    assert result.returncode == 0, result.stderr
    manifest = read_manifest(root / "manifest.csv", LABELS)
    assert sorted(manifest.rows["split"]) == ["test", "train", "train", "unlabeled"]


def test_mer2025_layout(tmp_path):
    root = tmp_path / "mer2025"
    for name in ("a", "b", "c", "d"):
        write_clip(root / "video" / f"{name}.mp4", frames(4), 8, tone(0.5))
    pd.DataFrame({"name": ["a", "b"], "discrete": ["angry", "neutral"], "valence": [-2.0, 0.0]}).to_csv(
        root / "track1_train_disdim.csv", index=False
    )
    pd.DataFrame({"name": ["c"]}).to_csv(root / "track2_test_candidates.csv", index=False)
    pd.DataFrame({"name": ["c"], "chinese": ["好"]}).to_csv(root / "transcription-merge.csv", index=False)
    rows = import_mertools(root).set_index("name")
    assert rows.loc["a", "label"] == "angry" and rows.loc["a", "split"] == "train"
    assert rows.loc["c", "split"] == "test" and rows.loc["c", "label"] == ""
    assert rows.loc["d", "split"] == "unlabeled"
    assert rows.loc["c", "text"] == "好"


def test_not_a_mertools_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a MERTools corpus folder"):
        import_mertools(tmp_path)


def test_label_npz_is_read_without_unpickling_arbitrary_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("pwned",))

    np.savez(tmp_path / "evil.npz", train_corpus=np.array({"x": Evil()}, dtype=object))
    with pytest.raises(pickle.UnpicklingError, match="refusing to load builtins.print"):
        load_npz(tmp_path / "evil.npz")


def test_generic_csv_import(tmp_path):
    write_clip(tmp_path / "media" / "a.mp4", frames(4), 8, tone(0.5))
    table = tmp_path / "table.csv"
    pd.DataFrame(
        {
            "name": ["a", "b"],
            "split": ["train", "test"],
            "label": ["happy", "sad"],
            "text": ["yay", "meh"],
            "video": ["media/a.mp4", ""],
        }
    ).to_csv(table, index=False)
    rows = import_csv(table)
    assert list(rows["audio"]) == ["", ""] and list(rows["openset"]) == ["", ""]
    result = mer("corpus", "import-csv", str(table), "--labels", ",".join(LABELS))
    assert result.returncode == 0, result.stderr
    manifest = read_manifest(tmp_path / "manifest.csv", LABELS)
    assert manifest.media_path(manifest.rows.iloc[0], "video") == tmp_path / "media" / "a.mp4"
    outside = mer(
        "corpus",
        "import-csv",
        str(table),
        "--out",
        str(tmp_path / "m" / "manifest.csv"),
        "--labels",
        ",".join(LABELS),
    )
    assert outside.returncode == 2 and "leaves the manifest's folder" in outside.stderr


def test_generic_csv_missing_columns(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("name,label\na,happy\n")
    with pytest.raises(ValueError, match=r"missing column\(s\) \['split'\]"):
        import_csv(table)
