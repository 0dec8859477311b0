import numpy as np
import pytest

from kwsapp.core.decisions import DecisionSettings, RecognizeCommands
from kwsapp.core.labels import LABELS
from kwsapp.core.ringbuffer import AudioRingBuffer


def onehot(label, p=0.95):
    s = np.full(len(LABELS), (1 - p) / (len(LABELS) - 1), np.float32)
    s[LABELS.index(label)] = p
    return s


def run(seq, settings=DecisionSettings(peak_threshold=0.0, average_window_ms=500, threshold=0.6, refractory_ms=1000, minimum_count=1), hop=250):
    rc = RecognizeCommands(LABELS, settings)
    return [(d.time_ms, d.label) for i, lab in enumerate(seq) for d in [rc.process(onehot(lab), i * hop)] if d.is_new_command]


def test_announces_once_within_refractory_time():
    assert run(["yes"] * 4) == [(0, "yes")]               # 0..750 ms: inside 1000 ms refractory
    assert run(["yes"] * 6) == [(0, "yes"), (1250, "yes")]


def test_silence_and_unknown_are_never_announced():
    assert run(["silence"] * 5 + ["unknown"] * 5) == []


def test_same_word_after_silence_is_announced_again():
    got = run(["yes", "silence", "silence", "silence", "yes", "yes"])
    assert [lab for _, lab in got] == ["yes", "yes"]


def test_threshold_respected_on_averages():
    rc = RecognizeCommands(LABELS, DecisionSettings(peak_threshold=0.0, average_window_ms=1000, threshold=0.7, refractory_ms=0, minimum_count=1))
    d = rc.process(onehot("go", 0.65), 0)
    assert not d.is_new_command and d.label == "go"
    # one confident result averaged with the weak one: (0.65 + 0.95) / 2 = 0.8 >= 0.7
    assert rc.process(onehot("go", 0.95), 250).is_new_command


def test_the_peak_threshold_waits_for_one_window_that_hears_the_word_well():
    settings = DecisionSettings(average_window_ms=1000, threshold=0.6, refractory_ms=1500, minimum_count=1,
                                peak_threshold=0.85)
    rc = RecognizeCommands(LABELS, settings)
    # a run of middling windows: the average passes 0.6, but no single window reaches 0.85
    for i, p in enumerate([0.7, 0.75, 0.8]):
        d = rc.process(onehot("up", p), i * 100)
        assert d.label == "up" and not d.is_new_command
    d = rc.process(onehot("up", 0.9), 300)  # then one that does: announced at once, not held by a refractory time
    assert d.is_new_command and d.label == "up"
    # without the check, the first middling window is announced
    rc = RecognizeCommands(LABELS, DecisionSettings(peak_threshold=0.0, average_window_ms=1000, threshold=0.6, refractory_ms=1500,
                                                    minimum_count=1))
    assert rc.process(onehot("up", 0.7), 0).is_new_command


def test_per_command_thresholds_replace_the_threshold_for_those_commands():
    from kwsapp.core.decisions import format_command_thresholds, parse_command_thresholds

    settings = DecisionSettings(peak_threshold=0.0, average_window_ms=0, threshold=0.6, refractory_ms=0, minimum_count=1,
                                command_thresholds="yes=0.9, go=0.5")
    rc = RecognizeCommands(LABELS, settings)
    assert not rc.process(onehot("yes", 0.8), 0).is_new_command    # yes needs 0.9 here
    assert rc.process(onehot("yes", 0.92), 100).is_new_command
    assert rc.process(onehot("no", 0.7), 200).is_new_command       # the others keep 0.6
    assert rc.process(onehot("go", 0.55), 300).is_new_command      # go has 0.5
    assert parse_command_thresholds("yes=0.9, go=0.5") == {"yes": 0.9, "go": 0.5}
    assert format_command_thresholds({"yes": 0.9, "go": 0.5}) == "yes=0.9,go=0.5" and parse_command_thresholds("") == {}
    for bad in ("yes", "yes=1.5", "=0.5", "yes=abc"):
        with pytest.raises(ValueError, match="LABEL=THRESHOLD"):
            parse_command_thresholds(bad)


def test_averaging_smooths_a_single_spike():
    rc = RecognizeCommands(LABELS, DecisionSettings(peak_threshold=0.0, average_window_ms=1000, threshold=0.6, refractory_ms=0, minimum_count=3))
    out = [rc.process(onehot(lab), t) for t, lab in enumerate(["silence", "silence", "stop", "silence"], start=0)]
    assert not any(d.is_new_command for d in out)


def test_rejects_time_going_backwards_and_wrong_shape():
    rc = RecognizeCommands(LABELS)
    rc.process(onehot("yes"), 100)
    with pytest.raises(ValueError, match="backwards"):
        rc.process(onehot("yes"), 50)
    with pytest.raises(ValueError, match="expected 12"):
        rc.process(np.ones(3), 200)


def test_ring_buffer_keeps_newest_samples_in_order():
    rb = AudioRingBuffer(10, 16000)
    assert rb.latest(4).tolist() == [0, 0, 0, 0]
    rb.write(np.arange(1, 4, dtype=np.float32))
    assert rb.latest(5).tolist() == [0, 0, 1, 2, 3]
    for start in range(4, 30, 3):
        rb.write(np.arange(start, start + 3, dtype=np.float32))
    assert rb.latest(10).tolist() == list(range(21, 31))  # the last write was 28, 29, 30
    rb.write(np.arange(100, 125, dtype=np.float32), overflowed=True)   # more than the capacity at once
    assert rb.latest(10).tolist() == list(range(115, 125))
    rb.write(np.array([[1.0, 3.0]], np.float32))                        # stereo frames are averaged
    assert rb.latest(2).tolist() == [124, 2]
    assert rb.overflows == 1 and rb.total_written == 3 + 27 + 25 + 1
