"""The live spectrogram computed a few columns at a time equals the whole recording's, and costs only the new frames."""

import numpy as np
import pytest
from scipy import signal

from kwsapp.core.features import DEFAULT_SETTINGS, log_specgram
from kwsapp.core.ringbuffer import AudioRingBuffer
from kwsapp.core.scrolling import ScrollingSpectrogram


def recording(rate, seconds, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(int(rate * seconds)) / rate
    chirp = 0.3 * np.sin(2 * np.pi * (200 + 600 * t) * t)
    return (chirp + rng.normal(0, 0.01, t.size)).astype(np.float32)


@pytest.mark.parametrize("rate", [8000, 16000, 44100, 48000])
def test_pieces_give_the_whole_recordings_columns(rate):
    x = recording(rate, 5.0)
    buf = AudioRingBuffer(rate * 10, rate)
    view = ScrollingSpectrogram(DEFAULT_SETTINGS, 3.0, rate)
    rng = np.random.default_rng(1)
    pos, changed = 0, 0
    while pos < x.size:
        n = int(rng.integers(rate // 100, rate // 8))  # as the audio callback and the display timer come
        buf.write(x[pos:pos + n])
        pos += n
        changed += view.update(buf)
    g = np.gcd(8000, rate)
    whole = log_specgram(signal.resample_poly(x.astype(np.float64), 8000 // g, rate // g), DEFAULT_SETTINGS)
    last = view.next_frame - 1
    shown = len(view.columns)
    assert shown == 299 and view.columns.shape[1] == 81
    np.testing.assert_allclose(view.columns, whole[last - shown + 1:last + 1], atol=1e-3)
    # only new frames were computed (none twice), and nothing is done when no audio came
    assert view.frames_computed == last + 1 and changed == last + 1
    assert view.update(buf) == 0 and view.frames_computed == last + 1


def test_a_reader_held_up_past_the_buffer_starts_again_from_what_is_there():
    rate = 16000
    buf = AudioRingBuffer(rate * 2, rate)  # 2 s held, 3 s shown
    view = ScrollingSpectrogram(DEFAULT_SETTINGS, 3.0, rate)
    x = recording(rate, 8.0)
    buf.write(x[:rate])
    assert view.update(buf) > 0
    buf.write(x[rate:6 * rate])  # 5 s while the display timer was held up: most of it gone from the buffer
    assert 190 <= view.update(buf) <= 200  # the 2 s the buffer still holds, less the resampler's margin
    gone = view.columns[:90]
    assert (gone == DEFAULT_SETTINGS.floor).all()  # what the buffer no longer holds is shown as silence
    assert (view.columns[-150:] > DEFAULT_SETTINGS.floor + 5).all()  # and the recent audio is there
