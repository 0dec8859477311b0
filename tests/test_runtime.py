"""The live path on a recording: spoken commands in noise, slid over hop by hop with the bundled model."""

from pathlib import Path

import numpy as np
import pytest

from kwsapp.core.decisions import DecisionSettings

BUNDLED = Path(__file__).resolve().parents[1] / "assets" / "default_model"


@pytest.mark.slow
def test_streaming_recognizer_announces_spoken_commands_in_order(tmp_path, needs_espeak):
    from kwsapp.runtime import StreamingRecognizer, WindowScorer
    from trainer.synth import RATE_HZ, Speaker, espeak_word

    speaker = Speaker("en-us", "m3", 50, 140)
    words = ["yes", "stop", "right", "down"]
    rng = np.random.default_rng(0)
    wave = rng.normal(0, 0.003, RATE_HZ * 11).astype(np.float32)
    onsets_s = [1.5, 4.0, 6.5, 9.0]
    for w, t in zip(words, onsets_s):
        x = espeak_word(w, speaker, tmp_path)
        x = 0.5 * x / np.abs(x).max()
        b = int(t * RATE_HZ)
        wave[b:b + x.size] += x
    rec = StreamingRecognizer(WindowScorer(BUNDLED), DecisionSettings())
    hops = list(rec.run_wave(wave, RATE_HZ, hop_ms=250))
    announced = [(h.decision.time_ms / 1000, h.decision.label) for h in hops if h.decision.is_new_command]
    assert [lab for _, lab in announced] == words, announced
    for (t, _), onset in zip(announced, onsets_s):
        assert onset < t < onset + 2.0   # announced while the word is in the 1-s window (plus averaging)
    assert all(h.features.shape == (99, 81) for h in hops)
