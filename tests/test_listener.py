"""The one path from samples to announcements (kwsapp.engine.listener): the same hops however a recording is fed,
and the app's worker and stream-eval announce the same words at the same times, for every kind of model, with and
without the verifier."""

import json
import shutil

import numpy as np
import pytest

from kwsapp.core.audio import write_wav
from kwsapp.core.decisions import DecisionSettings
from tests.helpers import BUNDLED_MODEL


def commands_in_noise(seconds=12, rate=16000, seed=0):
    """Noise with tone bursts: enough for the models to give changing scores (not a test of hearing)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 0.02, seconds * rate).astype(np.float32)
    for k, f in enumerate((300, 700, 1200, 500, 900)):
        a = int((1.5 + 2.1 * k) * rate) if seconds > 1 else int(0.2 * rate)
        t = np.arange(int(0.5 * rate)) / rate
        if a + t.size > x.size:
            break
        x[a:a + t.size] += 0.3 * np.sin(2 * np.pi * f * t * (1 + 0.3 * t)).astype(np.float32)
    return x


def fed_in_pieces(listener, x, rng):
    hops, i = [], 0
    while i < x.size:
        n = int(rng.integers(1, 6000))
        hops += listener.feed(x[i:i + n])
        i += n
    return hops


@pytest.fixture(scope="module")
def embedding_model(tmp_path_factory):
    """A folder of the speech-embedding kind with an untrained head (random weights): for the path, not hearing."""
    from kwsapp.core.labels import LABELS
    from kwsapp.core.modelfolder import write_json_atomic
    from kwsapp.engine.speech_embedding import FrontEndSettings, write_frontend
    from trainer.models.embedding_head import head_model
    from trainer.models.keras_model import export_litert
    from trainer.models.tf_setup import import_tensorflow

    import_tensorflow()
    import keras

    keras.utils.set_random_seed(0)
    out = tmp_path_factory.mktemp("emb")
    head_model(9, len(LABELS)).save(out / "model.keras")
    export_litert(out / "model.keras", out / "model.tflite")
    write_json_atomic(out / "labels.json", list(LABELS))
    write_frontend(out, FrontEndSettings())
    return out


@pytest.mark.parametrize("kind", ["spectrogram", "speech_embedding"])
def test_a_recording_gives_the_same_hops_whatever_the_pieces(kind, embedding_model):
    from kwsapp.engine.listener import open_listener

    model = BUNDLED_MODEL if kind == "spectrogram" else embedding_model
    x = commands_in_noise(rate=48000)
    settings = DecisionSettings(peak_threshold=0.0, threshold=0.0, average_window_ms=300, refractory_ms=500, minimum_count=1)
    whole = open_listener(model, 48000, settings, verify_every_hop=True).feed(x)
    pieces = fed_in_pieces(open_listener(model, 48000, settings, verify_every_hop=True), x, np.random.default_rng(1))
    step = 100.0 if kind == "spectrogram" else 80.0
    assert len(whole) == len(pieces) > 12 / (step / 1000) * 0.9
    assert np.allclose(np.diff([h.time_ms for h in whole]), step)
    assert [(h.time_ms, h.decision.label, h.announced) for h in whole] == \
        [(h.time_ms, h.decision.label, h.announced) for h in pieces]
    np.testing.assert_allclose(np.array([h.scores for h in whole]), np.array([h.scores for h in pieces]), atol=1e-5)
    assert any(h.announced for h in whole)  # a threshold of 0: the path's announcements are exercised


def test_the_speech_embedding_kind_scores_a_clip_centred_in_silence(embedding_model):
    """A clip alone (evaluate, Open a wav) is heard centred in 1.5 s of silence, as in training."""
    from kwsapp.engine.embedding import EmbeddingModel, clip_embeddings
    from kwsapp.engine.kinds import clip_scorer, kind_of

    assert kind_of(embedding_model) == "speech_embedding"
    x = commands_in_noise(seconds=1)
    m = EmbeddingModel(embedding_model)
    e = clip_embeddings(m, x, 16000)
    assert e.shape == (9, 96)
    np.testing.assert_allclose(clip_scorer(embedding_model)(x, 16000), m.head(e), atol=1e-6)


def test_a_front_end_file_that_is_not_the_one_named_is_refused(embedding_model, tmp_path):
    from kwsapp.core.modelfolder import ModelFolderError
    from kwsapp.engine.embedding import EmbeddingModel

    copy = tmp_path / "m"
    shutil.copytree(embedding_model, copy)
    f = copy / "frontend" / "embedding_model.tflite"
    f.write_bytes(f.read_bytes()[:-10] + b"0123456789")
    with pytest.raises(ModelFolderError, match="checksum"):
        EmbeddingModel(copy)


@pytest.mark.parametrize("with_verifier", [True, False])
def test_the_app_and_stream_eval_announce_the_same_words_at_the_same_times(tmp_path, with_verifier, qtbot,
                                                                           needs_espeak):
    """The app's worker, fed from its ring buffer in the pieces the microphone gives, and stream-eval on the file."""
    from kwsapp.core.ringbuffer import AudioRingBuffer
    from kwsapp.gui.workers import InferenceWorker
    from trainer.data.synth import spoken_sequence
    from trainer.recordings.replay import stream_eval

    model = tmp_path / "m"
    shutil.copytree(BUNDLED_MODEL, model)
    if not with_verifier:
        (model / "verifier.json").unlink()
    settings = DecisionSettings()
    x = spoken_sequence(["yes", "stop", "right", "down", "go", "left"], [1.5, 4.0, 6.5, 9.0, 11.5, 14.0], 16, tmp_path)
    x = (x + np.random.default_rng(3).normal(0, 0.01, x.size)).astype(np.float32)
    write_wav(tmp_path / "r.wav", x, 16000)
    (tmp_path / "r.csv").write_text("time_s,label,clip\n")
    r = stream_eval(model, tmp_path / "r.wav", tmp_path / "r.csv", decisions=settings)
    cli = [(d["time_s"], d["label"]) for d in r["detections"]]

    worker = InferenceWorker(decisions=settings)
    reports = []
    worker.hop_done.connect(reports.append)
    worker.load_model(str(model))
    buf = AudioRingBuffer(16000 * 3, 16000)
    worker.set_source(buf)
    rng = np.random.default_rng(5)
    i = 0
    while i < x.size:  # the microphone's blocks, and the worker's timer now and then
        n = int(rng.integers(200, 3000))
        buf.write(x[i:i + n])
        i += n
        if rng.random() < 0.4:
            worker._hop()
    worker._hop()
    app = [(round(h.time_s, 3), h.label) for h in reports if h.is_new_command]
    assert app == cli and len(app) >= 4, (app, cli)
    assert json.loads(json.dumps(r["verifier"])) == (None if not with_verifier else r["verifier"])
