"""Calibration to a room: on a scripted score sequence the chosen thresholds meet the budget they were given, and
the CLI keeps them where the app reads them."""

import json

import numpy as np

from kwsapp.core.decisions import DecisionSettings, RecognizeCommands, format_command_thresholds
from kwsapp.core.labels import LABELS
from trainer.recordings.calibrate import announcements_per_label, choose_thresholds

HOP_MS = 500.0


def room_sequence():
    """One hour of a room at one result every 500 ms: silence, with 'yes' heard falsely at eight levels, once each
    (two hops per spike, so that the minimum count is met), and 'go' once at 0.955."""
    n = int(3600 * 1000 / HOP_MS)
    scores = np.zeros((n, len(LABELS)), np.float32)
    scores[:, LABELS.index("silence")] = 0.97
    spikes = {"yes": [0.625, 0.665, 0.705, 0.745, 0.785, 0.825, 0.865, 0.905], "go": [0.955]}
    k = 100
    for label, levels in spikes.items():
        for level in levels:
            for j in (k, k + 1):
                scores[j] = (1 - level) / (len(LABELS) - 1)
                scores[j, LABELS.index(label)] = level
            k += 400
    return np.arange(n) * HOP_MS, scores


def test_calibration_meets_the_budget_it_was_given_on_a_scripted_room():
    times, scores = room_sequence()
    settings = DecisionSettings(peak_threshold=0.0, average_window_ms=0.0, threshold=0.6, refractory_ms=1500, minimum_count=1)
    takes = {"yes": [0.95, 0.85, 0.80, 0.60], "go": [0.97, 0.99]}
    out = choose_thresholds(LABELS, times, scores, 1.0, takes, settings, budget_per_hour=2.0, lowest=0.6)
    # 'yes' may raise two false alarms an hour: above its third-highest spike (0.825), the lowest such threshold
    assert out["yes"]["threshold"] == 0.83 and out["yes"]["false_alarms_per_hour"] == 2.0
    assert out["yes"]["missed"] == 0.5  # two of its four takes fall below 0.83
    assert out["go"]["threshold"] == 0.6 and out["go"]["false_alarms_per_hour"] == 1.0  # within the budget as it is
    assert out["no"]["threshold"] == 0.6 and out["no"]["takes"] == 0 and out["no"]["missed"] is None
    # the set, replayed together, keeps every command within the budget
    chosen = format_command_thresholds({c: v["threshold"] for c, v in out.items()})
    counts = announcements_per_label(LABELS, times, scores, DecisionSettings(peak_threshold=0.0,
        average_window_ms=0.0, threshold=0.6, refractory_ms=1500, minimum_count=1, command_thresholds=chosen))
    assert all(n <= 2 for n in counts.values()) and counts["yes"] == 2
    # the curve: false alarms fall and misses rise as the threshold rises
    curve = np.array([[t, f, m] for t, f, m in out["yes"]["curve"]])
    assert (np.diff(curve[:, 1]) <= 0).all() and (np.diff(curve[:, 2]) >= 0).all()
    # a tighter budget: none of the eight
    out = choose_thresholds(LABELS, times, scores, 1.0, takes, settings, budget_per_hour=0.0, lowest=0.6)
    assert out["yes"]["threshold"] == 0.91 and out["go"]["threshold"] == 0.96
    assert RecognizeCommands.NOT_ANNOUNCED[0] not in out


def test_the_cli_keeps_the_thresholds_where_the_app_reads_them(tmp_path, monkeypatch, needs_espeak):
    from kwsapp.core.audio import write_wav
    from tests.helpers import REPO, run_cli
    from trainer.data.synth import RATE_HZ, spoken_sequence

    room = tmp_path / "room.wav"
    write_wav(room, (np.random.default_rng(0).normal(0, 0.003, 70 * RATE_HZ)).astype(np.float32), RATE_HZ)
    (tmp_path / "takes" / "yes").mkdir(parents=True)
    for i in range(2):
        write_wav(tmp_path / "takes" / "yes" / f"take{i}.wav", spoken_sequence(["yes"], [0.2], 1.0, tmp_path, seed=i),
                  RATE_HZ)
    settings = tmp_path / "app.ini"
    monkeypatch.setenv("KWSAPP_SETTINGS", str(settings))
    r = run_cli("calibrate", "--model", REPO / "assets" / "default_model", "--room", room, "--examples",
                tmp_path / "takes", "--json", tmp_path / "cal.json")
    result = json.loads((tmp_path / "cal.json").read_text())
    assert result["commands"]["yes"]["takes"] == 2 and len(result["commands"]) == 10
    from kwsapp.core.shared_settings import read_decisions, shared_settings_path

    assert "kept in " + str(shared_settings_path()) in r.stdout and shared_settings_path().parent == settings.parent
    kept, problems = read_decisions()
    assert not problems
    assert kept.command_thresholds == result["command_thresholds"]
    r = run_cli("calibrate", "--model", REPO / "assets" / "default_model", "--room", tmp_path / "takes" / "yes" /
                "take0.wav", "--examples", tmp_path / "takes", check=False)
    assert r.returncode == 2 and "at least a minute" in r.stderr
