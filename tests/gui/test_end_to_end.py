"""End to end through a real PortAudio stream: PulseAudio's null sink is the microphone, espeak-ng words
are played into it, and the app (its own process, its real window offscreen) announces them."""

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kwsapp.core.audio import write_wav
from tests.helpers import read_lines, wait_for_line
from tests.vmic import VirtualMicrophone, VirtualMicrophoneError

REPO = Path(__file__).resolve().parents[2]
WORDS = ["yes", "stop", "right", "down"]
ONSETS_S = [1.0, 4.0, 7.0, 10.0]


@pytest.mark.slow
def test_spoken_words_reach_the_running_app(virtual_mic, tmp_path, needs_espeak):
    from trainer.data.synth import RATE_HZ, spoken_sequence

    wav = tmp_path / "words.wav"
    write_wav(wav, spoken_sequence(WORDS, ONSETS_S, 12.0, tmp_path), RATE_HZ)
    log, shot = tmp_path / "detections.jsonl", tmp_path / "window.png"
    # "yes" runs a program (which appends a line to a file); "stop" is bound but switched off
    ran = tmp_path / "ran.txt"
    program = [sys.executable, "-c", "import sys; open(sys.argv[1], 'a').write('ran;' + sys.argv[2] + '\\n')", str(ran), "$(yes)"]
    actions = tmp_path / "actions.json"
    actions.write_text(json.dumps({"enabled": True, "bindings": [
        {"label": "yes", "action": "run", "argv": program, "enabled": True},
        {"label": "stop", "action": "run", "argv": program, "enabled": False}]}))
    env = {**virtual_mic.env(), "QT_QPA_PLATFORM": "offscreen", "KWSAPP_SETTINGS": str(tmp_path / "settings.ini")}
    proc = subprocess.Popen([sys.executable, "-m", "kwsapp", "--detections-log", str(log), "--quit-after", "60",
                             "--screenshot", str(shot), "--actions", str(actions)], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out_lines, err_lines = [], []
    threading.Thread(target=read_lines, args=(proc.stdout, out_lines), daemon=True).start()
    threading.Thread(target=read_lines, args=(proc.stderr, err_lines), daemon=True).start()
    try:
        wait_for_line(out_lines, "kwsapp: model ready", proc, 60)
        listening = wait_for_line(out_lines, "kwsapp: listening", proc, 30)  # frames really arrive
        assert "16000 Hz" in listening, listening
        player = virtual_mic.play(wav)
        player.wait(timeout=40)
        time.sleep(2.5)  # the last word's decision comes up to ~2 s after it is spoken
        logged = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    announced = [a for a in logged if "time_s" in a]
    assert [a["label"] for a in announced] == WORDS, (logged, err_lines)
    # the bound program ran once, for the one "yes", with its arguments as written (no shell expanded them)
    assert ran.read_text() == "ran;$(yes)\n"
    results = [a["action"] for a in logged if "action" in a]
    assert results == [{"label": "yes", "action": "run", "ok": True, "detail": f"ran {sys.executable}"}], logged
    times = [a["time_s"] for a in announced]
    from kwsapp.core.decisions import DecisionSettings

    threshold = DecisionSettings().threshold  # the app's default
    assert times == sorted(times) and all(threshold <= a["score"] <= 1.0 for a in announced)
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert all(2.0 < g < 4.0 for g in gaps), gaps  # the words are 3 s apart in the recording
    assert not any("Traceback" in line for line in err_lines), err_lines


@pytest.mark.slow
def test_screenshot_shows_a_recognised_word(virtual_mic, tmp_path, needs_espeak):
    """--quit-after / --screenshot, with "yes" played so that it is announced just before the app quits."""
    import numpy as np

    from trainer.data.synth import RATE_HZ, Speaker, speak_word

    word = speak_word("yes", Speaker("en-us", "m3", 50, 140), tmp_path)
    word = 0.5 * word / np.abs(word).max()
    log, shot = tmp_path / "detections.jsonl", tmp_path / "window.png"
    quit_after_s = 14.0
    env = {**virtual_mic.env(), "QT_QPA_PLATFORM": "offscreen", "KWSAPP_SETTINGS": str(tmp_path / "settings.ini")}
    launched = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "kwsapp", "--detections-log", str(log),
                             "--quit-after", str(quit_after_s), "--screenshot", str(shot)],
                            cwd=REPO, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out_lines, err_lines = [], []
    threading.Thread(target=read_lines, args=(proc.stdout, out_lines), daemon=True).start()
    threading.Thread(target=read_lines, args=(proc.stderr, err_lines), daemon=True).start()
    wait_for_line(out_lines, "kwsapp: listening", proc, 11)
    wait_for_line(out_lines, "kwsapp: model ready", proc, 11)
    remaining = launched + quit_after_s - time.monotonic()
    assert remaining > 3.0, "the app took too long to start listening"
    # noise until after the quit, the word so that its announcement (~1.2 s after onset) precedes the screenshot
    wave = np.random.default_rng(1).normal(0, 0.01, int((remaining + 1) * RATE_HZ)).astype(np.float32)
    onset = int((remaining - 2.0) * RATE_HZ)
    wave[onset:onset + word.size] += word
    wav = tmp_path / "yes.wav"
    write_wav(wav, wave, RATE_HZ)
    virtual_mic.play(wav)
    assert proc.wait(timeout=60) == 0, err_lines
    assert [json.loads(x)["label"] for x in log.read_text().splitlines()] == ["yes"]
    assert shot.is_file() and shot.stat().st_size > 10_000
    keep = os.environ.get("KWSAPP_KEEP_SCREENSHOT")
    if keep:
        Path(keep).write_bytes(shot.read_bytes())


@pytest.mark.slow
def test_a_microphone_that_goes_away_is_a_message_not_a_crash(virtual_mic, tmp_path):
    shot = tmp_path / "gone.png"
    env = {**virtual_mic.env(), "QT_QPA_PLATFORM": "offscreen", "KWSAPP_SETTINGS": str(tmp_path / "settings.ini")}
    proc = subprocess.Popen([sys.executable, "-m", "kwsapp", "--quit-after", "15", "--screenshot", str(shot)],
                            cwd=REPO, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out_lines, err_lines = [], []
    threading.Thread(target=read_lines, args=(proc.stdout, out_lines), daemon=True).start()
    threading.Thread(target=read_lines, args=(proc.stderr, err_lines), daemon=True).start()
    wait_for_line(out_lines, "kwsapp: listening", proc, 14)
    virtual_mic.stop()  # the PulseAudio server, and with it the device, disappears
    failed = wait_for_line(err_lines, "kwsapp: audio failed", proc, 10)
    assert "stopped" in failed or "unplugged" in failed, failed
    virtual_mic.start()  # ... and comes back: listening starts again by itself
    deadline = time.monotonic() + 10
    while sum(line.startswith("kwsapp: listening") for line in out_lines) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sum(line.startswith("kwsapp: listening") for line in out_lines) == 2, (out_lines, err_lines)
    assert proc.wait(timeout=30) == 0, err_lines  # it kept running until --quit-after
    assert shot.is_file()
    assert not any("Traceback" in line for line in err_lines), err_lines


@pytest.mark.slow
def test_a_named_device_is_used(virtual_mic, tmp_path):
    env = {**virtual_mic.env(), "QT_QPA_PLATFORM": "offscreen", "KWSAPP_SETTINGS": str(tmp_path / "settings.ini")}
    proc = subprocess.Popen([sys.executable, "-m", "kwsapp", "--device", "pulse", "--quit-after", "8"],
                            cwd=REPO, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out_lines, err_lines = [], []
    threading.Thread(target=read_lines, args=(proc.stdout, out_lines), daemon=True).start()
    threading.Thread(target=read_lines, args=(proc.stderr, err_lines), daemon=True).start()
    line = wait_for_line(out_lines, "kwsapp: listening", proc, 8)
    assert line.startswith("kwsapp: listening: pulse at "), line
    assert proc.wait(timeout=30) == 0, err_lines


@pytest.mark.slow
def test_a_microphone_that_appears_later_is_found_and_its_message_goes(make_window, qtbot, monkeypatch):
    """Started with no audio server at all (PortAudio lists nothing), then one starts: no restart needed."""
    vm = VirtualMicrophone(Path("/tmp") / f"kwsapp-pulse-late-{os.getpid()}")
    for key, value in vm.env().items():
        if key.startswith("PULSE"):
            monkeypatch.setenv(key, value)
    w = make_window(device=None)
    qtbot.waitUntil(lambda: "Microphone" in w.message_bar.text() and w.message_bar.isVisible(), timeout=10_000)
    assert not w.mic.is_open and "click to hide" in w.message_bar.text()
    try:
        vm.start()
    except (VirtualMicrophoneError, OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"PulseAudio cannot start here: {exc}")
    try:
        qtbot.waitUntil(lambda: w.mic.is_open and w.mic.callbacks > 0, timeout=15_000)
        assert not w.message_bar.isVisible()  # the old error went away with the problem
        assert w.menus.audio.listen.isChecked()
        # the device menu gives the rate in use, the status bar's, not the device's default rate
        w.menus.audio.list_devices()
        checked = [a.text() for a in w.menus.audio.device_group.actions() if a.isChecked()]
        assert checked and checked[0].endswith(f"listening at {w.mic.sample_rate_hz} Hz"), checked
        assert w.status_device.text().endswith(f"{w.mic.sample_rate_hz} Hz")
    finally:
        w.shutdown()
        vm.stop()


@pytest.mark.slow
def test_a_remembered_device_that_is_gone_falls_back_to_the_default_with_a_note(virtual_mic, tmp_path):
    settings = tmp_path / "settings.ini"
    settings.write_text("[audio]\ndevice=a microphone unplugged long ago\n")
    shot = tmp_path / "fallback.png"
    env = {**virtual_mic.env(), "QT_QPA_PLATFORM": "offscreen", "KWSAPP_SETTINGS": str(settings)}
    proc = subprocess.Popen([sys.executable, "-m", "kwsapp", "--quit-after", "6", "--screenshot", str(shot)],
                            cwd=REPO, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out_lines, err_lines = [], []
    threading.Thread(target=read_lines, args=(proc.stdout, out_lines), daemon=True).start()
    threading.Thread(target=read_lines, args=(proc.stderr, err_lines), daemon=True).start()
    wait_for_line(out_lines, "kwsapp: listening", proc, 10)  # on the default device, not "no input"
    assert proc.wait(timeout=30) == 0
    assert not any("audio failed" in line for line in err_lines), err_lines
