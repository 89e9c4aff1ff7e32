"""`faces.*`: the face-crop stage."""

from __future__ import annotations

from pipeline.config.base import Section, between


class FacesConfig(Section):
    enabled: bool = False
    frames: between(int, 1, 1024) = 16  # sampled per clip; the video sets sample their `frames` from these
    size: between(int, 16, 1024) = 112  # crop side in pixels (OpenFace's aligned crops in MERTools are 112)
    margin: between(float, 0.0, 2.0) = 0.2  # box grown by this fraction of its side on every side
    min_face: between(float, 0.01, 1.0) = 0.1  # smallest face searched, as a fraction of the shorter side
    workers: between(int, 1, 256) = 2
