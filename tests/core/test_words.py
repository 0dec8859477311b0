"""Where the word is: one rule (frames within WORD_WITHIN_DB of the loudest) on synthetic signals."""

import numpy as np

from kwsapp.core.words import WORD_WITHIN_DB, frame_energies, frame_length, loud_frames, word_span

RATE = 16000


def burst(levels_db: list[float], frame_ms: float = 10.0) -> np.ndarray:
    """One 10-ms frame of a 1 kHz tone at each level (dB relative to full scale amplitude)."""
    n = frame_length(RATE, frame_ms)
    t = np.arange(n) / RATE
    return np.concatenate([10 ** (db / 20) * np.sin(2 * np.pi * 1000 * t) for db in levels_db]).astype(np.float32)


def test_the_word_is_the_frames_within_ten_db_of_the_loudest():
    assert WORD_WITHIN_DB == 10.0
    # silence, a soft onset 15 dB down, the word at 0 / -5 / -9 dB, a tail 12 dB down, silence
    wave = burst([-200, -200, -15, 0, -5, -9, -12, -200])
    e = frame_energies(wave, RATE)
    assert e.shape == (8,) and e.dtype == np.float32
    np.testing.assert_allclose(e[3], 0.5, rtol=1e-3)  # a unit sine's mean square
    assert loud_frames(e).tolist() == [False, False, False, True, True, True, False, False]
    assert word_span(e) == (3, 6)
    assert word_span(e, within_db=20.0) == (2, 7)  # a wider rule takes in the soft onset and tail


def test_silence_and_short_waves_have_no_word():
    assert word_span(frame_energies(np.zeros(RATE, np.float32), RATE)) is None
    short = frame_energies(np.ones(frame_length(RATE) - 1, np.float32), RATE)
    assert short.size == 0 and word_span(short) is None and not loud_frames(short).any()


def test_a_partial_last_frame_is_left_out():
    wave = np.ones(int(2.5 * frame_length(RATE)), np.float32)
    assert frame_energies(wave, RATE).tolist() == [1.0, 1.0]


def test_a_long_take_is_cut_to_the_second_around_its_word():
    from kwsapp.core.words import word_window

    x = np.zeros(3 * RATE, np.float32)
    x[int(2.0 * RATE):int(2.3 * RATE)] = burst([0] * 30)  # the word: 2.0 to 2.3 s
    w = word_window(x, RATE)
    assert w.size == RATE
    start = int(np.flatnonzero(np.all(np.lib.stride_tricks.sliding_window_view(x, RATE) == w, axis=1))[0])
    assert abs((start + RATE / 2) / RATE - 2.15) < 0.02  # centred on the word
    assert word_window(x[:RATE // 2], RATE).size == RATE // 2  # a short take is kept whole
