"""Face crops: a real photograph pasted into a real mp4 at known positions and scales is cropped where its
face is on every frame; a faceless clip falls back to whole frames and says so; stacks read back through
the video extractors' MERTools path in the right colour order; broken clips are reported, not raised."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.config.faces import FacesConfig
from pipeline.corpus.faces import add_face_stacks, stack_path, summary
from pipeline.corpus.manifest import read_manifest
from pipeline.media.faces import crop_clip, crop_frames, grown
from pipeline.media.frames import load_frames
from pipeline.media.write import write_clip
from tests.conftest import manifest_row, write_test_manifest
from tests.photos import astronaut_frames, iou

CFG = FacesConfig(enabled=True, workers=1)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faces")
    photo, boxes = astronaut_frames()
    red = np.zeros((4, 96, 96, 3), np.uint8)
    red[..., 0] = 200
    red[:, 40:56] = (200, 180, 160)  # a skin-toned stripe: still no face
    write_clip(folder / "clips/astronaut.mp4", photo, 8, None)
    write_clip(folder / "clips/faceless.mp4", red, 8, None)
    (folder / "clips/broken.mp4").write_bytes(b"")
    return folder, boxes


def test_crops_land_on_the_photographed_face_in_every_frame(clips):
    folder, boxes = clips
    result = crop_clip("astronaut", folder / "clips/astronaut.mp4", folder / "a.npy", CFG)
    assert result.error == "" and result.faces == len(boxes) == 5 and result.fallbacks == 0
    for crop, truth in zip(result.boxes, boxes, strict=True):
        assert iou(crop, grown(tuple(round(v) for v in truth), CFG.margin, (144, 192))) >= 0.5
    stack = np.load(folder / "a.npy")
    assert stack.shape == (5, 112, 112, 3) and stack.dtype == np.uint8
    frames, _ = astronaut_frames()  # uncompressed: the collar ring there is face-like to the cascade
    _, raw = crop_frames(frames, CFG)
    for crop, truth in zip(raw, boxes, strict=True):
        assert iou(crop, grown(tuple(round(v) for v in truth), CFG.margin, (144, 192))) >= 0.5


def test_a_faceless_clip_falls_back_to_whole_frames_in_mertools_colour_order(clips):
    folder, _ = clips
    result = crop_clip("faceless", folder / "clips/faceless.mp4", folder / "f.npy", CFG)
    assert result.faces == 0 and result.fallbacks == 4 and result.boxes == [None] * 4
    assert np.load(folder / "f.npy")[0, 5, 5].tolist()[::-1] == pytest.approx([200, 0, 0], abs=12)  # BGR
    read = load_frames(None, folder / "f.npy", 8)
    assert read.ok and read.data.shape == (4, 112, 112, 3)
    assert read.data[0, 5, 5].tolist() == pytest.approx([200, 0, 0], abs=12)  # RGB again when read


def test_a_manifest_gets_face_stacks_counts_and_failures(clips, tmp_path):
    folder, _ = clips
    rows = [
        manifest_row("astronaut", video="clips/astronaut.mp4"),
        manifest_row("faceless", video="clips/faceless.mp4"),
        manifest_row("broken", video="clips/broken.mp4"),
        manifest_row("textonly"),
    ]
    manifest = read_manifest(write_test_manifest(rows, folder / "corrupted.csv"), contained=False)
    counts = add_face_stacks(manifest, folder / "faces", folder / "manifest.csv", CFG)
    derived = pd.read_csv(folder / "manifest.csv", dtype=str, keep_default_na=False).set_index("name")
    assert derived.loc["astronaut", "face"] == "faces/openface_face/astronaut/astronaut.npy"
    assert (folder / derived.loc["faceless", "face"]).is_file()
    assert derived.loc["broken", "face"] == derived.loc["textonly", "face"] == ""
    assert not stack_path(folder / "faces", "broken").exists()
    by = counts.set_index("name")
    assert by.loc["astronaut", "faces"] == 5 and by.loc["faceless", "fallbacks"] == 4
    assert "cannot decode broken.mp4" in by.loc["broken", "error"]
    assert pd.read_csv(folder / "faces/faces.csv").shape == (3, 5)
    assert summary(counts).startswith("2 clip(s) cropped: 5 of 9 frames with a face")
    assert "1 clip(s) with no face at all; 1 clip(s) could not be decoded" in summary(counts)
