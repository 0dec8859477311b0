"""The streaming form of a dscnn_stream model: its step gives the whole model's scores, a few frames at a time."""

import json
import shutil

import numpy as np
import pytest

from kwsapp.core.audio import WavFile, write_wav
from kwsapp.core.features import DEFAULT_SETTINGS, log_specgram
from kwsapp.core.labels import LABELS
from kwsapp.core.modelfolder import ModelFolder, ModelFolderError
from kwsapp.engine.incremental import IncrementalSource, StreamStep
from tests.helpers import run_cli
from trainer.models.incremental import FRAMES_PER_STEP


@pytest.fixture(scope="module")
def stream_model(tmp_path_factory):
    """An untrained dscnn_stream model with made-up normalisation statistics (so that every layer matters), and its
    step."""
    from trainer.models.tf_setup import import_tensorflow

    import_tensorflow()
    import keras

    from trainer.models.architectures import build_model
    from trainer.models.incremental import export_step

    folder = tmp_path_factory.mktemp("stream_model")
    model = build_model("dscnn_stream", DEFAULT_SETTINGS.shape, len(LABELS))
    rng = np.random.default_rng(0)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights([rng.uniform(0.5, 1.5, gamma.shape), rng.normal(0, 0.1, beta.shape),
                               rng.normal(0, 0.1, mean.shape), rng.uniform(0.5, 2.0, var.shape)])
    keras.saving.save_model(model, folder / "model.keras")
    ModelFolder.write_metadata(folder, list(LABELS), DEFAULT_SETTINGS)
    export_step(folder)
    return folder


def test_the_step_gives_the_whole_models_scores_on_the_same_frames(stream_model):
    from trainer.models.incremental import check_step

    assert check_step(stream_model, seconds=2.0) < 1e-4


def test_frames_short_of_a_step_wait_for_the_next_push(stream_model):
    feats = (np.random.default_rng(1).normal(size=(41, 81)) * 3 - 10).astype(np.float32)
    whole = StreamStep(stream_model).push(feats)
    pieces = StreamStep(stream_model)
    parts = [pieces.push(feats[a:b]) for a, b in ((0, 3), (3, 10), (10, 11), (11, 41))]
    assert pieces.frames_per_step == FRAMES_PER_STEP  # read from the file, as the states are
    assert [len(p) for p in parts] == [0, 2, 0, 8] and len(whole) == 41 // FRAMES_PER_STEP
    np.testing.assert_allclose(np.concatenate(parts), whole, atol=1e-6)


def test_the_live_path_at_the_feature_rate_computes_the_recordings_own_frames(stream_model, tmp_path):
    """At 8 kHz nothing is resampled: fed in pieces, the step sees the frames of the whole recording."""
    rate = DEFAULT_SETTINGS.sample_rate_hz
    wave = np.random.default_rng(2).normal(0, 0.05, 3 * rate).astype(np.float32)
    write_wav(tmp_path / "r.wav", wave, rate)
    from kwsapp.engine.listener import open_listener
    from trainer.recordings.replay import hop_arrays, listen

    listener = open_listener(stream_model, rate, runtime="incremental")
    _, times, scores, _ = hop_arrays(listener, listen(listener, WavFile(tmp_path / "r.wav")))
    # the wav holds 16-bit samples: the frames of what was written
    frames = log_specgram(WavFile(tmp_path / "r.wav").read(0, len(wave)), DEFAULT_SETTINGS)
    want = StreamStep(stream_model).push(frames)
    assert len(scores) == len(want) >= 70
    np.testing.assert_allclose(scores, want, atol=1e-5)
    # a step's time is the end of its last frame: 4k + 3 frames of 10 ms, and the 20-ms window
    np.testing.assert_allclose(times, 40 * np.arange(len(times)) + 50)


def test_resampled_input_steps_every_40_ms_too_fed_in_any_pieces(stream_model):
    x = np.random.default_rng(3).normal(0, 0.05, 48000).astype(np.float32)
    small = IncrementalSource(StreamStep(stream_model), 16000)
    times, scores = map(np.concatenate, zip(*(small.feed(x[a:a + 1600]) for a in range(0, len(x), 1600))))
    assert len(times) >= 73 and np.all(np.diff(times) == 40)
    big_times, big_scores = IncrementalSource(StreamStep(stream_model), 16000).feed(x)  # 3 s at once
    np.testing.assert_array_equal(big_times, times)
    np.testing.assert_allclose(big_scores, scores, atol=1e-5)


def test_a_folder_without_a_step_says_so(tmp_path):
    ModelFolder.write_metadata(tmp_path, list(LABELS), DEFAULT_SETTINGS)
    (tmp_path / "model.tflite").write_bytes(b"")
    with pytest.raises(ModelFolderError, match="stream_step.tflite"):
        StreamStep(tmp_path)


def test_the_command_line_exports_the_step_and_scores_a_recording_with_it(stream_model, tmp_path):
    folder = tmp_path / "m"
    shutil.copytree(stream_model, folder)
    (folder / "stream_step.tflite").unlink()
    out = json.loads(run_cli("export-stream", "--model", folder).stdout.strip().splitlines()[-1])
    assert out["max_abs_diff_vs_keras"] < 1e-4 and (folder / "stream_step.tflite").is_file()
    write_wav(tmp_path / "s.wav", np.random.default_rng(4).normal(0, 0.05, 16000 * 6).astype(np.float32), 16000)
    (tmp_path / "s.csv").write_text("time_s,label,clip\n2.5,yes,yes/a_nohash_0.wav\n")
    r = run_cli("stream-eval", "--model", folder, "--wav", tmp_path / "s.wav", "--truth", tmp_path / "s.csv",
                "--runtime", "incremental", "--json", tmp_path / "r.json")
    assert r.stdout.startswith("hop 40 ms")
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["runtime"] == "incremental" and result["words"] == 1
