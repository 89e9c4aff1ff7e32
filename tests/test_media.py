import numpy as np
import soundfile as sf

from pipeline.media.audio import load_audio
from pipeline.media.frames import load_frames, read_video, uniform_indices
from pipeline.media.write import write_clip
from tests.conftest import frames, tone


def test_clip_without_video_stream_is_absent_video_but_has_audio(make_clip):
    path = make_clip("audio_only.mp4", video=False)
    video = load_frames(path, None, 8)
    assert video.status == "absent" and "no video stream" in video.reason
    audio = load_audio(None, path)
    assert audio.ok and audio.data.dtype == np.float32
    assert abs(audio.data.size - 16_000) < 2048


def test_clip_without_audio_stream_is_absent_audio_but_has_frames(make_clip):
    path = make_clip("silent.mp4", audio=False)
    audio = load_audio(None, path)
    assert audio.status == "absent" and "no audio stream" in audio.reason
    video = load_frames(path, None, 4)
    assert video.ok and video.data.shape == (4, 32, 32, 3) and video.data.dtype == np.uint8


def test_short_clip_gives_fewer_than_k_frames(make_clip):
    video = load_frames(make_clip("short.mp4", seconds=0.25), None, 8)
    assert video.ok and len(video.data) == 2


def test_wav_is_resampled_to_16k_mono(tmp_path):
    stereo = np.stack([tone(1.0, rate=8000), tone(1.0, rate=8000)], axis=1)
    sf.write(tmp_path / "a.wav", stereo, 8000)
    audio = load_audio(tmp_path / "a.wav", None)
    assert audio.ok and audio.data.shape == (16_000,)
    spectrum = np.abs(np.fft.rfft(audio.data))
    assert abs(np.argmax(spectrum) - 220) <= 1


def test_broken_and_missing_files_are_failures_not_crashes(tmp_path, make_clip):
    (tmp_path / "zero.mp4").write_bytes(b"")
    good = make_clip("good.mp4").read_bytes()
    (tmp_path / "trunc.mp4").write_bytes(good[: len(good) // 3])
    sf.write(tmp_path / "nan.wav", np.full(1600, np.nan, np.float32), 16_000, subtype="FLOAT")
    for name in ("zero.mp4", "trunc.mp4", "missing.mp4"):
        assert load_frames(tmp_path / name, None, 8).status == "failed"
        assert load_audio(None, tmp_path / name).status == "failed"
    assert "NaN" in load_audio(tmp_path / "nan.wav", None).reason
    assert load_audio(None, None).status == "absent"


def test_face_stack_frames_are_sampled_and_flipped_to_rgb(tmp_path):
    stack = frames(20, 16)
    np.save(tmp_path / "face.npy", stack)
    video = load_frames(tmp_path / "video.mp4", tmp_path / "face.npy", 5)
    assert video.ok
    np.testing.assert_array_equal(video.data, stack[uniform_indices(20, 5)][..., ::-1])
    np.save(tmp_path / "bad.npy", np.zeros((3, 4)))
    assert video.ok and load_frames(None, tmp_path / "bad.npy", 5).status == "failed"


def test_uniform_indices():
    assert list(uniform_indices(3, 8)) == [0, 1, 2]
    assert list(uniform_indices(9, 3)) == [0, 4, 8]


def _flat_clip(path, frames: int, height: int, width: int, rgb: tuple[int, int, int]):
    """A clip of one colour, which lossless coding and decoding keep within a few levels."""
    flat = np.broadcast_to(np.array(rgb, np.uint8), (frames, height, width, 3)).copy()
    return write_clip(path, flat, 8, None), flat


def _close(decoded: np.ndarray, expected: np.ndarray) -> bool:
    return decoded.shape == expected.shape and np.abs(decoded.astype(int) - expected).max() <= 3


def test_clips_of_any_even_size_are_written_and_decode_to_their_frames(tmp_path):
    # A height of 2 mod 4 (270, 34) leaves a chroma plane that does not fill whole rows of the packed
    # picture; odd sizes are cropped to even ones.
    path, flat = _flat_clip(tmp_path / "odd.mp4", 4, 35, 67, (200, 120, 40))
    video = load_frames(path, None, 4)
    assert video.ok and _close(video.data, flat[:, :34, :66])


def test_widths_decord_rejects_are_decoded_with_pyav(tmp_path):
    # decord fails on 48-pixel-wide pictures ("Check failed: from_size == to_size"); PyAV takes over.
    path, flat = _flat_clip(tmp_path / "narrow.mp4", 6, 32, 48, (40, 160, 220))
    video = load_frames(path, None, 4)
    assert video.ok and _close(video.data, flat[:4])
    every, fps = read_video(path)
    assert _close(every, flat) and fps == 8.0
