"""`demo.*`: how the offline demo corpus is drawn (only while dataset.manifest names the demo's)."""

from __future__ import annotations

from pipeline.config.base import Section, between

Probability = between(float, 0.0, 1.0)

# Where the `demo` stage writes the demo's manifest (dvc.yaml).
DEMO_MANIFEST = "data/corpus/clean/manifest.csv"


class DemoConfig(Section):
    seed: int = 0
    train: between(int, 0, 10**7) = 120
    unlabeled: between(int, 0, 10**7) = 6000
    test: between(int, 0, 10**7) = 1000
    frame_size: between(int, 32, 512) = 96
    fps: between(int, 1, 60) = 8
    audio_confusion: Probability = 0.2
    video_confusion: Probability = 0.15
    text_neutral: Probability = 0.25
    text_misleading: Probability = 0.075
    missing_video: Probability = 0.02
    workers: between(int, 1, 256) = 2

    @property
    def sizes(self) -> dict[str, int]:
        return {"train": self.train, "unlabeled": self.unlabeled, "test": self.test}
