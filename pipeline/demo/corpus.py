"""Generate the offline demo corpus: mp4 clips, transcripts, a manifest and OV sets.

Every clip is drawn from its own seeded generator (seed, split, index), so the corpus is the same
whatever the number of worker processes or the order they finish in.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.config.demo import DemoConfig
from pipeline.corpus.labels import MER2024_LABELS
from pipeline.corpus.manifest import format_openset, write_manifest
from pipeline.demo.face import draw_clip
from pipeline.demo.transcript import make_transcript
from pipeline.media.synthetic import clip_rng
from pipeline.media.voice import synth_voice
from pipeline.media.write import write_clip
from pipeline.parallel import process_map
from pipeline.tracks.emotion_words import FAMILIES, NEIGHBOURS

SAMPLE_RATE = 16_000


CLASS_WEIGHTS = (0.22, 0.18, 0.2, 0.15, 0.13, 0.12)  # how often each of MER2024_LABELS is drawn
SECONDS = (1.5, 3.0)  # clip lengths are drawn uniformly from this range


@dataclass(frozen=True)
class ClipSpec:
    split: str
    index: int

    @property
    def name(self) -> str:
        return f"{self.split}_{self.index:05d}"


def _other(emotion: str, rng: np.random.Generator) -> str:
    others = [e for e in MER2024_LABELS if e != emotion]
    return others[rng.integers(len(others))]


def _cue(label: str, confusion: float, rng: np.random.Generator) -> str:
    return _other(label, rng) if rng.random() < confusion else label


def _text_cue(label: str, cfg: DemoConfig, rng: np.random.Generator) -> str:
    draw = rng.random()
    if draw < cfg.text_neutral:
        return "neutral"
    if draw < cfg.text_neutral + cfg.text_misleading:
        return _other(label, rng)
    return label


def openset_words(label: str, rng: np.random.Generator) -> list[str]:
    """2-5 words around the label: mostly its own family, sometimes a neighbouring one."""
    family = FAMILIES[label]
    count = int(rng.integers(2, 6))
    own = list(rng.choice(family, size=min(count, len(family)), replace=False))
    if rng.random() < 0.8 and family[0] not in own:
        own[0] = family[0]
    if count > 2 and rng.random() < 0.35:
        neighbour = FAMILIES[NEIGHBOURS[label][rng.integers(2)]]
        own[-1] = neighbour[rng.integers(len(neighbour))]
    return list(dict.fromkeys(own))


def make_clip(spec: ClipSpec, cfg: DemoConfig, out: Path) -> dict[str, str]:
    """Write one clip and return its manifest row plus the cues it was drawn with."""
    rng = clip_rng(cfg.seed, spec.split, spec.index)
    label = MER2024_LABELS[rng.choice(len(MER2024_LABELS), p=np.asarray(CLASS_WEIGHTS) / sum(CLASS_WEIGHTS))]
    audio_cue, video_cue = _cue(label, cfg.audio_confusion, rng), _cue(label, cfg.video_confusion, rng)
    text_cue = _text_cue(label, cfg, rng)
    seconds = rng.uniform(*SECONDS)
    audio = synth_voice(audio_cue, seconds, rng, intensity=rng.uniform(0.5, 1.0))
    has_video = rng.random() >= cfg.missing_video
    frames = draw_clip(
        video_cue, max(2, round(seconds * cfg.fps)), rng, rng.uniform(0.5, 1.0), cfg.frame_size
    )
    path = Path("clips") / f"{spec.name}.mp4"
    write_clip(out / path, frames if has_video else None, cfg.fps, audio, SAMPLE_RATE)
    return {
        "name": spec.name,
        "split": spec.split,
        "video": path.as_posix(),
        "audio": "",
        "text": make_transcript(text_cue, rng),
        "label": label,
        "openset": format_openset(openset_words(label, rng)),
        "audio_cue": audio_cue,
        "video_cue": video_cue,
        "text_cue": text_cue,
    }


def _make_clip_star(job: tuple[ClipSpec, DemoConfig, Path]) -> dict[str, str]:
    return make_clip(*job)


def make_demo_corpus(cfg: DemoConfig, out: Path) -> Path:
    """Write clips, manifest.csv (unlabeled rows without labels), unlabeled_truth.csv and cues.csv."""
    out.mkdir(parents=True, exist_ok=True)
    specs = [ClipSpec(split, i) for split, n in cfg.sizes.items() for i in range(n)]
    jobs = [(spec, cfg, out) for spec in specs]
    rows = process_map(_make_clip_star, jobs, cfg.workers, "demo clips")
    table = pd.DataFrame(rows)
    unlabeled = table["split"] == "unlabeled"
    table[unlabeled][["name", "label"]].to_csv(out / "unlabeled_truth.csv", index=False, lineterminator="\n")
    table[["name", "split", "label", "audio_cue", "video_cue", "text_cue"]].to_csv(
        out / "cues.csv", index=False, lineterminator="\n"
    )
    table.loc[unlabeled, ["label", "openset"]] = ""
    return write_manifest(table, out / "manifest.csv")
