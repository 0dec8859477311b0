"""The live path on a recording: spoken commands in noise, slid over hop by hop with the bundled model."""


import numpy as np
import pytest

from kwsapp.core.decisions import DEFAULT_HOP_MS, DecisionSettings
from tests.helpers import BUNDLED_MODEL

BUNDLED = BUNDLED_MODEL


def test_litert_and_keras_scorers_agree_on_the_bundled_model():
    from kwsapp.engine.window import LiteRtScorer, load_scorer
    from trainer.models.keras_model import KerasScorer

    lite, keras_fn = LiteRtScorer(BUNDLED), KerasScorer(BUNDLED)
    assert lite.labels == keras_fn.labels and lite.settings == keras_fn.settings
    x = (np.random.default_rng(1).normal(size=(6, *lite.settings.shape)) * 3 - 12).astype(np.float32)
    for w in x:
        a, b = lite(w), keras_fn(w)
        assert a.shape == (12,) and abs(a.sum() - 1) < 1e-4
        np.testing.assert_allclose(a, b, atol=1e-4)
    np.testing.assert_allclose(keras_fn.scores(x), [lite(w) for w in x], atol=1e-4)  # batches, the same scores
    assert isinstance(load_scorer(BUNDLED), LiteRtScorer)


def test_the_app_runtime_is_litert_only_and_says_how_to_get_it(tmp_path):
    import shutil
    import subprocess
    import sys

    from kwsapp.core.modelfolder import ModelFolderError
    from kwsapp.engine.window import load_scorer

    folder = tmp_path / "m"
    shutil.copytree(BUNDLED, folder)
    (folder / "model.tflite").unlink()
    with pytest.raises(ModelFolderError, match="no model.tflite.*export-litert --model"):
        load_scorer(folder)
    # loading and running a model in the app's runtime imports no TensorFlow or Keras
    code = ("import sys, numpy as np; from kwsapp.engine.window import load_scorer; s = load_scorer(sys.argv[1]); "
            "s(np.zeros(s.settings.shape, np.float32)); "
            "print([m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'trainer')])")
    r = subprocess.run([sys.executable, "-c", code, str(BUNDLED)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "[]", r.stdout + r.stderr


def test_a_broken_tflite_is_a_clear_error(tmp_path):
    import shutil

    from kwsapp.core.modelfolder import ModelFolderError
    from kwsapp.engine.window import LiteRtScorer

    folder = tmp_path / "m"
    shutil.copytree(BUNDLED, folder)
    (folder / "model.tflite").write_bytes(b"not a flatbuffer at all" * 10)
    with pytest.raises(ModelFolderError, match="model.tflite"):
        LiteRtScorer(folder)


@pytest.mark.slow
@pytest.mark.parametrize("runtime", ["litert", "keras"])
def test_the_listener_announces_spoken_commands_in_order(tmp_path, needs_espeak, runtime):
    from trainer.data.synth import RATE_HZ, spoken_sequence
    from trainer.recordings.replay import listener_for

    words = ["yes", "stop", "right", "down"]
    onsets_s = [1.5, 4.0, 6.5, 9.0]
    wave = spoken_sequence(words, onsets_s, 11, tmp_path)
    listener = listener_for(BUNDLED, RATE_HZ, DEFAULT_HOP_MS, runtime)  # the app's hop and decision settings
    hops = listener.feed(wave)
    announced = [(h.time_ms / 1000, h.decision.label) for h in hops if h.announced]
    assert [lab for _, lab in announced] == words, announced
    for (t, _), onset in zip(announced, onsets_s):
        assert onset < t < onset + 2.0   # announced while the word is in the 1-s window (plus averaging)
    assert np.diff([h.time_ms for h in hops]).tolist() == [DEFAULT_HOP_MS] * (len(hops) - 1)


def test_litert_batches_give_the_scores_of_single_windows():
    from kwsapp.engine.window import LiteRtScorer

    lite = LiteRtScorer(BUNDLED)
    x = (np.random.default_rng(2).normal(size=(20, *lite.settings.shape)) * 3 - 12).astype(np.float32)
    one_by_one = np.stack([lite(w) for w in x])
    np.testing.assert_allclose(lite.scores(x, batch_size=7), one_by_one, atol=1e-6)  # 7 + 7 + 6, the last padded
    np.testing.assert_allclose(lite.scores(x[:3], batch_size=256), one_by_one[:3], atol=1e-6)


def test_the_bundled_verifier_checks_announcements_on_the_same_window(tmp_path):
    import json
    import shutil

    from kwsapp.core.features import features_from_wave
    from kwsapp.core.modelfolder import ModelFolder, ModelFolderError
    from kwsapp.engine.listener import Listener
    from kwsapp.engine.window import LiteRtScorer, WindowSource, load_verifier

    folder, threshold = ModelFolder.open(BUNDLED).verifier()
    assert folder.path.name == "verifier" and 0 < threshold < 1
    verifier = load_verifier(BUNDLED)
    w = np.random.default_rng(3).normal(0, 0.1, 16000).astype(np.float32)
    x = features_from_wave(w, 16000, folder.features)
    assert verifier.check(w, 16000, "yes") == pytest.approx(float(LiteRtScorer(folder.path)(x)[folder.labels.index("yes")]))
    assert verifier.check(w, 16000, "lights") is None and verifier.keeps(None)  # a word it does not know passes
    # a main model that always says "yes": announced without a verifier, never past one that never agrees
    lite = LiteRtScorer(BUNDLED)

    class AlwaysYes:
        labels, settings = lite.labels, lite.settings

        def __call__(self, feats):
            return np.eye(len(self.labels), dtype=np.float32)[self.labels.index("yes")]

    settings = DecisionSettings(peak_threshold=0.0, average_window_ms=0, threshold=0.5, refractory_ms=0, minimum_count=1)
    wave = np.random.default_rng(4).normal(0, 0.1, 32000).astype(np.float32)
    plain = Listener(WindowSource(AlwaysYes(), 16000, 1000.0), 16000, settings)
    assert [h.announced for h in plain.feed(wave)] == [True, True]
    never = load_verifier(BUNDLED)
    never.threshold = 1.01
    checked = Listener(WindowSource(AlwaysYes(), 16000, 1000.0), 16000, settings, never)
    hops = checked.feed(wave)
    assert len(hops) == 2 and all(h.decision.is_new_command and not h.announced and h.verified is not None for h in hops)
    # a verifier.json that points outside its folder is refused
    copy = tmp_path / "m"
    shutil.copytree(BUNDLED, copy)
    (copy / "verifier.json").write_text(json.dumps({"folder": "../elsewhere", "threshold": 0.5}))
    with pytest.raises(ModelFolderError, match="inside"):
        ModelFolder.open(copy).verifier()

