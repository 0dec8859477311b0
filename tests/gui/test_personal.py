"""Record -> fine-tune -> switch model, through the real window: takes of a word of one's own are recorded on cue
from the microphone's ring buffer, fine-tuned into a new model in a worker process, and the window switches to it."""

from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow


def test_record_then_finetune_then_switch(make_window, qtbot, tmp_path, monkeypatch, needs_espeak):
    from PySide6.QtCore import QTimer

    from kwsapp.core.ringbuffer import AudioRingBuffer
    from kwsapp.gui import dialog_openers
    from kwsapp.gui.recorder_dialog import GAP_MS, TAKE_S
    from trainer.data.synth import RATE_HZ, Speaker, speak_word

    monkeypatch.setenv("KWSAPP_DATA_DIR", str(tmp_path / "data"))
    w = make_window()
    qtbot.waitUntil(lambda: w.model_info is not None, timeout=30_000)
    buf = AudioRingBuffer(RATE_HZ * 10, RATE_HZ)
    monkeypatch.setattr(w.mic, "buffer", buf)
    # the "microphone": the word said once every take, in real time, 50 ms at a time
    cycle = int((TAKE_S + GAP_MS / 1000) * RATE_HZ)
    word = speak_word("lights", Speaker("en-us", "f2", 60, 150), tmp_path)
    one = np.random.default_rng(0).normal(0, 0.002, cycle).astype(np.float32)
    one[int(0.3 * RATE_HZ):int(0.3 * RATE_HZ) + word.size] += 0.5 * word / np.abs(word).max()
    stream = np.tile(one, 8)
    pos = {"i": 0}

    def feed():
        n = RATE_HZ // 20
        buf.write(stream[pos["i"]:pos["i"] + n])
        pos["i"] = (pos["i"] + n) % (stream.size - n)

    mic = QTimer()
    mic.timeout.connect(feed)
    mic.start(50)
    try:
        rec = dialog_openers.open_recorder(w)
        rec.label.setCurrentText("lights")
        rec.count.setValue(3)
        assert rec.start()
        qtbot.waitUntil(lambda: rec.record_button.isEnabled(), timeout=30_000)
        takes = sorted((tmp_path / "data" / "examples" / "lights").glob("take_*.wav"))
        assert len(takes) == 3 and rec.takes.count() == 3 and "Done: 3 takes" in rec.cue.text()
        kept = tmp_path / "my_own_take.wav"
        kept.write_bytes(takes[0].read_bytes())
        rec.takes.setCurrentRow(0)
        assert rec.image.image is not None and rec.image.image.shape == (81, 99)  # shown as the model sees it
        rec.delete_selected()
        assert rec.takes.count() == 2
        # imported takes count as well
        assert rec.import_files([str(kept), str(tmp_path / "nope.wav")]) == 1 and rec.takes.count() == 3
        rec.close()
    finally:
        mic.stop()
    ft = dialog_openers.open_finetune(w)
    ft.epochs.setValue(15)
    assert ft.takes_label.text() == "lights 3"
    assert ft.start()
    seen = []
    ft.process.line.connect(lambda _line: seen.append((ft.progress.maximum(), ft.progress.value(), ft.status.text())))
    qtbot.waitUntil(lambda: not ft.process.running, timeout=180_000)
    # the epoch and the time left while it runs, not a busy bar alone
    assert any(m == 15 and 0 < v <= 15 and "epoch" in t and "s left" in t for m, v, t in seen), seen[-5:]
    assert ft.use_button.isEnabled(), ft.status.text()
    assert ft.result["new_words"] == ["lights"] and "before" in ft.status.text() and "after" in ft.status.text()
    ft.use_button.click()
    qtbot.waitUntil(lambda: w.model_info is not None and Path(w.model_info.path) == ft.out, timeout=30_000)
    assert w.model_info.labels[-1] == "lights" and "lights" in w.scores.labels
    assert "lights" in w.command.confidence.text()  # the hint names the new word


def test_calibrate_to_my_room_in_the_app(make_window, qtbot, tmp_path, monkeypatch, needs_espeak):
    from PySide6.QtCore import QTimer

    from kwsapp.core.audio import write_wav
    from kwsapp.core.ringbuffer import AudioRingBuffer
    from kwsapp.gui import dialog_openers
    from trainer.data.synth import RATE_HZ, Speaker, speak_word

    monkeypatch.setenv("KWSAPP_DATA_DIR", str(tmp_path / "data"))
    voice = Speaker("en-us", "m3", 50, 140)
    yes = speak_word("yes", voice, tmp_path)
    yes = 0.5 * yes / np.abs(yes).max()
    takes = tmp_path / "data" / "examples" / "yes"
    takes.mkdir(parents=True)
    for i in range(3):
        write_wav(takes / f"take{i}.wav", np.concatenate([np.zeros(3200, np.float32), yes, np.zeros(3200, np.float32)]),
                  RATE_HZ)
    w = make_window()
    qtbot.waitUntil(lambda: w.model_info is not None, timeout=30_000)
    dlg = dialog_openers.open_calibrate(w)
    assert not dlg.start() and "Not listening" in dlg.status.text()
    # listening collects the room from the ring buffer as it comes
    buf = AudioRingBuffer(RATE_HZ * 10, RATE_HZ)
    monkeypatch.setattr(w.mic, "buffer", buf)
    feed = QTimer()
    feed.timeout.connect(lambda: buf.write(np.random.default_rng().normal(0, 0.003, 800).astype(np.float32)))
    feed.start(50)
    try:
        assert dlg.start()
        qtbot.waitUntil(lambda: dlg.progress.value() >= 1, timeout=10_000)
        dlg.cancel()
    finally:
        feed.stop()
    assert 1 <= sum(c.size for c in dlg._chunks) / RATE_HZ < 5
    # a room where 'yes' is heard twice (a false alarm by design), with a budget of none
    room = np.random.default_rng(1).normal(0, 0.003, 70 * RATE_HZ).astype(np.float32)
    for at in (20, 45):
        room[at * RATE_HZ:at * RATE_HZ + yes.size] += yes
    dlg.budget.setValue(0.0)
    dlg.set_room(room, RATE_HZ)
    qtbot.waitUntil(lambda: not dlg.process.running, timeout=120_000)
    assert dlg.use_button.isEnabled(), dlg.status.text()
    r = dlg.result
    assert r["commands"]["yes"]["threshold"] > w.panel.settings().threshold and "yes=" in r["command_thresholds"]
    assert r["commands"]["yes"]["takes"] == 3 and (tmp_path / "data" / "room.wav").is_file()
    assert len(dlg.plot.getPlotItem().listDataItems()) >= 2  # the yes line and its chosen point
    dlg.use_button.click()
    assert w.panel.settings().command_thresholds == r["command_thresholds"]
    from kwsapp.core.shared_settings import read_decisions

    assert read_decisions()[0].command_thresholds == r["command_thresholds"]  # where the command line finds them
    assert "yes" in w.panel.per_command.text()


def test_the_recorder_refuses_a_take_without_a_word_and_takes_it_again(make_window, qtbot, tmp_path, monkeypatch):
    from PySide6.QtCore import QTimer

    from kwsapp.core.ringbuffer import AudioRingBuffer
    from kwsapp.gui import dialog_openers
    from kwsapp.gui.recorder_dialog import GAP_MS, TAKE_S

    rate = 16000
    monkeypatch.setenv("KWSAPP_DATA_DIR", str(tmp_path / "data"))
    w = make_window()
    buf = AudioRingBuffer(rate * 10, rate)
    monkeypatch.setattr(w.mic, "buffer", buf)
    state = {"n": 0}

    def feed():  # the microphone: digital silence for the first take's time, then a tone word now and then
        n = rate // 20
        state["n"] += n
        t = state["n"] / rate
        if t < TAKE_S + 0.2:
            x = np.zeros(n, np.float32)
        else:
            x = np.random.default_rng(state["n"]).normal(0, 0.002, n).astype(np.float32)
            if (t % 1.0) < 0.25:
                x += 0.3 * np.sin(np.arange(n) * 0.3).astype(np.float32)
        buf.write(x)

    mic = QTimer()
    mic.timeout.connect(feed)
    mic.start(50)
    try:
        rec = dialog_openers.open_recorder(w)
        rec.label.setCurrentText("a,b")
        assert not rec.start() and "cannot hold ','" in rec.cue.text()  # the label is refused where it is made
        rec.label.setCurrentText("beep")
        rec.count.setValue(2)
        seen = []
        timer = QTimer()
        timer.timeout.connect(lambda: seen.append(rec.cue.text()))
        timer.start(20)
        assert rec.start()
        qtbot.waitUntil(lambda: rec.record_button.isEnabled(), timeout=int((TAKE_S * 4 + GAP_MS * 8 / 1000) * 1000) + 10_000)
        timer.stop()
        assert rec.refused == 1 and any("not kept: silent" in s for s in seen), set(seen)
        assert len(list((tmp_path / "data" / "examples" / "beep").glob("take_*.wav"))) == 2
        assert "Done: 2 takes" in rec.cue.text()
        keep = __import__("os").environ.get("KWSAPP_KEEP_SCREENSHOT_DIR")
        if keep:  # the dialog as a person sees it after a take was refused and taken again
            rec.takes.setCurrentRow(0)
            rec.grab().save(str(Path(keep) / "screenshot-recorder.png"))
        rec.close()
    finally:
        mic.stop()
