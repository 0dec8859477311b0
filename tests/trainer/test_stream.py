"""Streaming evaluation: the scoring rule on scripted announcements, and make-stream -> stream-eval end to end."""

import json

import numpy as np
import pandas as pd
import pytest

from tests.helpers import run_cli
from trainer.recordings.scoring import (
    EARLY_S,
    LATE_S,
    paired_difference,
    score_detections,
    speaker_intervals,
    speaker_of,
    word_hearing,
)

TRUTH = [(2.0, "yes"), (5.0, "no"), (8.0, "unknown"), (11.0, "stop"), (14.0, "go")]


def test_scoring_on_scripted_announcements():
    found = [
        (2.6, "yes"),    # correct
        (2.9, "yes"),    # the same word again: a false alarm
        (5.4, "up"),     # wrong
        (8.5, "left"),   # on an unknown word: a false alarm
        (11.1, "stop"),  # correct
        (20.0, "go"),    # in noise: a false alarm; "go" at 14 s is missed
    ]
    s = score_detections(found, TRUTH, seconds=3600.0)
    assert (s.n_correct, s.n_wrong, s.n_missed, s.n_false_alarms, s.words) == (2, 1, 1, 3, 4)
    assert s.correct == 0.5 and s.wrong == 0.25 and s.missed == 0.25 and s.false_alarms_per_hour == 3.0


def test_tolerance_edges():
    truth = [(10.0, "yes")]
    assert score_detections([(10.0 - EARLY_S, "yes")], truth, 60).n_correct == 1
    assert score_detections([(10.0 + LATE_S, "yes")], truth, 60).n_correct == 1
    late = score_detections([(10.0 + LATE_S + 0.01, "yes")], truth, 60)
    assert late.n_missed == 1 and late.n_false_alarms == 1


def test_a_right_answer_beside_a_wrong_one_counts_as_right():
    s = score_detections([(10.2, "no"), (10.5, "yes")], [(10.0, "yes")], 60)
    assert (s.n_correct, s.n_wrong, s.n_false_alarms) == (1, 0, 1)


def test_speaker_of_a_speech_commands_clip():
    assert speaker_of("yes/0a7c2a8d_nohash_1.wav") == "0a7c2a8d"
    assert speaker_of("recorded/take3.wav") == "take3"  # the split's own rule: no _nohash_, the name is the speaker


def test_word_hearing_counts_the_hops_in_reach_where_the_word_is_heard():
    labels = ["yes", "no", "silence", "unknown"]
    times_ms = np.arange(100, 12001, 100.0)
    scores = np.tile([0.0, 0.0, 0.9, 0.1], (times_ms.size, 1))  # silence everywhere ...

    def put(t0_s, t1_s, row):
        scores[(times_ms / 1000 >= t0_s) & (times_ms / 1000 <= t1_s)] = row

    put(2.3, 2.6, [0.8, 0.1, 0.0, 0.1])   # ... "yes" heard on 4 hops, all in reach of the word at 2 s
    put(3.6, 3.6, [0.9, 0.0, 0.0, 0.1])   # past 2 + LATE_S: out of its reach
    put(5.2, 5.3, [0.6, 0.3, 0.0, 0.1])   # "no" at 5 s: heard as "yes", its own label never reaches 0.5
    put(8.5, 8.5, [0.1, 0.7, 0.0, 0.2])   # an other word at 8 s raises "no" on one hop
    truth = [(2.0, "yes", "yes/aa_nohash_0.wav"), (5.0, "no", "no/bb_nohash_0.wav"),
             (8.0, "unknown", "cat/cc_nohash_0.wav"), (11.0, "yes", "")]
    rows = word_hearing(labels, times_ms, scores, truth, threshold=0.5)
    assert [(r.label, r.speaker, r.is_command, r.hops) for r in rows] == [
        ("yes", "aa", True, 4), ("no", "bb", True, 0), ("unknown", "cc", False, 1), ("yes", "word 3", True, 0)]
    assert rows[0].peak == pytest.approx(0.8) and rows[0].peak_label == "yes"
    assert rows[1].peak == pytest.approx(0.3) and rows[1].peak_label == "yes"
    assert rows[2].peak == pytest.approx(0.7) and rows[2].peak_label == "no"
    assert rows[3].peak == pytest.approx(0.0) and rows[3].peak_label == "silence"
    assert [r.hops for r in word_hearing(labels, times_ms, scores, truth, threshold=0.85)] == [0, 0, 0, 0]


def _truth(per_speaker):
    """Words 3 s apart: per_speaker is [(speaker, label), ...] in order; the clip names carry the speaker."""
    return [(3.0 * (i + 1), lab, f"{lab}/{spk}_nohash_{i}.wav") for i, (spk, lab) in enumerate(per_speaker)]


def test_intervals_are_a_point_when_every_speaker_does_the_same():
    truth = _truth([("aaaa0001", "yes"), ("aaaa0001", "no"), ("bbbb0002", "yes"), ("bbbb0002", "no")])
    found = [(3.1, "yes"), (9.1, "yes")]  # each speaker: "yes" right, "no" missed
    iv = speaker_intervals(found, truth, seconds=3600.0)
    assert iv["speakers"] == 2 and iv["level"] == 0.95
    assert iv["correct"] == [0.5, 0.5] and iv["missed"] == [0.5, 0.5] and iv["wrong"] == [0.0, 0.0]
    assert iv["false_alarms_per_hour"] == [0.0, 0.0]
    assert "2 speakers" in iv["text"] and "50.0%-50.0%" in iv["text"]


def test_intervals_span_what_other_speakers_could_give():
    # speaker a: both words right and a false alarm beside its other word; speaker b: both missed
    truth = _truth([("aaaa0001", "yes"), ("aaaa0001", "no"), ("aaaa0001", "unknown"),
                    ("bbbb0002", "yes"), ("bbbb0002", "no"), ("bbbb0002", "unknown")])
    found = [(3.2, "yes"), (6.2, "no"), (9.3, "left")]
    point = score_detections(found, truth, seconds=3600.0)
    assert (point.correct, point.n_false_alarms) == (0.5, 1)
    iv = speaker_intervals(found, truth, seconds=3600.0, draws=4000)
    # draws of two speakers: a+a (all right, 2 false alarms in the hour's worth of words), a+b, b+b (none right)
    assert iv["correct"] == [0.0, 1.0] and iv["missed"] == [0.0, 1.0]
    assert iv["false_alarms_per_hour"] == [0.0, 2.0]


def test_a_false_alarm_goes_with_the_speaker_of_the_nearest_word_and_hours_with_the_words_drawn():
    # a says one word (heard twice: the second is a false alarm); b says three, none heard
    truth = _truth([("aaaa0001", "yes"), ("bbbb0002", "no"), ("bbbb0002", "up"), ("bbbb0002", "unknown")])
    found = [(3.2, "yes"), (3.6, "yes")]
    assert score_detections(found, truth, seconds=3600.0).false_alarms_per_hour == 1.0
    iv = speaker_intervals(found, truth, seconds=3600.0, draws=4000)
    # a+a: 2 of the 4 words' worth of time (half an hour) with 2 false alarms = 4 per hour; b+b: none
    assert iv["false_alarms_per_hour"] == [0.0, 4.0]
    assert iv["correct"] == [0.0, 1.0]


def test_a_paired_difference_cancels_what_the_speakers_move_alike():
    # speaker a is easy, b is hard; model B gets exactly one more of each speaker's four words right than model A
    truth = _truth([("aaaa0001", w) for w in ("yes", "no", "up", "down")] + [("bbbb0002", w) for w in ("yes", "no", "up", "down")])
    heard = lambda idx: [(truth[i][0] + 0.2, truth[i][1]) for i in idx]  # noqa: E731
    a, b = heard([0, 1, 2]), heard([0, 1, 2, 3, 4])
    alone = speaker_intervals(a, truth, seconds=3600.0)
    assert alone["correct"] == [0.0, 0.75]  # what other speakers could give A alone
    d = paired_difference(a, b, truth, seconds=3600.0)
    assert d["correct"]["difference"] == 0.25 and d["correct"]["interval"] == [0.25, 0.25]
    assert d["missed"]["interval"] == [-0.25, -0.25] and d["p_better"] == 1.0
    assert "+25.0%" in d["text"]
    same = paired_difference(a, a, truth, seconds=3600.0)
    assert same["correct"]["interval"] == [0.0, 0.0] and same["p_better"] == 0.0


def test_a_paired_difference_from_one_speaker_is_uncertain():
    truth = _truth([("aaaa0001", "yes"), ("aaaa0001", "no"), ("bbbb0002", "yes"), ("bbbb0002", "no")])
    b = [(3.2, "yes"), (6.2, "no"), (14.0, "up")]  # B: speaker a's two words right, and a false alarm by b's word
    d = paired_difference([], b, truth, seconds=3600.0, draws=4000)
    assert d["correct"]["difference"] == 0.5 and d["correct"]["interval"] == [0.0, 1.0]
    assert d["false_alarms_per_hour"]["difference"] == 1.0 and d["false_alarms_per_hour"]["interval"] == [0.0, 2.0]
    assert 0.7 < d["p_better"] < 0.8  # the draws with speaker a in them: 3 in 4


def test_intervals_without_a_clip_column_take_each_word_as_a_speaker():
    truth = [(3.0, "yes"), (6.0, "no"), (9.0, "up")]
    iv = speaker_intervals([(3.1, "yes")], truth, seconds=60.0)
    assert iv["speakers"] == 3 and iv["correct"][0] < 1 / 3 < iv["correct"][1]
    assert speaker_intervals([], [(3.0, "unknown")], seconds=60.0) is None  # no command words: nothing to say
    assert speaker_intervals([(3.0, "yes")], [], seconds=60.0) is None


@pytest.mark.slow
def test_make_stream_then_stream_eval(synth_root, tmp_path):
    wav, truth = tmp_path / "s.wav", tmp_path / "s.csv"
    r = run_cli("make-stream", "--data", synth_root, "--split", "test", "--out", wav, "--truth", truth,
                "--minutes", 1, "--snr-db", 10, "--seed", 4)
    info = json.loads(r.stdout)
    t = pd.read_csv(truth)
    assert list(t.columns) == ["time_s", "label", "clip"] and len(t) == info["words"] >= 15
    assert t["clip"].str.match(r"^[a-z]+/[0-9a-f]{8}_nohash_\d+\.wav$").all()  # word/file under train/audio
    assert t["time_s"].is_monotonic_increasing and (t["time_s"].diff().dropna() > 1.5).all()
    # the same seed makes the same stream
    run_cli("make-stream", "--data", synth_root, "--split", "test", "--out", tmp_path / "b.wav",
            "--truth", tmp_path / "b.csv", "--minutes", 1, "--snr-db", 10, "--seed", 4)
    assert (tmp_path / "b.wav").read_bytes() == wav.read_bytes()

    out = tmp_path / "r.json"
    r = run_cli("stream-eval", "--model", "assets/default_model", "--wav", wav, "--truth", truth, "--json", out)
    assert "before" in r.stdout and "after its middle" in r.stdout  # the tolerance is stated
    res = json.loads(out.read_text())
    for k in ("correct", "wrong", "missed", "false_alarms_per_hour", "words", "hours"):
        assert k in res
    assert res["words"] == int(t["label"].isin(["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"]).sum())
    assert abs(res["correct"] + res["wrong"] + res["missed"] - 1) < 1e-9
    assert abs(res["hours"] - 1 / 60) < 1e-6
    assert res["n_false_alarms"] == round(res["false_alarms_per_hour"] * res["hours"])
    iv = res["intervals"]  # over the speakers of the stream's clips, around the figures themselves
    assert iv["speakers"] == t["clip"].str.extract(r"/([0-9a-f]{8})_")[0].nunique()
    for k in ("correct", "wrong", "missed", "false_alarms_per_hour"):
        assert iv[k][0] <= res[k] <= iv[k][1]
    assert iv["text"] in r.stdout
    # the announcements are the app's: replaying them through the scorer gives the same figures
    found = [(d["time_s"], d["label"]) for d in res["detections"]]
    again = score_detections(found, list(t.itertuples(index=False, name=None)), 60.0)
    assert again.n_correct == res["n_correct"] and again.n_false_alarms == res["n_false_alarms"]

    # the sweep: every setting scored once; the choice is the most correct within both limits, and stream-eval
    # with the chosen settings (the app's path, run again) gives the figures the sweep printed for it
    sw = tmp_path / "sweep.json"
    r = run_cli("stream-sweep", "--model", "assets/default_model", "--wav", wav, "--truth", truth, "--json", sw,
                "--max-wrong", 0.1, "--max-fa-per-hour", 120)
    rows, best = json.loads(sw.read_text())["rows"], json.loads(sw.read_text())["best"]
    assert len(rows) > 100 and "chosen: threshold" in r.stdout
    assert {x["peak_threshold"] for x in rows} == {0.0, 0.8, 0.85, 0.9}  # the peak check is part of the choice
    ok = [x for x in rows if x["wrong"] <= 0.1 and x["false_alarms_per_hour"] <= 120]
    assert ok and best["wrong"] <= 0.1 and best["false_alarms_per_hour"] <= 120
    assert best["correct"] == max(x["correct"] for x in ok) > 0
    key = ("correct", "false_alarms_per_hour", "wrong", "minimum_count")
    ties = [x for x in ok if all(x[k] == best[k] for k in key) and x["threshold"] == best["threshold"]
            and x["average_window_ms"] == best["average_window_ms"]]
    assert best["refractory_ms"] == max(x["refractory_ms"] for x in ties)  # a word is not announced twice
    assert best["intervals"]["text"] in r.stdout
    r = run_cli("stream-eval", "--model", "assets/default_model", "--wav", wav, "--truth", truth, "--json", out,
                "--threshold", best["threshold"], "--average-window-ms", best["average_window_ms"],
                "--refractory-ms", best["refractory_ms"], "--minimum-count", best["minimum_count"],
                "--peak-threshold", best["peak_threshold"])
    again = json.loads(out.read_text())
    assert [again[k] for k in ("n_correct", "n_wrong", "n_missed", "n_false_alarms")] == \
        [best[k] for k in ("n_correct", "n_wrong", "n_missed", "n_false_alarms")]
    assert again["intervals"] == best["intervals"]


@pytest.mark.slow
def test_stream_eval_finds_words_spoken_at_known_times(tmp_path, needs_espeak):
    """A stream with a known answer: four espeak-ng commands, 3 s apart, over noise."""
    from kwsapp.core.audio import write_wav
    from trainer.data.synth import RATE_HZ, spoken_sequence

    words, onsets = ["yes", "stop", "right", "down"], [1.0, 4.0, 7.0, 10.0]
    wave = spoken_sequence(words, onsets, 13.0, tmp_path)
    write_wav(tmp_path / "k.wav", wave, RATE_HZ)
    pd.DataFrame({"time_s": [o + 0.3 for o in onsets], "label": words}).to_csv(tmp_path / "k.csv", index=False)
    out = tmp_path / "k.json"
    run_cli("stream-eval", "--model", "assets/default_model", "--wav", tmp_path / "k.wav",
            "--truth", tmp_path / "k.csv", "--json", out)
    res = json.loads(out.read_text())
    assert res["n_correct"] == 4 and res["n_false_alarms"] == 0, res["detections"]


def test_stream_errors_are_one_line(tmp_path):
    r = run_cli("stream-eval", "--model", "assets/default_model", "--wav", tmp_path / "none.wav",
                "--truth", tmp_path / "none.csv", check=False)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "none.csv" in r.stderr


@pytest.mark.slow
def test_make_stream_is_the_same_whatever_its_block_size(synth_root, tmp_path, monkeypatch):
    import trainer.recordings.replay as stream_mod
    from trainer.data.dataset import SplitRule

    def make(name, block_s):
        monkeypatch.setattr(stream_mod, "BLOCK_S", block_s)
        stream_mod.make_stream([synth_root], "testing", tmp_path / f"{name}.wav", tmp_path / f"{name}.csv",
                               minutes=0.5, seed=4, rule=SplitRule())
        return (tmp_path / f"{name}.wav").read_bytes(), (tmp_path / f"{name}.csv").read_bytes()

    assert make("whole", 1000.0) == make("blocks", 0.7)  # words across block edges, in several blocks


def test_an_output_that_cannot_be_written_is_a_one_line_error_naming_it(tmp_path, synth_root):
    blocker = tmp_path / "a-file"
    blocker.write_text("a file where a folder should be")
    out = blocker / "s.wav"
    r = run_cli("make-stream", "--data", synth_root, "--split", "test", "--out", out, "--truth", tmp_path / "s.csv",
                "--minutes", 0.1, check=False)
    assert r.returncode == 2 and r.stderr.strip().count("\n") == 0, r.stderr
    assert r.stderr.startswith(f"error: {out}: cannot write there") and "Traceback" not in r.stderr
    r = run_cli("evaluate", "--data", synth_root, "--model", "assets/default_model", "--json", blocker / "m.json",
                check=False)
    assert r.returncode == 2 and f"error: {blocker / 'm.json'}: cannot write there" in r.stderr, r.stderr
