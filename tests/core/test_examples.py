"""The user's examples: "That was wrong" keeps the audio around an announcement as unknown, while it is in the
ring buffer."""

import numpy as np
import pytest

from kwsapp.core.audio import read_wav
from kwsapp.core.examples import WRONG_AFTER_S, WRONG_BEFORE_S, examples_dir, save_example, save_wrong
from kwsapp.core.ringbuffer import AudioRingBuffer

RATE = 16000


def test_span_gives_absolute_samples_while_they_are_in_the_buffer():
    buf = AudioRingBuffer(RATE * 2, RATE)
    ramp = np.arange(RATE * 3, dtype=np.float32)
    for i in range(0, ramp.size, 320):
        buf.write(ramp[i:i + 320])
    assert np.array_equal(buf.span(RATE * 2, RATE * 2 + 10), ramp[RATE * 2:RATE * 2 + 10])
    assert np.array_equal(buf.span(RATE * 3 - 5, RATE * 4), ramp[-5:])  # clipped to what was written
    assert buf.span(RATE // 2, RATE) is None  # left the 2-s buffer


def test_that_was_wrong_keeps_the_announcements_audio_as_unknown(tmp_path, monkeypatch):
    monkeypatch.setenv("KWSAPP_DATA_DIR", str(tmp_path / "data"))
    assert examples_dir() == tmp_path / "data" / "examples"
    buf = AudioRingBuffer(RATE * 10, RATE)
    t = np.arange(RATE * 8) / RATE
    buf.write((0.1 * np.sin(2 * np.pi * 440 * t)).astype(np.float32))
    path = save_wrong(buf, announced_time_s=6.0)
    assert path.parent == tmp_path / "data" / "examples" / "unknown" and path.name.startswith("wrong_")
    rate, x = read_wav(path)
    assert rate == RATE and x.size == int((WRONG_BEFORE_S + WRONG_AFTER_S) * RATE)
    np.testing.assert_allclose(x[:100], 0.1 * np.sin(2 * np.pi * 440 * t[int(4.75 * RATE):int(4.75 * RATE) + 100]),
                               atol=1e-4)
    buf.write(np.zeros(RATE * 9, np.float32))  # 9 s later: gone
    assert save_wrong(buf, announced_time_s=6.0) is None


def test_a_label_is_a_folder_name_and_nothing_else(tmp_path):
    for bad in ("", "../x", ".hidden"):
        with pytest.raises(ValueError):
            save_example(bad, np.zeros(10, np.float32), RATE, tmp_path)


@pytest.mark.parametrize("label,ok", [("lights", True), ("turn on", True), ("café", True), ("a,b", False),
                                      ("x=1", False), ("a\nb", False), (".hidden", False), (" yes", False),
                                      ("yes ", False), ("a/b", False), ("", False), ("x" * 41, False)])
def test_one_rule_for_a_label(label, ok):
    from kwsapp.core.labels import label_problem

    assert (label_problem(label) is None) == ok


def test_takes_without_a_word_and_folders_that_are_not_labels_are_left_out_and_named(tmp_path):
    from kwsapp.core.examples import read_takes, save_example
    from kwsapp.core.words import take_problem

    rate = 16000
    rng = np.random.default_rng(0)
    word = rng.normal(0, 0.002, rate).astype(np.float32)
    word[4000:9000] += 0.3 * np.sin(np.arange(5000) * 0.2).astype(np.float32)
    assert take_problem(word, rate) is None
    assert "silent" in take_problem(np.zeros(rate, np.float32), rate)
    assert "too short" in take_problem(word[:1], rate)
    assert "stands out" in take_problem(rng.normal(0, 0.05, rate).astype(np.float32), rate)
    save_example("yes", word, rate, tmp_path)
    save_example("yes", np.zeros(rate, np.float32), rate, tmp_path)
    (tmp_path / "a,b").mkdir()
    with pytest.raises(ValueError, match="cannot hold ','"):
        save_example("a,b", word, rate, tmp_path)
    takes, skipped = read_takes(tmp_path)
    assert list(takes) == ["yes"] and len(takes["yes"]) == 1
    assert len(skipped) == 2 and any("silent" in s for s in skipped) and any("not a label" in s for s in skipped)


def test_a_take_cut_tight_around_its_word_is_kept():
    """An imported take that is word from end to end (the Free Spoken Digit Dataset's are 0.3-0.5 s) holds a word:
    its loudest part stands far above its quietest, though not above its median."""
    from kwsapp.core.words import take_problem

    rate = 8000
    t = np.arange(int(0.35 * rate)) / rate
    envelope = np.sin(np.pi * t / t[-1]) ** 2  # rises from the word's onset and falls to its end
    word = (0.4 * envelope * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    assert take_problem(word, rate) is None
    hum = (0.2 * np.sin(2 * np.pi * 50 * np.arange(rate) / rate)).astype(np.float32)  # steady: no word in it
    assert "stands out" in take_problem(hum, rate)
