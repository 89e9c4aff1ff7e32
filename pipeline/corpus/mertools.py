"""Import MERTools' processed MER2024 and MER2025 corpus layouts as a manifest.

MER2024: video/, audio/ (16 kHz wav), openface_face/<name>/<name>.npy, label-6way.npz
(train_corpus / test1_corpus...: name -> {'emo': label}), transcription-merge.csv (name, chinese)
or subtitle_chieng.csv (name, chinese, english). MER2025: track1_train_disdim.csv
(name, discrete, valence) and candidate lists (*candidates*.csv, column name).
Clips found in video/ or audio/ with no label become the `unlabeled` split.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.corpus.safe_pickle import load_npz, unwrap

VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov")


def _media_index(root: Path, folder: str, suffixes: tuple[str, ...]) -> dict[str, str]:
    base = root / folder
    if not base.is_dir():
        return {}
    return {
        p.stem: p.relative_to(root).as_posix() for p in sorted(base.iterdir()) if p.suffix.lower() in suffixes
    }


def _face_index(root: Path) -> dict[str, str]:
    base = root / "openface_face"
    if not base.is_dir():
        return {}
    return {
        p.name: f"openface_face/{p.name}/{p.name}.npy"
        for p in sorted(base.iterdir())
        if (p / f"{p.name}.npy").is_file()
    }


def _split_name(key: str) -> str:
    corpus = key.removesuffix("_corpus")
    return "test" if corpus == "test1" else corpus


def _labels_2024(root: Path) -> dict[str, tuple[str, str]]:
    """name -> (split, label) from label-6way.npz."""
    path = root / "label-6way.npz"
    if not path.is_file():
        return {}
    out = {}
    for key, array in load_npz(path).items():
        for name, entry in dict(unwrap(array)).items():
            label = entry.get("emo", "") if isinstance(entry, dict) else entry
            out[str(name)] = (_split_name(key), str(label))
    return out


def _labels_2025(root: Path, candidate_split: str) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for path in sorted(root.glob("*candidates*.csv")):
        for name in pd.read_csv(path, dtype=str, keep_default_na=False)["name"]:
            out[name] = (candidate_split, "")
    train = root / "track1_train_disdim.csv"
    if train.is_file():
        table = pd.read_csv(train, dtype=str, keep_default_na=False)
        out.update({n: ("train", d) for n, d in zip(table["name"], table["discrete"], strict=True)})
    return out


def _transcripts(root: Path, language: str) -> dict[str, str]:
    for filename in ("subtitle_chieng.csv", "transcription-merge.csv"):
        path = root / filename
        if path.is_file():
            table = pd.read_csv(path, dtype=str, keep_default_na=False)
            column = language if language in table.columns else "chinese"
            return dict(zip(table["name"], table[column], strict=True))
    return {}


def import_mertools(root: Path, language: str = "english", candidate_split: str = "test") -> pd.DataFrame:
    """Manifest rows (paths relative to `root`) for a MER2024 or MER2025 processed folder."""
    labels = _labels_2024(root) or _labels_2025(root, candidate_split)
    videos = _media_index(root, "video", VIDEO_SUFFIXES)
    audios = _media_index(root, "audio", (".wav", ".flac"))
    faces = _face_index(root)
    texts = _transcripts(root, language)
    if not (labels or videos or audios):
        raise FileNotFoundError(
            f"{root}: not a MERTools corpus folder (expected label-6way.npz or track1_train_disdim.csv, "
            "and video/ or audio/)"
        )
    names = sorted(set(labels) | set(videos) | set(audios))
    return pd.DataFrame(
        {
            "name": names,
            "split": [labels.get(n, ("unlabeled", ""))[0] for n in names],
            "video": [videos.get(n, "") for n in names],
            "audio": [audios.get(n, "") for n in names],
            "face": [faces.get(n, "") for n in names],
            "text": [texts.get(n, "") for n in names],
            "label": [labels.get(n, ("", ""))[1] for n in names],
            "openset": "",
        }
    )
